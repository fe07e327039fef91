"""Cancelling from the calling thread (issue 7 item 2): logout and login never wait behind a poll.

Real children (the fake scrapers, started by the real runner); the logout's
duration is measured and checked apart from what it did.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import pytest

from claude_tray.config import Config
from claude_tray.core import Core
from claude_tray.documents import ErrorDocument, SessionDocument
from claude_tray.errors import ErrorCode
from claude_tray.events import Event, LoginFinished
from claude_tray.paths import AppPaths
from claude_tray.scraper.session_store import WebSession, save_session
from claude_tray.worker import RetryPolicy
from tests.support.core import (
    FAKE_SESSION_KEY,
    ScriptedRunner,
    fake_runner,
    new_marker,
    processes_with,
    read_runs,
    wait_for_event,
    wait_until,
)

pytestmark = pytest.mark.timeout(120)


def _store_session(paths: AppPaths) -> None:
    save_session(paths, WebSession(session_key=FAKE_SESSION_KEY))
    paths.browser_profile_dir.mkdir(parents=True)
    (paths.browser_profile_dir / "Local State").write_text("{}")


def test_logout_during_a_hung_poll_is_done_at_once(app_paths: AppPaths, tray_home: Path) -> None:
    """A logout pressed while a poll hangs (with retries to come) cancels it and logs out.

    Today's main queued the logout behind the poll and all its retries (minutes).
    """
    _store_session(app_paths)
    marker = new_marker()
    events: queue.Queue[Event] = queue.Queue()
    config = Config(poll_timeout_seconds=60)
    core = Core(
        app_paths,
        config,
        events,
        runner=fake_runner(app_paths, "hang", marker=marker, config=config),
        policy=RetryPolicy(attempts=3),
    )
    core.start_polling()
    assert wait_until(lambda: bool(read_runs(tray_home)), timeout=30)  # the child hangs
    started = time.monotonic()
    core.logout()
    finished = wait_for_event(events, LoginFinished, [], timeout=60.0)
    took = time.monotonic() - started

    assert finished == LoginFinished(
        False, None, "Logged out: the stored claude.ai session and browser profile are deleted."
    )
    assert not app_paths.session_file.exists()
    assert not app_paths.browser_profile_dir.exists()
    assert core.state.snapshot().usage is None
    assert wait_until(lambda: not processes_with(marker), timeout=10)
    # The cancelled poll was not retried: one child only.
    assert [r.event for r in read_runs(tray_home)] == ["start"]
    assert core.shutdown()
    assert took < 3.0, f"the logout took {took:.2f} s"


def test_a_cancelled_refresh_is_not_retried(app_paths: AppPaths, tray_home: Path) -> None:
    """cancel_running() during a hung poll ends it; no further attempt is started."""
    marker = new_marker()
    events: queue.Queue[Event] = queue.Queue()
    core = Core(
        app_paths,
        Config(),
        events,
        runner=fake_runner(app_paths, "hang", marker=marker),
        policy=RetryPolicy(attempts=3, first_retry_seconds=0.1),
    )
    done: list[object] = []
    assert core.refresh_now(on_done=done.append)
    assert wait_until(lambda: bool(read_runs(tray_home)), timeout=30)  # the child hangs
    core.cancel_running()
    assert wait_until(lambda: bool(done), timeout=30)
    assert wait_until(lambda: not processes_with(marker), timeout=10)
    time.sleep(0.5)  # a retry would have started by now (first retry after 0.1 s)
    assert [r.event for r in read_runs(tray_home)] == ["start"]
    assert core.shutdown()


def test_cancelling_a_login_cancels_that_login_not_the_next(app_paths: AppPaths) -> None:
    """Cancel pressed on a queued login, then a new login asked for: the new one runs."""
    runner = ScriptedRunner([SessionDocument(source="web", logged_in=True, message="In.")])
    events: queue.Queue[Event] = queue.Queue()
    core = Core(app_paths, Config(), events, runner=runner)
    gate = threading.Event()
    core.worker.start()
    core.worker.submit(lambda: gate.wait(30))
    core.manual_login()  # the first login, still queued
    core.cancel_login()
    core.manual_login()  # asked for after the cancel
    gate.set()
    first = wait_for_event(events, LoginFinished, [], timeout=60.0)
    second = wait_for_event(events, LoginFinished, [], timeout=60.0)
    assert first == LoginFinished(False, ErrorCode.LOGIN_CANCELLED, "The login was cancelled.")
    assert second == LoginFinished(True, None, "In.")
    assert runner.commands()[:1] == ["login"]
    assert core.shutdown()


def test_logout_waits_for_the_scraper_lock_of_another_process(app_paths: AppPaths) -> None:
    """While another claude-tray process holds the scraper lock, logout deletes nothing: busy."""
    from tests.test_scraper_lock import _hold, _release

    _store_session(app_paths)
    core = Core(app_paths, Config(), queue.Queue(), runner=ScriptedRunner([]))
    holder = _hold(app_paths.scraper_lock_file)
    try:
        document = core.logout_blocking()
    finally:
        _release(holder)
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.BUSY
    assert app_paths.session_file.exists()
    after = core.logout_blocking()
    assert isinstance(after, SessionDocument) and not after.logged_in
    assert not app_paths.session_file.exists()
    assert not app_paths.browser_profile_dir.exists()
    core.shutdown()


def test_a_timeout_that_used_the_whole_budget_is_not_retried_at_once(
    app_paths: AppPaths, tray_home: Path
) -> None:
    """A hung child ended at the time limit: one child only, the next try on the schedule."""
    config = Config(poll_timeout_seconds=5)
    core = Core(
        app_paths,
        config,
        queue.Queue(),
        runner=fake_runner(app_paths, "hang", config=config),
        policy=RetryPolicy(attempts=3, first_retry_seconds=0.1),
    )
    document = core.poll_usage_blocking(retry=True)
    assert isinstance(document, ErrorDocument) and document.error is ErrorCode.TIMEOUT
    assert [r.event for r in read_runs(tray_home)] == ["start"]
    core.shutdown()
