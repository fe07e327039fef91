"""Core: events, the one-child rule, login/logout, cancel and shutdown, backoff on a fake clock."""

from __future__ import annotations

import itertools
import logging
import os
import queue
import random
import threading
import time
from pathlib import Path
from typing import Literal

import pytest

from claude_tray.config import Config
from claude_tray.core import BUSY_MESSAGE, Core
from claude_tray.documents import (
    Document,
    ErrorDocument,
    Limit,
    SessionDocument,
    UsageDocument,
)
from claude_tray.errors import ErrorCode
from claude_tray.events import (
    Event,
    LoginFinished,
    RefreshFailed,
    RefreshRequested,
    Status,
    StatusChanged,
    UsageUpdated,
)
from claude_tray.paths import AppPaths
from claude_tray.scraper.session_store import WebSession, load_session, save_session
from claude_tray.state import AppState
from claude_tray.worker import RetryPolicy
from tests.support.core import (
    FAKE_SESSION_KEY,
    FakeClock,
    InstantSleeper,
    ScriptedRunner,
    fake_runner,
    new_marker,
    processes_with,
    read_runs,
    track_core,
    wait_for_event,
    wait_until,
    zombie_children,
)

pytestmark = pytest.mark.timeout(120)


def good(percent: float = 30.0) -> UsageDocument:
    return UsageDocument.build(
        source="web",
        limits=[Limit(id="session", kind="session", label="Current session", percent=percent)],
    )


def error(code: ErrorCode, retry_after: float | None = None) -> ErrorDocument:
    return ErrorDocument(error=code, message=f"The fake says {code}.", retry_after=retry_after)


def logged_in() -> SessionDocument:
    return SessionDocument(source="web", logged_in=True, message="Logged in.")


def drain(events: queue.Queue[Event]) -> list[Event]:
    found = []
    while True:
        try:
            found.append(events.get_nowait())
        except queue.Empty:
            return found


class Stepped:
    """A core whose worker is driven by hand on a fake clock (no worker thread)."""

    def __init__(
        self,
        paths: AppPaths,
        answers: list[Document],
        interval_minutes: float = 1,
        poll_mode: Literal["adaptive", "fixed"] = "fixed",
    ):
        """`poll_mode` "fixed" by default: these tests are about the interval and back-off
        as they were; adaptive polling has its own tests (test_adaptive)."""
        self.clock = FakeClock()
        self.sleeper = InstantSleeper(self.clock)
        self.runner = ScriptedRunner(answers)
        self.events: queue.Queue[Event] = queue.Queue()
        # Tracked: a test's `refresh_now` hands polls to a real worker thread, which
        # with the instant sleeper would poll without pause until it is shut down.
        self.core = track_core(
            Core(
                paths,
                Config(interval_minutes=interval_minutes, poll_mode=poll_mode),
                self.events,
                runner=self.runner,
                clock=self.clock,
                wait=self.sleeper.wait,
                rand=lambda: 0.5,
            )
        )
        self.core.worker.start_polling()

    def poll(self) -> list[Event]:
        """Run the due poll; the events it produced."""
        assert self.core.worker.step(), "a poll was due"
        return drain(self.events)


def test_refresh_events_in_order(app_paths: AppPaths) -> None:
    """A good poll emits refreshing, the numbers, then idle; the state holds them."""
    stepped = Stepped(app_paths, [good(44.0)])
    events = stepped.poll()
    assert events == [
        StatusChanged(Status.REFRESHING),
        UsageUpdated(stepped.core.state.snapshot().usage, stale=False),  # type: ignore[arg-type]
        StatusChanged(Status.IDLE),
    ]
    snapshot = stepped.core.state.snapshot()
    assert snapshot.usage is not None and snapshot.usage.usage_percent == 44.0
    assert snapshot.next_poll_at is not None
    assert stepped.runner.calls == [("poll", ("--source", "auto"), None)]


