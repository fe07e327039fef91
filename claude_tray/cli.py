"""The `claude-tray` command line (also `python -m claude_tray`), as interface.md lists it.

Commands: `run` (the default) and `demo` start the tray app; `status`, `login`,
`logout` and `check-session` go through the same core, runner and state as the
tray; `doctor` checks the installation; `paths` and `--version` only print. A
hidden `scraper` command forwards to the scraper program, because a frozen
build runs its scraper children as `[sys.executable, "scraper", ...]`.

This module must stay cheap to import: everything, argparse included, is imported
inside the function that needs it (`status` as status bars run it is parsed by
`quick_arguments`, without argparse). It must never import Tk, pystray or
Playwright itself, never put a session key in argv of a child or in any output,
and never rewrite the config file.
"""

from __future__ import annotations

import contextlib
import os
import sys

from claude_tray import __version__
from claude_tray.console import tolerate_unencodable, write_json_line
from claude_tray.quick_arguments import (
    SOURCES,
    STATUS_FORMATS,
    StatusArguments,
    parse_seconds,
    parse_status,
)

# Not `from typing import TYPE_CHECKING`: typing itself takes about 2 ms to import,
# which `status --max-age` (run by status bars every few seconds) would pay for
# names only the type checker reads (mypy treats this constant as typing's).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import logging
    from collections.abc import Callable, Iterator
    from typing import TextIO

    from claude_tray.config import Config, LoadedConfig
    from claude_tray.core import Core
    from claude_tray.documents import Document, UsageDocument
    from claude_tray.paths import AppPaths

PROG = "claude-tray"

#: Exit codes of interface.md.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2  # argparse's own code for bad arguments
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention; SIGTERM gives 143, SIGHUP 129
#: The commands that start the tray and run until it quits; every other one is one-shot.
TRAY_COMMANDS = ("run", "demo")


