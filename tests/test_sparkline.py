"""Sparkline data (`trend`) and drawing (`sparkline`, Pillow), without a display."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from claude_tray.sparkline import draw_sparkline
from claude_tray.trend import trend_for

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=timezone.utc)
R1 = NOW - timedelta(hours=6)
R2 = NOW + timedelta(hours=1)


def test_the_line_breaks_at_a_reset_and_keeps_only_its_span() -> None:
    rows = [
        (NOW - timedelta(hours=30), 5.0, R1 - timedelta(hours=24)),  # older than 24 h
        (NOW - timedelta(hours=9), 40.0, R1),
        (NOW - timedelta(hours=7), 90.0, R1),
        (NOW - timedelta(hours=3), 10.0, R2),  # a later reset: a new window
        (NOW - timedelta(hours=2), 30.0, R2),
        (NOW - timedelta(hours=1), 2.0, None),  # a fall without a reset time: a reset too
        (NOW, 4.0, None),
    ]
    trend = trend_for("session", "session", rows, NOW)
    assert [[p for _t, p in segment] for segment in trend.segments] == [
        [40.0, 90.0],
        [10.0, 30.0],
        [2.0, 4.0],
    ]
    assert trend.end - trend.start == 24 * 3600
    weekly = trend_for("weekly_all", "weekly", rows, NOW)
    assert weekly.end - weekly.start == 7 * 86400
    assert weekly.points == 7


def test_drawing_has_the_line_and_a_gap_at_the_reset() -> None:
    start = NOW - timedelta(hours=24)
    rows = [(start + timedelta(hours=h), 8.0 * h, R1) for h in range(0, 11)]
    rows += [(start + timedelta(hours=h), 3.0 * (h - 14), R2) for h in range(14, 25)]
    trend = trend_for("session", "session", rows, NOW)
    assert len(trend.segments) == 2
    image = draw_sparkline(
        trend, (96, 22), colour="#c15f3c", guide="#ebe8df", background="#ffffff"
    ).convert("RGB")
    assert image.size == (96, 22)

    def inked(x: int) -> bool:
        for y in range(4, 22):  # below the 100 % guide
            pixel = image.getpixel((x, y))
            assert isinstance(pixel, tuple)
            if pixel[1] < 200:  # the accent colour's green is low; white and guide are high
                return True
        return False

    gap = [x for x in range(96) if not inked(x)]
    # No ink between 10 h and 14 h (x about 40 to 56 of 96): the fall is not drawn.
    assert any(44 <= x <= 52 for x in gap)
    assert inked(20) and inked(75)
