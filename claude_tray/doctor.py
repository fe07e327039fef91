"""`claude-tray doctor`: check each piece of the installation and say what to fix.

Checks Python, the scraper handshake (through the runner), Playwright, the
browser, the stored web session, Claude Code's login, the config file, the
folders and whether the service answers. Prints a short table (check, result,
what to do); the exit code is 0 when nothing is a problem, 1 otherwise.

This module must not import Playwright (it asks `importlib.util.find_spec`),
must not start processes except through the runner and `browser_version`, must
never print a secret (it reads no key or token into its output, and redacts
everything it prints), and must not change any file except a probe file in each
folder it checks for writing.
"""

from __future__ import annotations

import logging
import os
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO, TypeVar

from claude_tray.redact import redact

if TYPE_CHECKING:
    from claude_tray.config import Config, LoadedConfig
    from claude_tray.paths import AppPaths
    from claude_tray.runner import ScraperRunner

log = logging.getLogger(__name__)

#: ok: fine; note: worth knowing, not a problem; problem: makes the exit code 1.
Verdict = Literal["ok", "note", "problem"]

#: Seconds the reachability probe waits for the service.
PROBE_TIMEOUT = 3.0
DEFAULT_BASE_URL = "https://claude.ai"
DEFAULT_API_URL = "https://api.anthropic.com"
#: claude.ai sessions last about 28–30 days (claude-service.md): warn a little before.
SESSION_OLD_DAYS = 25

_MARKS: dict[Verdict, str] = {"ok": "ok", "note": "note", "problem": "PROBLEM"}


@dataclass(frozen=True)
class Check:
    """One row of the doctor's table."""

    name: str
    verdict: Verdict
    result: str
    fix: str = ""


# ---------------------------------------------------------------- the checks


def check_python() -> Check:
    """The interpreter running the app (older than 3.10 cannot even import this module)."""
    version = ".".join(str(part) for part in sys.version_info[:3])
    where = "frozen build" if getattr(sys, "frozen", False) else sys.executable
    return Check("Python", "ok", f"{version} at {where}")


def check_scraper(runner: ScraperRunner) -> Check:
    """Whether the scraper's interpreter can start the scraper (the runner's handshake)."""
    try:
        argv = runner.interpreter_argv()
        failure = runner.handshake()
    except Exception as exc:  # a broken runner is reported, not a crashed doctor
        return Check("Scraper", "problem", f"could not be checked ({exc})", _PYTHON_FIX)
    command = " ".join(argv)
    if failure is not None:
        return Check("Scraper", "problem", failure.message, _PYTHON_FIX)
    return Check("Scraper", "ok", f"starts: {command}")


def check_tk() -> Check:
    """Tk for the popup: present, or the exact system package that provides it."""
    from claude_tray.tk_support import tk_problem, tk_version

    problem = tk_problem()
    if problem is not None:
        return Check(
            "Tk (popup)",
            "problem",
            f"missing ({problem.reason}): the tray app cannot start",
            f"Install it: {problem.fix}.",
        )
    return Check("Tk (popup)", "ok", f"Tk {tk_version()}")


_PYTHON_FIX = (
    "Unset CLAUDE_TRAY_PYTHON and python_path in the config to use this Python, or "
    "point them at a Python 3.10+ in which claude-tray is installed."
)


def _same_interpreter(runner: ScraperRunner) -> bool:
    try:
        argv = runner.interpreter_argv()
    except Exception:
        return False
    if not argv:
        return False
    if getattr(sys, "frozen", False):
        return True
    try:
        return Path(argv[0]).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


def check_playwright(runner: ScraperRunner) -> Check:
    """Playwright present for the scraper, found without importing it."""
    import importlib.util

    if not _same_interpreter(runner):
        return Check(
            "Playwright",
            "note",
            "not checked: the scraper runs under another Python",
            "Make sure Playwright is installed there: <that python> -m pip install playwright",
        )
    try:
        spec = importlib.util.find_spec("playwright")
    except (ImportError, ValueError):
        spec = None
    fix = (
        "Install it: python -m pip install playwright (no `playwright install` needed: "
        "claude-tray uses your installed Chrome or Chromium). Without it, login and the "
        "Cloudflare fallback do not work."
    )
    if spec is None or not spec.origin:
        return Check("Playwright", "problem", "not installed", fix)
    version = _distribution_version("playwright") or "unknown version"
    driver = Path(spec.origin).parent / "driver"
    if not getattr(sys, "frozen", False) and not driver.is_dir():
        return Check("Playwright", "problem", f"{version}, but its driver is missing", fix)
    return Check("Playwright", "ok", f"{version} at {Path(spec.origin).parent}")


