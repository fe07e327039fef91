"""The polling worker: one named thread that runs the core's tasks and the scheduled poll.

The thread runs a private `schedule.Scheduler` (never the module-level one)
whose jobs read an injectable monotonic clock, so tests move a fake clock
instead of sleeping. Between polls the thread waits on an Event with a
time-out until the next poll is due. No busy loop, no long sleep that a stop
could not interrupt. A task that raises is logged; nothing ends the loop but
`stop()`.

Sleep (issue 7): `time.monotonic` stops while the computer is suspended (Linux,
macOS), and so does a wait's time-out, so after a night's sleep the next poll
could be a whole interval late. Each time the loop wakes it compares the wall
clock with the monotonic clock; when the wall clock has run ahead by more than
`WAKE_JUMP_SECONDS`, the computer was asleep, and the next poll moves to
`WAKE_POLL_DELAY_SECONDS` from now (Wi-Fi needs a moment to come back). What
wakes the loop after a suspend: on Linux a `boot_alarm.BootAlarm` (a timerfd on
CLOCK_BOOTTIME, which counts the suspend) armed for the next poll, so nothing
wakes between polls (issue 12); where there is none (Windows, macOS, fake
clocks in tests) the wait is cut to `CLOCK_CHECK_SECONDS` instead.

Also here, as pure functions of numbers: how long to wait before retrying a
transient failure inside one refresh (exponential backoff with jitter), and
when to poll next after a result (`rate_limited` waits at least
max(retry_after, 5 min), growing on repeats; `blocked` backs off too;
`network_error`, `timeout` and `busy` climb a short ladder, about 30 s, 1 min,
2 min, then the interval, instead of spending quick retries while the network
is still down).

This module must not start processes, must not know about documents beyond
their error codes, and must not touch the UI.
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import schedule

from claude_tray.documents import Document, ErrorDocument
from claude_tray.errors import TRANSIENT_CODES, ErrorCode

if TYPE_CHECKING:
    from claude_tray.boot_alarm import BootAlarm

log = logging.getLogger(__name__)

#: Waits on `event` for at most `timeout` seconds (None: until set); True if it was set.
Waiter = Callable[[threading.Event, "float | None"], bool]
Clock = Callable[[], float]

_EPOCH = _dt.datetime(2000, 1, 1)

#: While polling without a boot-time alarm, the loop wakes at least this often to
#: compare the clocks.
CLOCK_CHECK_SECONDS = 10.0
#: The wall clock running ahead of the monotonic one by more than this is a suspend.
WAKE_JUMP_SECONDS = 30.0
#: After a suspend the next poll comes this long after it was noticed (noticed 0-10 s
#: after waking: about 15 s after waking on average, 20 s at most).
WAKE_POLL_DELAY_SECONDS = 10.0

#: Failures that wait for the network (or another process) to come back: the next
#: poll climbs `RetryPolicy.ladder` instead of quick retries within the refresh.
LADDER_CODES = frozenset({ErrorCode.NETWORK_ERROR, ErrorCode.TIMEOUT, ErrorCode.BUSY})


def event_wait(event: threading.Event, timeout: float | None) -> bool:
    """The real waiter: `Event.wait`, which sleeps in the kernel (no CPU while idle)."""
    return event.wait(timeout)


# -- policy -----------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry within one refresh, and how long to back off between polls."""

    #: Runs of the scraper per refresh when the failure is transient.
    attempts: int = 3
    #: Wait before the first retry; doubles for each further retry.
    first_retry_seconds: float = 2.0
    max_retry_seconds: float = 30.0
    #: Each retry wait is scaled by a random factor in [1 - jitter, 1 + jitter].
    jitter: float = 0.5
    #: After rate_limited / blocked the next poll waits at least this (doubling on repeats).
    backoff_floor_seconds: float = 300.0
    backoff_cap_seconds: float = 3600.0
    #: A Retry-After longer than this is not believed either (a bad header must not stop polling).
    max_retry_after_seconds: float = 24 * 3600.0
    #: Seconds to the next poll after the 1st, 2nd, 3rd network_error/timeout/busy in
    #: a row; after that the interval. Never longer than the interval.
    ladder: tuple[float, ...] = (30.0, 60.0, 120.0)

    def retry_delay(self, retry: int, rand: float) -> float:
        """Seconds before retry number `retry` (0 = the first), for `rand` in [0, 1)."""
        base = min(self.max_retry_seconds, self.first_retry_seconds * 2.0**retry)
        return base * (1.0 - self.jitter + 2.0 * self.jitter * rand)

    def next_poll_delay(
        self, document: Document, interval: float, backoff_streak: int, ladder_step: int = 0
    ) -> float:
        """Seconds until the next poll after `document`.

        `backoff_streak` counts consecutive rate_limited/blocked results,
        this one included (1 for the first); `ladder_step` likewise counts
        consecutive network_error/timeout/busy results.
        """
        if isinstance(document, ErrorDocument) and document.error in LADDER_CODES:
            step = max(1, ladder_step)
            if step <= len(self.ladder):
                return min(interval, self.ladder[step - 1])
            return interval
        if not isinstance(document, ErrorDocument) or document.error not in (
            ErrorCode.RATE_LIMITED,
            ErrorCode.BLOCKED,
        ):
            return interval
        streak = max(1, backoff_streak)
        backoff = min(self.backoff_cap_seconds, self.backoff_floor_seconds * 2.0 ** (streak - 1))
        retry_after = document.retry_after or 0.0
        # A retry_after of 0 (seen for hours from the OAuth endpoint) is not an
        # invitation: the floor applies. A positive one is honoured up to a day.
        believed = min(max(retry_after, 0.0), self.max_retry_after_seconds)
        return max(interval, backoff, believed)