def test_rate_limit_backs_off_five_minutes_then_longer(app_paths: AppPaths) -> None:
    """After 429 with retry_after 0 the next poll waits 5 min, then 10 on a repeat, then resets."""
    limited = error(ErrorCode.RATE_LIMITED, retry_after=0)
    stepped = Stepped(app_paths, [limited, limited, good()], interval_minutes=1)
    worker = stepped.core.worker
    events = stepped.poll()
    assert RefreshFailed(ErrorCode.RATE_LIMITED, limited.message, 0) in events
    assert worker.seconds_until_poll() == pytest.approx(300)
    stepped.clock.advance(299)
    assert not worker.step()
    stepped.clock.advance(1)
    stepped.poll()
    assert worker.seconds_until_poll() == pytest.approx(600)
    stepped.clock.advance(600)
    stepped.poll()
    assert worker.seconds_until_poll() == pytest.approx(60)
    assert stepped.runner.commands() == ["poll"] * 3  # 429 is never retried inside a refresh
    assert stepped.sleeper.slept == []


def test_refresh_during_a_rate_limit_back_off_is_refused_with_the_next_try(
    app_paths: AppPaths,
) -> None:
    """During a 429 back-off, Refresh (menu or popup) starts no child and says when the
    worker's next try is; the back-off keeps its length; once it is over, Refresh polls."""
    limited = error(ErrorCode.RATE_LIMITED, retry_after=0)
    stepped = Stepped(app_paths, [limited, good(20.0)], interval_minutes=1)
    worker = stepped.core.worker
    stepped.poll()
    assert worker.seconds_until_poll() == pytest.approx(300)
    assert stepped.core.refresh_now() is False
    refused = [e for e in drain(stepped.events) if isinstance(e, RefreshRequested)]
    assert len(refused) == 1 and not refused[0].accepted
    assert refused[0].message.startswith("claude.ai asked to wait: the next try is at ")
    assert worker.seconds_until_poll() == pytest.approx(300)  # not lengthened
    assert stepped.runner.commands() == ["poll"]  # no child for the refused refresh
    stepped.clock.advance(300)
    stepped.poll()
    assert stepped.core.rate_limit_wait_note() is None
    assert stepped.core.refresh_now() is True


def test_blocked_backs_off_and_keeps_the_numbers(app_paths: AppPaths) -> None:
    """A Cloudflare block backs off like a 429 and the last good numbers stay shown."""
    stepped = Stepped(app_paths, [good(12.0), error(ErrorCode.BLOCKED)], interval_minutes=1)
    stepped.poll()
    stepped.clock.advance(60)
    stepped.poll()
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(300)
    snapshot = stepped.core.state.snapshot()
    assert snapshot.usage is not None and snapshot.usage.usage_percent == 12.0
    assert snapshot.status is Status.ERROR


def test_transient_errors_are_retried_inside_one_refresh(app_paths: AppPaths) -> None:
    """server_error then scraper_crashed then success: three runs, growing waits, one result."""
    stepped = Stepped(
        app_paths, [error(ErrorCode.SERVER_ERROR), error(ErrorCode.SCRAPER_CRASHED), good(71.0)]
    )
    events = stepped.poll()
    assert stepped.runner.commands() == ["poll"] * 3
    assert stepped.sleeper.slept == [2.0, 4.0]
    assert not any(isinstance(event, RefreshFailed) for event in events)
    assert sum(isinstance(event, UsageUpdated) for event in events) == 1
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(60)


def test_transient_errors_give_up_and_polling_goes_on(app_paths: AppPaths) -> None:
    """When every retry fails, one RefreshFailed is emitted and the next poll is at the interval."""
    stepped = Stepped(app_paths, [error(ErrorCode.SERVER_ERROR)])
    events = stepped.poll()
    assert stepped.runner.commands() == ["poll"] * RetryPolicy().attempts
    assert [e for e in events if isinstance(e, RefreshFailed)] == [
        RefreshFailed(ErrorCode.SERVER_ERROR, "The fake says server_error.", None)
    ]
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(60)
    stepped.clock.advance(60)
    assert stepped.core.worker.step()


