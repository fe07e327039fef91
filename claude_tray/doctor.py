"""`claude-tray doctor`: check each piece of the installation and say what to fix.

Checks Python, the scraper handshake (through the runner), Playwright, the
browser, the stored web session, Claude Code's login, the config file, the
folders and whether the service answers. Prints a table (check, status,
result, and a "fix:" line under each row that is not ok) that fits the
terminal (80 columns when printing to a pipe); the exit code is 0 when nothing
is a problem, 1 otherwise.

Adding a row: write `check_x(...) -> Check` and list it in `run_checks`
through `_guarded` (a check that raises becomes a problem row). `result` says
what was found in a short phrase; `fix` is ONE short line, the command to run
(`claude-tray login`, `sudo apt install chromium`) or the one thing to change
(`unset CLAUDE_TRAY_PYTHON`), without "Run" in front and without a full stop,
at most about 50 characters: longer fixes are cut to fit.

This module must not import Playwright (it asks `importlib.util.find_spec`),
must not start processes except through the runner and `browser_version`, must
never print a secret (it reads no key or token into its output, and redacts
everything it prints), and must not change any file except a probe file in each
folder it checks for writing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
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
    """One row of the doctor's table.

    `result`: what was found, a phrase (it may run over two lines in its
    column). `fix`: shown when the verdict is not "ok", one line of at most
    about 50 characters, the command to run or the setting to change.
    """

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
    fix = _python_fix(runner)
    try:
        argv = runner.interpreter_argv()
        failure = runner.handshake()
    except Exception as exc:  # a broken runner is reported, not a crashed doctor
        return Check("Scraper", "problem", f"could not be checked ({exc})", fix)
    command = " ".join(argv)
    if failure is not None:
        return Check("Scraper", "problem", _what_happened(failure.message), fix)
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
            problem.fix,
        )
    return Check("Tk (popup)", "ok", f"Tk {tk_version()}")


# --- the desktop (Linux): display, session bus, tray host, backend, notifications


NOTIFICATION_SERVER = "org.freedesktop.Notifications"


def desktop_checks(env: Mapping[str, str]) -> list[Check]:
    """The rows about the desktop the tray app would run on (Linux only)."""
    from claude_tray.tray.advice import short_hint
    from claude_tray.tray.choice import choose_backends
    from claude_tray.tray.hosts import (
        WATCHER_NAMES,
        TrayHosts,
        session_bus_names,
        xembed_tray_present,
    )

    x11, wayland = env.get("DISPLAY", ""), env.get("WAYLAND_DISPLAY", "")
    shown = ", ".join(
        part for part in (x11 and f"X11 {x11}", wayland and f"Wayland {wayland}") if part
    )
    rows = [
        Check("Display", "ok", shown)
        if shown
        else Check(
            "Display", "note", "none: the tray app cannot start here", "claude-tray status works"
        )
    ]
    bus, owned = session_bus_names((*WATCHER_NAMES, NOTIFICATION_SERVER), activatable=True)
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "")
    rows.append(
        Check("Session bus", "ok", address.split(",")[0] or "reachable")
        if bus
        else Check(
            "Session bus",
            "note",
            "none: no StatusNotifierItem tray, no notifications",
            "log in to a desktop session (dbus-user-session)",
        )
    )
    watcher = next((name for name in WATCHER_NAMES if owned.get(name)), None)
    xembed = False if watcher else xembed_tray_present(x11 or None)
    hosts = TrayHosts(bus, watcher is not None, xembed)
    if watcher:
        rows.append(Check("Tray host", "ok", f"SNI ({watcher})"))
    elif xembed:
        rows.append(Check("Tray host", "ok", "XEmbed (a system tray selection owner on X)"))
    else:
        rows.append(
            Check("Tray host", "note", "none found: the popup opens as a window", short_hint(env))
        )
    backend = choose_backends(env, sys.platform, hosts=lambda: hosts)[0]
    forced = " (PYSTRAY_BACKEND)" if env.get("PYSTRAY_BACKEND") else ""
    rows.append(Check("Tray backend", "ok", f"{backend}{forced}"))
    if owned.get(NOTIFICATION_SERVER):
        rows.append(Check("Notifications", "ok", f"{NOTIFICATION_SERVER} answers"))
    else:
        rows.append(
            Check(
                "Notifications",
                "note",
                "no server: notices go to the popup's banner",
                "install a notification daemon (dunst)",
            )
        )
    return rows


def _python_fix(runner: ScraperRunner) -> str:
    """The one thing to change, naming the setting that chose the interpreter."""
    setting = runner.interpreter_setting()
    if setting == "CLAUDE_TRAY_PYTHON":
        return "unset CLAUDE_TRAY_PYTHON"
    if setting is not None:
        return "clear Settings > Advanced > Python"
    return "reinstall: pipx install --force claude-tray"


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
            f"{runner.interpreter_argv()[0]} -m pip install playwright",
        )
    try:
        spec = importlib.util.find_spec("playwright")
    except (ImportError, ValueError):
        spec = None
    # No `playwright install` is needed: claude-tray drives the installed browser.
    fix = f"{sys.executable} -m pip install playwright"
    if spec is None or not spec.origin:
        return Check("Playwright", "problem", "not installed", fix)
    version = _distribution_version("playwright") or "unknown version"
    driver = Path(spec.origin).parent / "driver"
    if not getattr(sys, "frozen", False) and not driver.is_dir():
        return Check("Playwright", "problem", f"{version}, but its driver is missing", fix)
    return Check("Playwright", "ok", f"{version} at {Path(spec.origin).parent}")


def _what_happened(message: str) -> str:
    """An error message's first sentence: what happened, without the advice after it.

    The advice is written for the popup; the doctor's fix line says what to do.
    """
    sentence, stop, _rest = message.partition(". ")
    return sentence + "." if stop else message


def _distribution_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


#: The install command per distribution family (`ID` / `ID_LIKE` in os-release).
_INSTALL_CHROMIUM = {
    "debian": "sudo apt install chromium",
    "ubuntu": "sudo apt install chromium",
    "fedora": "sudo dnf install chromium",
    "rhel": "sudo dnf install chromium",
    "arch": "sudo pacman -S chromium",
    "suse": "sudo zypper install chromium",
    "opensuse": "sudo zypper install chromium",
}


def _install_browser_advice() -> str:
    """One line: the command that installs a browser here, or where to get one."""
    from claude_tray.tk_support import _os_release_ids, read_os_release

    if sys.platform.startswith("linux"):
        for family in _os_release_ids(read_os_release()):
            if family in _INSTALL_CHROMIUM:
                return _INSTALL_CHROMIUM[family]
        return "install Chromium or Google Chrome"
    if sys.platform == "darwin":
        return "install Google Chrome: https://www.google.com/chrome/"
    return "install Google Chrome, or set Microsoft Edge in Settings"


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
            f"unset {ENV_VAR}" if env.get(ENV_VAR) else "",
            "clear Settings > Browser" if config.browser_path else "",
        ]
        undo = " and ".join(item for item in named if item)
        result, fix = _what_happened(exc.message), install
        if not undo:
            # Where no package manager helps (a frozen build, no root), the app can fetch one.
            result = f"{result} Or download one: claude-tray install-browser"
        if undo:
            fix = f"{undo}; {install}"
            try:  # would discovery find a browser without the user's setting?
                clean = {k: v for k, v in env.items() if k != ENV_VAR}
                found = find_browser(clean, None, system=system, root=root)
            except ClaudeTrayError:
                pass
            else:
                result, fix = f"{result} Found instead: {found}.", undo
        return Check("Browser", "problem", result, fix)
    version = browser_version(path)
    if version is None:
        return Check(
            "Browser",
            "problem",
            f"{path} did not say its version; it may not start",
            f"{path} --version",
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
        return Check(
            "Web session", "problem", _what_happened(exc.message), "claude-tray login"
        ), False
    if session is None:
        return Check("Web session", "note", "none stored", "claude-tray login"), False
    age = _age(session.saved_at, now)
    org = f", organization {session.org_name}" if session.org_name else ""
    if session.invalid:
        return (
            Check(
                "Web session",
                "problem",
                f"stored {age} ago, but the service said it is no longer valid",
                "claude-tray login",
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
                "log in again soon: claude-tray login",
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
        return Check("Claude Code", "problem", _what_happened(exc.message), _CLAUDE_LOGIN), False
    if credentials is None:
        return (
            Check(
                "Claude Code",
                "note",
                f"no login found ({credentials_file(env)})",
                f"optional: {_CLAUDE_LOGIN}",
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
                    "claude (opened once, it renews its login)",
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


#: Claude Code logs in from its own prompt; claude-tray never writes its credentials.
_CLAUDE_LOGIN = "claude, then /login"


def judge_sources(
    source: str, web: tuple[Check, bool], claude_code: tuple[Check, bool]
) -> list[Check]:
    """The two source rows, with "nothing usable" for the chosen source made a problem."""
    web_row, web_ok = web
    code_row, code_ok = claude_code

    def problem(row: Check, fix: str) -> Check:
        return Check(row.name, "problem", row.result, row.fix or fix)

    if source == "web" and not web_ok and web_row.verdict != "problem":
        web_row = problem(web_row, "claude-tray login")
    elif source == "claude-code" and not code_ok and code_row.verdict != "problem":
        code_row = Check(code_row.name, "problem", code_row.result, _CLAUDE_LOGIN)
    elif source == "auto" and not (web_ok or code_ok) and web_row.verdict != "problem":
        web_row = Check(
            web_row.name,
            "problem",
            f"{web_row.result}, and no usable Claude Code login",
            "claude-tray login",
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
            f"edit {where}",
        )
    if loaded.path is not None and not loaded.path.exists():
        return Check("Config", "ok", f"the defaults (no file at {where})")
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
            "fix their owner or permissions, or set CLAUDE_TRAY_HOME",
        )
    return Check("Folders", "ok", f"writable (logs in {paths.log_dir})")


def check_privacy(
    paths: AppPaths, *, platform: str = sys.platform, env: Mapping[str, str] | None = None
) -> Check:
    """The session, cache and logs are for the user alone.

    POSIX: the files' modes say so (0600, folders 0700; fileio writes them that way).
    Windows has no such modes (`chmod` only toggles read-only): there the files are
    private because they live in the user's profile, whose ACL grants only the user
    (and SYSTEM and Administrators), so that is what this row checks and says.
    """
    env = os.environ if env is None else env
    if platform == "win32":
        profile = env.get("USERPROFILE", "")
        inside = bool(profile) and _is_inside(paths.data_dir, Path(profile))
        if inside:
            return Check("Privacy", "ok", "in your profile, private to you by its permissions")
        return Check(
            "Privacy",
            "note",
            f"{paths.data_dir} is outside your profile; others may read the session",
            "set CLAUDE_TRAY_HOME inside your profile",
        )
    readable: list[str] = []
    for path in (paths.session_file, paths.config_file, paths.usage_cache_file):
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o077:
                readable.append(str(path))
    with contextlib.suppress(OSError):  # the folder of the session (logs are redacted)
        if paths.data_dir.stat().st_mode & 0o077:
            readable.append(str(paths.data_dir) + os.sep)
    if readable:
        return Check(
            "Privacy",
            "problem",
            "others can read " + ", ".join(readable),
            f"chmod go= {' '.join(readable)}",
        )
    return Check("Privacy", "ok", "session, config and cache 0600, data folder 0700")


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


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
        # "Name or service not known", without the "[Errno -2]" in front of it.
        why = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        return Probe(False, f"no answer from {url} ({why})")
    elapsed = time.monotonic() - started
    challenged = (headers.get("cf-mitigated") or "").strip().lower() == "challenge"
    return Probe(True, f"{url} answered HTTP {status} in {elapsed:.1f} s", challenged)


def check_reachable(name: str, variable: str, url: str, *, configured: bool = False) -> Check:
    """The service's address answers within a few seconds (`configured`: set by `variable`)."""
    if not url.startswith(("http://", "https://")):
        return Check(
            name, "problem", f"{variable}={url} is not an http(s) address", f"fix {variable}"
        )
    probe = probe_url(url)
    if probe.challenged:
        # Not a failure (claude-service.md): the scraper then reads through a real browser.
        return Check(
            name,
            "note",
            f"{probe.text}: a Cloudflare challenge for plain requests from this network",
            "none needed: claude-tray reads through the browser",
        )
    if probe.answered:
        return Check(name, "ok", probe.text)
    return Check(
        name,
        "problem",
        probe.text,
        f"check {variable}" if configured else "check the connection, proxy or VPN",
    )