class CommandInterrupted(Exception):
    """A blocking command was ended by SIGINT, SIGTERM or SIGHUP; its child is gone."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


# ---------------------------------------------------------------- arguments


def _log() -> logging.Logger:
    """This module's logger. logging is imported here, on first use, not at the top:
    the cached `status --max-age` path logs nothing and would pay about 3 ms for it."""
    import logging

    return logging.getLogger(__name__)


def _add_debug(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="log debug details, also to stderr (secrets are redacted)",
    )


def _seconds(text: str) -> float:
    """A non-negative number of seconds (argparse turns the ValueError into exit 2)."""
    import argparse

    try:
        return parse_seconds(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `claude-tray` (without the hidden `scraper` command)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="See how much of your Claude plan is left: a tray icon, a popup with "
        "the details, and commands for scripts and status bars.",
        epilog="`claude-tray COMMAND --help` says what each command does.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_debug(parser, default=False)
    # On a subcommand, --debug must not reset a --debug given before it: SUPPRESS
    # leaves the attribute alone unless the flag is given there.
    common = argparse.ArgumentParser(add_help=False)
    _add_debug(common, default=argparse.SUPPRESS)

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", parents=[common], help="the tray app (the default)")
    commands.add_parser(
        "demo", parents=[common], help="the tray app against the built-in emulator, no account"
    )

    status = commands.add_parser(
        "status", parents=[common], help="poll once and print the usage (exit 1 on an error)"
    )
    # Lets a later check report a conflict with this subcommand's own usage line.
    status.set_defaults(subparser=status)
    status.add_argument(
        "--json",
        action="store_true",
        help="print the usage document (or the error document) as JSON; same as --format json",
    )
    status.add_argument(
        "--format",
        choices=STATUS_FORMATS,
        default=None,
        help="text (default), json, or one line for Waybar's custom module",
    )
    status.add_argument(
        "--source",
        choices=SOURCES,
        default=None,
        help="where to read the usage (default: the config's source, normally auto)",
    )
    status.add_argument(
        "--max-age",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="print the last numbers read (by the tray or an earlier status) without a new "
        "poll when they are younger than SECONDS",
    )

    login = commands.add_parser(
        "login",
        parents=[common],
        help="log in to claude.ai in a browser window, or store a session key",
    )
    login.add_argument(
        "--session-key",
        metavar="KEY|-",
        default=None,
        help="check this sessionKey and store it; '-' reads it from stdin "
        "(so it never shows in a process list)",
    )

    commands.add_parser("logout", parents=[common], help="delete the stored web session")
    commands.add_parser(
        "check-session", parents=[common], help="say whether a usable session is stored"
    )
    commands.add_parser(
        "doctor", parents=[common], help="check the installation and say what to fix"
    )
    commands.add_parser(
        "paths", parents=[common], help="print where config, data, cache and logs live"
    )

    statusline = commands.add_parser(
        "statusline",
        parents=[common],
        help="for Claude Code's statusLine: record its rate limits, print one short line",
    )
    where = statusline.add_mutually_exclusive_group()
    where.add_argument(
        "--install", action="store_true", help="add this command to Claude Code's settings.json"
    )
    where.add_argument(
        "--uninstall", action="store_true", help="remove it again, restoring what was there"
    )
    statusline.add_argument(
        "--chain",
        metavar="COMMAND",
        default=None,
        help="a status-line command to run first (install sets this to the one you had)",
    )

    history = commands.add_parser(
        "history", parents=[common], help="the readings stored on this machine, oldest first"
    )
    shape = history.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print them as one JSON document")
    shape.add_argument("--csv", action="store_true", help="print them as CSV")
    history.add_argument(
        "--since", metavar="DURATION", type=_duration, default=None, help="only the last 6h, 7d, …"
    )
    history.add_argument(
        "--limit", metavar="ID", default=None, help="only this limit (session, weekly_all, …)"
    )
    autostart = commands.add_parser(
        "autostart", parents=[common], help="start the tray at login: on, off, or status"
    )
    autostart.add_argument("action", choices=("on", "off", "status"))
    desktop = commands.add_parser(
        "install-desktop-entry",
        parents=[common],
        help="add claude-tray to the applications menu (Linux), with its icon",
    )
    desktop.add_argument("--uninstall", action="store_true", help="remove it again")
    browser = commands.add_parser(
        "install-browser",
        parents=[common],
        help="download Playwright's Chromium for login when no Chrome, Chromium or Edge is found",
    )
    browser.add_argument(
        "--force", action="store_true", help="install it even when a browser is found"
    )
    _describe(commands)
    return parser


#: What `claude-tray COMMAND --help` says above the options: what the command does.
_DESCRIPTIONS = {
    "run": "Start the tray icon (the default when no command is given). It shows the share "
    "of your plan that is left, refreshes every few minutes, and opens the popup on a click.",
    "demo": "Start the tray app against the built-in claude.ai emulator: no account, no "
    "network, its own settings and log in a demo folder.",
    "status": "Read the usage once and print it: how much of each limit is used and when "
    "it resets. Exit 0 on success, 1 on an error.",
    "login": "Log in to claude.ai in a browser window (claude-tray keeps the session, "
    "never your password), or check and store a session key you paste.",
    "logout": "Forget the stored claude.ai session and its browser profile.",
    "check-session": "Say whether a usable claude.ai session is stored (exit 0) or not (exit 1).",
    "doctor": "Check each piece the app needs (Python, the browser, the session, the "
    "config, the folders, the network) and say what to fix, one line each.",
    "paths": "Print where the config, the data, the cache and the logs are.",
}


def _describe(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Give every subcommand's --help a description: ours, else its one-line help."""
    helps = {action.dest: action.help for action in commands._choices_actions}
    for name, sub in commands.choices.items():
        if sub.description is None:
            text = _DESCRIPTIONS.get(name) or helps.get(name) or ""
            if text and not text.endswith("."):
                text += "."
            sub.description = text[:1].upper() + text[1:] if text else None


def _duration(text: str) -> object:
    import argparse

    from claude_tray.history import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ---------------------------------------------------------------- shared setup


def _report_config_problems(loaded: LoadedConfig, stream: TextIO) -> None:
    """Say once, on stderr and in the log, what the config loader ignored."""
    for problem in loaded.problems:
        _log().warning("config %s: %s", loaded.path, problem)
        print(f"{PROG}: {loaded.path}: {problem}", file=stream)


def _prepare(
    args: argparse.Namespace | StatusArguments, *, report: bool = True
) -> tuple[AppPaths, LoadedConfig]:
    """Paths, logging and the config for a command that does real work."""
    from claude_tray.config import load_config
    from claude_tray.logsetup import setup_logging
    from claude_tray.paths import AppPaths

    paths = AppPaths.from_env()
    # Only the tray runs for long; every other command writes a few lines.
    one_shot = (args.command or "run") not in TRAY_COMMANDS
    setup_logging(paths, debug=bool(getattr(args, "debug", False)), one_shot=one_shot)
    _log().debug("claude-tray %s: %s", __version__, args.command or "run")
    loaded = load_config(paths.config_file)
    if report:
        _report_config_problems(loaded, sys.stderr)
    return paths, loaded


