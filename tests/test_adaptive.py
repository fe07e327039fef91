"""Adaptive polling: the rule itself, and through the real core on the fake clock."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from claude_tray.adaptive import MIN_SECONDS, next_wait
from claude_tray.documents import Document, ErrorDocument, Limit, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.paths import AppPaths
from tests.test_core import Stepped

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
LONGEST = 1200.0  # a 20-minute interval setting


def doc(session: float, weekly: float = 10.0, *, reset: datetime | None = None) -> UsageDocument:
    return UsageDocument.build(
        source="web",
        limits=[
            Limit(id="session", kind="session", label="Session", percent=session,
                  resets_at=reset or NOW + timedelta(hours=3)),
            Limit(id="weekly_all", kind="weekly", label="Weekly", percent=weekly,
                  resets_at=NOW + timedelta(days=3)),
        ],
    )  # fmt: skip


def wait(
    document: UsageDocument,
    previous: UsageDocument | None,
    *,
    idle: int = 0,
    rand: float = 0.5,
    longest: float = LONGEST,
    reads: int = 20,
) -> float:
    return next_wait(
        document,
        previous,
        longest=longest,
        idle_polls=idle,
        thresholds=[75.0, 90.0],
        budget_reads=reads,
        budget_window=3600.0,
        now=NOW,
        rand=rand,
    ).seconds


def test_moving_usage_polls_sooner_and_idle_grows_back_to_the_longest() -> None:
    assert wait(doc(30.0), doc(25.0)) == pytest.approx(LONGEST / 3)
    assert wait(doc(30.0), None) == pytest.approx(LONGEST / 2)  # the first poll: steady
    assert wait(doc(30.0), doc(30.0), idle=1) == pytest.approx(LONGEST * 0.75)
    assert wait(doc(30.0), doc(30.0), idle=2) == pytest.approx(LONGEST)  # never longer
    assert wait(doc(30.0), doc(30.0), idle=9) == pytest.approx(LONGEST)


def test_near_a_threshold_polls_sooner() -> None:
    assert wait(doc(72.0), doc(72.0), idle=3) == pytest.approx(LONGEST / 4)
    assert wait(doc(30.0, 88.0), doc(30.0, 88.0), idle=3) == pytest.approx(LONGEST / 4)
    assert wait(doc(76.0), doc(76.0), idle=3) == pytest.approx(LONGEST)  # past it: not near


def test_a_reset_coming_up_is_polled_just_after_it() -> None:
    soon = doc(50.0, reset=NOW + timedelta(minutes=5))
    assert wait(soon, soon, idle=4) == pytest.approx(5 * 60 + 45)


def test_never_under_a_minute_nor_faster_than_the_read_budget() -> None:
    # 20 reads an hour: never more often than every 180 s on average.
    assert wait(doc(72.0), doc(70.0), longest=600.0) == pytest.approx(180.0)
    assert wait(doc(72.0), doc(70.0), longest=120.0, reads=1000) == pytest.approx(MIN_SECONDS)
    # A longest wait under the floor is the user's choice and is kept.
    assert wait(doc(72.0), doc(70.0), longest=60.0) == pytest.approx(60.0)
    just_reset = doc(50.0, reset=NOW - timedelta(seconds=40))
    assert wait(just_reset, just_reset, longest=600.0) >= 180.0


def test_always_jittered_within_ten_percent() -> None:
    low = wait(doc(30.0), doc(25.0), rand=0.0)
    high = wait(doc(30.0), doc(25.0), rand=0.999)
    assert low == pytest.approx(LONGEST / 3 * 0.9)
    assert high == pytest.approx(LONGEST / 3 * 1.1, rel=1e-3)


def test_through_the_core_on_the_fake_clock(app_paths: AppPaths) -> None:
    """Shrinks while moving and near 75 %, grows when idle, backs off on 429 as before.

    The core's read budget is the real one (20 reads an hour): no wait is under 180 s.
    """
    answers: list[Document] = [
        doc(20.0),
        doc(40.0),
        doc(72.0),
        doc(73.5),
        doc(73.5),
        doc(80.0),
        doc(80.0),
        doc(80.0),
        ErrorDocument(error=ErrorCode.RATE_LIMITED, message="slow down", retry_after=3000),
        doc(80.0),
    ]
    stepped = Stepped(app_paths, answers, interval_minutes=20, poll_mode="adaptive")
    waits = []
    for _ in answers:
        stepped.poll()
        seconds = stepped.core.worker.seconds_until_poll()
        assert seconds is not None
        waits.append(round(seconds))
        stepped.clock.advance(seconds)
    assert waits == [
        600,  # first reading: half the longest wait
        400,  # moving: a third
        300,  # moving and near 75 %: a quarter
        300,  # still near
        300,  # unchanged but near
        400,  # past 75 %, moving again
        900,  # idle once: x1.5 of half
        1200,  # idle twice: the longest wait, never more
        3000,  # 429: the service's Retry-After wins over any adaptive wait
        1200,  # the same numbers as before the error: still idle
    ]


def test_fixed_interval_stays_available(app_paths: AppPaths) -> None:
    stepped = Stepped(app_paths, [doc(20.0), doc(40.0)], interval_minutes=20, poll_mode="fixed")
    stepped.poll()
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(1200)
    stepped.clock.advance(1200)
    stepped.poll()
    assert stepped.core.worker.seconds_until_poll() == pytest.approx(1200)


def test_the_settings_form_keeps_fixed_interval_available() -> None:
    from claude_tray.config import Config
    from claude_tray.popup.settings import SettingsForm, config_from_form

    base = Config()
    assert base.poll_mode == "adaptive"
    form = SettingsForm.from_config(base)
    assert not form.fixed_interval
    fixed = config_from_form(base, dataclasses.replace(form, fixed_interval=True))
    assert fixed.poll_mode == "fixed"
    assert SettingsForm.from_config(fixed).fixed_interval
    assert config_from_form(fixed, SettingsForm.from_config(base)).poll_mode == "adaptive"
