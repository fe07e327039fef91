"""The scraper program: `python -m claude_tray.scraper {check-session,login,poll}`.

Prints exactly one JSON document to stdout (a usage, session or error
document, see interface.md) and exits 0 on success, 1 otherwise. Logs go to
stderr and to the scraper log file, both redacted. One run at a time across
processes (`lock.py`). Started by the app, it ends with its parent
(`lifeline.py`) and keeps to the time budget the runner gave it (`budget.py`).

This module must never let anything but the one document reach stdout (not a
traceback, not a library's chatter: file descriptor 1 is pointed at stderr
while the command runs), must never take a secret from its arguments (the
session key comes on stdin), and must not import Tk, pystray or Playwright.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.paths import AppPaths
from claude_tray.redact import RedactingFilter, add_secret

if TYPE_CHECKING:
    from claude_tray.documents import Document

log = logging.getLogger("claude_tray.scraper")

LOG_FORMAT = "%(asctime)s %(levelname)-7s [scraper %(process)d] %(name)s: %(message)s"
#: The scraper log is moved aside to `scraper.log.1` when it grows past this.
MAX_LOG_BYTES = 1_000_000
DEFAULT_LOGIN_TIMEOUT = 300.0

_SOURCES = ("auto", "web", "claude-code")


class _ArgumentError(Exception):
    """Bad arguments: reported as a document instead of argparse's exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _ArgumentError(message)


def build_parser() -> argparse.ArgumentParser:
    from claude_tray import __version__

    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", help="verbose logging on stderr")
    common.add_argument(
        "--http-timeout",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="how long one request to the service may take (default 20)",
    )
    common.add_argument(
        "--lock-wait",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="how long to wait for another scraper run to finish (default 20)",
    )
    sourced = _Parser(add_help=False)
    sourced.add_argument("--source", choices=_SOURCES, default="auto")

    parser = _Parser(
        prog="python -m claude_tray.scraper",
        description="Read Claude plan usage and print one JSON document.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    poll = commands.add_parser("poll", parents=[common, sourced], help="read usage once")
    poll.add_argument(
        "--force-browser",
        action="store_true",
        help="read through the browser path even without a challenge (benchmarks)",
    )
    commands.add_parser(
        "check-session", parents=[common, sourced], help="say whether a usable session is stored"
    )
    login = commands.add_parser("login", parents=[common], help="log in to claude.ai")
    login.add_argument(
        "--session-key-stdin",
        action="store_true",
        help="read a session key from stdin, check it and store it",
    )
    login.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_LOGIN_TIMEOUT,
        metavar="SECONDS",
        help="how long the browser login may take (default 300)",
    )
    return parser


# -- logging --------------------------------------------------------------------


def _private_file_handler(path: Path) -> logging.Handler | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # private, as fileio
        if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)  # created private; the handler reopens it for appending
        from claude_tray.logsetup import QuietWriteErrors

        class _QuietFileHandler(QuietWriteErrors, logging.FileHandler):
            pass

        return _QuietFileHandler(path, encoding="utf-8")
    except OSError:
        return None