def _distribution_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _install_browser_advice() -> str:
    if sys.platform.startswith("linux"):
        return (
            "Install Chromium or Google Chrome: Debian/Ubuntu `sudo apt install chromium`, "
            "Fedora `sudo dnf install chromium`, Arch `sudo pacman -S chromium`, "
            "or Chrome from https://www.google.com/chrome/."
        )
    if sys.platform == "darwin":
        return "Install Google Chrome from https://www.google.com/chrome/ (or Chromium, or Edge)."
    return "Install Google Chrome from https://www.google.com/chrome/, or use Microsoft Edge."


def check_browser(
    config: Config, env: Mapping[str, str], *, system: str | None = None, root: Path | None = None
) -> Check:
    """A Chromium-family browser for login and the browser path, and its version.

    `system` and `root` pass through to `find_browser` so tests can describe a
    machine without any browser.
    """
    from claude_tray.errors import ClaudeTrayError
    from claude_tray.scraper.browser_discovery import ENV_VAR, browser_version, find_browser

    try:
        path = find_browser(env, config.browser_path, system=system, root=root)
    except ClaudeTrayError as exc:
        install = _install_browser_advice()
        named = [
            f"{ENV_VAR}={env.get(ENV_VAR)}" if env.get(ENV_VAR) else "",
            f"browser_path = {config.browser_path!r} in the config" if config.browser_path else "",
        ]
        setting = " and ".join(item for item in named if item)
        fix = install
        if setting:
            fix = f"Fix or remove {setting}. {install}"
            try:  # would discovery find a browser without the user's setting?
                clean = {k: v for k, v in env.items() if k != ENV_VAR}
                found = find_browser(clean, None, system=system, root=root)
            except ClaudeTrayError:
                pass
            else:
                fix = (
                    f"Remove {setting} to use {found} (found on this machine), or point it "
                    f"at another browser. Without any browser: {install}"
                )
        return Check(
            "Browser", "problem", exc.message, f"{fix} Then run `claude-tray doctor` again."
        )
    version = browser_version(path)
    if version is None:
        return Check(
            "Browser",
            "problem",
            f"{path} did not say its version; it may not start",
            f"Run `{path} --version` to see why, or install Chromium or Google Chrome.",
        )
    return Check("Browser", "ok", f"{version} at {path}")


def _age(then: datetime, now: datetime) -> str:
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def check_web_session(paths: AppPaths, now: datetime) -> tuple[Check, bool]:
    """The stored claude.ai session: present, readable, not flagged, and its age.

    Returns the row and whether the session looks usable.
    """
    from claude_tray.errors import ClaudeTrayError
    from claude_tray.scraper.session_store import load_session

    try:
        session = load_session(paths)
    except ClaudeTrayError as exc:
        return Check("Web session", "problem", exc.message, "Run `claude-tray login`."), False
    if session is None:
        return Check("Web session", "note", "none stored", "Run `claude-tray login`."), False
    age = _age(session.saved_at, now)
    org = f", organization {session.org_name}" if session.org_name else ""
    if session.invalid:
        return (
            Check(
                "Web session",
                "problem",
                f"stored {age} ago, but the service said it is no longer valid",
                "Run `claude-tray login` to log in again.",
            ),
            False,
        )
    days = (now - session.saved_at).total_seconds() / 86400
    if days >= SESSION_OLD_DAYS:
        return (
            Check(
                "Web session",
                "note",
                f"stored {age} ago{org}; claude.ai sessions last about 30 days",
                "Log in again soon: `claude-tray login`.",
            ),
            True,
        )
    return Check("Web session", "ok", f"stored {age} ago{org}"), True


def check_claude_code(env: Mapping[str, str], now: datetime) -> tuple[Check, bool]:
    """Claude Code's own login (read-only): present and not expired; never shows the token."""
    from claude_tray.errors import ClaudeTrayError
    from claude_tray.scraper.claude_code import credentials_file, load_credentials

    try:
        credentials = load_credentials(env)
    except ClaudeTrayError as exc:
        return Check(
            "Claude Code", "problem", exc.message, "Log in to Claude Code: `claude`."
        ), False
    if credentials is None:
        return (
            Check(
                "Claude Code",
                "note",
                f"no login found ({credentials_file(env)})",
                "Optional: log in to Claude Code with `claude` to use it as a source.",
            ),
            False,
        )
    plan = f", plan {credentials.subscription_type}" if credentials.subscription_type else ""
    if credentials.expires_at is not None:
        expires = datetime.fromtimestamp(credentials.expires_at, timezone.utc)
        if expires <= now:
            return (
                Check(
                    "Claude Code",
                    "note",
                    f"login in {credentials.origin} expired {_age(expires, now)} ago{plan}",
                    "Open Claude Code once; it renews its login by itself.",
                ),
                False,
            )
        return (
            Check(
                "Claude Code",
                "ok",
                f"login in {credentials.origin}{plan}, valid for {_age(now, expires)}",
            ),
            True,
        )
    return Check("Claude Code", "ok", f"login in {credentials.origin}{plan}"), True


