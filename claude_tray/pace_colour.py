"""The icon's colour following the forecast (an opt-in setting), without flicker.

With `icon_colour_follows_pace` on, the icon is coloured by the percent the
limit is projected to reach at its reset (its `pace`), not by the percent used
so far: amber early in a window that is heading for 80 %, calm late in one that
is coasting. A projection wobbles from poll to poll, so the colour goes up at
once but comes down only when the projection is `HYSTERESIS` points below the
band it is in.

Pure logic: this module must not draw, read files or look at the clock.
"""

from __future__ import annotations

from typing import get_args

from claude_tray.config import Thresholds
from claude_tray.documents import Limit
from claude_tray.text_format import Level, level_for

#: Points below a band's lower threshold the projection must fall before the colour drops.
HYSTERESIS = 5.0

_ORDER: tuple[Level, ...] = get_args(Level)


def _floor(level: Level, thresholds: Thresholds) -> float:
    return {
        "calm": 0.0,
        "moderate": thresholds.moderate,
        "warning": thresholds.warning,
        "critical": thresholds.critical,
    }[level]


def forecast_percent(limit: Limit) -> float:
    """The percent at the reset when the pace is known, else the percent used now."""
    pace = limit.pace
    if pace is None or pace.projected_percent is None:
        return limit.percent
    return max(limit.percent, pace.projected_percent)


class ForecastColour:
    """Remembers the band shown, so a wobbling projection does not flicker the icon."""

    def __init__(self) -> None:
        self.level: Level | None = None

    def update(self, percent: float, thresholds: Thresholds) -> Level:
        raw = level_for(percent, thresholds)
        current = self.level
        if current is None or _ORDER.index(raw) >= _ORDER.index(current):
            self.level = raw
            return raw
        # Lower: step down only as far as the projection is clearly below each band.
        level = current
        while level != raw and percent < _floor(level, thresholds) - HYSTERESIS:
            level = _ORDER[_ORDER.index(level) - 1]
        self.level = level
        return level

    def reset(self) -> None:
        self.level = None