@pytest.mark.parametrize("code", [ErrorCode.NETWORK_ERROR, ErrorCode.TIMEOUT])
def test_network_failures_climb_the_ladder_then_the_interval(
    app_paths: AppPaths, code: ErrorCode
) -> None:
    """network_error/timeout: one run each, next polls after 30 s, 1 min, 2 min, then the
    interval; a success starts the ladder afresh (issue 7: retries were spent in seconds)."""
    down = error(code)
    stepped = Stepped(app_paths, [down, down, down, down, good(5.0), down], interval_minutes=10)
    waits = []
    for _ in range(6):
        stepped.poll()
        wait = stepped.core.worker.seconds_until_poll()
        assert wait is not None
        waits.append(wait)
        stepped.clock.advance(wait)
    assert waits == [30.0, 60.0, 120.0, 600.0, 600.0, 30.0]
    assert stepped.runner.commands() == ["poll"] * 6  # no quick retries within a refresh
    assert stepped.sleeper.slept == []


def test_stale_cache_is_shown_at_start(app_paths: AppPaths) -> None:
    """A restart emits the cached numbers at once, marked stale, before any poll."""
    AppState(app_paths).record_usage(good(88.0))
    events: queue.Queue[Event] = queue.Queue()
    woken: list[int] = []
    core = Core(
        app_paths,
        Config(),
        events,
        runner=ScriptedRunner([good()]),
        wake=lambda: woken.append(1),
    )
    first = events.get_nowait()
    assert isinstance(first, UsageUpdated) and first.stale
    assert first.document.usage_percent == 88.0
    assert core.state.snapshot().usage_stale
    assert woken == [1]


def test_refresh_while_busy_is_refused_not_queued(app_paths: AppPaths) -> None:
    """With a child running, refresh_now says not accepted and blocking polls answer busy."""
    events: queue.Queue[Event] = queue.Queue()
    runner = ScriptedRunner([good()])
    core = Core(app_paths, Config(), events, runner=runner)
    assert core.state.try_begin(Status.REFRESHING)
    try:
        assert core.refresh_now() is False
        assert core.poll_usage() is False
        blocking = core.poll_usage_blocking()
        assert isinstance(blocking, ErrorDocument) and blocking.message == BUSY_MESSAGE
        assert core.check_session_blocking() == blocking
        assert core.login_blocking(FAKE_SESSION_KEY) == blocking
    finally:
        core.state.end()
    assert [e for e in drain(events) if isinstance(e, RefreshRequested)] == [
        RefreshRequested(False),
        RefreshRequested(False),
    ]
    assert runner.calls == []
    core.shutdown()


def test_login_with_key_then_refresh(app_paths: AppPaths, caplog: pytest.LogCaptureFixture) -> None:
    """A pasted key goes over stdin; LoginFinished(True) comes first, then fresh numbers."""
    caplog.set_level(logging.DEBUG)
    runner = ScriptedRunner(lambda command: logged_in() if command == "login" else good(5.0))
    events: queue.Queue[Event] = queue.Queue()
    core = Core(app_paths, Config(), events, runner=runner)
    results: list[Document] = []
    core.manual_login(f"  {FAKE_SESSION_KEY}\n", on_done=results.append)
    seen: list[Event] = []
    finished = wait_for_event(events, LoginFinished, seen)
    assert finished == LoginFinished(True, None, "Logged in.")
    wait_for_event(events, UsageUpdated, seen)
    assert runner.calls[0] == ("login", ("--session-key-stdin",), FAKE_SESSION_KEY)
    assert runner.calls[1][0] == "poll"
    assert results == [logged_in()]
    assert core.shutdown()
    assert FAKE_SESSION_KEY not in caplog.text
    assert all(FAKE_SESSION_KEY not in repr(event) for event in seen)


def test_browser_login_gets_the_timeout_argument(app_paths: AppPaths) -> None:
    """Without a key the login runs `login --timeout N` from the settings."""
    runner = ScriptedRunner([error(ErrorCode.BROWSER_MISSING)])
    core = Core(app_paths, Config(login_timeout_seconds=120), queue.Queue(), runner=runner)
    document = core.login_blocking(None)
    assert isinstance(document, ErrorDocument) and document.error is ErrorCode.BROWSER_MISSING
    assert runner.calls == [("login", ("--timeout", "120"), None)]


