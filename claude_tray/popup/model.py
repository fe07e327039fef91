"""What the popup shows, as plain data: pure functions from documents and errors to text.

The popup widgets (`popup.py`) only copy these values into Tk; everything that
could be wrong about wording, levels, staleness or placement is decided here
and unit-tested without a display. This module must NOT import Tk, start
processes, read files or look at the clock itself (callers pass `now`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from claude_tray.config import Thresholds
from claude_tray.documents import ExtraUsage, Limit, UsageDocument
from claude_tray.errors import TRANSIENT_CODES, ErrorCode
from claude_tray.text_format import (
    Level,
    error_advice,
    format_age,
    format_clock,
    format_countdown,
    format_money,
    format_percent,
    level_for,
    pace_text,
    unknown_amount_text,
)

Tone = Literal["info", "warning", "error"]
BannerAction = Literal["login", "retry", "settings"]

DEFAULT_BASE_URL = "https://claude.ai"


@dataclass(frozen=True)
class LimitView:
    """One row of the popup: a limit with its bar."""

    id: str
    label: str
    percent_text: str
    fill: float  # 0.0–1.0 of the bar; above 100 % the bar is simply full
    level: Level
    reset_text: str  # "resets in 2 h 14 min · 17:40", or "" when the service gave no time
    #: Where an even pace would be on the bar (0–1), None when the pace is unknown.
    pace_mark: float | None = None
    #: "at this pace: 100 % at 15:40, 1 h 20 min before the reset", or "".
    pace_text: str = ""


@dataclass(frozen=True)
class MoneyView:
    """The extra-usage row: money spent beyond the plan."""

    amount_text: str  # "$47.52 of $100.00"
    fill: float | None  # None when there is no cap to compare with
    level: Level


@dataclass(frozen=True)
class BannerView:
    """The message above the numbers after a failed refresh or login."""

    tone: Tone
    title: str
    body: str
    action: BannerAction | None


def bar_fill(percent: float | None) -> float:
    """The share of a bar to paint: clamped to 0–1 (140 % is a full bar, not an overflow)."""
    if percent is None:
        return 0.0
    return min(max(percent / 100.0, 0.0), 1.0)


def reset_text(resets_at: datetime | None, now: datetime) -> str:
    """`resets in 2 h 14 min · 17:40`: both a countdown and a local clock time."""
    if resets_at is None:
        return ""
    countdown = format_countdown(resets_at, now)
    if countdown == "now":
        return "resets now"
    return f"resets in {countdown} · {format_clock(resets_at, now)}"


def limit_view(limit: Limit, thresholds: Thresholds, now: datetime) -> LimitView:
    """The row for one limit."""
    return LimitView(
        id=limit.id,
        label=limit.label,
        percent_text=format_percent(limit.percent),
        fill=bar_fill(limit.percent),
        level=level_for(limit.percent, thresholds),
        reset_text=reset_text(limit.resets_at, now),
        pace_mark=(
            None
            if limit.pace is None or limit.pace.elapsed_percent is None
            else bar_fill(limit.pace.elapsed_percent)
        ),
        pace_text=pace_text(limit, now),
    )


def limit_views(document: UsageDocument, thresholds: Thresholds, now: datetime) -> list[LimitView]:
    """One row per limit, in the document's order (session, weekly, scoped)."""
    return [limit_view(limit, thresholds, now) for limit in document.limits]


def money_view(extra: ExtraUsage | None, thresholds: Thresholds) -> MoneyView | None:
    """The extra-usage row, or None when the account has none or it is off."""
    if extra is None or not extra.enabled:
        return None
    if extra.used is None:
        # Unknown is not 0: the same words as `status` (text_format.unknown_amount_text).
        return MoneyView(amount_text=unknown_amount_text(extra), fill=None, level="calm")
    used = format_money(extra.used, extra.currency)
    if extra.limit is None:
        return MoneyView(amount_text=f"{used} spent, no cap", fill=None, level="calm")
    percent = extra.percent
    if percent is None and extra.limit > 0:
        percent = extra.used / extra.limit * 100.0
    return MoneyView(
        amount_text=f"{used} of {format_money(extra.limit, extra.currency)}",
        fill=bar_fill(percent),
        level=level_for(percent, thresholds),
    )


def updated_text(document: UsageDocument, now: datetime) -> str:
    """`Updated 2 min ago`."""
    age = format_age(document.last_updated, now)  # "2 min ago", "just now"
    return f"Updated {age}"


_SOURCE_NAMES = {"web": "claude.ai", "claude-code": "Claude Code"}


def source_text(document: UsageDocument, *, live: bool = False) -> str:
    """Where the numbers came from, in words."""
    if live:
        return "· live from Claude Code"
    return f"via {_SOURCE_NAMES.get(document.source, document.source)}"


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


_CALM_CODES = frozenset(
    {
        ErrorCode.NO_SESSION,
        ErrorCode.BLOCKED,
        ErrorCode.RATE_LIMITED,
        ErrorCode.LOGIN_CANCELLED,
    }
)
_WARNING_CODES = TRANSIENT_CODES | {
    ErrorCode.SESSION_EXPIRED,
    ErrorCode.LOGIN_TIMEOUT,
    ErrorCode.BROWSER_MISSING,
}


def _tone(code: ErrorCode) -> Tone:
    if code in _CALM_CODES:
        return "info"
    if code in _WARNING_CODES:
        return "warning"
    return "error"


def banner_for(code: ErrorCode, message: str, retry_after: float | None = None) -> BannerView:
    """The banner for an error code: what happened, and the action that fixes it.

    The headline and the action are `text_format.error_advice` (shared with the
    tray's wording); the body is the error's own sentence, without repeating
    the headline. `blocked` and `rate_limited` are the service being careful,
    not a fault of the user: calm wording and no button (Retry would only make
    a rate limit worse); the last numbers stay visible below.
    """
    advice = error_advice(code)
    body = message.strip()
    if body.startswith(advice.headline):
        body = body[len(advice.headline) :].strip()
    if code is ErrorCode.BLOCKED:
        # The scraper's message may sound technical; this one is what matters to a person.
        body = (
            "This happens now and then and is not a problem with your login. "
            "It will try again by itself."
        )
    elif code is ErrorCode.RATE_LIMITED:
        wait = _minutes(max(retry_after or 0.0, 300.0))
        body = f"The numbers below stay; the next try is in about {wait}."
    action: BannerAction | None = None if advice.action == "none" else advice.action
    return BannerView(_tone(code), advice.headline, body, action)


def usage_page_url(base_url: str | None) -> str:
    """The service's own usage page (`<base>/settings/usage`)."""
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/settings/usage"
