"""A limit's recent history as lines to draw: the data behind the popup's sparklines.

`trend_for` turns history rows into segments, one per window: the line is
broken where the limit reset (a later `resets_at`, or a fall of more than a few
points when the reset time is unknown) instead of drawing the fall. The span is
the last 24 hours for a session and the last 7 days for weekly limits.

Plain data and arithmetic: this module must not read files, look at the clock
itself or import Pillow, Tk or pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from claude_tray.reset_window import is_older_window

#: How far back each kind of limit's sparkline looks.
SPANS: dict[str, timedelta] = {"session": timedelta(hours=24)}
WEEKLY_SPAN = timedelta(days=7)

#: A fall of more than this many points between two readings is a reset.
RESET_DROP = 5.0


@dataclass(frozen=True)
class Trend:
    """One limit's sparkline: segments of (Unix seconds, percent), over [start, end]."""

    limit_id: str
    start: float
    end: float
    segments: tuple[tuple[tuple[float, float], ...], ...]

    @property
    def points(self) -> int:
        return sum(len(segment) for segment in self.segments)


def span_for(kind: str) -> timedelta:
    return SPANS.get(kind, WEEKLY_SPAN)


def trend_for(
    limit_id: str,
    kind: str,
    rows: Iterable[tuple[datetime, float, datetime | None]],
    now: datetime,
) -> Trend:
    """The sparkline of one limit from its (time, percent, resets_at) rows, oldest first."""
    start = now - span_for(kind)
    segments: list[list[tuple[float, float]]] = []
    last: tuple[float, datetime | None] | None = None
    for at, percent, resets_at in sorted(rows, key=lambda row: row[0]):
        if at < start or at > now:
            continue
        new_window = last is None
        if last is not None:
            previous_percent, previous_reset = last
            if resets_at is not None and previous_reset is not None:
                new_window = is_older_window(previous_reset, resets_at)
            new_window = new_window or percent < previous_percent - RESET_DROP
        if new_window:
            segments.append([])
        segments[-1].append((at.timestamp(), percent))
        last = (percent, resets_at)
    return Trend(
        limit_id,
        start.timestamp(),
        now.timestamp(),
        tuple(tuple(segment) for segment in segments),
    )