def test_empty_key_is_refused_without_a_child(app_paths: AppPaths) -> None:
    """A blank pasted key gets a clear message and starts no child."""
    runner = ScriptedRunner([logged_in()])
    core = Core(app_paths, Config(), queue.Queue(), runner=runner)
    document = core.login_blocking("   ")
    assert isinstance(document, ErrorDocument) and "empty" in document.message
    assert runner.calls == []


def test_logout_deletes_the_session_and_clears_the_numbers(app_paths: AppPaths) -> None:
    """Logout removes the stored session and the cache, forgets the numbers, says LoginFinished."""
    save_session(app_paths, WebSession(session_key=FAKE_SESSION_KEY))
    app_paths.browser_profile_dir.mkdir(parents=True)
    AppState(app_paths).record_usage(good())
    events: queue.Queue[Event] = queue.Queue()
    core = Core(app_paths, Config(), events, runner=ScriptedRunner([good()]))
    results: list[Document] = []
    core.logout(on_done=results.append)
    finished = wait_for_event(events, LoginFinished, [])
    assert finished.logged_in is False and finished.code is None  # type: ignore[attr-defined]
    assert load_session(app_paths) is None
    assert not app_paths.browser_profile_dir.exists()
    assert not app_paths.usage_cache_file.exists()
    assert core.state.snapshot().usage is None
    assert isinstance(results[0], SessionDocument) and not results[0].logged_in
    assert core.shutdown()


def test_pause_resume_and_interval_change(app_paths: AppPaths) -> None:
    """Pause stops the schedule and shows paused; resume polls again; a new interval applies."""
    stepped = Stepped(app_paths, [good()])
    stepped.poll()
    stepped.core.pause()
    assert stepped.core.state.snapshot().status is Status.PAUSED
    assert stepped.core.worker.seconds_until_poll() is None
    assert stepped.core.state.snapshot().next_poll_at is None
    stepped.core.state.set_paused(False)
    stepped.core.worker.start_polling()
    stepped.poll()
    stepped.core.update_config(Config(interval_minutes=2))
    assert stepped.core.worker.interval_seconds == 120
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(60)
    assert stepped.runner.config == Config(interval_minutes=2)


def test_cancel_login_ends_the_browser_login_child(app_paths: AppPaths) -> None:
    """Cancel during a (hanging) login ends the child: login_cancelled, no process left."""
    marker = new_marker()
    events: queue.Queue[Event] = queue.Queue()
    core = Core(app_paths, Config(), events, runner=fake_runner(app_paths, "hang", marker=marker))
    core.manual_login()
    assert wait_until(lambda: bool(processes_with(marker)))
    assert core.state.snapshot().status is Status.LOGGING_IN
    core.cancel_login()
    finished = wait_for_event(events, LoginFinished, [])
    assert finished == LoginFinished(False, ErrorCode.LOGIN_CANCELLED, "The login was cancelled.")
    assert wait_until(lambda: not processes_with(marker), timeout=10)
    assert core.shutdown()


def test_shutdown_ends_a_running_child_within_the_timeout(app_paths: AppPaths) -> None:
    """shutdown() during a hanging poll ends it and its grandchild within 2 s, without an error."""
    marker = new_marker()
    events: queue.Queue[Event] = queue.Queue()
    core = Core(
        app_paths,
        Config(),
        events,
        runner=fake_runner(app_paths, "hang_grandchild", marker=marker),
    )
    assert core.refresh_now()
    assert wait_until(
        lambda: any(r.event == "start" for r in read_runs(app_paths.config_dir.parent))
    )
    assert core.shutdown(timeout=2.0)
    assert wait_until(lambda: not processes_with(marker), timeout=10), processes_with(marker)
    assert zombie_children() == []
    assert core.refresh_now() is False  # after shutdown nothing new starts
    assert not any(isinstance(event, RefreshFailed) for event in drain(events))


