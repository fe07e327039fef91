"""The tray's merge of Claude Code's status-line feed with the service's numbers.

The feed file is written by the real `statusline` code path (`statusline.record`),
the core is the real one on a fake clock with a scripted runner (the same
harness as test_core), so the rule is checked where it is applied.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from claude_tray import feed, history, statusline
from claude_tray.documents import Limit, UsageDocument
from claude_tray.enrich import FEED_POLL_SECONDS, Enricher
from claude_tray.events import UsageUpdated
from claude_tray.paths import AppPaths
from tests.test_core import Stepped, drain

NOW = datetime.now(timezone.utc).replace(microsecond=0)
RESET = NOW + timedelta(hours=2)
WEEK = NOW + timedelta(days=3)


def polled(session: float, *, reset: datetime = RESET, at: datetime | None = None) -> UsageDocument:
    return UsageDocument.build(
        source="web",
        limits=[
            Limit(
                id="session",
                kind="session",
                label="Current session",
                percent=session,
                resets_at=reset,
            ),
            Limit(id="weekly_all", kind="weekly", label="Weekly", percent=20.0, resets_at=WEEK),
            Limit(
                id="weekly_fable", kind="weekly_scoped", label="Fable", percent=3.0, resets_at=WEEK
            ),
        ],
        last_updated=at or NOW - timedelta(minutes=5),
    )


def fed(paths: AppPaths, session: float, *, reset: datetime = RESET, at: datetime = NOW) -> None:
    statusline.record(paths, [feed.Reading("session", session, reset, at)], at)


def test_a_later_feed_reading_of_the_same_window_wins(app_paths: AppPaths) -> None:
    fed(app_paths, 61.0)
    enriched = Enricher.merge(polled(55.0), feed.load(app_paths.statusline_feed_file), NOW)
    assert enriched.live
    assert [limit.percent for limit in enriched.document.limits] == [61.0, 20.0, 3.0]
    assert enriched.document.usage_percent == 61.0


def test_a_poll_read_after_the_feed_wins(app_paths: AppPaths) -> None:
    fed(app_paths, 61.0, at=NOW - timedelta(minutes=10))
    enriched = Enricher.merge(polled(64.0, at=NOW), feed.load(app_paths.statusline_feed_file), NOW)
    assert not enriched.live
    assert enriched.document.limits[0].percent == 64.0


def test_an_older_windows_feed_never_replaces_the_polled_window(app_paths: AppPaths) -> None:
    """An idle Claude Code repeats the last window it saw, even after the poll saw a reset."""
    fed(app_paths, 97.0, reset=RESET - timedelta(hours=5) + timedelta(minutes=30))
    later_poll = polled(4.0, at=NOW - timedelta(hours=1))
    enriched = Enricher.merge(later_poll, feed.load(app_paths.statusline_feed_file), NOW)
    assert enriched.document.limits[0].percent == 4.0
    assert not enriched.live


def test_a_feed_of_a_new_window_wins_over_an_old_poll(app_paths: AppPaths) -> None:
    new_reset = RESET + timedelta(hours=5)
    fed(app_paths, 2.0, reset=new_reset)
    enriched = Enricher.merge(polled(88.0), feed.load(app_paths.statusline_feed_file), NOW)
    assert enriched.document.limits[0].percent == 2.0
    assert enriched.document.limits[0].resets_at == new_reset


def test_while_the_feed_is_fresh_the_core_polls_much_less_and_says_live(
    app_paths: AppPaths,
) -> None:
    now = datetime.now(timezone.utc)
    fed(app_paths, 61.0, reset=RESET, at=now)
    stepped = Stepped(app_paths, [polled(55.0, at=now - timedelta(minutes=1))], interval_minutes=5)
    events = stepped.poll()
    shown = [event for event in events if isinstance(event, UsageUpdated)]
    assert shown[-1].live
    assert shown[-1].document.limits[0].percent == 61.0
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(FEED_POLL_SECONDS)


def test_without_a_feed_the_interval_stays(app_paths: AppPaths) -> None:
    stepped = Stepped(app_paths, [polled(55.0)], interval_minutes=5)
    events = stepped.poll()
    assert not [e for e in events if isinstance(e, UsageUpdated)][-1].live
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(300)


def test_check_feed_shows_new_numbers_between_polls(app_paths: AppPaths) -> None:
    now = datetime.now(timezone.utc)
    stepped = Stepped(app_paths, [polled(55.0, at=now - timedelta(minutes=2))], interval_minutes=5)
    stepped.poll()
    assert not stepped.core.check_feed()  # no feed file: nothing to do
    fed(app_paths, 58.0, at=now)
    assert stepped.core.check_feed()
    events = drain(stepped.events)
    assert [e.document.limits[0].percent for e in events if isinstance(e, UsageUpdated)] == [58.0]
    assert stepped.core.state.snapshot().usage.limits[0].percent == 58.0  # type: ignore[union-attr]
    assert not stepped.core.check_feed()  # unchanged file: one stat, no event
    # The feed's rows are in the history too, next to the poll's.
    sources = {row.source for row in history.query(app_paths.history_file)}
    assert sources == {"web", "statusline"}


def test_when_claude_code_goes_quiet_live_ends_and_the_service_is_read_soon(
    app_paths: AppPaths,
) -> None:
    now = datetime.now(timezone.utc)
    # A reading that stays fresh for two more seconds.
    fed(app_paths, 61.0, at=now - feed.FRESH_FOR + timedelta(seconds=2))
    stepped = Stepped(app_paths, [polled(55.0, at=now - timedelta(minutes=20))], interval_minutes=5)
    stepped.poll()
    assert stepped.core.enricher.live
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(FEED_POLL_SECONDS)
    assert not stepped.core.check_feed()  # unchanged and still fresh: nothing to do
    time.sleep(2.5)
    assert stepped.core.check_feed()
    shown = [e for e in drain(stepped.events) if isinstance(e, UsageUpdated)]
    assert not shown[-1].live
    assert shown[-1].document.limits[0].percent == 61.0  # still the newest numbers known
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(60)
    assert not stepped.core.check_feed()  # said once