# ---------------------------------------------------------------- running and printing


_T = TypeVar("_T")


def check_history(paths: AppPaths, now: datetime) -> Check:
    """The local history (issue 14): how much is stored; a broken file is only a note."""
    from claude_tray import history
    from claude_tray.text_format import format_age

    path = paths.history_file
    if not path.exists():
        return Check("History", "ok", "no readings stored yet")
    try:
        count, oldest = history.summary(path)
    except history.HistoryUnavailable as exc:
        return Check(
            "History",
            "note",
            f"{path.name} cannot be read ({exc}); the app sets it aside and starts afresh",
        )
    since = "" if oldest is None else f", the oldest {format_age(oldest, now)}"
    return Check("History", "ok", f"{count} readings{since}")


def check_statusline(paths: AppPaths, env: Mapping[str, str], now: datetime) -> Check:
    """Claude Code's status line (optional): installed, and when it last fed a reading."""
    from claude_tray import feed
    from claude_tray.statusline_install import SettingsError, is_ours, parse, settings_path
    from claude_tray.text_format import format_age

    try:
        parsed = parse(settings_path(env).read_text(encoding="utf-8"))
        member = parsed.find("statusLine")
        installed = member is not None and is_ours(member.value)
    except (OSError, UnicodeDecodeError, SettingsError):
        installed = False
    if not installed:
        return Check(
            "Status line", "ok", "not installed (optional: claude-tray statusline --install)"
        )
    readings = feed.load(paths.statusline_feed_file)
    if not readings:
        return Check("Status line", "ok", "installed; no reading from Claude Code yet")
    latest = max(reading.read_at for reading in readings.values())
    return Check("Status line", "ok", f"installed; last reading {format_age(latest, now)}")


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
                "a bug: please report it with the log (claude-tray paths)",
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
        *(
            _guarded("Desktop", lambda: desktop_checks(env), lambda row: [row])
            if sys.platform.startswith("linux")
            else []
        ),
        _guarded("Scraper", lambda: check_scraper(runner), _same),
        _guarded("Playwright", lambda: check_playwright(runner), _same),
        _guarded("Browser", lambda: check_browser(config, env), _same),
        *judge_sources(config.source, web, claude_code),
        _guarded("Config", lambda: check_config(loaded), _same),
        _guarded("Folders", lambda: check_folders(paths), _same),
        _guarded("Privacy", lambda: check_privacy(paths, env=env), _same),
        _guarded("History", lambda: check_history(paths, now), _same),
        _guarded("Status line", lambda: check_statusline(paths, env, now), _same),
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