def _blocking(paths: AppPaths, config: Config, call: Callable[[Core], Document]) -> Document:
    """Run one blocking core command and shut the core down again."""
    document, _last, _problems = _blocking_with_last(paths, config, call)
    return document


def _blocking_with_last(
    paths: AppPaths, config: Config, call: Callable[[Core], Document]
) -> tuple[Document, UsageDocument | None, list[str]]:
    """The command's document, the last good numbers the core knows afterwards, and
    the sentences about files that could not be saved meanwhile."""
    import queue

    from claude_tray.core import Core
    from claude_tray.events import Event, SaveFailed

    # The command line shows no events; it only looks for files that failed to save.
    events: queue.Queue[Event] = queue.Queue()
    core = Core(paths, config, events)
    received: list[int] = []
    try:
        with _cancel_on_signals(core, received):
            document = call(core)
        if received:
            raise CommandInterrupted(received[0])
        problems = []
        while True:
            try:
                event = events.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, SaveFailed):
                problems.append(event.message)
        return document, core.state.snapshot().usage, problems
    finally:
        core.shutdown()


@contextlib.contextmanager
def _cancel_on_signals(core: Core, received: list[int]) -> Iterator[None]:
    """While a blocking command runs: SIGINT, SIGTERM and SIGHUP cancel its child.

    The handler only sets the child's cancel event (the runner sees it within
    a tick, ends the child and everything it started, and the command returns
    its "cancelled" document); the signal is remembered so the command can
    exit with 128 + its number. A login cancelled this way closes its browser
    window and stores nothing. Off the main thread (tests calling `main`)
    signals cannot be caught, and nothing is installed.
    """
    import signal
    import threading

    def handler(signum: int, _frame: object) -> None:
        received.append(signum)
        core.cancel_running()

    names = ("SIGINT", "SIGTERM", "SIGHUP")
    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for name in names:
            signum = getattr(signal, name, None)
            if signum is not None:
                previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)  # type: ignore[arg-type]


def _is_error(document: Document) -> bool:
    return document.status == "error"


# ---------------------------------------------------------------- commands


def _cmd_run(args: argparse.Namespace) -> int:
    paths, loaded = _prepare(args)
    try:
        # Imported only here: the app pulls in Tk and pystray, which the other commands
        # must work without (no display, no GUI toolkit).
        from claude_tray.app import run_app
    except ImportError as exc:
        from claude_tray.tk_support import problem_for

        _log().exception("the tray app could not be loaded")
        tk = problem_for(exc)
        if tk is not None:
            print(f"{PROG}: {tk.message()}", file=sys.stderr)
            return EXIT_ERROR
        print(f"{PROG}: the tray app could not be loaded ({exc}).", file=sys.stderr)
        return EXIT_ERROR
    return run_app(paths, loaded.config, demo=args.command == "demo")


def _status_format(args: argparse.Namespace | StatusArguments) -> str:
    if args.json:
        if args.format not in (None, "json"):
            # Only argparse's namespace gets here: parse_status refuses the conflict.
            assert not isinstance(args, StatusArguments)
            args.subparser.error("--json and --format are different formats; give one of them")
        return "json"
    return str(args.format or "text")


def _cached_usage(paths: AppPaths, max_age: float, source: str) -> UsageDocument | None:
    """The numbers in the cache the tray writes, if younger than `max_age` seconds.

    Reads one small file; starts no child and asks no service. Numbers from
    another source than an explicit `--source` do not count.
    """
    from datetime import datetime, timezone

    from claude_tray.state import AppState

    cached = AppState(paths).load_cache()
    if cached is None or (source != "auto" and cached.source != source):
        return None
    age = (datetime.now(timezone.utc) - cached.last_updated).total_seconds()
    # A reading from the future (a clock set back) is not trusted as fresh.
    if not -60.0 <= age < max_age:
        return None
    _log().info("status: printing the cached numbers (%.0f s old, --max-age %g)", age, max_age)
    return cached


