"""Pace: where a limit stands against its window's clock, and where it is heading.

From the readings of the current window (history rows whose resets_at is the
same window as now), this computes:

- `elapsed_percent`: the share of the window already gone; an even pace would
  have used exactly this much;
- `projected_percent`: the percent at the reset if usage keeps the recent rate;
  the rate is a least-squares slope over the recent readings of this window,
  refitted without the one reading that fits worst when dropping it removes
  most of the error (one bad reading cannot swing the forecast), and never
  negative (usage does not go down inside a window);
- `runs_out_at`: when 100 % is reached at that rate, if that is before the reset.

Pure arithmetic on floats and datetimes: this module must not read files, look
at the clock itself (callers pass `now`) or import pydantic, Tk or the core.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from claude_tray.reset_window import same_window

#: How long each kind of window lasts (the service's 5-hour session and 7-day weeks).
WINDOW_LENGTHS: dict[str, timedelta] = {
    "session": timedelta(hours=5),
    "weekly": timedelta(days=7),
    "weekly_scoped": timedelta(days=7),
}

#: Readings closer together than this say nothing about a rate.
MIN_SPAN = timedelta(minutes=1)

#: The recent part of a window the rate is fitted over (a fifth of it: 1 h of a session).
RECENT_SHARE = 0.2

#: At most this many of the latest readings go into the fit.
MAX_POINTS = 120


@dataclass(frozen=True)
class Point:
    at: datetime
    percent: float
    resets_at: datetime | None


@dataclass(frozen=True)
class PaceResult:
    elapsed_percent: float | None
    projected_percent: float | None
    runs_out_at: datetime | None
    slope_per_hour: float  # percentage points per hour, for tests and the log


def window_length(kind: str, limit_id: str = "") -> timedelta | None:
    """The window's length from its kind (or id); None for a window we do not know."""
    if kind in WINDOW_LENGTHS:
        return WINDOW_LENGTHS[kind]
    if kind.startswith("weekly") or limit_id.startswith("weekly"):
        return WINDOW_LENGTHS["weekly"]
    return None


def elapsed_percent(resets_at: datetime, length: timedelta, now: datetime) -> float:
    """How much of the window has gone, 0–100."""
    left = (resets_at - now) / length
    return min(max((1.0 - left) * 100.0, 0.0), 100.0)


def _fit(points: Sequence[tuple[float, float]]) -> tuple[float, float, float]:
    """Least squares y = a + b·x; returns (a, b, sum of squared residuals)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    if sxx == 0:
        return mean_y, 0.0, sum((y - mean_y) ** 2 for _, y in points)
    b = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    a = mean_y - b * mean_x
    sse = sum((y - a - b * x) ** 2 for x, y in points)
    return a, b, sse


def robust_slope(points: Sequence[tuple[float, float]]) -> float:
    """The least-squares slope, without the one point that fits worst if it is an outlier.

    Each point is left out in turn; when leaving one out removes at least three
    quarters of the squared error and that point is more than 2 percentage
    points off the others' line, the fit without it is used.
    """
    _a, slope, sse = _fit(points)
    if len(points) < 4 or sse == 0:
        return slope
    best: tuple[float, float, float, int] | None = None
    for index in range(len(points)):
        rest = [p for i, p in enumerate(points) if i != index]
        a, b, rest_sse = _fit(rest)
        if best is None or rest_sse < best[0]:
            best = (rest_sse, a, b, index)
    assert best is not None
    rest_sse, rest_a, rest_slope, index = best
    x, y = points[index]
    off = abs(y - rest_a - rest_slope * x)
    if rest_sse <= 0.25 * sse and off > 2.0:
        return rest_slope
    return slope


def current_window(points: Iterable[Point], resets_at: datetime) -> list[Point]:
    """The readings of the window that resets at `resets_at`, oldest first."""
    return sorted(
        (p for p in points if same_window(p.resets_at, resets_at)),
        key=lambda p: p.at,
    )


def compute(
    points: Iterable[Point],
    *,
    percent: float,
    resets_at: datetime | None,
    length: timedelta | None,
    now: datetime,
) -> PaceResult | None:
    """The pace of one limit now, or None without a reset time, a known window or 2 readings."""
    if resets_at is None or length is None:
        return None
    window = current_window(points, resets_at)
    if len(window) < 2 or window[-1].at - window[0].at < MIN_SPAN:
        return None
    recent_from = window[-1].at - length * RECENT_SHARE
    recent = [p for p in window if p.at >= recent_from][-MAX_POINTS:]
    if len(recent) < 2 or recent[-1].at - recent[0].at < MIN_SPAN:
        recent = window[-MAX_POINTS:]
    origin = recent[0].at
    xy = [((p.at - origin).total_seconds() / 3600.0, p.percent) for p in recent]
    slope = max(robust_slope(xy), 0.0)  # points per hour
    hours_left = max((resets_at - now).total_seconds() / 3600.0, 0.0)
    projected = percent + slope * hours_left
    runs_out: datetime | None = None
    if percent >= 100.0:
        runs_out = next((p.at for p in window if p.percent >= 100.0), now)
    elif slope > 0:
        # Compared in hours first: at a tiny rate 100 % lies beyond any datetime.
        hours_to_full = (100.0 - percent) / slope
        if hours_to_full < hours_left - 1 / 60:  # before the reset, by a minute or more
            runs_out = now + timedelta(hours=hours_to_full)
    return PaceResult(
        elapsed_percent=round(elapsed_percent(resets_at, length, now), 1),
        projected_percent=round(projected, 1),
        runs_out_at=runs_out,
        slope_per_hour=slope,
    )