#: Room between columns.
_GAP = "  "
_ELLIPSIS = "..."


def _shorten(word: str, room: int) -> str:
    """One word (a path, an address) in at most `room` characters, cut in the middle.

    The middle goes rather than the end, so a path keeps where it starts and
    the file it names.
    """
    if len(word) <= room:
        return word
    if room <= len(_ELLIPSIS) + 2:
        return word[:room]
    keep = room - len(_ELLIPSIS)
    head = (keep + 1) // 2
    return word[:head] + _ELLIPSIS + word[len(word) - (keep - head) :]


def _cell_lines(text: str, room: int, home: str) -> list[str]:
    """`text` as lines of at most `room` characters, broken between words only.

    The home folder is shown as `~`; a single word longer than a line (a deep
    path) is shortened in the middle rather than split over two lines.
    """
    text = " ".join(redact(text).split())
    if home and len(home) > 1:
        text = text.replace(home + os.sep, "~" + os.sep)
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        word = _shorten(word, room)
        if current and len(current) + 1 + len(word) > room:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return lines


def format_table(rows: Sequence[Check], *, width: int = 80, home: str | None = None) -> str:
    """The table: check, status, result, and the fix on its own line under the result.

    No line is longer than `width`, so a terminal of that width never wraps
    one column into another: a long result continues on the next line in its
    own column. `home` (default: the user's home folder) is shown as `~`.
    """
    if home is None:
        home = os.path.expanduser("~")
    name_width = max(len("CHECK"), *(len(row.name) for row in rows)) if rows else len("CHECK")
    mark_width = max(len("STATUS"), *(len(mark) for mark in _MARKS.values()))
    room = max(20, width - name_width - mark_width - 2 * len(_GAP))

    def line(name: str, mark: str, text: str) -> str:
        return _GAP.join((name.ljust(name_width), mark.ljust(mark_width), text)).rstrip()

    lines = [line("CHECK", "STATUS", "RESULT")]
    for row in rows:
        results = _cell_lines(row.result, room, home)
        lines.append(line(row.name, _MARKS[row.verdict], results[0]))
        lines.extend(line("", "", more) for more in results[1:])
        if row.verdict != "ok" and row.fix:
            # One line: the command to run (the rows are written to fit; this is a guard).
            fix = " ".join(_cell_lines(row.fix, 10**6, home))
            lines.append(line("", "", _FIX + _shorten(fix, room - len(_FIX))))
    problems = sum(row.verdict == "problem" for row in rows)
    lines.append("")
    if problems:
        noun = "problem" if problems == 1 else "problems"
        lines.append(f"{problems} {noun}: fix the rows marked PROBLEM.")
    else:
        lines.append("All fine.")
    return redact("\n".join(lines))


#: Starts the line under a row that says what to do.
_FIX = "fix: "


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
    # COLUMNS or the terminal's width; 80 when printing to a pipe or a file.
    width = min(160, max(60, shutil.get_terminal_size((80, 24)).columns))
    print(format_table(rows, width=width), file=out)
    return 1 if any(row.verdict == "problem" for row in rows) else 0