def _cmd_status(args: argparse.Namespace | StatusArguments, fmt: str) -> int:
    if args.max_age is not None:
        from claude_tray.quick_status import quick_status

        # Fresh cached numbers need neither the core nor a child: printed in a few
        # milliseconds for status bars (issue 12); anything else takes the full path.
        # Written as the full path writes them below (JSON as UTF-8 bytes).
        quick = quick_status(fmt, args.max_age, args.source)
        if quick is not None:
            if fmt == "text":
                print(quick)
            else:
                write_json_line(quick)
            return EXIT_OK
    from claude_tray.paths import AppPaths
    from claude_tray.quick_settings import settings_in
    from claude_tray.runner import ScraperRunner, poll_args

    # The child starts first, from the few settings it needs read straight from the
    # file, before logging, the config module, dataclasses, typing and the core are
    # imported (it starts ~18 ms sooner, issue 12). It waits for its hand-off line, which
    # the core writes once the run lock and the read budget are taken; the core
    # takes it only if the full config gives the same command, time limit and
    # environment, else it is ended having asked nothing and a new one starts.
    # `--debug` is passed as given: logging is not set up yet.
    started = None
    early_paths = AppPaths.from_env()
    early = settings_in(early_paths.config_file)
    if early is not None:
        if args.source is not None:
            early.source = args.source
        runner = ScraperRunner(early_paths, early)
        # Raises nothing: a problem (a NUL in a path setting) is met again by the full
        # path below, once the log is set up, and answered with a document.
        started = runner.start("poll", poll_args(early, debug=bool(args.debug)))
    try:
        import dataclasses

        paths, loaded = _prepare(args)
        config = loaded.config
        if args.source is not None:
            config = dataclasses.replace(config, source=args.source)
        cached = None
        if args.max_age is not None:
            cached = _cached_usage(paths, args.max_age, config.source)
        document: Document
        last: UsageDocument | None
        problems: list[str]
        if cached is not None:
            document, last, problems = cached, cached, []
        else:
            document, last, problems = _blocking_with_last(
                paths, config, lambda core: core.poll_usage_blocking(started=started)
            )
    finally:
        if started is not None:
            # Numbers from the cache after all, an error, or Ctrl+C before the core
            # took it: it asked nothing. (Once taken, this does nothing.)
            started.close()
    from datetime import datetime, timezone

    from claude_tray.documents import dump_document

    failed = _is_error(document)
    # Beside the numbers, what a person must know: a file that could not be saved,
    # a source that was switched. On stderr, so stdout stays one document / line.
    for sentence in [*getattr(document, "notices", []), *problems]:
        _log().warning("status: %s", sentence)
        print(f"{PROG}: {sentence}", file=sys.stderr)
    if fmt == "json":
        # Exactly the scraper's document (usage or error), for scripts; UTF-8 bytes.
        write_json_line(dump_document(document))
    elif fmt == "waybar":
        import json

        from claude_tray.text_format import waybar_payload

        payload = waybar_payload(document, config.thresholds, icon_limit=config.icon_limit)
        write_json_line(json.dumps(payload, separators=(", ", ": ")))
        # interface.md: Waybar hides a module whose command fails, so the error look
        # it was just given must come with exit code 0.
        return EXIT_OK
    else:
        from claude_tray.text_format import format_age, status_text

        if not failed:
            print(status_text(document))
        else:
            print(status_text(document), file=sys.stderr)
            if last is not None:
                # The last good numbers are still worth seeing (claude-service.md: a
                # failed poll is often Cloudflare or the network, not the account).
                age = format_age(last.last_updated, datetime.now(timezone.utc))
                print(f"\nThe last numbers ({age}):", file=sys.stderr)
                print(status_text(last), file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_OK


def _read_key(argument: str) -> str | None:
    """The session key from the argument, or from stdin for '-' (hidden on a terminal)."""
    from claude_tray.redact import add_secret

    if argument == "-":
        if sys.stdin is None:
            return None
        if sys.stdin.isatty():
            import getpass

            key = getpass.getpass("claude.ai sessionKey (input hidden): ")
        else:
            key = sys.stdin.read()
    else:
        print(
            f"{PROG}: note: a key in the arguments can be seen in the process list; "
            "next time use `--session-key -` and give it on stdin.",
            file=sys.stderr,
        )
        key = argument
    key = key.strip()
    add_secret(key)
    return key or None


def _cmd_login(args: argparse.Namespace) -> int:
    paths, loaded = _prepare(args)
    key: str | None = None
    if args.session_key is not None:
        key = _read_key(args.session_key)
        if key is None:
            print(f"{PROG}: no session key given; nothing was changed.", file=sys.stderr)
            return EXIT_ERROR
        print("Checking the session key with the service…", file=sys.stderr)
    else:
        minutes = max(1, round(loaded.config.login_timeout_seconds / 60))
        print(
            "Opening a browser window on the claude.ai login page. Log in there; "
            f"waiting up to {minutes} min (Ctrl+C cancels).",
            file=sys.stderr,
        )
    try:
        document = _blocking(paths, loaded.config, lambda core: core.login_blocking(key))
    except CommandInterrupted as interrupted:
        print("Login cancelled; nothing was changed.", file=sys.stderr)
        return interrupted.exit_code
    except KeyboardInterrupt:
        print("Login cancelled; nothing was changed.", file=sys.stderr)
        return EXIT_INTERRUPTED
    if _is_error(document):
        print(_login_failure(document, with_key=key is not None), file=sys.stderr)
        return EXIT_ERROR
    print(_message(document))
    return EXIT_OK


def _login_failure(document: Document, *, with_key: bool) -> str:
    """What a person reads when a login failed; says that nothing was lost."""
    code = str(getattr(document, "error", ""))
    if with_key and code in ("session_expired", "no_session", "forbidden"):
        return (
            f"claude.ai did not accept this session key ({code}). Copy the sessionKey "
            "cookie again from a browser where you are logged in, or run `claude-tray login` "
            "without a key to log in in a browser window. Nothing was changed: a session "
            "stored before is kept."
        )
    return f"{_message(document)}\nNothing was changed: a session stored before is kept."


def _message(document: Document) -> str:
    message = getattr(document, "message", None)
    return str(message) if message else "Done."


def _cmd_logout(args: argparse.Namespace) -> int:
    paths, loaded = _prepare(args)
    document = _blocking(paths, loaded.config, lambda core: core.logout_blocking())
    if _is_error(document):
        print(_message(document), file=sys.stderr)
        return EXIT_ERROR
    print(_message(document))
    return EXIT_OK


def _cmd_check_session(args: argparse.Namespace) -> int:
    paths, loaded = _prepare(args)
    document = _blocking(paths, loaded.config, lambda core: core.check_session_blocking())
    if _is_error(document):
        print(_message(document), file=sys.stderr)
        return EXIT_ERROR
    print(_message(document))
    return EXIT_OK if getattr(document, "logged_in", False) else EXIT_ERROR


def _cmd_doctor(args: argparse.Namespace) -> int:
    from claude_tray.doctor import run_doctor

    # The doctor lists the config's problems in its own table.
    paths, loaded = _prepare(args, report=False)
    return run_doctor(paths, loaded, out=sys.stdout)


def _cmd_paths(args: argparse.Namespace) -> int:
    from claude_tray.paths import AppPaths

    paths = AppPaths.from_env()
    rows = {
        **paths.as_dict(),
        "config file": str(paths.config_file),
        "log file": str(paths.log_file),
    }
    width = max(len(name) for name in rows)
    for name, where in rows.items():
        print(f"{name + ':':<{width + 1}} {where}")
    return EXIT_OK


def _cmd_statusline(args: argparse.Namespace) -> int:
    # The render path stays light: no logging setup, no config, no pydantic.
    from claude_tray.paths import AppPaths

    paths = AppPaths.from_env()
    if not (args.install or args.uninstall):
        from claude_tray.statusline import run

        return run(paths, chain=args.chain, stdin=sys.stdin.buffer, stdout=sys.stdout)
    from claude_tray import statusline_install

    paths, _loaded = _prepare(args)
    settings = statusline_install.settings_path()
    try:
        if args.install:
            print(statusline_install.install(paths, settings))
        else:
            print(statusline_install.uninstall(paths, settings))
    except statusline_install.SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"{PROG}: could not change {settings}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _cmd_history(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from claude_tray import history

    paths, _loaded = _prepare(args)
    since = None if args.since is None else datetime.now(timezone.utc) - args.since
    rows = history.query(paths.history_file, since=since, limit_id=args.limit)
    if args.json:
        import json

        body = {"schema_version": 1, "readings": [row.to_json() for row in rows]}
        write_json_line(json.dumps(body, indent=2))
    elif args.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["time", "source", "limit", "percent", "resets_at"])
        for row in rows:
            item = row.to_json()
            writer.writerow(
                [
                    item["time"],
                    item["source"],
                    item["limit"],
                    item["percent"],
                    item["resets_at"] or "",
                ]
            )
    elif not rows:
        print("No readings stored yet.", file=sys.stderr)
    else:
        for row in rows:
            resets = "" if row.resets_at is None else f"  resets {row.resets_at.isoformat()}"
            print(
                f"{row.at.isoformat()}  {row.source:<11} {row.limit_id:<14} "
                f"{row.percent:6.1f}%{resets}"
            )
    return EXIT_OK


