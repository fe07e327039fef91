"""Where the scraper children start: runs one and reads its one document.

(The tray's history reads and writes run in short children of their own,
`history_child`, with this module's `python_child_environment`.)

`ScraperRunner.run("poll")` finds the interpreter, checks once (cached) that it
can run the scraper, starts `scraper <command>` with an argument list and a
cleaned environment, hands any session key over stdin, reads stdout and stderr
concurrently with size caps, enforces a time limit, ends the child and
everything it started on time-out, cancel or any exception here (Chromium
included) and reaps it, and turns whatever happened into exactly one document.
It never raises for a child's failure: a failure is an `ErrorDocument`.

No child outlives its parent, whatever ends the parent:
- the child's stdin is its lifeline: the hand-off line (the session key, or an
  empty line) is written and the pipe is kept open until the child is gone;
  the child exits with its descendants at end-of-file (`scraper/lifeline.py`),
  which the system delivers when this process dies, even by SIGKILL;
- on Linux the child also asks for `PR_SET_PDEATHSIG` itself (not through a
  `preexec_fn`, which is unsafe in a threaded parent) and checks our pid right
  after, and it runs in its own process group (its own session);
- on Windows it is in a Job object with kill-on-close (`jobobject.py`),
  assigned before the hand-off line is written, so before it can start
  anything: its grandchildren are in the job too;
- here, the process tree below the child is collected before it is ended, so
  a Chromium in a process group of its own is ended with it.

A caller with work to do before it may let a poll go (the command line's
`status`, which still has to import the core, take the run lock and the read
budget) can `start` the child first: it waits for its hand-off line, and
`run(..., started=child)` hands off and supervises it like any other, or
`child.close()` ends it having asked nothing of the service. The command line
starts its child before it loads the config, logging, dataclasses, typing and the
documents (issue 12), so this module imports none of them at the top: its
settings are any object with `RunnerSettings`' attributes, its logger comes from
`_log()`, and the documents are imported where a child's answer is judged.
`start` logs nothing (`StartedChild` says it later), and `run` adopts a started
child only for the same arguments, time limit and environment it would start.

This module must not know about the UI, the schedule or the app's state, must
not use a shell, must not put a secret in argv or in a log line, and must not
import Playwright.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import claude_tray
from claude_tray import proctree
from claude_tray.errors import ErrorCode
from claude_tray.fileio import atomic_write_json, read_json
from claude_tray.redact import add_secret, redact

# The variables of the child's lifeline and time budget, named where the child reads them.
from claude_tray.scraper.budget import ENV_BUDGET
from claude_tray.scraper.lifeline import ENV_LIFELINE, ENV_PARENT_PID

# Not `from typing import TYPE_CHECKING`, and no dataclasses or logging at the top:
# `status` starts its child before it imports the config, logging, dataclasses and
# typing (about 15 ms, issue 12), so importing this module must not load them either
# (mypy treats this constant as typing's).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Mapping, Sequence
    from typing import IO, Protocol

    from claude_tray.documents import Document, ErrorDocument
    from claude_tray.jobobject import KillOnCloseJob
    from claude_tray.paths import AppPaths

    class RunnerSettings(Protocol):
        """The settings a runner reads: `config.Config` has them, and so has the
        command line's `quick_settings.QuickSettings`, read before the full config."""

        @property
        def source(self) -> str: ...
        @property
        def python_path(self) -> str | None: ...
        @property
        def browser_path(self) -> str | None: ...
        @property
        def poll_timeout_seconds(self) -> float: ...
        @property
        def login_timeout_seconds(self) -> float: ...

    class Runner(Protocol):
        """What the core needs from a runner (a `ScraperRunner`, or a test's scripted one).

        A runner may also have `set_config(config)`; the core calls it when the
        settings change.
        """

        def run(
            self,
            command: str,
            args: Sequence[str] = (),
            *,
            stdin: str | None = None,
            timeout: float | None = None,
            cancel: threading.Event | None = None,
        ) -> Document: ...


#: logging's levels, for `_log_stderr`, without importing logging.
_DEBUG, _INFO, _WARNING = 10, 20, 30


def _log() -> logging.Logger:
    """This module's logger; logging is imported on first use (see TYPE_CHECKING above)."""
    import logging

    return logging.getLogger(__name__)


#: stdout holds one JSON document of a few KB; more than this is not a document.
MAX_STDOUT_BYTES = 1 << 20
#: Only the end of stderr is kept: that is where a traceback says what went wrong.
MAX_STDERR_BYTES = 256 << 10
#: A login child gets the login time-out plus this, so the scraper can say
#: `login_timeout` itself before the runner has to end it.
LOGIN_MARGIN_SECONDS = 30.0
#: How long a child (and what it started) gets after SIGTERM before SIGKILL.
KILL_GRACE_SECONDS = 1.0
#: The handshake imports the scraper: slow on a cold disk, never a minute.
HANDSHAKE_TIMEOUT_SECONDS = 30.0
#: `install-browser` downloads about 170 MB; its own limit is the same 30 minutes.
INSTALL_BROWSER_TIMEOUT_SECONDS = 30 * 60.0
#: How often the supervising thread looks at the child, the deadline and `cancel`.
_TICK_SECONDS = 0.05
#: The child gets the time limit minus this share (at most `_MAX_RESERVE_SECONDS`)
#: as its own budget, so it can still say which stage ran out of time.
_RESERVE_SHARE = 0.1
_MAX_RESERVE_SECONDS = 5.0
_MIN_RESERVE_SECONDS = 1.0