def is_transient(document: Document) -> bool:
    """Whether a failure is worth a quick retry within the same refresh.

    The ladder codes are transient too, but a network that is down stays down
    for longer than a few seconds: they wait for the next, earlier poll instead.
    """
    return (
        isinstance(document, ErrorDocument)
        and document.error in TRANSIENT_CODES
        and document.error not in LADDER_CODES
    )


def run_with_retries(
    attempt: Callable[[], Document],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], bool],
    rand: Callable[[], float] = random.random,
) -> Document:
    """Run `attempt` until it gives a non-transient answer or the attempts are used up.

    `sleep(seconds)` waits between attempts and returns True when the wait was
    interrupted (stop, shutdown); then the last answer is returned at once.
    """
    document = attempt()
    for retry in range(policy.attempts - 1):
        if not is_transient(document):
            return document
        assert isinstance(document, ErrorDocument)
        delay = policy.retry_delay(retry, rand())
        log.info("transient failure (%s); retry %d in %.1f s", document.error, retry + 1, delay)
        if sleep(delay):
            return document
        document = attempt()
    return document


# -- a schedule.Scheduler on an injectable clock ----------------------------
#
# Why not `schedule` exactly as it comes (issue 7, item 9): schedule 1.2 takes
# the time from `datetime.datetime.now()` in every job and in `idle_seconds`,
# with no way to pass a clock. That time is the local wall clock, naive: it
# jumps an hour at each DST change and whenever the clock is set, so a poll
# could come an hour late, and tests could move time only by patching the
# library. So the worker keeps a private `Scheduler` instance and uses its
# public API (`every(n).seconds.do(f)`, `run_pending()`, `idle_seconds`,
# `clear()`, `Job.next_run`), and subclasses override only public members
# (`Job.do`, `Job.should_run`, `Job.run`, `Scheduler.every`,
# `Scheduler.idle_seconds`) so that "now" is the worker's monotonic clock. No
# private method of the library is overridden or called.


class _ClockedJob(schedule.Job):
    """A `schedule.Job` that reads the worker's clock instead of `datetime.now()`.

    Only `every(n).seconds` is supported: the worker needs nothing else, and the
    calendar features of `schedule` are exactly the parts that read the wall clock.
    """

    def __init__(self, interval: int, scheduler: ClockedScheduler) -> None:
        super().__init__(interval, scheduler)
        self._clock_now = scheduler.now
        self._owner = scheduler

    def do(self, job_func: Callable[..., Any], *args: Any, **kwargs: Any) -> _ClockedJob:
        if self.unit != "seconds":
            raise schedule.ScheduleValueError("only intervals in seconds are supported")
        self.job_func = functools.partial(job_func, *args, **kwargs)
        functools.update_wrapper(self.job_func, job_func)
        self.reschedule()
        self._owner.jobs.append(self)
        return self

    @property
    def should_run(self) -> bool:
        return self.next_run is not None and bool(self._clock_now() >= self.next_run)

    def run(self) -> Any:
        assert self.job_func is not None
        result = self.job_func()
        self.last_run = self._clock_now()
        self.reschedule()
        return result

    def reschedule(self, seconds: float | None = None) -> None:
        """Next run `seconds` from now (the interval when None)."""
        wait = self.interval if seconds is None else seconds
        self.next_run = self._clock_now() + _dt.timedelta(seconds=wait)