def setup_logging(paths: AppPaths, *, debug: bool) -> None:
    """stderr and the scraper log file, both redacted; DEBUG with `--debug`, else INFO."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    file_handler = _private_file_handler(paths.scraper_log_file)
    if file_handler is not None:
        handlers.append(file_handler)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler.setFormatter(formatter)
        root.addHandler(handler)


# -- the commands -----------------------------------------------------------------


def _read_session_key(stream: object) -> str:
    """The session key from stdin: the first line, an optional `sessionKey=` removed."""
    readline = getattr(stream, "readline", None)
    line = readline() if callable(readline) else ""
    key = str(line or "").strip()
    if key.lower().startswith("sessionkey="):
        key = key[len("sessionkey=") :].strip()
    add_secret(key)
    if not key:
        raise ClaudeTrayError(
            ErrorCode.NO_SESSION,
            "No session key was given. Copy the value of the sessionKey cookie of "
            "claude.ai and paste it when asked.",
        )
    if not key.isascii() or not key.isprintable() or any(c in key for c in " ;,\"'\\"):
        raise ClaudeTrayError(
            ErrorCode.NO_SESSION,
            "That does not look like a claude.ai session key (it should be one word "
            "starting with sk-ant-sid). Nothing was stored.",
        )
    return key


def _web_session_usable(paths: AppPaths) -> tuple[bool, ClaudeTrayError | None]:
    """(a usable web session is stored, the reason a stored one is not usable)."""
    from claude_tray.scraper.session_store import SessionFileError, load_session

    try:
        session = load_session(paths)
    except SessionFileError as exc:
        return False, exc
    if session is None:
        return False, None
    if session.invalid:
        return False, ClaudeTrayError(
            ErrorCode.SESSION_EXPIRED,
            "Your claude.ai session has expired. Log in again with `claude-tray login`.",
        )
    return True, None


def choose_source(paths: AppPaths, env: Mapping[str, str], requested: str) -> str:
    """`web` or `claude-code` for `--source`; `auto` prefers a usable web session.

    Raises `no_session` (or why the stored web session is unusable) when
    `auto` finds neither.
    """
    if requested != "auto":
        return requested
    usable, problem = _web_session_usable(paths)
    if usable:
        return "web"
    from claude_tray.scraper.claude_code import credentials_exist

    if credentials_exist(env):
        return "claude-code"
    if problem is not None:
        raise problem
    raise ClaudeTrayError(
        ErrorCode.NO_SESSION,
        "You are not logged in. Log in to claude.ai with `claude-tray login`, or log in "
        "to Claude Code (run `claude`), whose login claude-tray can read.",
    )


def _poll(paths: AppPaths, env: Mapping[str, str], args: argparse.Namespace) -> Document:
    source = "web" if args.force_browser else choose_source(paths, env, args.source)
    if source == "web":
        from claude_tray.scraper.web_source import poll_web

        return poll_web(paths, env, force_browser=args.force_browser, timeout=args.http_timeout)
    from claude_tray.scraper.claude_code import poll_claude_code

    document = poll_claude_code(env, timeout=args.http_timeout)
    if args.source == "auto":
        _usable, problem = _web_session_usable(paths)
        if problem is not None:
            # Never switch source silently (issue 7): say why these numbers are not the web's.
            notice = (
                "Read through Claude Code's login instead of the claude.ai session. "
                + problem.message
            )
            document = dataclasses.replace(document, notices=[*document.notices, notice])
    return document


def _check_session(paths: AppPaths, env: Mapping[str, str], args: argparse.Namespace) -> Document:
    from claude_tray.documents import SessionDocument

    try:
        source = choose_source(paths, env, args.source)
    except ClaudeTrayError as exc:
        if exc.code in (ErrorCode.NO_SESSION, ErrorCode.SESSION_EXPIRED):
            return SessionDocument(source="web", logged_in=False, message=exc.message)
        raise
    if source == "web":
        from claude_tray.scraper.web_source import check_web

        return check_web(paths, env, timeout=args.http_timeout)
    from claude_tray.scraper.claude_code import check_claude_code

    try:
        message = check_claude_code(env, timeout=args.http_timeout)
    except ClaudeTrayError as exc:
        if exc.code in (ErrorCode.NO_SESSION, ErrorCode.SESSION_EXPIRED):
            return SessionDocument(source="claude-code", logged_in=False, message=exc.message)
        raise
    return SessionDocument(source="claude-code", logged_in=True, message=message)


def _login(paths: AppPaths, env: Mapping[str, str], args: argparse.Namespace) -> Document:
    from claude_tray.scraper import web_source

    if args.session_key_stdin:
        from claude_tray.scraper import lifeline

        # Under the app the key is the lifeline's hand-off line (stdin stays open).
        stream = io.StringIO(lifeline.handoff_line()) if lifeline.active() else sys.stdin
        key = _read_session_key(stream)
        return web_source.login_with_cookies(
            paths, env, {"sessionKey": key}, trusted=False, timeout=args.http_timeout
        )
    return web_source.login_in_browser(
        paths, env, login_timeout=args.timeout, timeout=args.http_timeout
    )


_COMMANDS = {"poll": _poll, "check-session": _check_session, "login": _login}


def run_command(paths: AppPaths, env: Mapping[str, str], args: argparse.Namespace) -> Document:
    """Run one command under the cross-process lock; every failure becomes an error document."""
    from claude_tray.documents import ErrorDocument
    from claude_tray.scraper import budget
    from claude_tray.scraper.lock import ScraperLock

    try:
        wait = budget.cap(args.lock_wait, "another claude-tray process let go of the session")
        with ScraperLock(paths.scraper_lock_file, wait=wait):
            return _COMMANDS[args.command](paths, env, args)
    except ClaudeTrayError as exc:
        log.info("%s ended with %s: %s", args.command, exc.code.value, exc.message)
        return ErrorDocument.from_error(exc)


def exit_code(document: Document) -> int:
    """0 for a usage document or a logged-in session document, else 1."""
    if document.status == "error":
        return 1
    return 0 if getattr(document, "logged_in", True) else 1


def _internal_error(paths: AppPaths | None) -> Document:
    from claude_tray.documents import ErrorDocument

    where = f" Details are in the log: {paths.scraper_log_file}." if paths else ""
    return ErrorDocument(
        error=ErrorCode.INTERNAL_ERROR,
        message=f"The scraper hit an unexpected problem.{where} Please report it.",
    )


def _redirect_stdout() -> int | None:
    """Point file descriptor 1 at stderr; returns a descriptor of the real stdout.

    A library or a browser started from here writing to stdout would break the
    one-document rule, so only `_emit` writes to the real stdout.
    """
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError, AttributeError):
        return None
    sys.stdout = sys.stderr
    return saved


def _emit(document: Document, saved_fd: int | None) -> None:
    from claude_tray.documents import dump_document

    # Only the parent fills fields such as a limit's `pace`: the child leaves them out.
    data = (dump_document(document, parent_fields=False) + "\n").encode("utf-8")
    if saved_fd is None:
        if sys.__stdout__ is not None:
            sys.__stdout__.write(data.decode("utf-8"))
            sys.__stdout__.flush()
        return
    with os.fdopen(saved_fd, "wb") as out:
        out.write(data)
        out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scraper program; returns the exit code (0 success, 1 error document)."""
    from claude_tray.scraper import budget, lifeline

    # First of all: the budget's clock, and the tie to the parent (which waits
    # for the parent's hand-off, so nothing is started before the tie holds).
    budget.start(os.environ)
    # Every command's HTTP client (about 20 ms of imports, asking nothing of the
    # service), loaded before the wait: `status` starts this child ahead and
    # hands off once its own imports are done, so both load at once (issue 12).
    import claude_tray.scraper.http_transport  # noqa: F401

    lifeline.install(os.environ)
    parser = build_parser()
    try:
        # Before stdout is redirected, so `--help` and `--version` reach it.
        args: argparse.Namespace | None = parser.parse_args(argv)
        bad_arguments = ""
    except _ArgumentError as exc:
        args, bad_arguments = None, str(exc)
    saved_fd = _redirect_stdout()
    paths: AppPaths | None = None
    document: Document
    try:
        env = dict(os.environ)
        paths = AppPaths.from_env(env)
        if args is None:
            from claude_tray.documents import ErrorDocument

            print(f"scraper: {bad_arguments}", file=sys.stderr)
            document = ErrorDocument(
                error=ErrorCode.INTERNAL_ERROR,
                message="The scraper was started with arguments it does not understand: "
                f"{bad_arguments}.",
            )
        else:
            setup_logging(paths, debug=args.debug)
            log.debug("scraper %s starting", args.command)
            document = run_command(paths, env, args)
    except BaseException:  # a bug, or an interrupt: one document, the traceback in the log
        log.exception("unexpected failure")
        document = _internal_error(paths)
    _emit(document, saved_fd)
    if lifeline.active():
        # A browser that would not close must not outlive the answer.
        lifeline.end_descendants()
    return exit_code(document)
