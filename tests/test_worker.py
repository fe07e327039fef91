"""The polling worker on a fake clock: interval, stop/start, tasks, retries and backoff maths."""

from __future__ import annotations

import threading
import time

import pytest

from claude_tray.documents import Document, ErrorDocument, Limit, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.worker import (
    CLOCK_CHECK_SECONDS,
    ClockedScheduler,
    PollingWorker,
    RetryPolicy,
    run_with_retries,
)
from tests.support.core import FakeClock, wait_until

pytestmark = pytest.mark.timeout(60)

INTERVAL = 300.0


def good() -> UsageDocument:
    return UsageDocument.build(
        source="web", limits=[Limit(id="session", kind="session", label="Session", percent=5.0)]
    )


def error(code: ErrorCode, retry_after: float | None = None) -> ErrorDocument:
    return ErrorDocument(error=code, message=f"{code} happened.", retry_after=retry_after)


def make_worker(clock: FakeClock, polls: list[float]) -> PollingWorker:
    return PollingWorker(lambda: polls.append(clock()), interval_seconds=INTERVAL, clock=clock)


def test_scheduler_reads_the_injected_clock() -> None:
    """The private schedule.Scheduler runs a job when the fake clock, not the wall, says so."""
    clock = FakeClock()
    scheduler = ClockedScheduler(clock)
    ran: list[float] = []
    scheduler.every(60).seconds.do(lambda: ran.append(clock()))
    scheduler.run_pending()
    assert ran == []
    assert scheduler.idle_seconds == pytest.approx(60.0)
    clock.advance(60)
    scheduler.run_pending()
    assert ran == [clock()]
    assert scheduler.idle_seconds == pytest.approx(60.0)


def test_polls_every_interval() -> None:
    """After start_polling the poll runs at once, then exactly once per interval."""
    clock = FakeClock()
    polls: list[float] = []
    worker = make_worker(clock, polls)
    start = clock()
    worker.start_polling()
    assert worker.step()
    assert not worker.step()
    assert worker.seconds_until_poll() == pytest.approx(INTERVAL)
    assert worker.idle_timeout() == pytest.approx(CLOCK_CHECK_SECONDS)
    clock.advance(INTERVAL - 1)
    assert not worker.step()
    clock.advance(1)
    assert worker.step()
    clock.advance(INTERVAL * 3)  # a long suspend: one poll, not three
    assert worker.step()
    assert not worker.step()
    assert polls == [start, start + INTERVAL, start + INTERVAL * 4]


def test_stop_and_start_polling() -> None:
    """stop_polling removes the schedule (the loop would wait until woken); start polls at once."""
    clock = FakeClock()
    polls: list[float] = []
    worker = make_worker(clock, polls)
    worker.start_polling()
    worker.step()
    worker.stop_polling()
    assert worker.idle_timeout() is None
    assert worker.seconds_until_poll() is None
    clock.advance(INTERVAL * 2)
    assert not worker.step()
    worker.start_polling()
    assert worker.step()
    assert len(polls) == 2


def test_tasks_run_in_order_before_the_poll() -> None:
    """Submitted tasks run one after another, ahead of a due poll."""
    clock = FakeClock()
    order: list[str] = []
    worker = PollingWorker(lambda: order.append("poll"), interval_seconds=INTERVAL, clock=clock)
    worker.start_polling()
    worker.submit(lambda: order.append("a"))
    worker.submit(lambda: order.append("b"))
    while worker.step():
        pass
    assert order == ["a", "b", "poll"]


def test_poll_after_and_set_interval_move_the_next_poll() -> None:
    """A backoff moves the next poll later; a shorter interval pulls it closer."""
    clock = FakeClock()
    moved: list[float | None] = []
    worker = PollingWorker(
        lambda: None, interval_seconds=INTERVAL, clock=clock, on_schedule=moved.append
    )
    worker.start_polling()
    worker.step()
    worker.poll_after(1800)
    assert worker.seconds_until_poll() == pytest.approx(1800)
    worker.set_interval(60)
    assert worker.seconds_until_poll() == pytest.approx(60)
    assert moved[-1] == pytest.approx(60)
    clock.advance(60)
    assert worker.step()
    assert worker.seconds_until_poll() == pytest.approx(60)


