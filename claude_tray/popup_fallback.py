"""Temporary stand-ins for `claude_tray.icon.level_for` and `claude_tray.text_format`.

Used only until the icon helper's modules land; then `popup_model` imports
those and this file goes. It must NOT grow features of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from claude_tray.config import Thresholds

Level = Literal["calm", "moderate", "warning", "critical"]


def level_for(percent: float | None, thresholds: Thresholds) -> Level:
    """The colour level of a percentage."""
    if percent is None or percent < thresholds.moderate:
        return "calm"
    if percent < thresholds.warning:
        return "moderate"
    if percent < thresholds.critical:
        return "warning"
    return "critical"


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{max(mins, 1)} min"


def format_countdown(resets_at: datetime, now: datetime) -> str:
    """`in 2 h 14 min`."""
    seconds = (resets_at - now).total_seconds()
    if seconds <= 0:
        return "now"
    return f"in {_span(seconds)}"


def format_clock(resets_at: datetime, now: datetime) -> str:
    """`17:40` today, `Thu 10:00` within a week, local time."""
    local = resets_at.astimezone()
    if (resets_at - now).total_seconds() < 20 * 3600:
        return local.strftime("%H:%M")
    return local.strftime("%a %H:%M")


def format_age(updated: datetime, now: datetime) -> str:
    """`2 min ago`."""
    seconds = (now - updated).total_seconds()
    if seconds < 60:
        return "just now"
    return f"{_span(seconds)} ago"


def format_money(amount: float, currency: str | None) -> str:
    """`$47.52`."""
    symbols = {"USD": "$", "EUR": "€", "GBP": "£"}
    if currency in symbols:
        return f"{symbols[currency]}{amount:,.2f}"
    return f"{amount:,.2f} {currency}" if currency else f"{amount:,.2f}"