def test_missing_interpreter_through_the_core(app_paths: AppPaths) -> None:
    """CLAUDE_TRAY_PYTHON=/nonexistent makes a poll fail with python_missing, as an event too."""
    from claude_tray.runner import ScraperRunner

    runner = ScraperRunner(
        app_paths, Config(), env={**os.environ, "CLAUDE_TRAY_PYTHON": "/nonexistent"}
    )
    events: queue.Queue[Event] = queue.Queue()
    core = Core(app_paths, Config(), events, runner=runner)
    document = core.poll_usage_blocking()
    assert isinstance(document, ErrorDocument) and document.error is ErrorCode.PYTHON_MISSING
    failed = [e for e in drain(events) if isinstance(e, RefreshFailed)]
    assert failed and failed[0].code is ErrorCode.PYTHON_MISSING


@pytest.mark.timeout(300)
def test_many_callers_never_more_than_one_child(app_paths: AppPaths) -> None:
    """Threads polling, refreshing and toggling the schedule: one child at a time, all answered."""
    marker = new_marker()
    events: queue.Queue[Event] = queue.Queue()
    core = Core(
        app_paths,
        Config(),
        events,
        runner=fake_runner(app_paths, "slow_good", marker=marker),
    )
    blocking_answers: list[Document] = []
    nonblocking_answers: list[bool] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    go = threading.Barrier(8)

    def guarded(body: object) -> object:
        def run() -> None:
            try:
                go.wait(timeout=30)
                body()  # type: ignore[operator]
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        return run

    def blocking_caller() -> None:
        for _ in range(4):
            answer = core.poll_usage_blocking()
            with lock:
                blocking_answers.append(answer)
            time.sleep(random.uniform(0.05, 0.6))

    def nonblocking_caller() -> None:
        for n in range(8):
            answer = core.refresh_now() if n % 2 else core.poll_usage()
            with lock:
                nonblocking_answers.append(answer)
            time.sleep(random.uniform(0.05, 0.4))

    def toggler() -> None:
        for _ in range(6):
            core.start_polling()
            time.sleep(random.uniform(0, 0.3))
            core.stop_polling()

    bodies = [blocking_caller] * 4 + [nonblocking_caller] * 3 + [toggler]
    threads = [threading.Thread(target=guarded(body)) for body in bodies]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=200)
    assert not any(thread.is_alive() for thread in threads), "a caller is stuck"
    assert errors == []
    # Let the last accepted refresh finish, then stop.
    assert wait_until(lambda: not core.state.busy and core.worker.idle_timeout() != 0.0, 60)
    assert core.shutdown(timeout=10)

    assert len(blocking_answers) == 16
    for answer in blocking_answers:
        assert isinstance(answer, UsageDocument) or (
            isinstance(answer, ErrorDocument) and answer.message == BUSY_MESSAGE
        )
    assert any(isinstance(answer, UsageDocument) for answer in blocking_answers)
    requested = [e for e in drain(events) if isinstance(e, RefreshRequested)]
    assert len(nonblocking_answers) == 24
    assert sum(e.accepted for e in requested) == sum(nonblocking_answers)
    assert len(requested) >= len(nonblocking_answers)  # every call was answered by an event

    runs = read_runs(app_paths.config_dir.parent)
    starts = {r.pid: r.at for r in runs if r.event == "start"}
    ends = {r.pid: r.at for r in runs if r.event == "end"}
    assert starts and starts.keys() == ends.keys()
    print(
        f"{len(starts)} children, {sum(nonblocking_answers)} refreshes accepted, "
        f"{sum(isinstance(a, UsageDocument) for a in blocking_answers)} blocking polls answered"
    )
    spans = sorted((starts[pid], ends[pid]) for pid in starts)
    for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
        assert next_start >= previous_end, "two scraper children overlapped"
    assert not processes_with(marker)
    assert zombie_children() == []


