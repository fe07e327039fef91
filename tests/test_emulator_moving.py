"""The emulator's demo usage moves over (fake) time, and pinning stops it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from claude_tray.emulator import Emulator
from claude_tray.emulator.usage_values import UsageValues, moving_values
from tests.support.emulator import fetch

START = datetime(2026, 11, 29, 15, 0, 0, tzinfo=timezone.utc)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def moving(clock: FakeClock) -> Iterator[Emulator]:
    with Emulator(moving=True, clock=clock) as emulator:
        yield emulator


def session_percent(emu: Emulator) -> float:
    body = fetch(
        f"{emu.base_url}/api/organizations/{emu.chat_org_uuid}/usage",
        cookies={"sessionKey": emu.session_key},
    ).json()
    value = body["five_hour"]["utilization"]
    assert isinstance(value, float)
    return value


def test_session_climbs_several_points_every_ten_seconds(
    moving: Emulator, clock: FakeClock
) -> None:
    """Every 10 s of demo time the session percentage served over HTTP rises by at least 3."""
    previous = session_percent(moving)
    for _ in range(5):
        clock.advance(10)
        current = session_percent(moving)
        assert current - previous >= 3
        previous = current


def test_session_crosses_every_threshold_within_three_minutes_and_resets(
    moving: Emulator, clock: FakeClock
) -> None:
    """Within three minutes the session passes 50, 75 and 90 and later falls back after a reset."""
    seen: list[float] = []
    for _ in range(36):  # 36 × 5 s = 3 minutes
        seen.append(moving.usage.session or 0.0)
        clock.advance(5)
    for threshold in (50, 75, 90):
        assert any(value >= threshold for value in seen)
    peak = seen.index(max(seen))
    assert any(value < 20 for value in seen[peak:])  # wrapped back after the reset


def test_reset_time_is_the_end_of_the_current_cycle(moving: Emulator, clock: FakeClock) -> None:
    """The session's resets_at is in the future and moves on once the window resets."""
    first = moving.usage.session_resets_at
    assert first is not None and first > clock.now
    clock.advance((first - clock.now).total_seconds() + 1)
    second = moving.usage.session_resets_at
    assert second is not None and second > first > START


def test_set_usage_pins_values_and_stops_moving(moving: Emulator, clock: FakeClock) -> None:
    """After set_usage the numbers stay put while time passes."""
    moving.set_usage(session=42.0)
    clock.advance(60)
    assert session_percent(moving) == 42.0
    assert moving.usage.session == 42.0


def test_moving_can_be_restarted_over_http(clock: FakeClock) -> None:
    """POST /__emulator__/usage {"moving": true} restarts the movement."""
    with Emulator(clock=clock) as emu:
        clock.advance(20)
        pinned = session_percent(emu)
        clock.advance(20)
        assert session_percent(emu) == pinned
        fetch(emu.base_url + "/__emulator__/usage", method="POST", json_body={"moving": True})
        before = session_percent(emu)
        clock.advance(20)
        assert session_percent(emu) > before


def test_moving_values_wrap_weekly_below_100() -> None:
    """Hours of demo time keep the weekly number on the 0–100 scale."""
    base = UsageValues.initial(START)
    for hours in (1, 5, 24, 100):
        values = moving_values(base, started=START, now=START + timedelta(hours=hours))
        assert values.weekly is not None and 0 <= values.weekly < 100
        assert values.session is not None and 0 <= values.session <= 103.0
        assert values.extra_used is not None and values.extra_limit is not None
        assert values.extra_used <= values.extra_limit


def test_limits_rows_follow_the_moving_session(moving: Emulator, clock: FakeClock) -> None:
    """The session row of limits[] carries the same moving value as five_hour."""
    clock.advance(33)
    body = fetch(
        f"{moving.base_url}/api/organizations/{moving.chat_org_uuid}/usage",
        cookies={"sessionKey": moving.session_key},
    ).json()
    session_row = next(row for row in body["limits"] if row["kind"] == "session")
    assert session_row["percent"] == pytest.approx(body["five_hour"]["utilization"])
    assert session_row["percent"] > 10


def test_demo_session_is_the_headline_from_the_start(moving: Emulator, clock: FakeClock) -> None:
    """When the demo starts, the session is above every weekly number, so the icon follows it."""
    start = moving.usage
    assert start.session is not None and start.weekly is not None
    assert start.session > start.weekly
    assert all(start.session > value for value in start.scoped.values())
