"""`view_changes.next_change`: the tray looks at the time again exactly when what it
shows can change by itself, never later (checked against the real tooltip and icon-look
functions at many moments in between), and not at all when nothing depends on the time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from claude_tray.documents import ErrorDocument, Limit, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.icon import icon_look_for
from claude_tray.state import StateSnapshot, Status
from claude_tray.text_format import tooltip_text
from claude_tray.view_changes import next_change

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=timezone.utc)
UTC = timezone.utc


def snapshot(
    *,
    updated_ago: timedelta,
    resets_in: timedelta | None,
    stale: bool = False,
    error: ErrorCode | None = None,
    paused: bool = False,
) -> StateSnapshot:
    usage = UsageDocument.build(
        source="web",
        limits=[
            Limit(id="session", kind="session", label="Current session", percent=42.0,
                  resets_at=None if resets_in is None else NOW + resets_in),
            Limit(id="weekly_all", kind="weekly", label="Weekly", percent=18.0,
                  resets_at=None if resets_in is None else NOW + 20 * resets_in),
        ],
        last_updated=NOW - updated_ago,
    )  # fmt: skip
    return StateSnapshot(
        status=Status.IDLE,
        usage=usage,
        usage_stale=stale,
        last_error=None if error is None else ErrorDocument(error=error, message="x"),
        last_poll_at=None,
        next_poll_at=None,
        paused=paused,
    )


def view(snap: StateSnapshot, now: datetime, interval: float) -> tuple[object, ...]:
    percent, look = icon_look_for(snap, now, interval)
    title = tooltip_text(snap.usage, now, look=look, error=snap.last_error, tz=UTC,
                         paused=snap.paused)  # fmt: skip
    return percent, look, title


def test_fresh_numbers_look_again_when_they_turn_stale_not_every_minute() -> None:
    snap = snapshot(updated_ago=timedelta(minutes=3), resets_in=timedelta(hours=2))
    moment = next_change(snap, NOW, interval_minutes=60, tz=UTC)
    assert moment == NOW - timedelta(minutes=3) + timedelta(minutes=120, microseconds=1)


def test_stale_numbers_look_again_when_their_age_text_moves_on() -> None:
    snap = snapshot(updated_ago=timedelta(minutes=130, seconds=20), resets_in=None)
    moment = next_change(snap, NOW, interval_minutes=60, tz=UTC)
    assert moment == NOW - timedelta(minutes=130, seconds=20) + timedelta(hours=3)


def test_a_reset_named_by_its_weekday_looks_again_at_midnight() -> None:
    snap = snapshot(updated_ago=timedelta(0), resets_in=timedelta(days=1), stale=False)
    moment = next_change(snap, NOW, interval_minutes=24 * 60, tz=UTC)
    assert moment == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def test_no_numbers_nothing_to_look_at() -> None:
    snap = StateSnapshot(Status.IDLE, None, False, None, None, None, False)
    assert next_change(snap, NOW, interval_minutes=5) is None


@settings(max_examples=300, deadline=None)
@given(
    updated_ago=st.integers(min_value=-30, max_value=4 * 24 * 3600).map(
        lambda s: timedelta(seconds=s)
    ),
    resets_in=st.one_of(
        st.none(), st.integers(min_value=-3600, max_value=9 * 24 * 3600).map(
            lambda s: timedelta(seconds=s))
    ),
    stale=st.booleans(),
    error=st.sampled_from([None, ErrorCode.RATE_LIMITED, ErrorCode.NETWORK_ERROR]),
    paused=st.booleans(),
    interval=st.sampled_from([1.0, 5.0, 60.0, 24 * 60.0]),
)  # fmt: skip
def test_nothing_shown_changes_before_the_moment_named(
    updated_ago: timedelta,
    resets_in: timedelta | None,
    stale: bool,
    error: ErrorCode | None,
    paused: bool,
    interval: float,
) -> None:
    """Sampled at 200 moments up to the named one (or over 3 days when None): the icon's
    percent and look and the tooltip stay what they were at `now`."""
    snap = snapshot(updated_ago=updated_ago, resets_in=resets_in, stale=stale, error=error,
                    paused=paused)  # fmt: skip
    moment = next_change(snap, NOW, interval_minutes=interval, tz=UTC)
    end = moment if moment is not None else NOW + timedelta(days=3)
    assert end > NOW
    shown = view(snap, NOW, interval)
    span = end - NOW
    for step in range(1, 200):
        at = NOW + span * (step / 200)
        if at < end:  # a span of a few microseconds rounds onto the moment itself
            assert view(snap, at, interval) == shown, (at, moment)
    # Just before the moment too (the boundary itself may change it).
    assert view(snap, end - timedelta(microseconds=1), interval) == shown