def judge_sources(
    source: str, web: tuple[Check, bool], claude_code: tuple[Check, bool]
) -> list[Check]:
    """The two source rows, with "nothing usable" for the chosen source made a problem."""
    web_row, web_ok = web
    code_row, code_ok = claude_code

    def problem(row: Check, fix: str) -> Check:
        return Check(row.name, "problem", row.result, row.fix or fix)

    if source == "web" and not web_ok and web_row.verdict != "problem":
        web_row = problem(web_row, "Run `claude-tray login`.")
    elif source == "claude-code" and not code_ok and code_row.verdict != "problem":
        code_row = problem(code_row, "Log in to Claude Code with `claude`.")
    elif source == "auto" and not (web_ok or code_ok) and web_row.verdict != "problem":
        web_row = Check(
            web_row.name,
            "problem",
            f"{web_row.result}; and no usable Claude Code login either",
            "Run `claude-tray login` (or log in to Claude Code with `claude`).",
        )
    return [web_row, code_row]


def check_config(loaded: LoadedConfig) -> Check:
    """The config file: which settings were ignored and why."""
    where = str(loaded.path) if loaded.path is not None else "the config file"
    if loaded.problems:
        return Check(
            "Config",
            "problem",
            f"{where}: " + "; ".join(loaded.problems),
            f"Edit {where} (or save the settings from the app); the app uses the defaults "
            "for what it ignored.",
        )
    if loaded.path is not None and not loaded.path.exists():
        return Check("Config", "ok", f"no file, using the defaults ({where})")
    return Check("Config", "ok", where)


def _writable(folder: Path) -> str | None:
    """None when a file can be created in `folder` (created if missing); else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".doctor-{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def check_folders(paths: AppPaths) -> Check:
    """Every folder the app writes to can be written."""
    folders = {
        "config": paths.config_dir,
        "data": paths.data_dir,
        "cache": paths.cache_dir,
        "logs": paths.log_dir,
    }
    failures = [
        f"{name} {folder} ({why})"
        for name, folder in folders.items()
        if (why := _writable(folder)) is not None
    ]
    if failures:
        return Check(
            "Folders",
            "problem",
            "cannot write " + "; ".join(failures),
            "Fix the folders' owner or permissions, or set CLAUDE_TRAY_HOME to a folder "
            "you can write.",
        )
    return Check("Folders", "ok", f"writable (logs in {paths.log_dir})")


@dataclass(frozen=True)
class Probe:
    """What one request to the service's address showed."""

    answered: bool
    text: str
    #: Cloudflare answered with a challenge instead of the page (`cf-mitigated: challenge`).
    challenged: bool = False


def probe_url(url: str, *, timeout: float = PROBE_TIMEOUT) -> Probe:
    """Whether `url` answers at all (any HTTP status counts), and what happened.

    A GET without cookies whose body is not read (some servers, the emulator
    among them, do not implement HEAD); only the status code is reported.
    """
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, method="GET", headers={"User-Agent": "claude-tray-doctor"}
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as exc:  # an answer, even if 403 or 5xx
        status, headers = exc.code, exc.headers
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Probe(False, f"no answer from {url} ({reason})")
    elapsed = time.monotonic() - started
    challenged = (headers.get("cf-mitigated") or "").strip().lower() == "challenge"
    return Probe(True, f"{url} answered HTTP {status} in {elapsed:.1f} s", challenged)


def check_reachable(name: str, variable: str, url: str, *, configured: bool = False) -> Check:
    """The service's address answers within a few seconds (`configured`: set by `variable`)."""
    if not url.startswith(("http://", "https://")):
        return Check(
            name, "problem", f"{variable}={url} is not an http(s) address", f"Fix {variable}."
        )
    probe = probe_url(url)
    if probe.challenged:
        # Not a failure (claude-service.md): the scraper then reads through a real browser.
        return Check(
            name,
            "note",
            f"{probe.text}: a Cloudflare challenge for plain requests from this network",
            "Nothing to do if the Browser row is ok: claude-tray then reads through the "
            "browser. A VPN makes challenges more likely.",
        )
    if probe.answered:
        return Check(name, "ok", probe.text)
    return Check(
        name,
        "problem",
        probe.text,
        "Check the internet connection, proxy or VPN"
        + (f", and {variable}" if configured else "")
        + "; then run `claude-tray doctor` again.",
    )