def test_retry_delays_grow_with_jitter() -> None:
    """Retry waits double each time, stay within the jitter band and under the cap."""
    policy = RetryPolicy(first_retry_seconds=2, max_retry_seconds=30, jitter=0.5)
    assert [policy.retry_delay(n, 0.5) for n in range(6)] == [2, 4, 8, 16, 30, 30]
    assert policy.retry_delay(0, 0.0) == pytest.approx(1.0)
    assert policy.retry_delay(0, 0.999999) == pytest.approx(3.0, abs=1e-4)


def test_rate_limited_with_zero_retry_after_waits_five_minutes_and_grows() -> None:
    """retry_after 0 is not believed: 5 min, then 10, 20 … to the cap; never below the interval."""
    policy = RetryPolicy()
    limited = error(ErrorCode.RATE_LIMITED, retry_after=0)
    delays = [policy.next_poll_delay(limited, 60, streak) for streak in range(1, 7)]
    assert delays == [300, 600, 1200, 2400, 3600, 3600]
    assert policy.next_poll_delay(limited, 900, 1) == 900
    assert policy.next_poll_delay(error(ErrorCode.RATE_LIMITED, retry_after=None), 60, 1) == 300


def test_long_retry_after_is_honoured_and_bounded() -> None:
    """A retry_after longer than the backoff is honoured, but a day at most."""
    policy = RetryPolicy()
    assert policy.next_poll_delay(error(ErrorCode.RATE_LIMITED, 5000), 60, 1) == 5000
    assert policy.next_poll_delay(error(ErrorCode.RATE_LIMITED, 10**9), 60, 1) == 24 * 3600


def test_blocked_backs_off_and_other_results_keep_the_interval() -> None:
    """blocked backs off like a 429; success and other errors poll at the interval."""
    policy = RetryPolicy()
    assert policy.next_poll_delay(error(ErrorCode.BLOCKED), 300, 2) == 600
    assert policy.next_poll_delay(good(), 300, 0) == 300
    assert policy.next_poll_delay(error(ErrorCode.SESSION_EXPIRED), 300, 0) == 300
    assert policy.next_poll_delay(error(ErrorCode.SERVER_ERROR), 300, 0) == 300


def test_transient_failures_are_retried_with_backoff() -> None:
    """server_error and scraper_crashed are retried within a refresh; the waits grow."""
    answers: list[Document] = [
        error(ErrorCode.SERVER_ERROR),
        error(ErrorCode.SCRAPER_CRASHED),
        good(),
    ]
    slept: list[float] = []
    document = run_with_retries(
        lambda: answers.pop(0),
        policy=RetryPolicy(attempts=3, first_retry_seconds=2, jitter=0.5),
        sleep=lambda seconds: slept.append(seconds) is not None,
        rand=lambda: 0.5,
    )
    assert isinstance(document, UsageDocument)
    assert slept == [2.0, 4.0]


@pytest.mark.parametrize(
    "code", [ErrorCode.RATE_LIMITED, ErrorCode.SESSION_EXPIRED, ErrorCode.BLOCKED]
)
def test_non_transient_failures_are_not_retried(code: ErrorCode) -> None:
    """A 429, an expired session or a challenge is answered after one attempt."""
    calls: list[int] = []

    def attempt() -> Document:
        calls.append(1)
        return error(code)

    document = run_with_retries(
        attempt, policy=RetryPolicy(), sleep=lambda s: False, rand=lambda: 0.5
    )
    assert isinstance(document, ErrorDocument) and document.error is code
    assert len(calls) == 1


def test_retries_give_up_after_the_attempts_and_on_stop() -> None:
    """Retries end after `attempts` runs, and at once when the wait is interrupted."""
    calls: list[int] = []

    def attempt() -> Document:
        calls.append(1)
        return error(ErrorCode.SERVER_ERROR)

    run_with_retries(attempt, policy=RetryPolicy(attempts=4), sleep=lambda s: False)
    assert len(calls) == 4
    calls.clear()
    run_with_retries(attempt, policy=RetryPolicy(attempts=4), sleep=lambda s: True)
    assert len(calls) == 1


