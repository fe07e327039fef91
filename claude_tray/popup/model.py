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
from claude_tray.documents import ExtraUsage, Limit, UsageDocument, to_utc
from claude_tray.errors import TRANSIENT_CODES, ErrorCode
from claude_tray.text_format import (
    Level,
    error_advice,
    format_age,
    format_clock,
    format_money,
    format_percent,
    format_reset,
    gui_error_text,
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
    #: The reset time has passed since this reading: the old percentage no longer holds.
    reset_passed: bool = False


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
    return format_reset(resets_at, now, clock="· {}")


def limit_view(limit: Limit, thresholds: Thresholds, now: datetime) -> LimitView:
    """The row for one limit; once its reset time has passed, a row that says so.

    A reading from before the reset would show a percentage that no longer
    holds ("82%, resets now" for hours), so the row says the window has reset
    and that new numbers are coming (the popup asks for them).
    """
    if limit.resets_at is not None and to_utc(limit.resets_at) <= now:
        return LimitView(
            id=limit.id,
            label=limit.label,
            percent_text="reset",
            fill=0.0,
            level="calm",
            reset_text=f"reset at {format_clock(limit.resets_at, now)} · refreshing…",
            reset_passed=True,
        )
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


def banner_for(
    code: ErrorCode,
    message: str = "",
    retry_after: float | None = None,
    *,
    next_try: datetime | None = None,
    now: datetime | None = None,
) -> BannerView:
    """The banner for an error code: what happened, and the action that fixes it.

    Headline and body are `text_format.gui_error_text`: sentences for a person,
    never a command to type (the banner's button is the action) and never the
    scraper's own message, which is written for the log and the terminal
    (`message` is accepted for callers that have one and deliberately unused).
    `blocked` and `rate_limited` are the service being careful, not a fault of
    the user: calm wording and no button (Retry would only make a rate limit
    worse); a rate limit names the worker's real next try (`next_try`, read
    from the core's schedule) when known.
    """
    del message  # see the docstring
    advice = error_advice(code)
    headline, body = gui_error_text(code)
    if code is ErrorCode.BLOCKED:
        body = (
            "This happens now and then and is not a problem with your login. "
            "It will try again by itself."
        )
    elif code is ErrorCode.RATE_LIMITED:
        if next_try is not None and now is not None and next_try > now:
            body = f"The numbers below stay; the next try is at {format_clock(next_try, now)}."
        else:
            wait = _minutes(max(retry_after or 0.0, 300.0))
            body = f"The numbers below stay; the next try is in about {wait}."
    elif code is ErrorCode.BUSY:
        body = "The numbers follow in a moment."
    action: BannerAction | None = None if advice.action == "none" else advice.action
    return BannerView(_tone(code), headline, body, action)


#: The login panel's sentence when no Chrome, Chromium or Edge is found (its button follows).
NO_BROWSER_TEXT = (
    "No Chrome, Chromium or Edge browser was found. claude-tray can download its own "
    "Chromium (about 170 MB), or install Chrome, Chromium or Edge yourself."
)
#: What to install instead when the download cannot be done: words, never a command.
INSTALL_INSTEAD_TEXT = (
    "Install Google Chrome, Chromium or Microsoft Edge from your system's software "
    "centre instead (or choose one in Settings), then log in again."
)


def first_sentence(message: str) -> str:
    """A message's first sentence (what happened), without the advice after it."""
    sentence, stop, _rest = message.strip().partition(". ")
    return sentence + "." if stop else message.strip()


def install_result_text(ok: bool, message: str) -> str:
    """The login panel's line after "Install a browser…": the install's own reason, no command.

    The install's message is written for a terminal (it may end with commands
    to run); the panel keeps its first sentence and says the rest in words.
    """
    said = first_sentence(message)
    if ok:
        if "`" in said or not said:
            return "A browser is ready. You can log in now."
        return said if said.endswith("You can log in now.") else f"{said} You can log in now."
    if "`" in said or not said:
        said = "The browser could not be downloaded."
    return f"{said} {INSTALL_INSTEAD_TEXT}"


def login_failure_text(code: ErrorCode, with_key: bool, message: str = "") -> str:
    """The login panel's sentence when a login failed: true for how it was tried.

    With no browser at all the panel's own "Install a browser…" button is the
    way on (issue 11: the GUI never tells a person to run a command), so the
    sentence says what is missing and what the button does.
    """
    if code is ErrorCode.BROWSER_MISSING:
        return NO_BROWSER_TEXT
    if code is ErrorCode.LOGIN_CANCELLED:
        return "Login cancelled."
    if code is ErrorCode.NETWORK_ERROR:
        what = "the key could not be checked" if with_key else "the login could not finish"
        return f"No connection to claude.ai: {what}. Nothing was changed."
    if with_key and code in (ErrorCode.SESSION_EXPIRED, ErrorCode.NO_SESSION, ErrorCode.FORBIDDEN):
        return "claude.ai did not accept this key. Copy the whole sessionKey value again."
    headline, body = gui_error_text(code)
    return f"{headline} {body}".strip()


def usage_page_url(base_url: str | None) -> str:
    """The service's own usage page (`<base>/settings/usage`)."""
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/settings/usage"
