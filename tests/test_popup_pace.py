"""The popup's pace tick, forecast line, sparklines and "live" note, on a real X server.

Uses test_popup's harness (a real Tk popup on Xvfb fed core events); the
screenshots are checked by pixel and saved for a person to look at
(POPUP_REVIEW_DIR).
"""

from __future__ import annotations

from datetime import timedelta

from claude_tray.documents import Limit, Pace, UsageDocument
from claude_tray.events import UsageUpdated
from claude_tray.popup.theme import ACCENT, TEXT
from claude_tray.trend import Trend, trend_for
from tests.support.display import xvfb as xvfb  # fixture
from tests.test_popup import NOW, Harness, pixel, texts
from tests.test_popup import harness as harness  # fixture
from tests.test_popup import utc_zone as utc_zone  # fixture

SESSION_RESET = NOW + timedelta(hours=3)  # 15:26 now, resets 18:26: 40 % of 5 h gone
WEEK_RESET = NOW + timedelta(days=2, hours=19, minutes=12)  # 60 % of the week gone


def _document() -> UsageDocument:
    runs_out = SESSION_RESET - timedelta(hours=1, minutes=20)
    return UsageDocument.build(
        source="web",
        limits=[
            Limit(
                id="session",
                kind="session",
                label="Current session",
                percent=52.0,
                resets_at=SESSION_RESET,
                pace=Pace(elapsed_percent=40.0, projected_percent=130.0, runs_out_at=runs_out),
            ),
            Limit(
                id="weekly_all",
                kind="weekly",
                label="Weekly, all models",
                percent=38.0,
                resets_at=WEEK_RESET,
                pace=Pace(elapsed_percent=60.0, projected_percent=64.0, runs_out_at=None),
            ),
        ],
        last_updated=NOW - timedelta(seconds=20),
    )


def _trends() -> tuple[Trend, ...]:
    """The last 24 h of the session with two resets in it, and a steady week."""
    old_reset = SESSION_RESET - timedelta(hours=5)
    older_reset = old_reset - timedelta(hours=5)
    session_rows = []
    for minutes in range(0, 24 * 60, 20):
        at = NOW - timedelta(hours=24) + timedelta(minutes=minutes)
        reset = next(r for r in (older_reset, old_reset, SESSION_RESET) if at < r)
        if reset - at > timedelta(hours=5):
            continue  # no window open then (the user was away)
        percent = 100 * (1 - (reset - at) / timedelta(hours=5)) * (1.3 if reset == old_reset else 1)
        session_rows.append((at, min(percent, 100.0), reset))
    week_rows = [
        (NOW - timedelta(hours=h), 38.0 * (1 - h / 170), WEEK_RESET) for h in range(168, -1, -6)
    ]
    return (
        trend_for("session", "session", session_rows, NOW),
        trend_for("weekly_all", "weekly", week_rows, NOW),
    )


def test_pace_tick_forecast_line_and_sparklines(harness: Harness) -> None:
    trends = _trends()
    assert len(trends[0].segments) >= 2  # the line is broken at the resets
    harness.popup.show()
    harness.popup.apply_event(UsageUpdated(_document(), live=True, trends=trends))
    harness.settle()
    shown = texts(harness.popup.window)
    assert "Updated just now · live from Claude Code" in shown
    assert "at this pace: 100 % at 17:06, 1 h 20 before the reset" in shown
    assert "on pace for 64 % at the reset" in shown

    image = harness.screenshot("pace_sparklines")
    session_row, weekly_row = harness.popup.limit_rows[:2]
    for row, mark in ((session_row, 0.40), (weekly_row, 0.60)):
        bar = row.bar
        x = bar.mark_x()
        assert x is not None
        assert abs(x - (4 + (bar.winfo_width() - 8) * mark)) <= 1
        # The tick stands above the bar, where nothing else is drawn.
        assert pixel(image, bar.winfo_rootx() + x, bar.winfo_rooty() + 1) == TEXT
        assert pixel(image, bar.winfo_rootx() + x + 6, bar.winfo_rooty() + 1) != TEXT
        spark = row.spark
        assert spark.winfo_viewable()
        assert (spark.winfo_width(), spark.winfo_height()) >= (96, 22)
        box = (
            spark.winfo_rootx(),
            spark.winfo_rooty(),
            spark.winfo_rootx() + spark.winfo_width(),
            spark.winfo_rooty() + spark.winfo_height(),
        )
        crop = image.crop(box).convert("RGB")
        accent = tuple(int(ACCENT[i : i + 2], 16) for i in (1, 3, 5))
        near = [
            (x, y)
            for x in range(crop.width)
            for y in range(crop.height)
            if _close(crop.getpixel((x, y)), accent)
        ]
        assert len(near) >= 20  # the line is drawn in the accent colour


def _close(value: object, target: tuple[int, ...]) -> bool:
    """Whether an RGB pixel is within a small distance of `target` (antialiasing)."""
    assert isinstance(value, tuple)
    return sum(abs(int(a) - b) for a, b in zip(value, target, strict=True)) < 60


def test_no_pace_no_tick_and_no_line(harness: Harness) -> None:
    document = _document()
    plain = document.model_copy(
        update={"limits": [limit.model_copy(update={"pace": None}) for limit in document.limits]}
    )
    harness.popup.show()
    harness.popup.apply_event(UsageUpdated(plain))
    harness.settle()
    shown = texts(harness.popup.window)
    assert not [text for text in shown if "pace" in text]
    assert "live from Claude Code" not in " ".join(shown)
    assert all(row.bar.mark_x() is None for row in harness.popup.limit_rows[:2])
    assert not harness.popup.limit_rows[0].spark.winfo_viewable()