_HANDSHAKE_CODE = (
    "import sys, claude_tray, claude_tray.scraper.main; "
    "print(claude_tray.__version__); print('%d.%d' % sys.version_info[:2])"
)

# Variables the child needs, by exact (upper-case) name, each with the reason.
_KEEP_VARIABLES: dict[str, str] = {
    "PATH": "finding the browser and tools by name",
    "HOME": "platformdirs and Claude Code's ~/.claude on POSIX",
    "USERPROFILE": "the home folder on Windows",
    "LOCALAPPDATA": "platformdirs and Chrome/Edge install folders on Windows",
    "APPDATA": "platformdirs (roaming config) on Windows",
    "SYSTEMROOT": "Windows sockets and crypto fail to load without it",
    "SYSTEMDRIVE": "Windows programs locate the system drive with it",
    "WINDIR": "Windows programs locate system folders with it",
    "COMSPEC": "Windows programs that start helpers expect it",
    "PATHEXT": "Windows resolves executable names with it",
    "PROGRAMFILES": "browser discovery looks in Program Files",
    "PROGRAMFILES(X86)": "browser discovery looks in Program Files (x86)",
    "PROGRAMW6432": "browser discovery from a 32-bit process on 64-bit Windows",
    "TEMP": "temporary files on Windows (Playwright, Chromium)",
    "TMP": "temporary files on Windows (Playwright, Chromium)",
    "TMPDIR": "temporary files on POSIX (a private TMPDIR on macOS)",
    "USER": "Chromium and getpass look up the user name",
    "LOGNAME": "Chromium and getpass look up the user name",
    "USERNAME": "the user name on Windows",
    "DISPLAY": "the visible login browser window on X11",
    "WAYLAND_DISPLAY": "the visible login browser window on Wayland",
    "XAUTHORITY": "permission to open the X display",
    "DBUS_SESSION_BUS_ADDRESS": "Chromium's keyring and portal calls",
    "LANG": "the locale for text the browser shows",
    "LANGUAGE": "the locale for text the browser shows",
    "PLAYWRIGHT_BROWSERS_PATH": "where Playwright keeps its own browsers",
    "CLAUDE_TRAY_HOME": "interface.md: the one folder for config, data, cache, logs",
    "CLAUDE_TRAY_BASE_URL": "interface.md: where the web source goes (the emulator in tests)",
    "CLAUDE_TRAY_API_URL": "interface.md: where the Claude Code source goes",
    "CLAUDE_CONFIG_DIR": "interface.md: where Claude Code's credentials live",
    "CLAUDE_TRAY_BROWSER": "interface.md: the browser for login and the browser path",
    "CLAUDE_TRAY_PYTHON": "interface.md: kept for a doctor run inside the child",
    # Not in the lead's list, but dropping them breaks every poll behind a
    # corporate proxy or with a private CA: urllib reads these.
    "HTTP_PROXY": "urllib's proxy for http",
    "HTTPS_PROXY": "urllib's proxy for https (claude.ai)",
    "ALL_PROXY": "a proxy for every scheme",
    "NO_PROXY": "hosts that bypass the proxy (127.0.0.1 for the emulator)",
    "SSL_CERT_FILE": "a private CA bundle for TLS",
    "SSL_CERT_DIR": "a private CA folder for TLS",
}
# Variables the child needs, by prefix.
_KEEP_PREFIXES: dict[str, str] = {
    "LC_": "locale categories",
    # platformdirs reads XDG_CONFIG_HOME/XDG_DATA_HOME/XDG_CACHE_HOME: without
    # them the child would look for the session in another folder than the app.
    "XDG_": "per-user folders and the Wayland/D-Bus runtime dir",
}
# Only in a frozen build: a one-file child reuses the parent's unpacked folder
# through these (platform.md), instead of unpacking 90 MB again on every poll.
_FROZEN_PREFIXES = ("_PYI_", "_MEIPASS")
# Everything else is dropped, in particular PYTHONHOME, PYTHONSTARTUP,
# PYTHONINSPECT, PYTHONWARNINGS and a user's PYTHONPATH: each can make the
# child import another claude_tray, run user code first, print warnings into
# stdout/stderr or wait for input; LD_PRELOAD and friends for the same reason.


def poll_args(settings: RunnerSettings, *, debug: bool | None = None) -> list[str]:
    """The arguments of a `poll` child: the source, and `--debug` when asked for.

    `debug` None: when this process logs debug. The command line passes it, since it
    starts its child before its logging is set up.
    """
    if debug is None:
        import logging

        debug = logging.getLogger("claude_tray").isEnabledFor(logging.DEBUG)
    args = ["--source", settings.source]
    if debug:
        args.append("--debug")
    return args


def _command_line(argv: Sequence[str]) -> str:
    """`argv` as a log line shows it: shell-quoted, secrets redacted."""
    import shlex  # only when a child is logged

    return redact(shlex.join(argv))


