"""`boot_alarm.BootAlarm` (a real timerfd on CLOCK_BOOTTIME) and the poll worker woken by
it: the next poll comes from the alarm even when the monotonic wait does not end on time,
as in a suspend, so the worker no longer wakes every 10 s to compare its clocks.

A real suspend cannot be made here; what a suspend does to the worker is modelled by a
waiter whose time-out never ends the wait (CLOCK_MONOTONIC stands still in a suspend)
and a wall clock that jumps. No test asserts a time: waits only bound a broken alarm.
"""

from __future__ import annotations

import sys
import threading
import time

import pytest

from claude_tray.boot_alarm import BootAlarm
from claude_tray.worker import PollingWorker
from tests.support.core import wait_until

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.posix_only,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux's"),
]


def test_the_alarm_fires_once_per_arming_on_its_own_thread() -> None:
    fired: list[str] = []
    done = threading.Event()

    def on_fire() -> None:
        fired.append(threading.current_thread().name)
        done.set()

    alarm = BootAlarm.open(on_fire, name="test-alarm")
    assert alarm is not None
    try:
        alarm.arm(0.05)
        assert done.wait(60)
        done.clear()
        alarm.arm(3600)
        alarm.arm(0.05)  # re-arming replaces the hour
        assert done.wait(60)
        assert fired == ["test-alarm", "test-alarm"]
    finally:
        alarm.close()
    alarm.thread.join(30)
    assert not alarm.thread.is_alive()
    alarm.arm(1.0)  # after close: nothing, no error
    alarm.close()


def wait_ignoring_timeout(event: threading.Event, _timeout: float | None) -> bool:
    """A monotonic wait that does not end on time (the computer sleeps through it)."""
    return event.wait()


def test_the_worker_polls_from_the_boot_time_alarm_when_its_wait_does_not_end() -> None:
    """Real worker, real clocks, real alarm: a poll every 2 s although no wait ever times
    out. Before, the worker relied on its wait's time-out (cut to 10 s) and never polled
    again here."""
    polls: list[float] = []
    worker = PollingWorker(
        lambda: polls.append(time.monotonic()),
        interval_seconds=2,
        wait=wait_ignoring_timeout,
    )
    worker.start()
    try:
        assert worker.alarm is not None
        worker.start_polling()
        assert wait_until(lambda: len(polls) >= 3, 90)
    finally:
        assert worker.stop(timeout=30)
    assert worker.alarm.thread.join(30) is None and not worker.alarm.thread.is_alive()


def test_after_a_simulated_suspend_the_alarm_brings_the_poll() -> None:
    """The wall clock jumps 8 hours between polls while the wait does not end: the alarm
    wakes the worker, which sees the jump and polls (the poll was due anyway)."""
    jump = [0.0]
    polls: list[float] = []
    worker = PollingWorker(
        lambda: polls.append(time.monotonic()),
        interval_seconds=2,
        wall=lambda: time.time() + jump[0],
        wait=wait_ignoring_timeout,
    )
    worker.start()
    try:
        worker.start_polling()
        assert wait_until(lambda: len(polls) >= 1, 60)
        jump[0] = 8 * 3600.0
        assert wait_until(lambda: len(polls) >= 2, 90)
    finally:
        assert worker.stop(timeout=30)


def test_fake_clocks_keep_the_clock_check_and_no_alarm() -> None:
    """A worker on a fake clock (the tests' FakeClock) gets no alarm: its seconds are not
    the kernel's."""
    worker = PollingWorker(lambda: None, interval_seconds=60, clock=lambda: 0.0)
    worker.start()
    try:
        assert worker.alarm is None
    finally:
        assert worker.stop(timeout=30)
