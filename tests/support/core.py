"""Helpers for the core's tests: fake scraper runners, the process table, the run record.

The fake scrapers in `tests/fake_scrapers/` are real child processes started
by the real `ScraperRunner`; nothing here mocks `Popen`.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import psutil

from claude_tray.config import Config
from claude_tray.documents import Document
from claude_tray.events import Event
from claude_tray.paths import AppPaths
from claude_tray.runner import ScraperRunner

if TYPE_CHECKING:
    from claude_tray.core import Core

CoreT = TypeVar("CoreT", bound="Core")

FAKE_SCRAPERS = Path(__file__).resolve().parent.parent / "fake_scrapers"

#: A key-shaped fake session key: the redaction must recognise and remove it.
FAKE_SESSION_KEY = "sk-ant-sid01-FAKEfakeFAKEfake0123456789abcdefTESTonly-AAAA"


#: Cores made by test helpers during the current test; conftest shuts them down after it.
_TRACKED_CORES: list[Core] = []


def track_core(core: CoreT) -> CoreT:
    """`core`, to be shut down after the test (conftest's `no_worker_outlives_its_test`).

    A helper that makes a core a test may hand over to the worker thread (a
    `refresh_now` starts it) uses this, so no test has to remember the shutdown.
    """
    _TRACKED_CORES.append(core)
    return core


def shut_down_tracked_cores() -> None:
    """Shut down every core `track_core` was given since the last call."""
    while _TRACKED_CORES:
        _TRACKED_CORES.pop().shutdown()


def new_marker() -> str:
    """A unique argument that tags a test's children and grandchildren in the process table."""
    return f"fake-marker-{uuid.uuid4().hex}"


def fake_runner(
    paths: AppPaths,
    script: str,
    *,
    marker: str | None = None,
    config: Config | None = None,
    kill_grace: float = 1.0,
) -> ScraperRunner:
    """A real runner whose scraper is `tests/fake_scrapers/<script>.py`."""
    argv = [sys.executable, str(FAKE_SCRAPERS / f"{script}.py")]
    if marker is not None:
        argv.append(marker)
    return ScraperRunner(paths, config or Config(), scraper_argv=argv, kill_grace=kill_grace)


def processes_with(marker: str) -> list[psutil.Process]:
    """Every process (not a zombie) whose command line contains `marker`."""
    found = []
    for proc in psutil.process_iter():
        info = _cmdline_and_status(proc)
        if info is None or info[1] == psutil.STATUS_ZOMBIE:
            continue
        if any(marker in part for part in info[0]):
            found.append(proc)
    return found


def _cmdline_and_status(proc: psutil.Process, attempts: int = 5) -> tuple[list[str], str] | None:
    """`proc`'s command line and status; None once it is gone or not ours to read.

    Under Wine, reading a process that is exiting can fail with a plain OSError
    ("[WinError 87] Invalid parameter" from NtQueryInformationProcess) instead of
    NoSuchProcess, and psutil.process_iter(attrs) let it end the whole listing (a
    Windows-stage run failed on it): such a process is read again a few times, then
    left out (it has gone, or it stays unreadable, which no process a test started does).
    """
    for _ in range(attempts):
        try:
            return list(proc.cmdline() or ()), str(proc.status())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None
        except OSError:
            if not proc.is_running():
                return None
            time.sleep(0.02)
    return None


def zombie_children() -> list[psutil.Process]:
    """Exited children of this test process that nobody has reaped."""
    zombies = []
    for child in psutil.Process().children(recursive=False):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                zombies.append(child)
        except psutil.NoSuchProcess:
            continue
    return zombies


def pid_state(pid: int) -> str | None:
    """The status of `pid` ('zombie', 'sleeping', …) or None when it no longer exists."""
    try:
        return str(psutil.Process(pid).status())
    except psutil.NoSuchProcess:
        return None


@dataclass(frozen=True)
class RunRecord:
    event: str
    pid: int
    at: float


def read_runs(home: Path) -> list[RunRecord]:
    """The lines the fake scrapers appended to `<CLAUDE_TRAY_HOME>/fake-runs.log`."""
    path = home / "fake-runs.log"
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        event, pid, at = line.split()
        records.append(RunRecord(event, int(pid), float(at)))
    return records


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll `condition` until it is true or `timeout` seconds pass (for real threads only)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def wait_for_event(
    events: queue.Queue[Event], kind: type, seen: list[Event], timeout: float = 30.0
) -> Event:
    """Read events (keeping them in `seen`) until one of `kind` arrives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(event)
        if isinstance(event, kind):
            return event
    raise AssertionError(f"no {kind.__name__} within {timeout} s; saw {seen}")


class ScriptedRunner:
    """An in-process runner that answers from a script of documents (for scheduler logic).

    The real runner is tested against real children; the worker's schedule and
    backoff are tested with this and a fake clock, so nothing sleeps.
    """

    def __init__(self, answers: Sequence[Document] | Callable[[str], Document]) -> None:
        self._answers = answers if callable(answers) else list(answers)
        self.calls: list[tuple[str, tuple[str, ...], str | None]] = []
        self.lock = threading.Lock()
        self.config: Config | None = None

    def run(
        self,
        command: str,
        args: Sequence[str] = (),
        *,
        stdin: str | None = None,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
    ) -> Document:
        with self.lock:
            self.calls.append((command, tuple(args), stdin))
            if callable(self._answers):
                return self._answers(command)
            if len(self._answers) > 1:
                return self._answers.pop(0)
            return self._answers[0]

    def set_config(self, config: Config) -> None:
        self.config = config

    def commands(self) -> list[str]:
        with self.lock:
            return [call[0] for call in self.calls]


class FakeClock:
    """A clock the test moves by hand, and a waiter that sleeps in that clock's time.

    `wait(event, timeout)` returns as soon as `event` is set, or once the test
    has advanced the clock past `timeout`; it records every timeout asked for,
    so a test can see how long the worker meant to sleep.

    A timeout is counted from the moment the waiting thread last read the clock,
    as with a real clock: the worker reads the time, works out how long to sleep,
    then waits. Counting from the moment `wait` is entered instead let a test that
    advanced the clock in between (a loaded machine) push the deadline out by the
    whole advance, so a poll due at the advance's end never came.
    """

    def __init__(self, start: float = 10_000.0) -> None:
        self._now = start
        self._cond = threading.Condition()
        self._last_read = threading.local()
        self.waits: list[float | None] = []

    def __call__(self) -> float:
        with self._cond:
            self._last_read.value = self._now
            return self._now

    def advance(self, seconds: float) -> None:
        with self._cond:
            self._now += seconds
            self._cond.notify_all()

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        with self._cond:
            self.waits.append(timeout)
            read_at: float = getattr(self._last_read, "value", self._now)
            deadline = None if timeout is None else read_at + timeout
            while not event.is_set() and (deadline is None or self._now < deadline):
                # A short real wait so a set() of the event is seen promptly;
                # only tests use this waiter.
                self._cond.wait(0.01)
            # A thread that wakes knows the time it woke at.
            self._last_read.value = self._now
            return event.is_set()


class InstantSleeper:
    """A waiter for retry sleeps: records the seconds and advances a FakeClock at once."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        if event.is_set():
            return True
        if timeout is None:
            return event.wait()
        self.slept.append(timeout)
        self.clock.advance(timeout)
        return event.is_set()