# ---------------------------------------------------------------- running and printing


_T = TypeVar("_T")


def _same(row: Check) -> Check:
    return row


def _guarded(name: str, check: Callable[[], _T], wrap: Callable[[Check], _T]) -> _T:
    """Run one check; a check that breaks becomes a problem row instead of ending the doctor."""
    try:
        return check()
    except Exception as exc:
        log.exception("doctor: the %s check failed", name)
        return wrap(
            Check(
                name,
                "problem",
                f"could not be checked ({type(exc).__name__}: {exc})",
                "This is a bug in claude-tray; the log has the details "
                "(`claude-tray paths` shows where).",
            )
        )


def run_checks(
    paths: AppPaths,
    loaded: LoadedConfig,
    *,
    env: Mapping[str, str] | None = None,
    runner: ScraperRunner | None = None,
    now: datetime | None = None,
) -> list[Check]:
    """Every check, in the order a person would fix them."""
    env = os.environ if env is None else env
    now = now or datetime.now(timezone.utc)
    config = loaded.config
    if runner is None:
        from claude_tray.runner import ScraperRunner

        runner = ScraperRunner(paths, config)
    web = _guarded("Web session", lambda: check_web_session(paths, now), lambda row: (row, False))
    claude_code = _guarded(
        "Claude Code", lambda: check_claude_code(env, now), lambda row: (row, False)
    )
    rows = [
        _guarded("Python", check_python, _same),
        _guarded("Tk (popup)", check_tk, _same),
        _guarded("Scraper", lambda: check_scraper(runner), _same),
        _guarded("Playwright", lambda: check_playwright(runner), _same),
        _guarded("Browser", lambda: check_browser(config, env), _same),
        *judge_sources(config.source, web, claude_code),
        _guarded("Config", lambda: check_config(loaded), _same),
        _guarded("Folders", lambda: check_folders(paths), _same),
    ]
    if config.source in ("auto", "web"):
        base = env.get("CLAUDE_TRAY_BASE_URL") or DEFAULT_BASE_URL
        rows.append(
            check_reachable(
                "claude.ai",
                "CLAUDE_TRAY_BASE_URL",
                base.rstrip("/"),
                configured=bool(env.get("CLAUDE_TRAY_BASE_URL")),
            )
        )
    if config.source == "claude-code" or (config.source == "auto" and claude_code[1]):
        api = env.get("CLAUDE_TRAY_API_URL") or DEFAULT_API_URL
        rows.append(
            check_reachable(
                "Claude API",
                "CLAUDE_TRAY_API_URL",
                api.rstrip("/"),
                configured=bool(env.get("CLAUDE_TRAY_API_URL")),
            )
        )
    return rows


def _columns(cells: Sequence[str], widths: Sequence[int]) -> list[str]:
    # Paths and URLs stay whole: a line runs long rather than split a path in two.
    wrapped = [
        textwrap.wrap(cell, width, break_long_words=False, break_on_hyphens=False) or [""]
        for cell, width in zip(cells, widths, strict=True)
    ]
    height = max(len(lines) for lines in wrapped)
    lines = []
    for index in range(height):
        parts = [
            (column[index] if index < len(column) else "").ljust(width)
            for column, width in zip(wrapped, widths, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return lines


def format_table(rows: Sequence[Check], *, width: int = 100) -> str:
    """The table: check, result, what to do; redacted, wrapped to `width`."""
    name_width = max(len("CHECK"), *(len(row.name) for row in rows)) if rows else 5
    mark_width = max(len(mark) for mark in _MARKS.values())
    rest = max(40, width - name_width - mark_width - 6)
    result_width = rest * 11 // 20
    fix_width = rest - result_width
    widths = (name_width, mark_width, result_width, fix_width)
    lines = _columns(("CHECK", "", "RESULT", "WHAT TO DO"), widths)
    for row in rows:
        fix = row.fix if row.verdict != "ok" else ""
        lines.extend(_columns((row.name, _MARKS[row.verdict], row.result, fix or "-"), widths))
    problems = sum(row.verdict == "problem" for row in rows)
    lines.append("")
    if problems:
        lines.append(f"{problems} problem(s) found: fix the rows marked PROBLEM.")
    else:
        lines.append("All fine.")
    return redact("\n".join(lines))


def run_doctor(
    paths: AppPaths,
    loaded: LoadedConfig,
    *,
    out: TextIO,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run every check, print the table to `out`; 0 when nothing is a problem, else 1."""
    import shutil

    rows = run_checks(paths, loaded, env=env)
    width = min(140, max(80, shutil.get_terminal_size((110, 24)).columns))
    print(format_table(rows, width=width), file=out)
    return 1 if any(row.verdict == "problem" for row in rows) else 0
