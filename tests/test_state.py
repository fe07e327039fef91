"""AppState: the run lock taken without waiting, the status, the cached last numbers."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

import pytest

from claude_tray.documents import ErrorDocument, Limit, UsageDocument, dump_document
from claude_tray.errors import ErrorCode
from claude_tray.events import Status
from claude_tray.paths import AppPaths
from claude_tray.state import AppState
from tests.support.private import assert_private

pytestmark = pytest.mark.timeout(60)


def usage(percent: float = 42.0) -> UsageDocument:
    return UsageDocument.build(
        source="web",
        limits=[Limit(id="session", kind="session", label="Current session", percent=percent)],
        last_updated=datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )


def test_run_lock_is_taken_without_waiting() -> None:
    """While one run holds the lock, another thread's try_begin returns False at once."""
    state = AppState()
    assert state.try_begin(Status.REFRESHING)
    answers: list[bool] = []
    other = threading.Thread(target=lambda: answers.append(state.try_begin(Status.REFRESHING)))
    other.start()
    other.join(timeout=5)
    assert answers == [False]
    assert state.busy
    state.end()
    assert not state.busy
    assert state.try_begin(Status.LOGGING_IN)
    state.end()


def test_try_begin_refuses_a_resting_status() -> None:
    """Only the statuses of a running child can take the run lock."""
    with pytest.raises(ValueError):
        AppState().try_begin(Status.IDLE)


def test_status_follows_runs_results_and_pause() -> None:
    """The listener hears each status change once: refreshing, error, idle, paused."""
    heard: list[Status] = []
    state = AppState(on_status=heard.append)
    assert state.try_begin(Status.REFRESHING)
    state.record_error(ErrorDocument(error=ErrorCode.SERVER_ERROR, message="The service failed."))
    state.end()
    assert state.try_begin(Status.REFRESHING)
    state.record_usage(usage())
    state.end()
    state.set_paused(True)
    state.set_paused(True)
    assert heard == [
        Status.REFRESHING,
        Status.ERROR,
        Status.REFRESHING,
        Status.IDLE,
        Status.PAUSED,
    ]
    assert state.snapshot().paused


def test_error_keeps_the_last_good_numbers() -> None:
    """A failed poll records the error and keeps the numbers shown."""
    state = AppState()
    state.record_usage(usage(55.0))
    state.record_error(ErrorDocument(error=ErrorCode.BLOCKED, message="Blocked by a challenge."))
    snapshot = state.snapshot()
    assert snapshot.usage is not None and snapshot.usage.usage_percent == 55.0
    assert snapshot.last_error is not None and snapshot.last_error.error is ErrorCode.BLOCKED
    assert snapshot.status is Status.ERROR


def test_good_numbers_are_cached_and_loaded_stale(app_paths: AppPaths) -> None:
    """The last good document survives a restart and comes back marked stale."""
    first = AppState(app_paths)
    first.record_usage(usage(61.0))
    assert_private(app_paths.usage_cache_file)
    second = AppState(app_paths)
    loaded = second.load_cache()
    assert loaded is not None and loaded.usage_percent == 61.0
    snapshot = second.snapshot()
    assert snapshot.usage == loaded
    assert snapshot.usage_stale
    second.record_usage(usage(62.0))
    assert not second.snapshot().usage_stale


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"schema_version": 1, "status": "success"}',
        dump_document(ErrorDocument(error=ErrorCode.TIMEOUT, message="Too slow.")),
        "",
    ],
)
def test_corrupt_cache_is_ignored_with_a_log_line(
    app_paths: AppPaths, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    """A cache file that is not a usage document is ignored, logged, and left alone."""
    app_paths.usage_cache_file.parent.mkdir(parents=True, exist_ok=True)
    app_paths.usage_cache_file.write_text(content)
    caplog.set_level(logging.WARNING, logger="claude_tray.state")
    state = AppState(app_paths)
    assert state.load_cache() is None
    assert state.snapshot().usage is None
    assert "ignoring the usage cache" in caplog.text
    assert app_paths.usage_cache_file.read_text() == content


def test_clear_usage_forgets_numbers_and_cache(app_paths: AppPaths) -> None:
    """Logout's clear removes the numbers, the error and the cache file."""
    state = AppState(app_paths)
    state.record_usage(usage())
    state.record_error(ErrorDocument(error=ErrorCode.SESSION_EXPIRED, message="Log in again."))
    state.clear_usage()
    snapshot = state.snapshot()
    assert snapshot.usage is None and snapshot.last_error is None
    assert snapshot.status is Status.IDLE
    assert not app_paths.usage_cache_file.exists()


def test_snapshot_is_consistent_under_concurrent_writes() -> None:
    """Snapshots taken while other threads write always pair numbers and stale flag sanely."""
    state = AppState()
    stop = threading.Event()

    def writer() -> None:
        percent = 0.0
        while not stop.is_set():
            percent = (percent + 1) % 100
            state.record_usage(usage(percent))

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(2000):
            snapshot = state.snapshot()
            if snapshot.usage is not None:
                assert not snapshot.usage_stale
                assert snapshot.last_poll_at is not None
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def test_status_changes_are_heard_in_the_order_they_happen() -> None:
    """A change on the worker thread is heard before a later one on the UI thread (issue 7).

    The worker's listener call is held up on purpose; the UI thread's pause
    must not overtake it, or the last status heard would be "idle" while the
    state is paused (the popup then offered "Pause" while paused).
    """
    heard: list[Status] = []
    worker_called = threading.Event()
    ui_done = threading.Event()

    def listener(status: Status) -> None:
        if status is Status.IDLE and not worker_called.is_set():
            worker_called.set()
            ui_done.wait(1.0)  # room for the UI thread to overtake, if it can
        heard.append(status)

    state = AppState(on_status=listener)
    assert state.try_begin(Status.REFRESHING)
    worker = threading.Thread(target=state.end)
    worker.start()
    assert worker_called.wait(5)

    def pause() -> None:
        state.set_paused(True)
        ui_done.set()

    ui = threading.Thread(target=pause)
    ui.start()
    worker.join(5)
    ui.join(5)
    assert heard == [Status.REFRESHING, Status.IDLE, Status.PAUSED]
    assert state.snapshot().status is Status.PAUSED