def test_thread_waits_until_the_next_poll_and_polls_on_time() -> None:
    """The real thread sleeps in slices of the clock check (fake clock) and polls when due."""
    clock = FakeClock()
    polls: list[float] = []
    worker = PollingWorker(
        lambda: polls.append(clock()),
        interval_seconds=INTERVAL,
        clock=clock,
        wall=clock,
        wait=clock.wait,
    )
    worker.start()
    worker.start_polling()
    try:
        assert wait_until(lambda: len(polls) == 1)
        assert wait_until(
            lambda: bool(clock.waits) and clock.waits[-1] == pytest.approx(CLOCK_CHECK_SECONDS)
        )
        for _ in range(round(INTERVAL / 2 / CLOCK_CHECK_SECONDS)):
            clock.advance(CLOCK_CHECK_SECONDS)
        time.sleep(0.1)
        assert len(polls) == 1
        for _ in range(round(INTERVAL / 2 / CLOCK_CHECK_SECONDS)):
            clock.advance(CLOCK_CHECK_SECONDS)
        assert wait_until(lambda: len(polls) == 2)
        assert polls[1] - polls[0] == pytest.approx(INTERVAL, abs=CLOCK_CHECK_SECONDS)
    finally:
        assert worker.stop(timeout=5)


def test_stop_is_prompt_while_idle_and_a_failing_task_does_not_end_the_loop() -> None:
    """A task that raises is logged and the loop goes on; stop ends an idle thread at once."""
    worker = PollingWorker(lambda: None, interval_seconds=3600)
    worker.start()
    worker.start_polling(first_in=3600)
    done = threading.Event()

    def broken() -> None:
        raise RuntimeError("a bug in a task")

    worker.submit(broken)
    worker.submit(done.set)
    assert done.wait(10)
    assert worker.thread is not None and worker.thread.name == "claude-tray-worker"
    started = time.monotonic()
    assert worker.stop(timeout=5)
    assert time.monotonic() - started < 5
    assert not worker.submit(lambda: None)


def test_a_suspend_is_noticed_and_the_next_poll_comes_within_20_s() -> None:
    """The wall clock jumps 8 hours while the monotonic one stands still (a suspend on
    Linux/macOS): a poll follows within 20 s of waking, not a whole interval later."""
    mono = FakeClock()
    wall = FakeClock(start=1_800_000_000.0)
    polls: list[float] = []
    worker = PollingWorker(
        lambda: polls.append(mono()), interval_seconds=3600, clock=mono, wall=wall
    )
    worker.start_polling()
    assert worker.step() and len(polls) == 1
    for _ in range(3):  # awake for a while: nothing happens early
        mono.advance(CLOCK_CHECK_SECONDS)
        wall.advance(CLOCK_CHECK_SECONDS)
        assert not worker.step()
    wall.advance(8 * 3600)  # asleep
    woke = mono()
    while len(polls) == 1 and mono() - woke < 120:
        mono.advance(1)
        wall.advance(1)
        worker.step()
    assert len(polls) == 2
    assert polls[1] - woke <= 20
    assert polls[1] - woke >= 5  # Wi-Fi gets a moment to come back first
    # Then the usual interval again.
    assert worker.seconds_until_poll() == pytest.approx(3600)


def test_a_wall_clock_set_back_or_a_short_jump_moves_nothing() -> None:
    """Only a forward jump beyond the threshold counts as a suspend."""
    mono = FakeClock()
    wall = FakeClock(start=1_800_000_000.0)
    worker = PollingWorker(lambda: None, interval_seconds=3600, clock=mono, wall=wall)
    worker.start_polling()
    worker.step()
    wall.advance(-3 * 3600)
    mono.advance(1)
    worker.step()
    wall.advance(20)
    mono.advance(1)
    worker.step()
    assert worker.seconds_until_poll() == pytest.approx(3598)


def test_a_short_suspend_keeps_the_rest_of_a_long_wait() -> None:
    """A 5-minute suspend during a 1-hour wait moves the next poll 5 minutes closer, no more."""
    mono = FakeClock()
    wall = FakeClock(start=1_800_000_000.0)
    worker = PollingWorker(lambda: None, interval_seconds=3600, clock=mono, wall=wall)
    worker.start_polling()
    worker.step()
    wall.advance(300)
    mono.advance(1)
    wall.advance(1)
    worker.step()
    assert worker.seconds_until_poll() == pytest.approx(3600 - 1 - 300)