def clean_environment(source: Mapping[str, str], *, frozen: bool = False) -> dict[str, str]:
    """The variables of `source` that the scraper child needs, nothing else."""
    kept: dict[str, str] = {}
    for name, value in source.items():
        upper = name.upper()
        if (
            upper in _KEEP_VARIABLES
            or upper.startswith(tuple(_KEEP_PREFIXES))
            or (frozen and upper.startswith(_FROZEN_PREFIXES))
        ):
            kept[name] = value
    return kept


def python_child_environment(source: Mapping[str, str], *, frozen: bool = False) -> dict[str, str]:
    """The environment of a child of ours running Python: `clean_environment`, in UTF-8,
    with the package importable from a checkout."""
    env = clean_environment(source, frozen=frozen)
    # The child's stdout is JSON we decode as UTF-8, whatever the console's
    # code page (Windows defaults to cp1252 for pipes).
    env["PYTHONIOENCODING"] = "utf-8"
    root = None if frozen else source_root()
    if root is not None:
        # From a checkout, the package is importable only through this; a
        # user's own PYTHONPATH is not passed (it could shadow claude_tray).
        env["PYTHONPATH"] = str(root)
    return env


def source_root() -> Path | None:
    """The folder holding the `claude_tray` package when running from a checkout, else None."""
    root = Path(claude_tray.__file__).resolve().parent.parent
    if any(part in ("site-packages", "dist-packages") for part in root.parts):
        return None
    return root


class _Outcome:
    """What happened to one child process, before it is judged."""

    def __init__(
        self,
        *,
        returncode: int | None,
        stdout: bytes,
        stdout_overflow: bool,
        stderr_tail: bytes,
        ended_by: str | None,  # None (exited), "timeout", "cancel", "overflow", "not handed off"…
        duration: float,
    ) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stdout_overflow = stdout_overflow
        self.stderr_tail = stderr_tail
        self.ended_by = ended_by
        self.duration = duration