class ClockedScheduler(schedule.Scheduler):
    """A private `schedule.Scheduler` whose time comes from `clock()` (seconds, monotonic)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock

    def now(self) -> _dt.datetime:
        # Naive datetimes on a fixed epoch: schedule compares naive datetimes,
        # and a monotonic clock has no calendar (and never jumps with DST).
        return _EPOCH + _dt.timedelta(seconds=self._clock())

    def every(self, interval: int = 1) -> _ClockedJob:
        return _ClockedJob(interval, self)

    @property
    def idle_seconds(self) -> float | None:
        next_run = self.get_next_run()
        if next_run is None:
            return None
        return float((next_run - self.now()).total_seconds())


# -- the worker thread ------------------------------------------------------


class PollingWorker:
    """One thread: runs submitted tasks in order and the poll every `interval_seconds`."""

    def __init__(
        self,
        poll: Callable[[], object],
        *,
        interval_seconds: float,
        clock: Clock = time.monotonic,
        wall: Clock = time.time,
        wait: Waiter = event_wait,
        name: str = "claude-tray-worker",
        on_schedule: Callable[[float | None], None] | None = None,
        boot_alarm: bool | None = None,
    ) -> None:
        """`poll` runs on the worker thread when a poll is due.

        `clock` (monotonic) drives the schedule; `wall` (Unix time) is only
        compared with it to notice a suspend. Tests pass fakes for both.
        `on_schedule(seconds_until_next_poll or None)` is called whenever the
        next poll moves, so the state can show when it will be. `boot_alarm`:
        wake for the next poll through a `BootAlarm` where there is one (None:
        when `clock` is the real `time.monotonic`, whose seconds the alarm's
        match; a fake clock's would not).
        """
        self._poll = poll
        self._interval = max(1, round(interval_seconds))
        self._clock = clock
        self._wall = wall
        #: wall - monotonic when last looked at; grows by the length of a suspend.
        self._clock_offset: float | None = None
        self._wait = wait
        self._name = name
        self._on_schedule = on_schedule
        self._lock = threading.Lock()  # guards the scheduler, the tasks and the thread
        self._scheduler = ClockedScheduler(clock)
        self._job: _ClockedJob | None = None
        self._poll_due = False
        self._tasks: deque[Callable[[], object]] = deque()
        self._wakeup = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._want_alarm = clock is time.monotonic if boot_alarm is None else boot_alarm
        #: The boot-time alarm, opened with the thread (None: the CLOCK_CHECK_SECONDS cut).
        self.alarm: BootAlarm | None = None

    # -- lifecycle ----------------------------------------------------------

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once; later calls do nothing)."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            if self._want_alarm:
                # Imported with the thread (it loads ctypes): a one-shot command's
                # core never starts one (issue 12).
                from claude_tray.boot_alarm import BootAlarm

                self.alarm = BootAlarm.open(self._wakeup.set, name=f"{self._name}-alarm")
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the loop and wait for the thread; True if it ended within `timeout`.

        A task already running finishes first; the caller ends its child (the
        core sets the run's cancel event) so that this is prompt.
        """
        self._stop.set()
        self._wakeup.set()
        with self._lock:
            self._tasks.clear()
            thread = self._thread
        if self.alarm is not None:
            self.alarm.close()
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def sleep(self, seconds: float) -> bool:
        """Wait `seconds` on the worker's clock unless stopped; True if stopped meanwhile."""
        if self._stop.is_set():
            return True
        return self._wait(self._stop, seconds)

    # -- tasks and the schedule ---------------------------------------------

    def submit(self, task: Callable[[], object], *, first: bool = False) -> bool:
        """Run `task` on the worker thread after the ones before it (before them if
        `first`: a logout must not wait behind queued refreshes); False once stopped."""
        with self._lock:
            if self._stop.is_set():
                return False
            if first:
                self._tasks.appendleft(task)
            else:
                self._tasks.append(task)
        self._wakeup.set()
        return True

    @property
    def polling(self) -> bool:
        with self._lock:
            return self._job is not None

    def start_polling(self, first_in: float = 0.0) -> None:
        """Poll every interval, the first poll `first_in` seconds from now."""
        with self._lock:
            if self._job is None:
                self._job = self._scheduler.every(self._interval).seconds.do(self._mark_due)
            self._job.reschedule(first_in)
        self._schedule_changed()

    def stop_polling(self) -> None:
        """No more scheduled polls (tasks still run)."""
        with self._lock:
            self._scheduler.clear()
            self._job = None
            self._poll_due = False
        self._schedule_changed()

    def set_interval(self, seconds: float) -> None:
        """Poll every `seconds` from now on; a next poll later than that moves closer."""
        with self._lock:
            self._interval = max(1, round(seconds))
            if self._job is not None:
                self._job.interval = self._interval
                sooner = self._scheduler.now() + _dt.timedelta(seconds=self._interval)
                if self._job.next_run is None or self._job.next_run > sooner:
                    self._job.next_run = sooner
        self._schedule_changed()

    @property
    def interval_seconds(self) -> int:
        return self._interval

    def poll_after(self, seconds: float) -> None:
        """Move the next scheduled poll to `seconds` from now (after a result, or a backoff)."""
        with self._lock:
            if self._job is None:
                return
            self._job.reschedule(seconds)
        self._schedule_changed()

    def poll_soon(self, seconds: float, why: str) -> bool:
        """Move the next poll to `seconds` from now if it is later than that; True if moved.

        For hints that the numbers can be read again (the network is back).
        """
        with self._lock:
            moved = self._pull_in_locked(seconds)
        if moved:
            log.info("%s: polling in %.0f s", why, seconds)
            self._schedule_changed()
        return moved

    def _pull_in_locked(self, seconds: float) -> bool:
        if self._job is None or self._poll_due:
            return False
        soon = self._scheduler.now() + _dt.timedelta(seconds=seconds)
        if self._job.next_run is not None and self._job.next_run <= soon:
            return False
        self._job.next_run = soon
        return True

    def _check_clocks_locked(self) -> bool:
        """Notice a suspend (the wall clock ran ahead); True if the next poll moved."""
        offset = self._wall() - self._clock()
        previous, self._clock_offset = self._clock_offset, offset
        if previous is None or offset - previous < WAKE_JUMP_SECONDS or self._job is None:
            return False
        jump = offset - previous
        # The wait that was due has partly (or wholly) passed in wall time.
        next_run = self._job.next_run
        assert next_run is not None
        left = (next_run - self._scheduler.now()).total_seconds() - jump
        seconds = max(WAKE_POLL_DELAY_SECONDS, left)
        moved = self._pull_in_locked(seconds)
        log.info(
            "woke up after about %.0f min asleep (the wall clock ran ahead of the monotonic one)%s",
            jump / 60,
            f"; polling in {seconds:.0f} s" if moved else "",
        )
        return moved

    def seconds_until_poll(self) -> float | None:
        """Seconds until the next scheduled poll (0 if due), or None when not polling."""
        with self._lock:
            if self._job is None:
                return None
            if self._poll_due:
                return 0.0
            idle = self._scheduler.idle_seconds
        return None if idle is None else max(0.0, idle)

    def _mark_due(self) -> None:
        # Called by the scheduler under self._lock: only marks the poll, which
        # then runs outside the lock so stop_polling() never waits for a child.
        self._poll_due = True

    def _schedule_changed(self) -> None:
        self._wakeup.set()
        if self._on_schedule is not None:
            try:
                self._on_schedule(self.seconds_until_poll())
            except Exception:
                log.exception("the schedule listener failed")

    # -- the loop -------------------------------------------------------------

    def step(self) -> bool:
        """Run the next task, or the poll if it is due; True if something ran.

        The thread calls this in its loop; tests call it directly with a fake clock.
        """
        with self._lock:
            moved = self._check_clocks_locked()
            task = self._tasks.popleft() if self._tasks else None
            if task is None:
                self._scheduler.run_pending()
                if self._poll_due:
                    self._poll_due = False
                    task = self._poll
        if moved:
            self._schedule_changed()
        if task is None:
            return False
        try:
            task()
        except Exception:  # a bug in a task must not end polling
            log.exception("a worker task failed")
        if task is self._poll:
            self._schedule_changed()  # the job rescheduled itself; say when
        return True

    def idle_timeout(self) -> float | None:
        """How long the loop may wait now: until the next poll (without a boot-time
        alarm at most `CLOCK_CHECK_SECONDS`, to notice a suspend), or None (until woken)."""
        with self._lock:
            if self._tasks or self._poll_due:
                return 0.0
            idle = self._scheduler.idle_seconds
        if idle is None:
            return None
        if self.alarm is not None:
            return max(0.0, idle)
        return min(CLOCK_CHECK_SECONDS, max(0.0, idle))

    def _loop(self) -> None:
        log.debug("worker started")
        while not self._stop.is_set():
            self._wakeup.clear()
            if self.step():
                continue
            timeout = self.idle_timeout()
            if timeout == 0.0:
                continue
            if self.alarm is not None:
                # Counts a suspend too: fires when the poll is due in real time, or at
                # once on resume if that passed during the sleep (the wait below would
                # end that much later). It sets _wakeup; step() then compares the clocks.
                self.alarm.arm(timeout)
            # Sleeps in the kernel until the next poll is due or someone
            # submits, reschedules or stops: no CPU while idle.
            self._wait(self._wakeup, timeout)
        log.debug("worker stopped")
