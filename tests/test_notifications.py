"""Threshold and reset notifications: once per crossing, per limit, silent after a restart."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_tray.documents import ErrorDocument, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.notifications import Notification, ThresholdNotifier
from tests.support.icon import NOW, limit, usage_doc

RESET = NOW + timedelta(hours=2)


def _doc(
    session: float | None = None,
    weekly: float | None = None,
    *,
    at: datetime = NOW,
    session_reset: datetime | None = RESET,
    weekly_reset: datetime | None = NOW + timedelta(days=3),
) -> UsageDocument:
    limits = []
    if session is not None:
        limits.append(limit("session", session, session_reset))
    if weekly is not None:
        limits.append(limit("weekly_all", weekly, weekly_reset))
    return usage_doc(*limits, updated=at)


def _started(first: UsageDocument, thresholds: tuple[float, ...] = (75, 90)) -> ThresholdNotifier:
    notifier = ThresholdNotifier(thresholds)
    assert notifier.update(first) == []
    return notifier


def test_first_document_is_silent() -> None:
    """The first document only primes: levels reached before a (re)start are not announced."""
    notifier = ThresholdNotifier()
    assert not notifier.primed
    assert notifier.update(_doc(95, 80)) == []
    assert notifier.primed
    assert notifier.update(_doc(96, 81)) == []


def test_prime_remembers_without_announcing() -> None:
    """`prime` with the cached document makes the next update compare against it."""
    notifier = ThresholdNotifier()
    notifier.prime(_doc(80))
    assert notifier.update(_doc(82)) == []
    notes = notifier.update(_doc(91))
    assert [n.title for n in notes] == ["Claude: session limit over 90%"]


def test_crossing_each_threshold_notifies_once() -> None:
    """Crossing 75 and later 90 gives one notification each, and none while staying above."""
    notifier = _started(_doc(60))
    assert notifier.update(_doc(70)) == []
    first = notifier.update(_doc(76))
    assert len(first) == 1
    assert first[0].title == "Claude: session limit over 75%"
    # The clock time in brackets is local to the machine running the test.
    assert first[0].body.startswith("Current session is at 76%; resets in 2 h (")
    assert first[0].body.endswith(").")
    assert first[0].limit_id == "session" and first[0].kind == "threshold"
    assert notifier.update(_doc(80)) == []
    assert [n.title for n in notifier.update(_doc(90))] == ["Claude: session limit over 90%"]
    assert notifier.update(_doc(95)) == []
    assert notifier.update(_doc(99.5)) == []


def test_exact_threshold_counts_and_just_below_does_not() -> None:
    """74.99 is not over 75; exactly 75 is."""
    notifier = _started(_doc(10))
    assert notifier.update(_doc(74.99)) == []
    assert len(notifier.update(_doc(75))) == 1


def test_jump_over_both_thresholds_gives_one_notification() -> None:
    """Jumping from 50 to 95 announces only the highest threshold crossed."""
    notifier = _started(_doc(50))
    notes = notifier.update(_doc(95))
    assert [n.title for n in notes] == ["Claude: session limit over 90%"]


def test_hovering_around_a_threshold_notifies_once() -> None:
    """74.9, 75.1, 74.9, 75.1, … announces 75 % only once."""
    notifier = _started(_doc(74.9))
    counts = [len(notifier.update(_doc(p))) for p in (75.1, 74.9, 75.1, 73, 76, 74.9, 75.0)]
    assert counts == [1, 0, 0, 0, 0, 0, 0]


def test_falling_well_below_rearms_the_threshold() -> None:
    """After falling more than five points below, crossing again is announced again."""
    notifier = _started(_doc(60))
    assert len(notifier.update(_doc(80))) == 1
    assert notifier.update(_doc(69)) == []
    assert len(notifier.update(_doc(77))) == 1


def test_reset_after_the_highest_threshold() -> None:
    """A limit that was over 90 % and drops back after its reset is announced as reset."""
    notifier = _started(_doc(60))
    notifier.update(_doc(92))
    later = NOW + timedelta(hours=2, minutes=5)
    notes = notifier.update(_doc(4, at=later, session_reset=later + timedelta(hours=5)))
    assert notes == [
        Notification(
            title="Claude: session limit has reset",
            body="Current session is back to 4%.",
            limit_id="session",
            kind="reset",
        )
    ]
    assert notifier.update(_doc(5, at=later)) == []
    assert len(notifier.update(_doc(80, at=later))) == 1


def test_reset_detected_from_the_reset_time_passing() -> None:
    """Over 90 %, then a document made after the old reset time at 80 % counts as a reset."""
    notifier = _started(_doc(95))
    after = RESET + timedelta(minutes=1)
    notes = notifier.update(_doc(80, at=after, session_reset=after + timedelta(hours=5)))
    assert [n.kind for n in notes] == ["reset"]


def test_no_reset_while_still_above_the_highest_threshold() -> None:
    """A moved reset time with the limit still over 90 % is not a reset."""
    notifier = _started(_doc(95))
    later = RESET + timedelta(minutes=1)
    assert notifier.update(_doc(96, at=later, session_reset=later + timedelta(hours=5))) == []


def test_no_reset_from_jitter_in_the_reset_time() -> None:
    """A reset time that moves by a second is the same window, not a reset."""
    notifier = _started(_doc(95))
    moved = RESET + timedelta(seconds=1)
    assert notifier.update(_doc(85, session_reset=moved)) == []


def test_a_dip_below_90_is_not_a_reset() -> None:
    """From 95 to 82 inside the same window is no reset (and 90 can be announced again later)."""
    notifier = _started(_doc(95))
    assert notifier.update(_doc(82)) == []
    assert [n.title for n in notifier.update(_doc(91))] == ["Claude: session limit over 90%"]


def test_limits_are_tracked_separately() -> None:
    """Each limit id has its own crossings."""
    notifier = _started(_doc(60, 60))
    notes = notifier.update(_doc(76, 60))
    assert [n.limit_id for n in notes] == ["session"]
    notes = notifier.update(_doc(76, 91))
    assert [(n.limit_id, n.title) for n in notes] == [
        ("weekly_all", "Claude: weekly limit over 90%")
    ]


def test_scoped_limits_are_named_by_model() -> None:
    """A per-model weekly limit is named after its model in the title."""
    notifier = _started(usage_doc(limit("weekly_fable", 10)))
    notes = notifier.update(usage_doc(limit("weekly_fable", 77)))
    assert [n.title for n in notes] == ["Claude: weekly Fable limit over 75%"]
    assert notes[0].body == "Weekly, Fable is at 77%."


def test_a_limit_that_appears_later_is_announced_when_over() -> None:
    """A limit missing from the first document is announced when it first shows up high."""
    notifier = _started(_doc(10))
    notes = notifier.update(_doc(10, 80))
    assert [n.limit_id for n in notes] == ["weekly_all"]


@pytest.mark.parametrize("thresholds", [(50,), (90, 50, 50), (10.0, 20.0, 30.0)])
def test_custom_thresholds(thresholds: tuple[float, ...]) -> None:
    """Thresholds may be given in any order and with duplicates; each is announced once."""
    notifier = _started(_doc(0), thresholds)
    titles = []
    for percent in range(0, 101):
        titles += [n.title for n in notifier.update(_doc(percent))]
    expected = [f"Claude: session limit over {int(t)}%" for t in sorted(set(thresholds))]
    assert titles == expected


def test_no_thresholds_never_notifies() -> None:
    """Without thresholds nothing is ever announced."""
    notifier = _started(_doc(0), ())
    assert all(notifier.update(_doc(p)) == [] for p in (50, 100, 0, 140))


def test_errors_and_none_give_nothing_and_change_nothing() -> None:
    """An error document or None is ignored."""
    notifier = _started(_doc(60))
    error = ErrorDocument(error=ErrorCode.NETWORK_ERROR, message="x")
    assert notifier.update(error) == []
    assert notifier.update(None) == []
    assert len(notifier.update(_doc(80))) == 1


def test_notification_is_frozen() -> None:
    """Notifications are immutable values."""
    note = Notification("t", "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        note.title = "x"  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=150), min_size=1, max_size=40))
def test_rising_usage_announces_each_threshold_at_most_once(percents: list[float]) -> None:
    """Rising usage announces each threshold at most once, and never two in one poll."""
    notifier = _started(_doc(0))
    titles: list[str] = []
    for percent in sorted(percents):
        notes = notifier.update(_doc(percent))
        assert len(notes) <= 1
        titles += [n.title for n in notes]
    assert len(titles) == len(set(titles))
    assert len(titles) <= 2
    if max(percents) >= 90:
        assert titles[-1] == "Claude: session limit over 90%"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=40))
def test_any_sequence_gives_at_most_one_note_per_limit_and_poll(percents: list[float]) -> None:
    """Whatever the numbers (NaN, inf, jumps, drops), one poll gives at most one note per limit."""
    notifier = _started(_doc(50, 50))
    for percent in percents:
        other = percent if math.isnan(percent) else 100 - percent  # the week moves the other way
        notes = notifier.update(_doc(percent, other))
        ids = [n.limit_id for n in notes]
        assert len(ids) == len(set(ids))
