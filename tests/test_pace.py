"""Pace on synthetic histories with known answers: in process, and through `status --json`.

Each history is built so the right answer can be worked out by hand: an even
pace (projected 100 % at the reset, no run-out), a burst in the last hour (the
recent rate, not the window's average, decides), a reset inside the history
(the old window's readings are ignored) and one wild reading (it must not
swing the forecast).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray import history, pace
from claude_tray.documents import Limit, Pace
from claude_tray.emulator import Emulator
from claude_tray.paths import AppPaths
from claude_tray.text_format import pace_text
from tests.support.cli import emulator_env, run_cli, store_session
from tests.support.cli import restore_logging as restore_logging  # autouse fixture

SESSION = timedelta(hours=5)
NOW = datetime.now(timezone.utc).replace(microsecond=0)
RESET = NOW + timedelta(hours=3)  # so 2 h of the 5 h window are gone: 40 % elapsed
START = RESET - SESSION

Series = list[tuple[datetime, float, datetime]]


def _every(minutes: int, start: datetime, end: datetime) -> list[datetime]:
    out = []
    at = start
    while at <= end:
        out.append(at)
        at += timedelta(minutes=minutes)
    return out


def even() -> Series:
    """On an even pace: the percent is the share of the window gone (40 % now)."""
    return [(t, 100 * ((t - START) / SESSION), RESET) for t in _every(10, START, NOW)]


def burst() -> Series:
    """Flat at 10 % for an hour, then 10 -> 40 % over the last hour (30 points/h)."""
    flat = [(t, 10.0, RESET) for t in _every(10, START, NOW - timedelta(hours=1))]
    climb = [
        (t, 10.0 + 30.0 * ((t - (NOW - timedelta(hours=1))) / timedelta(hours=1)), RESET)
        for t in _every(10, NOW - timedelta(minutes=50), NOW)
    ]
    return flat + climb


def reset_inside() -> Series:
    """A busy previous window (up to 95 %), then this window on an even pace."""
    old_reset = RESET - SESSION
    old = [
        (t, 50.0 + 45.0 * ((t - (START - SESSION)) / SESSION), old_reset)
        for t in _every(20, START - timedelta(hours=4), START - timedelta(minutes=5))
    ]
    return old + even()


def one_outlier() -> Series:
    """The even pace with one wild reading 45 minutes ago."""
    series = even()
    wild = NOW - timedelta(minutes=40)
    return [(t, 95.0 if t == wild else p, r) for t, p, r in series]


CASES: dict[str, tuple[Callable[[], Series], float, timedelta | None]] = {
    # name: (history, projected percent at the reset, runs out this long before the reset)
    "even": (even, 100.0, None),
    "burst": (burst, 130.0, timedelta(hours=1)),
    "reset-inside": (reset_inside, 100.0, None),
    "one-outlier": (one_outlier, 100.0, None),
}


def _points(series: Series) -> list[pace.Point]:
    return [pace.Point(t, p, r) for t, p, r in series]


@pytest.mark.parametrize("name", sorted(CASES))
def test_known_answers_in_process(name: str) -> None:
    make, projected, before_reset = CASES[name]
    series = make()
    result = pace.compute(
        _points(series), percent=series[-1][1], resets_at=RESET, length=SESSION, now=NOW
    )
    assert result is not None
    assert result.elapsed_percent == pytest.approx(40.0, abs=0.1)
    assert result.projected_percent == pytest.approx(projected, abs=0.5)
    if before_reset is None:
        assert result.runs_out_at is None
    else:
        assert result.runs_out_at is not None
        assert abs(RESET - result.runs_out_at - before_reset) < timedelta(minutes=1)


def test_a_rate_too_small_to_ever_run_out_gives_a_pace_not_an_overflow() -> None:
    """A rise of a millionth of a point over the window: 100 % lies beyond any datetime."""
    start = NOW - timedelta(hours=2)
    series = [(start + timedelta(minutes=10 * i), 20.0 + i * 1e-12, RESET) for i in range(13)]
    result = pace.compute(
        _points(series), percent=series[-1][1], resets_at=RESET, length=SESSION, now=NOW
    )
    assert result is not None
    assert result.slope_per_hour > 0
    assert result.runs_out_at is None
    assert result.projected_percent == pytest.approx(20.0, abs=0.1)


def test_the_outlier_would_swing_a_plain_fit() -> None:
    """The robust step is what keeps the one-outlier case on its answer."""
    series = [(t, p) for t, p, _r in one_outlier() if t >= NOW - timedelta(hours=1)]
    xy = [((t - series[0][0]).total_seconds() / 3600, p) for t, p in series]
    _a, plain, _sse = pace._fit(xy)
    assert abs(plain - 20.0) > 10.0  # a plain least-squares slope is far off
    assert pace.robust_slope(xy) == pytest.approx(20.0, abs=0.01)


def test_unknown_without_two_readings_of_this_window() -> None:
    one = [pace.Point(NOW, 40.0, RESET)]
    assert pace.compute(one, percent=40.0, resets_at=RESET, length=SESSION, now=NOW) is None
    old_only = [pace.Point(NOW - timedelta(hours=6), 80.0, RESET - SESSION), *one]
    assert pace.compute(old_only, percent=40.0, resets_at=RESET, length=SESSION, now=NOW) is None
    two = [pace.Point(NOW - timedelta(minutes=30), 30.0, RESET), *one]
    assert pace.compute(two, percent=40.0, resets_at=None, length=SESSION, now=NOW) is None
    assert pace.compute(two, percent=40.0, resets_at=RESET, length=None, now=NOW) is None


def test_pace_text() -> None:
    limit = Limit(
        id="session", kind="session", label="Current session", percent=40.0, resets_at=RESET
    )
    runs_out = RESET - timedelta(hours=1, minutes=20)
    fast = dataclasses.replace(
        limit, pace=Pace(elapsed_percent=40.0, projected_percent=130.0, runs_out_at=runs_out)
    )
    assert pace_text(fast, NOW, timezone.utc) == (
        f"at this pace: 100 % at {runs_out:%H:%M}, 1 h 20 before the reset"
    )
    slow = dataclasses.replace(limit, pace=Pace(elapsed_percent=40.0, projected_percent=64.2))
    assert pace_text(slow, NOW, timezone.utc) == "on pace for 64 % at the reset"
    assert pace_text(limit, NOW, timezone.utc) == ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_known_answers_through_status_json(tmp_path: Path, name: str) -> None:
    """The parent adds `pace` from the history it keeps; the emulator serves the numbers."""
    make, projected, before_reset = CASES[name]
    # The cases are built around the time this module was imported: move them to now.
    shift = datetime.now(timezone.utc) - NOW
    series = [(t + shift, p, r + shift) for t, p, r in make()]
    reset = RESET + shift
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    # All but the last reading are history; the last one is what the service says now.
    rows = [history.NewRow("session", p, r, t) for t, p, r in series[:-1]]
    assert history.add(paths.history_file, rows, source="web")
    with Emulator("ok") as emulator:
        emulator.set_usage(session=series[-1][1], session_resets_at=reset, weekly=10.0)
        env = emulator_env(home, emulator)
        store_session(home, emulator)
        done = run_cli(["status", "--json"], env, timeout=120)
        text = run_cli(["status"], env, timeout=120)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    session = next(limit for limit in document["limits"] if limit["id"] == "session")
    got = session["pace"]
    assert set(got) == {"elapsed_percent", "projected_percent", "runs_out_at"}
    assert got["elapsed_percent"] == pytest.approx(40.0, abs=0.5)
    assert got["projected_percent"] == pytest.approx(projected, abs=1.0)
    if before_reset is None:
        assert got["runs_out_at"] is None
        said = re.search(r"\n +on pace for (\d+) % at the reset\n", text.stdout)
        assert said is not None, text.stdout
        assert 97 <= int(said.group(1)) <= 100  # a second reading at 40 % a moment later
    else:
        runs_out = datetime.fromisoformat(got["runs_out_at"])
        assert abs(reset - runs_out - before_reset) < timedelta(minutes=2)
        assert "at this pace: 100 % at" in text.stdout
    # The weekly limit has a single reading: unknown, and said so with null.
    weekly = next(limit for limit in document["limits"] if limit["id"] == "weekly_all")
    assert weekly["pace"] is None