# ---------------------------------------------------------------- entry point


def _reader_went_away() -> int:
    """The reader of stdout closed it (`claude-tray status | head -1`): stop quietly.

    Python would report the pipe again when it flushes stdout at exit, so stdout
    is pointed at the null device first (the recipe in Python's signal docs).
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_ERROR


def _skip_the_last_collection() -> None:
    """A one-shot command ends without the interpreter's last garbage collection.

    What is still alive at exit needs no collection: the process is ending. That
    collection walks every object the imports made, about 7 ms of every `status`
    and 3 ms of the cached `status --max-age` (issue 12); objects freed by their
    reference counts still are (files, connections; logging.shutdown closes its
    handlers). The handler runs only when the interpreter ends, so an in-process
    caller of `main` (a test) is not affected until its own exit.
    """
    import atexit
    import gc

    atexit.register(gc.freeze)


def _run_scraper(argv: list[str]) -> int:
    from claude_tray.scraper.main import main as scraper_main

    return scraper_main(argv)


def main(argv: list[str] | None = None) -> int:
    """Run `claude-tray ARGV`; returns the exit code (argparse exits 2 on bad arguments)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # Hidden: the frozen build's scraper children. Forwarded before argparse sees the
    # scraper's own options (e.g. --session-key-stdin).
    if arguments[:1] == ["scraper"]:
        return _run_scraper(arguments[1:])

    # Text in the console's encoding, never a UnicodeEncodeError (console.py says why).
    tolerate_unencodable(sys.stdout, sys.stderr)
    # `status` as status bars run it skips building the parser (~5 ms; quick_arguments
    # says why); any other command line, and any doubt, goes to argparse.
    status = parse_status(arguments)
    if status is not None:
        _skip_the_last_collection()
        return _guarded("status", lambda: _cmd_status(status, _status_format(status)))
    args = build_parser().parse_args(arguments)
    command = args.command or "run"
    if command not in TRAY_COMMANDS:
        _skip_the_last_collection()
    return _guarded(command, lambda: _dispatch(command, args))