def test_real_scraper_against_the_emulator(app_paths: AppPaths, tmp_path: Path) -> None:
    """The runner runs the real `python -m claude_tray.scraper` against the emulator, end to end."""
    from claude_tray.emulator import Emulator
    from claude_tray.runner import ScraperRunner

    with Emulator("ok") as emulator:
        env = {
            **os.environ,
            "CLAUDE_TRAY_BASE_URL": emulator.base_url,
            "CLAUDE_TRAY_API_URL": emulator.base_url,
        }
        runner = ScraperRunner(app_paths, Config(source="web"), env=env)
        events: queue.Queue[Event] = queue.Queue()
        core = Core(app_paths, Config(source="web"), events, runner=runner)
        login = core.login_blocking(emulator.session_key)
        assert isinstance(login, SessionDocument) and login.logged_in, login
        usage = core.poll_usage_blocking()
        assert isinstance(usage, UsageDocument), usage
        assert usage.source == "web" and usage.limits
        assert usage.limit("session") is not None
        assert isinstance(core.check_session_blocking(), SessionDocument)
        emulator.set_scenario("rate_limited")
        limited = core.poll_usage_blocking()
        assert isinstance(limited, ErrorDocument) and limited.error is ErrorCode.RATE_LIMITED
        snapshot = core.state.snapshot()
        assert snapshot.usage == usage and snapshot.last_error == limited
        logout = core.logout_blocking()
        assert isinstance(logout, SessionDocument)
        emulator.set_scenario("ok")
        after = core.poll_usage_blocking()
        assert isinstance(after, ErrorDocument) and after.error is ErrorCode.NO_SESSION
    for path in app_paths.log_dir.glob("*"):
        text = path.read_text(errors="replace")
        assert emulator.session_key not in text


def test_cancel_before_a_queued_login_starts(app_paths: AppPaths) -> None:
    """Cancel pressed while the login still waits for the worker: no child, login_cancelled."""
    runner = ScriptedRunner([logged_in()])
    events: queue.Queue[Event] = queue.Queue()
    core = Core(app_paths, Config(), events, runner=runner)
    gate = threading.Event()
    core.worker.start()
    core.worker.submit(lambda: gate.wait(30))
    core.manual_login()
    core.cancel_login()
    gate.set()
    finished = wait_for_event(events, LoginFinished, [])
    assert finished == LoginFinished(False, ErrorCode.LOGIN_CANCELLED, "The login was cancelled.")
    assert runner.calls == []
    assert core.shutdown()


def test_fake_clock_counts_a_timeout_from_the_waiters_last_reading() -> None:
    """The test clock behaves like a real one when the test moves it between the
    worker's reading of the time and its wait (the race that made the test below fail
    about one run in eight on a loaded machine: the poll due after 300 s never came)."""
    clock = FakeClock()
    never = threading.Event()
    woke = threading.Event()

    def worker() -> None:
        clock()  # reads the time, works out a wait of 300 s...
        moved.wait(5)  # ...while the test moves the clock
        clock.wait(never, 300)
        woke.set()

    moved = threading.Event()
    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    clock.advance(299)
    moved.set()
    time.sleep(0.1)
    assert not woke.is_set()
    clock.advance(1)
    assert woke.wait(5), "the wait counted its 300 s from when it began, not from the reading"
    thread.join(5)


def test_refresh_now_polls_at_once_and_restarts_the_interval(app_paths: AppPaths) -> None:
    """On the worker thread with a fake clock: refresh-now polls now and the next poll moves."""
    clock = FakeClock()
    runner = ScriptedRunner([good()])
    core = Core(
        app_paths,
        Config(interval_minutes=5, poll_mode="fixed"),
        queue.Queue(),
        runner=runner,
        clock=clock,
        wait=clock.wait,
    )
    core.start_polling()
    try:
        # Each poll's result (and its reschedule) is in once the run lock is free.
        assert wait_until(lambda: len(runner.calls) == 1 and not core.state.busy)
        clock.advance(200)
        time.sleep(0.2)
        assert len(runner.calls) == 1
        assert core.refresh_now()
        assert wait_until(lambda: len(runner.calls) == 2 and not core.state.busy)
        assert core.worker.seconds_until_poll() == pytest.approx(300)
        clock.advance(299)
        time.sleep(0.2)
        assert len(runner.calls) == 2
        clock.advance(1)
        assert wait_until(lambda: len(runner.calls) == 3)
    finally:
        assert core.shutdown(timeout=5)