class _Child:
    """A started child, waiting for its hand-off line, and the threads draining its pipes;
    `env` is the environment it was given (`child_environment`, before the lifeline's
    variables), which a run compares before it adopts a child started ahead."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        job: KillOnCloseJob | None,
        out: _Capture,
        err: _Capture,
        started: float,
        env: dict[str, str],
    ) -> None:
        self.proc = proc
        self.job = job
        self.out = out
        self.err = err
        self.started = started
        self.env = env


class StartedChild:
    """A scraper child from `ScraperRunner.start`, waiting for its hand-off line.

    Hand it to `run(..., started=...)`, or `close()` it: it is then ended before
    it asked anything of the service. Closing it after `run` took it does nothing.

    `start` logs nothing (the command line starts its child before its logging is
    set up, and a record before that would reach logging's last-resort handler on
    stderr): what it would have said is said here, when the child is taken or closed.
    """

    def __init__(
        self,
        runner: ScraperRunner,
        argv: list[str],
        limit: float,
        child: _Child,
        warnings: list[str],
    ) -> None:
        self._runner = runner
        self._argv = argv
        self._limit = limit
        self._child: _Child | None = child
        self._warnings = warnings
        self._pid = child.proc.pid
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._pid

    def _take(self) -> _Child | None:
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            for warning in self._warnings:
                _log().warning("%s", warning)
        return child

    def adopt(self, argv: list[str], limit: float, env: dict[str, str]) -> _Child | None:
        """The child, for the run of `argv` with `limit` in `env` (`child_environment`);
        None (and the child ended) if it was started for anything else."""
        child = self._take()
        if child is None:
            return None
        differs = [
            what
            for what, same in (
                ("arguments", argv == self._argv),
                ("time limit", limit == self._limit),
                ("environment", env == child.env),
            )
            if not same
        ]
        if differs:
            # A quick reading of the settings that disagrees with the full one, or a
            # config file edited in between: a second child, never a different poll.
            _log().warning(
                "the scraper started ahead differs in its %s; ending it", ", ".join(differs)
            )
            self._runner._finish(child, None, self._limit, None, hand_off=False)
            return None
        _log().info(
            "running scraper started ahead: %s (time limit %.0f s)", _command_line(argv), limit
        )
        return child

    def close(self) -> None:
        """End the child if nobody took it (it has made no request)."""
        child = self._take()
        if child is not None:
            _log().info("the scraper started ahead was not needed; ending it")
            self._runner._finish(child, None, self._limit, None, hand_off=False)


class _Capture(threading.Thread):
    """Drains one pipe so the child never blocks on it; keeps at most `cap` bytes."""

    def __init__(self, stream: IO[bytes], cap: int, *, keep_tail: bool, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._stream = stream
        self._cap = cap
        self._keep_tail = keep_tail
        self._buffer = bytearray()
        self.overflow = False

    def run(self) -> None:
        try:
            while chunk := os.read(self._stream.fileno(), 65536):
                if self._keep_tail:
                    self._buffer += chunk
                    if len(self._buffer) > self._cap:
                        del self._buffer[: len(self._buffer) - self._cap]
                        self.overflow = True
                elif len(self._buffer) < self._cap:
                    room = self._cap - len(self._buffer)
                    self._buffer += chunk[:room]
                    self.overflow = self.overflow or len(chunk) > room
                else:
                    self.overflow = True  # keep draining, keep nothing
        except (OSError, ValueError):  # the pipe was closed under us
            pass
        finally:
            with contextlib.suppress(OSError):
                self._stream.close()

    @property
    def data(self) -> bytes:
        return bytes(self._buffer)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False  # no member at all: the usual end of a poll, known without reading /proc
    except PermissionError:  # a member we cannot signal still exists
        pass
    # A member exists, but a zombie does not count: only /proc tells them apart.
    return proctree.group_alive(pgid) if proctree.supported() else True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _reap_group(pgid: int) -> None:
    """Collect every exited child of ours in process group `pgid`."""
    while True:
        try:
            pid, _status = os.waitpid(-pgid, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _wait_group_gone(pgid: int, seconds: float) -> bool:
    """Reap and wait until nothing of group `pgid` is left, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        _reap_group(pgid)
        if not _group_alive(pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _exit_watch(proc: subprocess.Popen[bytes]) -> int | None:
    """A descriptor that becomes readable when `proc` exits (Linux's pidfd), else None.

    On POSIX `Popen.wait(timeout)` sleeps in steps of up to 50 ms, so a child's
    exit was seen about 25 ms late on average, on every poll (issue 12); select
    on a pidfd wakes at once. Elsewhere (macOS, Windows, old kernels) the wait
    with a timeout stays (on Windows it already wakes at once).
    """
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        return int(pidfd_open(proc.pid))
    except OSError:  # no pidfd support (ENOSYS), or the child is already reaped
        return None


class ScraperRunner:
    """Runs `scraper <command>` as a child process and returns its one document."""

    def __init__(
        self,
        paths: AppPaths,
        config: RunnerSettings,
        *,
        env: Mapping[str, str] | None = None,
        scraper_argv: Sequence[str] | None = None,
        frozen: bool | None = None,
        kill_grace: float = KILL_GRACE_SECONDS,
        while_running: Callable[[], object] | None = None,
    ) -> None:
        """`env` is the environment to take variables from (default: this process's).

        `scraper_argv` replaces the command that starts the scraper (tests point
        it at a fake scraper script); with it, no handshake is made.

        `while_running` is called on the calling thread once each scraper child
        has its hand-off line, before the wait for it: work the caller needs only
        after the child, done while the child runs on another core (issue 12). An
        exception from it is logged; the child's supervision goes on.
        """
        self.paths = paths
        self.config = config
        self._env = dict(os.environ if env is None else env)
        self._scraper_argv = list(scraper_argv) if scraper_argv is not None else None
        self._frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
        self._kill_grace = kill_grace
        self._while_running = while_running
        self._handshake_ok: dict[str, object] | None = None
        self._handshake_lock = threading.Lock()

    def set_config(self, config: RunnerSettings) -> None:
        """Use `config` (interpreter, browser, time limits) from the next run on."""
        self.config = config

    # -- what to start ------------------------------------------------------

    def _interpreter(self) -> tuple[str, str]:
        """The Python to use and where that choice came from."""
        if self._env.get("CLAUDE_TRAY_PYTHON"):
            return self._env["CLAUDE_TRAY_PYTHON"], "CLAUDE_TRAY_PYTHON"
        if self.config.python_path:
            return self.config.python_path, "python_path in the settings"
        return sys.executable, "the running interpreter"

    def interpreter_setting(self) -> str | None:
        """The setting that chose the scraper's Python (`CLAUDE_TRAY_PYTHON`,
        `python_path`), or None when it is the running interpreter."""
        if self._env.get("CLAUDE_TRAY_PYTHON"):
            return "CLAUDE_TRAY_PYTHON"
        return "python_path" if self.config.python_path else None

    def interpreter_argv(self) -> list[str]:
        """The command that starts the scraper; the scraper command is appended to it."""
        if self._scraper_argv is not None:
            return list(self._scraper_argv)
        if self._frozen:
            # A frozen build has no separate Python: it runs itself with a
            # `scraper` subcommand (platform.md, PyInstaller).
            return [sys.executable, "scraper"]
        interpreter, _origin = self._interpreter()
        return [interpreter, "-m", "claude_tray.scraper"]

    def child_environment(self) -> dict[str, str]:
        """The cleaned environment the child gets."""
        env = python_child_environment(self._env, frozen=self._frozen)
        if self.config.browser_path and not any(
            name.upper() == "CLAUDE_TRAY_BROWSER" for name in env
        ):
            env["CLAUDE_TRAY_BROWSER"] = self.config.browser_path
        return env

    def default_timeout(self, command: str) -> float:
        """The time limit of a command: the poll limit, or the login limit plus a margin."""
        if command == "login":
            return self.config.login_timeout_seconds + LOGIN_MARGIN_SECONDS
        return self.config.poll_timeout_seconds

    # -- the handshake ------------------------------------------------------

    def _handshake_key(self, interpreter: str) -> dict[str, object] | None:
        try:
            mtime_ns = os.stat(interpreter).st_mtime_ns
        except OSError:
            return None
        root = source_root()
        return {
            "interpreter": interpreter,
            "mtime_ns": mtime_ns,
            "version": claude_tray.__version__,
            "source_root": None if root is None else str(root),
        }

    def _python_missing(self, interpreter: str, origin: str, why: str) -> ErrorDocument:
        from claude_tray.documents import ErrorDocument  # see the module docstring

        _log().warning("scraper handshake failed for %s (%s): %s", interpreter, origin, why)
        return ErrorDocument(
            error=ErrorCode.PYTHON_MISSING,
            message=(
                f"claude-tray could not run its scraper with {interpreter} ({origin}): "
                f"{why}. Set CLAUDE_TRAY_PYTHON or python_path in the settings to a "
                "Python 3.10 or newer that has claude-tray installed."
            ),
        )

    def _on_path(self, interpreter: str) -> str | None:
        """`interpreter` with its folder (looked up on PATH when it has none), or None."""
        if os.sep in interpreter or (os.altsep is not None and os.altsep in interpreter):
            return interpreter
        import shutil  # only for an interpreter named without a folder

        return shutil.which(interpreter, path=self._env.get("PATH"))

    def _known_good(self, key: dict[str, object]) -> bool:
        """Whether a handshake with `key` succeeded (in memory, or in the cache file)."""
        if key == self._handshake_ok:
            return True
        with contextlib.suppress(OSError, ValueError):
            cached = read_json(self.paths.handshake_cache_file)
            if isinstance(cached, dict) and cached.get("key") == key and cached.get("ok"):
                self._handshake_ok = key
                return True
        return False

    def handshake_known_good(self) -> bool:
        """Whether the scraper can run without a handshake child first (it is cached)."""
        if self._scraper_argv is not None or self._frozen:
            return True
        interpreter = self._on_path(self._interpreter()[0])
        key = None if interpreter is None else self._handshake_key(interpreter)
        with self._handshake_lock:
            return key is not None and self._known_good(key)

    def handshake(self) -> ErrorDocument | None:
        """None when the interpreter can run the scraper, else a `python_missing` document.

        A success is cached (in memory and in `handshake_cache_file`) by
        interpreter path, its mtime and the package version; a failure is not,
        so installing the missing piece is noticed at the next run.
        """
        if self._scraper_argv is not None or self._frozen:
            return None
        interpreter, origin = self._interpreter()
        found = self._on_path(interpreter)
        if found is None:
            return self._python_missing(interpreter, origin, "no such program on PATH")
        interpreter = found
        with self._handshake_lock:
            key = self._handshake_key(interpreter)
            if key is None:
                return self._python_missing(interpreter, origin, "the file does not exist")
            if self._known_good(key):
                return None
            outcome = self._execute(
                [interpreter, "-c", _HANDSHAKE_CODE], None, HANDSHAKE_TIMEOUT_SECONDS, None
            )
            if outcome is None:
                return self._python_missing(interpreter, origin, "it could not be started")
            lines = outcome.stdout.decode("utf-8", "replace").split()
            if outcome.ended_by is not None:
                return self._python_missing(interpreter, origin, "it did not answer in time")
            if outcome.returncode != 0 or len(lines) != 2:
                tail = outcome.stderr_tail.decode("utf-8", "replace").strip().splitlines()
                reason = tail[-1] if tail else f"exit code {outcome.returncode}"
                return self._python_missing(
                    interpreter, origin, f"it cannot import the scraper ({redact(reason)[:200]})"
                )
            version, python_version = lines
            if version != claude_tray.__version__:
                _log().warning(
                    "%s has claude-tray %s, this app is %s",
                    interpreter,
                    version,
                    claude_tray.__version__,
                )
            _log().info("scraper handshake ok: %s (Python %s)", interpreter, python_version)
            self._handshake_ok = key
            try:
                atomic_write_json(self.paths.handshake_cache_file, {"key": key, "ok": True})
            except OSError as exc:  # a read-only cache only costs a handshake per start
                _log().debug("could not write the handshake cache: %s", exc)
            return None

    # -- running ------------------------------------------------------------

    def run(
        self,
        command: str,
        args: Sequence[str] = (),
        *,
        stdin: str | None = None,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        started: StartedChild | None = None,
    ) -> Document:
        """Run `scraper <command> <args>`; the document it printed, or an error document.

        `stdin` (a session key) is written to the child's stdin and never logged.
        `cancel`, when set, ends the child early (login Cancel, shutdown).
        `started`, from `start`, is the child to hand off to instead of starting
        one, if it was started with the command, arguments, time limit and
        environment this run would use (this runner's settings, now); else it is
        ended unused and a new child starts as without it.
        """
        argv = [*self.interpreter_argv(), command, *args]
        limit = self.default_timeout(command) if timeout is None else timeout
        child = None
        if started is not None:
            child = started.adopt(argv, limit, self.child_environment())
        if child is None:
            problem = self.handshake()
            if problem is not None:
                return problem
            _log().info("running scraper: %s (time limit %.0f s)", _command_line(argv), limit)
            child = self._spawn(argv, limit)
        if stdin is not None:
            add_secret(stdin.strip())
        outcome = (
            None
            if child is None
            else self._finish(child, stdin, limit, cancel, while_running=self._while_running)
        )
        if outcome is None:
            interpreter = argv[0]
            return self._python_missing(
                interpreter, "the scraper command", "it could not be started"
            )
        return self._judge(command, outcome, limit)

    def start(
        self, command: str, args: Sequence[str] = (), *, timeout: float | None = None
    ) -> StartedChild | None:
        """Start `scraper <command> <args>` now; it waits for its hand-off line.

        For `run(command, args, timeout=timeout, started=...)` later, or `close()`.
        None when it cannot start ahead: the handshake is not known good (it is
        made by `run`, as always) or the child could not start (`run` says why).
        Logs nothing and raises nothing (see `StartedChild`).
        """
        try:
            if not self.handshake_known_good():
                return None
            argv = [*self.interpreter_argv(), command, *args]
            limit = self.default_timeout(command) if timeout is None else timeout
            warnings: list[str] = []
            child = self._spawn(argv, limit, warnings=warnings)
        except Exception:
            # E.g. a NUL in python_path or browser_path (ValueError from os.stat or
            # Popen). A caller may not have its log set up yet (the command line's
            # `status`), and `run` meets the same problem again where it is logged.
            return None
        if child is None:
            return None
        return StartedChild(self, argv, limit, child, warnings)

    def install_browser(self, cancel: threading.Event | None = None) -> tuple[bool, str]:
        """Run `claude-tray install-browser` as a child: (installed, its one result sentence).

        The command line's own install path (Playwright's driver downloading
        Chromium) in a child of its own, so the tray process never imports the
        driver; its last line of output is the sentence for the user.
        """
        problem = self.handshake()
        if problem is not None:
            return False, problem.message
        # --force: asked for only after the login child found no browser, so
        # the command line's own "a browser is already there" check is moot.
        if self._frozen:
            argv = [sys.executable, "install-browser", "--force"]
        else:
            argv = [self._interpreter()[0], "-m", "claude_tray", "install-browser", "--force"]
        _log().info("running the browser install: %s", _command_line(argv))
        outcome = self._execute(argv, None, INSTALL_BROWSER_TIMEOUT_SECONDS, cancel)
        if outcome is None:
            return False, f"The installer could not be started ({redact(argv[0])})."
        if outcome.ended_by == "cancel":
            return False, "The browser download was cancelled."
        if outcome.ended_by is not None:
            minutes = round(INSTALL_BROWSER_TIMEOUT_SECONDS / 60)
            return (
                False,
                f"The browser download took longer than {minutes} minutes and was stopped.",
            )
        ok = outcome.returncode == 0
        # Progress bars redraw with CR: the last line of either stream is the result.
        stream = outcome.stdout if ok else outcome.stderr_tail
        lines = [
            line.strip()
            for line in stream.decode("utf-8", "replace").replace("\r", "\n").splitlines()
        ]
        said = [line for line in lines if line]
        if said:
            return ok, redact(said[-1])
        return ok, "Chromium is installed." if ok else (
            f"The browser install failed (exit code {outcome.returncode})."
        )

    def child_budget(self, limit: float) -> float:
        """The budget the child gets for a time limit of `limit` seconds."""
        reserve = min(_MAX_RESERVE_SECONDS, max(_MIN_RESERVE_SECONDS, limit * _RESERVE_SHARE))
        return max(limit - reserve, limit / 2)

    def _popen(
        self, argv: list[str], limit: float, base_env: Mapping[str, str]
    ) -> subprocess.Popen[bytes]:
        creationflags = 0
        if sys.platform == "win32":
            # No console window flashing up on every poll; its own group so a
            # console Ctrl+C of the app does not reach it (the app cancels it).
            creationflags = getattr(subprocess, "CREATE_NO_WINDOW", 0) | getattr(
                subprocess, "CREATE_NEW_PROCESS_GROUP", 0
            )
        env = dict(base_env)
        env[ENV_LIFELINE] = "stdin"
        env[ENV_PARENT_PID] = str(os.getpid())
        env[ENV_BUDGET] = f"{self.child_budget(limit):.3f}"
        workdir: str | None = None
        with contextlib.suppress(OSError):
            # A fixed folder as cwd: `python -m` puts the cwd first on sys.path,
            # so a stray claude_tray folder in the user's cwd must not shadow ours.
            self.paths.cache_dir.mkdir(parents=True, exist_ok=True)
            workdir = str(self.paths.cache_dir)
        return subprocess.Popen(  # an argument list, never a shell
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=workdir,
            close_fds=True,
            # Its own session and process group (POSIX), so a time-out can signal
            # the child and everything it started (Playwright's driver, Chromium).
            start_new_session=sys.platform != "win32",
            creationflags=creationflags,
        )

    def _execute(
        self,
        argv: list[str],
        stdin: str | None,
        limit: float,
        cancel: threading.Event | None,
        *,
        while_running: Callable[[], object] | None = None,
    ) -> _Outcome | None:
        """Start, feed, supervise, end and reap one child; None if it could not start."""
        child = self._spawn(argv, limit)
        if child is None:
            return None
        return self._finish(child, stdin, limit, cancel, while_running=while_running)

    def _spawn(
        self, argv: list[str], limit: float, *, warnings: list[str] | None = None
    ) -> _Child | None:
        """Start one child, in its job object, with its pipes drained; None if it could not start.

        It waits for its hand-off line (`_finish` writes it) before it does anything.
        With `warnings`, nothing is logged: a failure to start is left to the caller,
        a warning about the job object is appended there.
        """
        started = time.monotonic()
        env = self.child_environment()
        try:
            proc = self._popen(argv, limit, env)
        except OSError as exc:
            if warnings is None:
                _log().warning("could not start %s: %s", redact(argv[0]), exc)
            return None
        job = self._job_for(proc, warnings)
        try:
            assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
            out = _Capture(proc.stdout, MAX_STDOUT_BYTES, keep_tail=False, name="scraper-stdout")
            err = _Capture(proc.stderr, MAX_STDERR_BYTES, keep_tail=True, name="scraper-stderr")
            out.start()
            err.start()
        except BaseException:
            self._end_now(proc, job)
            raise
        return _Child(proc, job, out, err, started, env)

    def _finish(
        self,
        child: _Child,
        stdin: str | None,
        limit: float,
        cancel: threading.Event | None,
        *,
        while_running: Callable[[], object] | None = None,
        hand_off: bool = True,
    ) -> _Outcome:
        """Feed (if `hand_off`), supervise, end and reap a child from `_spawn`.

        Whatever happens here (an exception, KeyboardInterrupt, a signal
        handler raising), the `finally` ends the child and what it started.
        Without `hand_off` the child is ended at once, before it asked anything.
        """
        proc, out, err = child.proc, child.out, child.err
        ended_by: str | None = "exception"  # until the supervision below says otherwise
        try:
            if not hand_off:
                ended_by = "not handed off"
            else:
                self._hand_off(proc, stdin)
                if while_running is not None:
                    try:
                        while_running()
                    except Exception:
                        _log().exception("the work done while the scraper ran failed")
                ended_by = self._supervise(proc, out, child.started + limit, cancel)
        finally:
            self._end_now(proc, child.job, force=ended_by is not None)
        # The pipes reach EOF once every process that held them has ended.
        out.join(timeout=2.0)
        err.join(timeout=2.0)
        return _Outcome(
            returncode=proc.returncode,
            stdout=out.data,
            stdout_overflow=out.overflow,
            stderr_tail=err.data,
            ended_by=ended_by,
            duration=time.monotonic() - child.started,
        )

    def _end_now(
        self, proc: subprocess.Popen[bytes], job: KillOnCloseJob | None, *, force: bool = True
    ) -> None:
        """`_end`, then close the lifeline."""
        try:
            self._end(proc, job, force=force)
        finally:
            # Only now: closing the lifeline earlier would end the child.
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()

    @staticmethod
    def _job_for(
        proc: subprocess.Popen[bytes], warnings: list[str] | None
    ) -> KillOnCloseJob | None:
        """Windows: the child in a new kill-on-close Job object (None elsewhere or on failure).

        A warning goes to `warnings` when given, else to the log.
        """
        if sys.platform != "win32":
            return None
        from claude_tray.jobobject import KillOnCloseJob  # ctypes: loaded on Windows only

        def warn(text: str) -> None:
            if warnings is None:
                _log().warning("%s", text)
            else:
                warnings.append(text)

        try:
            job = KillOnCloseJob()
        except OSError as exc:
            warn(f"no Job object for the scraper child: {exc}")
            return None
        try:
            # Popen keeps the process handle in a private attribute; it has
            # PROCESS_ALL_ACCESS, which AssignProcessToJobObject needs.
            job.assign(int(proc._handle))  # type: ignore[attr-defined,unused-ignore]
        except (OSError, AttributeError) as exc:
            warn(f"could not put the scraper child in its Job object: {exc}")
            job.close()
            return None
        return job

    @staticmethod
    def _hand_off(proc: subprocess.Popen[bytes], stdin: str | None) -> None:
        """Write the hand-off line (the key, or empty); the pipe stays open as the lifeline."""
        assert proc.stdin is not None
        line = (stdin or "").rstrip("\r\n")
        try:
            proc.stdin.write(line.encode("utf-8") + b"\n")
            proc.stdin.flush()
        except OSError:  # the child exited before reading; its output says why
            pass

    @staticmethod
    def _supervise(
        proc: subprocess.Popen[bytes],
        out: _Capture,
        deadline: float,
        cancel: threading.Event | None,
    ) -> str | None:
        """Wait for the child; why the app has to end it ("timeout", …), or None if it exited."""
        exited = _exit_watch(proc)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "timeout"
                if exited is None:
                    try:
                        proc.wait(timeout=min(_TICK_SECONDS, remaining))
                        return None
                    except subprocess.TimeoutExpired:
                        pass
                else:
                    select.select([exited], [], [], min(_TICK_SECONDS, remaining))
                    if proc.poll() is not None:
                        return None
                if cancel is not None and cancel.is_set():
                    return "cancel"
                if out.overflow:
                    return "overflow"
        finally:
            if exited is not None:
                os.close(exited)

    def _end(
        self, proc: subprocess.Popen[bytes], job: KillOnCloseJob | None, *, force: bool
    ) -> None:
        """End the child and everything it started (if `force`), and reap it all."""
        if sys.platform == "win32":
            try:
                if force and job is not None:
                    job.terminate()  # the child and every process it started
                elif force:
                    proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
                if proc.returncode is None:
                    proc.kill()
                    proc.wait()
            finally:
                if job is not None:
                    job.close()  # kill-on-close: a grandchild left behind ends here
            return
        pgid = proc.pid  # start_new_session: the child leads its own group
        # Collected while the child still lives (its descendants' parent links
        # are intact): Chromium runs in a group of its own under Playwright.
        tree = proctree.descendants(proc.pid) if force else []
        if force:
            grace_end = time.monotonic() + self._kill_grace
            _signal_group(pgid, signal.SIGTERM)
            proctree.send(tree, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=self._kill_grace)
            left = max(0.0, grace_end - time.monotonic())
            if (
                proc.returncode is not None
                and _wait_group_gone(pgid, left)
                and proctree.end(tree, max(0.0, grace_end - time.monotonic()))
            ):
                return
        elif _wait_group_gone(pgid, 0.0):
            return  # exited by itself and left nothing behind: the usual case
        else:
            _log().info("the scraper left processes behind; ending them")
            _signal_group(pgid, signal.SIGTERM)
            if _wait_group_gone(pgid, self._kill_grace):
                return
        # Something ignored SIGTERM (or is still shutting down): no more waiting.
        _signal_group(pgid, signal.SIGKILL)
        proctree.send(tree, signal.SIGKILL)
        proc.wait()
        if not _wait_group_gone(pgid, 5.0):
            _log().warning("processes of the scraper's group %d are still there", pgid)

    # -- judging ------------------------------------------------------------

    def _log_stderr(self, outcome: _Outcome, level: int) -> None:
        if outcome.stderr_tail and _log().isEnabledFor(level):
            text = outcome.stderr_tail.decode("utf-8", "replace").rstrip()
            _log().log(level, "scraper stderr (last %d bytes):\n%s", len(text), redact(text))

    def _judge(self, command: str, outcome: _Outcome, limit: float) -> Document:
        from claude_tray.documents import ErrorDocument, load_document  # see the docstring

        _log().info(
            "scraper %s ended: exit code %s after %.2f s%s",
            command,
            outcome.returncode,
            outcome.duration,
            "" if outcome.ended_by is None else f" (ended by the app: {outcome.ended_by})",
        )
        if outcome.ended_by == "timeout":
            self._log_stderr(outcome, _INFO)
            late = self._document_in(outcome)
            if late is not None:
                # It answered, then hung (e.g. a browser that would not close):
                # the answer is good; the hang is only worth a log line.
                _log().warning("scraper %s printed its answer but did not exit in time", command)
                return late
            if command == "login":
                return ErrorDocument(
                    error=ErrorCode.LOGIN_TIMEOUT,
                    message=f"The login did not finish within {limit:.0f} seconds. Try again.",
                )
            return ErrorDocument(
                error=ErrorCode.TIMEOUT,
                message=(
                    f"The scraper did not answer within {limit:.0f} seconds and was stopped. "
                    "It will try again later."
                ),
            )
        if outcome.ended_by == "cancel":
            self._log_stderr(outcome, _DEBUG)
            if command == "login":
                return ErrorDocument(
                    error=ErrorCode.LOGIN_CANCELLED, message="The login was cancelled."
                )
            return ErrorDocument(
                error=ErrorCode.TIMEOUT,
                message="The refresh was stopped before it finished. It will try again later.",
            )
        if outcome.stdout_overflow:
            self._log_stderr(outcome, _DEBUG)
            return self._invalid(f"it printed more than {MAX_STDOUT_BYTES} bytes")
        try:
            text = outcome.stdout.decode("utf-8")
        except UnicodeDecodeError:
            self._log_stderr(outcome, _DEBUG)
            return self._invalid("its output is not UTF-8 text")
        if not text.strip():
            # The stderr tail is the only clue: it goes to the log, never into
            # the message (it may hold paths and details a person cannot use).
            self._log_stderr(outcome, _WARNING)
            code = outcome.returncode
            how = (
                f"was killed by signal {-code}"
                if code is not None and code < 0
                else (f"exited with code {code}")
            )
            return ErrorDocument(
                error=ErrorCode.SCRAPER_CRASHED,
                message=(
                    f"The scraper {how} without an answer. It will try again; "
                    f"details are in the log ({self.paths.log_file})."
                ),
            )
        self._log_stderr(outcome, _DEBUG)
        try:
            document = load_document(text)
        except ValueError as exc:
            _log().debug("scraper stdout (first 300 chars): %s", redact(text[:300]))
            return self._invalid(str(exc))
        expected = 1 if isinstance(document, ErrorDocument) else 0
        if outcome.returncode != expected:
            _log().warning(
                "scraper %s printed a %s document but exited %s",
                command,
                document.status,
                outcome.returncode,
            )
        return document

    @staticmethod
    def _document_in(outcome: _Outcome) -> Document | None:
        """The one valid document in the output, if there is exactly that."""
        if outcome.stdout_overflow:
            return None
        from claude_tray.documents import load_document  # see the module docstring

        try:
            return load_document(outcome.stdout.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def _invalid(self, why: str) -> ErrorDocument:
        from claude_tray.documents import ErrorDocument  # see the module docstring

        _log().warning("scraper output rejected: %s", why)
        return ErrorDocument(
            error=ErrorCode.INVALID_OUTPUT,
            message=(
                f"The scraper answered with something that is not one document ({why}). "
                f"Details are in the log ({self.paths.log_file})."
            ),
        )