def _dispatch(command: str, args: argparse.Namespace) -> int:
    if command in TRAY_COMMANDS:
        return _cmd_run(args)
    if command == "status":
        return _cmd_status(args, _status_format(args))
    if command == "login":
        return _cmd_login(args)
    if command == "logout":
        return _cmd_logout(args)
    if command == "check-session":
        return _cmd_check_session(args)
    if command == "doctor":
        return _cmd_doctor(args)
    if command == "paths":
        return _cmd_paths(args)
    if command == "statusline":
        return _cmd_statusline(args)
    if command == "history":
        return _cmd_history(args)
    if command == "autostart":
        from claude_tray.autostart import run_command as autostart_command

        return autostart_command(args.action, sys.stdout, sys.stderr)
    if command == "install-desktop-entry":
        from claude_tray.desktop_entry import run_command as desktop_command

        return desktop_command(args.uninstall, sys.stdout, sys.stderr)
    if command == "install-browser":
        from claude_tray.scraper.browser_install import run_command as browser_command

        return browser_command(args.force, sys.stdout, sys.stderr)
    build_parser().error(f"unknown command {command!r}")  # unreachable: argparse checked it
    return EXIT_USAGE


def _guarded(command: str, run: Callable[[], int]) -> int:
    """`run()`'s exit code; a cancel, a closed pipe or a bug become a message and a code."""
    try:
        return run()
    except CommandInterrupted as interrupted:
        print(f"{PROG}: cancelled; nothing was changed.", file=sys.stderr)
        return interrupted.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _reader_went_away()
    except Exception:  # a bug: say where the details are instead of a bare traceback
        _log().exception("claude-tray %s failed", command)
        print(
            f"{PROG}: internal error in '{command}'; the details are in the log "
            "(`claude-tray paths` shows where). Run again with --debug to see them here.",
            file=sys.stderr,
        )
        return EXIT_ERROR
