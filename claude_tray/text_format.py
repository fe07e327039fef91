"""Words and numbers for people: tooltip, popup rows, `status` lines, Waybar JSON.

Pure functions of their arguments (documents, datetimes, thresholds). Every
function that needs "now" takes it as an argument so tests use fixed clocks.
This module must not do I/O, read the clock on its own where a `now` is passed,
import Pillow, Tk or pystray, or decide what the app does next: it only says
things.

Rounding rule: percentages are floored for display, so a limit at 99.5 % never
reads "100%" while it is still below the limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from claude_tray.documents import (
    ErrorDocument,
    ExtraUsage,
    Limit,
    SessionDocument,
    UsageDocument,
    to_utc,
)
from claude_tray.errors import BACKOFF_CODES, LOGIN_CODES, ErrorCode

if TYPE_CHECKING:
    # Only for annotations: the config module imports pydantic, which the quick
    # `status --max-age` path must not load (issue 12).
    from claude_tray.config import IconLimit


class ThresholdsLike(Protocol):
    """What this module reads of `config.Thresholds` (any object with these three)."""

    @property
    def moderate(self) -> float: ...
    @property
    def warning(self) -> float: ...
    @property
    def critical(self) -> float: ...


#: Windows truncates a tray tooltip (NOTIFYICONDATA.szTip) at 128 chars incl. NUL.
TOOLTIP_MAX = 127

Level = Literal["calm", "moderate", "warning", "critical"]
ErrorAction = Literal["login", "retry", "settings", "none"]
WaybarClass = Literal["normal", "warning", "critical", "error", "login"]
#: The icon's looks (`claude_tray.icon.IconLook`); defined here so text needs no Pillow.
Look = Literal["normal", "no_data", "refreshing", "stale", "paused", "logged_out", "error"]

# Weekday and month names fixed in English: Tk calls setlocale(LC_ALL, ""), after
# which strftime("%a") would switch language mid-run.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW"})


# --- numbers -------------------------------------------------------------------------------


def display_percent(percent: float | None) -> int | None:
    """The whole number shown for a percentage: floored, never negative; None if unknown."""
    if percent is None or math.isnan(percent):
        return None
    if percent <= 0:
        return 0
    if math.isinf(percent):
        return 10**6
    return min(math.floor(percent), 10**6)


def format_percent(percent: float | None) -> str:
    """'42%', '99%' for 99.5 (floored), '140%', '<1%' for a started limit under 1, '–' unknown."""
    shown = display_percent(percent)
    if shown is None:
        return "–"
    if shown == 0 and percent is not None and percent > 0:
        return "<1%"
    if shown >= 10**6:
        return ">999999%"
    return f"{shown}%"


def level_for(percent: float | None, thresholds: ThresholdsLike) -> Level:
    """Which colour band a percentage is in; unknown or NaN counts as calm."""
    if percent is None or math.isnan(percent):
        return "calm"
    if percent >= thresholds.critical:
        return "critical"
    if percent >= thresholds.warning:
        return "warning"
    if percent >= thresholds.moderate:
        return "moderate"
    return "calm"


def format_money(amount: float | None, currency: str | None) -> str:
    """'$47.52', '€20.00', 'CHF 12.00' for a code without a symbol, '47.52' without a currency."""
    if amount is None or math.isnan(amount) or math.isinf(amount):
        return "–"
    code = (currency or "").strip().upper()
    decimals = 0 if code in _ZERO_DECIMAL_CURRENCIES else 2
    number = f"{abs(amount):,.{decimals}f}"
    sign = "-" if amount < 0 and float(number.replace(",", "")) != 0 else ""
    if not code:
        return f"{sign}{number}"
    symbol = _CURRENCY_SYMBOLS.get(code)
    if symbol is None:
        return f"{sign}{code} {number}"
    return f"{sign}{symbol}{number}"


# --- times ---------------------------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    return to_utc(value)


def format_countdown(resets_at: datetime | None, now: datetime) -> str:
    """Time until a reset: '3 d 4 h', '2 h 14 min', '45 min', '<1 min', 'now'; '' if unknown."""
    if resets_at is None:
        return ""
    seconds = (_aware(resets_at) - _aware(now)).total_seconds()
    if seconds <= 0:
        return "now"
    minutes = int(seconds // 60)  # floored: never promise a reset sooner than it is
    if minutes == 0:
        return "<1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def rate_limit_wait_text(next_try: datetime, now: datetime | None = None) -> str:
    """Why a refresh is not polling now: claude.ai asked to wait until `next_try`."""
    return f"claude.ai asked to wait: the next try is at {format_clock(next_try, now)}"


def format_clock(
    resets_at: datetime | None, now: datetime | None = None, tz: tzinfo | None = None
) -> str:
    """Local clock time of a reset: '17:40' today, 'Thu 10:00' this week, '3 Dec 10:00' later.

    `tz` is the zone to show (default: the machine's local zone); `now` defaults to
    the current time and only decides whether the day must be named.
    """
    if resets_at is None:
        return ""
    local = _aware(resets_at).astimezone(tz)
    today = _aware(now or datetime.now(timezone.utc)).astimezone(tz)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    days_ahead = (local.date() - today.date()).days
    if days_ahead == 0:
        return clock
    if 0 < days_ahead < 7:
        return f"{_WEEKDAYS[local.weekday()]} {clock}"
    return f"{local.day} {_MONTHS[local.month - 1]} {clock}"


def is_stale(
    document: UsageDocument, *, from_cache: bool, now: datetime, interval_minutes: float
) -> bool:
    """Stale: loaded from the cache at start, or older than two refresh intervals.

    The one rule for the icon's stale look and the popup's stale marker.
    """
    if from_cache:
        return True
    return now - document.last_updated > timedelta(minutes=2 * interval_minutes)


def format_age(updated: datetime | None, now: datetime) -> str:
    """How old the numbers are: 'just now', '2 min ago', '1 h ago', '3 d ago'; 'never'.

    Without a prefix, so callers can say "Updated 2 min ago" or "updated 2 min ago".
    """
    if updated is None:
        return "never"
    seconds = (_aware(now) - _aware(updated)).total_seconds()
    if seconds < 60:  # also a timestamp slightly in the future (clock skew)
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} d ago"


def format_reset(
    resets_at: datetime | None, now: datetime, tz: tzinfo | None = None, *, clock: str = "({})"
) -> str:
    """'resets in 2 h 14 min (17:40)', 'resets now', or '' when the reset time is unknown.

    `clock` places the clock time after the countdown: the popup passes "· {}"
    for 'resets in 2 h 14 min · 17:40'.
    """
    if resets_at is None:
        return ""
    countdown = format_countdown(resets_at, now)
    if countdown == "now":
        return "resets now"
    return f"resets in {countdown} {clock.format(format_clock(resets_at, now, tz))}"


# --- limits --------------------------------------------------------------------------------


def headline_limit(
    doc: UsageDocument | None, icon_limit: IconLimit | str = "highest"
) -> Limit | None:
    """The limit the icon shows: the highest (default), the session or the weekly one.

    A chosen limit the document lacks falls back to the highest, so an account
    without a session window still shows a number.
    """
    if doc is None or not doc.limits:
        return None
    if icon_limit == "session":
        chosen = next((lim for lim in doc.limits if lim.kind == "session"), None)
    elif icon_limit == "weekly":
        chosen = next((lim for lim in doc.limits if lim.kind == "weekly"), None)
    else:
        chosen = None
    if chosen is not None:
        return chosen
    return max(doc.limits, key=lambda lim: _sort_percent(lim.percent))


def _sort_percent(percent: float) -> float:
    return -1.0 if math.isnan(percent) else percent


def short_label(limit: Limit) -> str:
    """A one-word name for the tooltip: 'session', 'week', the model's name, …"""
    if limit.kind == "session":
        return "session"
    if limit.kind == "weekly":
        return "week"
    label = limit.label
    if label.lower().startswith("weekly, "):
        return label[len("weekly, ") :]
    return label


# --- errors --------------------------------------------------------------------------------


class ErrorAdvice(NamedTuple):
    """What the popup's banner says for an error code, and the one action it offers."""

    headline: str
    action: ErrorAction


_ADVICE: dict[ErrorCode, ErrorAdvice] = {
    ErrorCode.NO_SESSION: ErrorAdvice("You are not logged in to claude.ai.", "login"),
    ErrorCode.SESSION_EXPIRED: ErrorAdvice("Your claude.ai session has expired.", "login"),
    # A Cloudflare check is not the user's fault and not an expired session:
    # say it calmly and keep the last numbers (claude-service.md).
    ErrorCode.BLOCKED: ErrorAdvice(
        "claude.ai is asking for a browser check; showing the last numbers.", "none"
    ),
    ErrorCode.FORBIDDEN: ErrorAdvice(
        "claude.ai refused to show usage for this account or organization.", "login"
    ),
    # Retrying a 429 makes it worse; the worker already waits and tries again.
    ErrorCode.RATE_LIMITED: ErrorAdvice(
        "claude.ai asked to slow down; trying again later.", "none"
    ),
    ErrorCode.SERVER_ERROR: ErrorAdvice("claude.ai is having trouble right now.", "retry"),
    ErrorCode.NETWORK_ERROR: ErrorAdvice("No connection to claude.ai.", "retry"),
    ErrorCode.TIMEOUT: ErrorAdvice("claude.ai did not answer in time.", "retry"),
    ErrorCode.BUSY: ErrorAdvice(
        "Another claude-tray is using the session right now; trying again soon.", "retry"
    ),
    ErrorCode.PARSE_ERROR: ErrorAdvice(
        "claude.ai sent an answer claude-tray could not read.", "retry"
    ),
    ErrorCode.BROWSER_MISSING: ErrorAdvice(
        "No Chrome, Chromium or Edge browser was found.", "settings"
    ),
    ErrorCode.LOGIN_TIMEOUT: ErrorAdvice("The login was not finished in time.", "login"),
    ErrorCode.LOGIN_CANCELLED: ErrorAdvice("The login window was closed.", "login"),
    ErrorCode.PYTHON_MISSING: ErrorAdvice(
        "The Python that reads the usage was not found.", "settings"
    ),
    ErrorCode.SCRAPER_CRASHED: ErrorAdvice("The usage reader stopped unexpectedly.", "retry"),
    ErrorCode.INVALID_OUTPUT: ErrorAdvice(
        "The usage reader gave an answer claude-tray could not read.", "retry"
    ),
    ErrorCode.INTERNAL_ERROR: ErrorAdvice("Something went wrong inside claude-tray.", "retry"),
}

#: A few words per code for the tooltip, where space is short.
_SHORT_ERRORS: dict[ErrorCode, str] = {
    ErrorCode.NO_SESSION: "not logged in",
    ErrorCode.SESSION_EXPIRED: "session expired, log in again",
    ErrorCode.BLOCKED: "browser check, retrying later",
    ErrorCode.FORBIDDEN: "access refused",
    ErrorCode.RATE_LIMITED: "rate limited, retrying later",
    ErrorCode.SERVER_ERROR: "claude.ai server error",
    ErrorCode.NETWORK_ERROR: "no connection",
    ErrorCode.TIMEOUT: "no answer in time",
    ErrorCode.BUSY: "busy, retrying soon",
    ErrorCode.PARSE_ERROR: "unreadable answer",
    ErrorCode.BROWSER_MISSING: "no browser found",
    ErrorCode.LOGIN_TIMEOUT: "login not finished",
    ErrorCode.LOGIN_CANCELLED: "login cancelled",
    ErrorCode.PYTHON_MISSING: "Python not found",
    ErrorCode.SCRAPER_CRASHED: "usage reader crashed",
    ErrorCode.INVALID_OUTPUT: "usage reader failed",
    ErrorCode.INTERNAL_ERROR: "internal error",
}


def error_code_of(error: object) -> ErrorCode | None:
    """The code of an ErrorCode, its string value, an ErrorDocument, a RefreshFailed, …

    Accepts anything with an `error` or `code` attribute so callers may pass
    whichever error object they hold; None for anything unrecognised.
    """
    if error is None:
        return None
    if isinstance(error, ErrorCode):
        return error
    if isinstance(error, str):
        try:
            return ErrorCode(error)
        except ValueError:
            return ErrorCode.INTERNAL_ERROR
    for attribute in ("error", "code"):
        value = getattr(error, attribute, None)
        if value is not None and value is not error:
            return error_code_of(value)
    return None


#: The banner's second sentence per code: true for the situation, never a command
#: to type (the banner's button is the action), never the scraper's own wording
#: (written for the log and the terminal: JSON positions, browser internals).
_GUI_BODIES: dict[ErrorCode, str] = {
    ErrorCode.NO_SESSION: "Log in to see how much of your plan is left.",
    ErrorCode.SESSION_EXPIRED: "Log in again to see your numbers.",
    ErrorCode.FORBIDDEN: "Log in with the account whose usage you want to see.",
    ErrorCode.SERVER_ERROR: "The last numbers stay; claude-tray tries again by itself.",
    ErrorCode.NETWORK_ERROR: "Check the internet connection; claude-tray tries again by itself.",
    ErrorCode.TIMEOUT: "The last numbers stay; claude-tray tries again by itself.",
    ErrorCode.PARSE_ERROR: "The service may have changed; the last numbers stay.",
    ErrorCode.INVALID_OUTPUT: "The details are in the log; the last numbers stay.",
    ErrorCode.BROWSER_MISSING: "Install Chrome, Chromium or Edge, or choose a browser in Settings.",
    ErrorCode.PYTHON_MISSING: "Choose the Python in Settings, under Advanced.",
    ErrorCode.LOGIN_TIMEOUT: "Try again, and finish logging in within a few minutes.",
    ErrorCode.LOGIN_CANCELLED: "",
    ErrorCode.SCRAPER_CRASHED: "The details are in the log; claude-tray tries again by itself.",
    ErrorCode.INTERNAL_ERROR: "The details are in the log; claude-tray tries again by itself.",
}

#: What a one-shot command (`status`, `login`, `check-session`) says per code, in
#: place of the scraper's sentence where that one speaks for the tray ("claude-tray
#: will try again later") or in parser jargon.
_CLI_SENTENCES: dict[ErrorCode, str] = {
    ErrorCode.RATE_LIMITED: "claude.ai asked to slow down.",
    ErrorCode.SERVER_ERROR: "claude.ai is having trouble right now.",
    ErrorCode.NETWORK_ERROR: "No connection to claude.ai.",
    ErrorCode.TIMEOUT: "claude.ai did not answer in time.",
    ErrorCode.BUSY: "Another claude-tray is reading the usage right now.",
    ErrorCode.PARSE_ERROR: (
        "claude.ai sent an answer claude-tray could not read (the service may have changed; "
        "--debug shows the details)."
    ),
    ErrorCode.INVALID_OUTPUT: (
        "The usage reader gave an answer claude-tray could not read (--debug shows the details)."
    ),
}

#: Sentences in a scraper message that only make sense for the running tray.
_TRAY_ONLY = ("will try again", "try again later", "tries again", "trying again")


def gui_error_text(code: ErrorCode | str) -> tuple[str, str]:
    """The banner's headline and body for an error code: words for a person, no commands."""
    known = error_code_of(code) or ErrorCode.INTERNAL_ERROR
    return error_advice(known).headline, _GUI_BODIES.get(known, "")


def cli_error_text(code: ErrorCode | str, message: str) -> str:
    """What a one-shot command prints for an error: the service's sentence without the
    tray's promises ("will try again later"), or one of its own where that one is jargon."""
    known = error_code_of(code) or ErrorCode.INTERNAL_ERROR
    if known in _CLI_SENTENCES:
        return _CLI_SENTENCES[known]
    kept = [
        sentence
        for sentence in _sentences(message)
        if not any(words in sentence.lower() for words in _TRAY_ONLY)
    ]
    return " ".join(kept) or error_advice(known).headline


def _sentences(text: str) -> list[str]:
    parts: list[str] = []
    for chunk in text.strip().replace("; ", ". ").split(". "):
        chunk = chunk.strip()
        if chunk:
            parts.append(chunk if chunk.endswith((".", "!", "?", ")")) else chunk + ".")
    return parts


def error_advice(code: ErrorCode | str) -> ErrorAdvice:
    """The banner headline and action for an error code (unknown codes: a generic retry)."""
    known = error_code_of(code) or ErrorCode.INTERNAL_ERROR
    return _ADVICE.get(known, _ADVICE[ErrorCode.INTERNAL_ERROR])


def short_error(code: ErrorCode | str) -> str:
    """A few words for an error code, for the tooltip and the Waybar text."""
    known = error_code_of(code) or ErrorCode.INTERNAL_ERROR
    return _SHORT_ERRORS.get(known, "error")


# --- tooltip -------------------------------------------------------------------------------


def _fit(text: str, limit: int = TOOLTIP_MAX) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip(" ·,") + "…"


def tooltip_text(
    usage: UsageDocument | None,
    now: datetime,
    *,
    look: Look | str = "normal",
    error: object = None,
    icon_limit: IconLimit | str = "highest",
    tz: tzinfo | None = None,
    paused: bool = False,
) -> str:
    """The tray tooltip, at most 127 characters (Windows' limit).

    For example `Claude: session 42% (resets 17:40) · week 18% · Fable 3%`.
    `look` is the icon's look (see `icon.icon_look_for`); `error` the last
    error (a code or an object carrying one) for the error and logged-out looks;
    `paused` adds "auto-refresh paused". The headline limit comes first with its
    reset time; the others follow as long as they fit.
    """
    text = _tooltip_body(usage, now, look=look, error=error, icon_limit=icon_limit, tz=tz)
    if paused:
        return _fit(text, TOOLTIP_MAX - len(_PAUSED)) + _PAUSED
    return text


_PAUSED = " · auto-refresh paused"


def _tooltip_body(
    usage: UsageDocument | None,
    now: datetime,
    *,
    look: Look | str,
    error: object,
    icon_limit: IconLimit | str,
    tz: tzinfo | None,
) -> str:
    code = error_code_of(error)
    if look == "logged_out" or (code in LOGIN_CODES and look != "refreshing"):
        what = short_error(code) if code is not None else "not logged in"
        return _fit(f"Claude: {what} – click to log in")

    if usage is None or not usage.limits:
        if look == "refreshing":
            return "Claude: reading usage…"
        if code is not None:
            return _fit(f"Claude: {short_error(code)}")
        if usage is not None:
            return _fit("Claude: no plan limits reported" + _extra_suffix(usage))
        return "Claude: no usage data yet"

    top = headline_limit(usage, icon_limit)
    assert top is not None  # limits is not empty
    parts: list[str] = []
    clock = format_clock(top.resets_at, now, tz) if top.resets_at else ""
    head = f"{short_label(top)} {format_percent(top.percent)}"
    parts.append(f"{head} (resets {clock})" if clock else head)
    parts.extend(
        f"{short_label(lim)} {format_percent(lim.percent)}"
        for lim in usage.limits
        if lim is not top
    )

    suffix = ""
    if look == "refreshing":
        suffix = " · refreshing…"
    elif look == "error" or (code is not None and code not in BACKOFF_CODES):
        suffix = f" · {short_error(code)}" if code is not None else " · error"
    elif look == "stale" or code is not None:
        age = "updated " + format_age(usage.last_updated, now)
        suffix = f" · {age}" if code is None else f" · {short_error(code)}, {age}"

    prefix = "Claude: "
    text = prefix + parts[0]
    for part in parts[1:]:
        candidate = f"{text} · {part}"
        if len(candidate) + len(suffix) > TOOLTIP_MAX:
            break
        text = candidate
    return _fit(text + suffix)


def _extra_suffix(usage: UsageDocument) -> str:
    extra = usage.extra_usage
    if extra is None or not extra.enabled or extra.used is None:
        return ""
    return f" · extra {format_money(extra.used, extra.currency)}"


# --- status command and Waybar -------------------------------------------------------------


def _limit_line(limit: Limit, now: datetime, width: int, tz: tzinfo | None) -> str:
    reset = format_reset(limit.resets_at, now, tz)
    line = f"{limit.label:<{width}}  {format_percent(limit.percent):>5}"
    return f"{line}  {reset}" if reset else line


def unknown_amount_text(extra: ExtraUsage) -> str:
    """Extra usage whose amount spent the service did not say: never shown as 0.

    'amount unknown (cap $20.00)' or 'amount unknown (no cap)'; the one wording
    for `status`, Waybar and the popup.
    """
    if extra.limit is None:
        return "amount unknown (no cap)"
    return f"amount unknown (cap {format_money(extra.limit, extra.currency)})"


def extra_usage_text(usage: UsageDocument) -> str:
    """'$47.52 of $100.00 (47%)', '$12.00 spent (no cap)', or '' when there is none.

    An amount the service did not report is unknown, not 0 (`unknown_amount_text`).
    """
    extra = usage.extra_usage
    if extra is None or not extra.enabled:
        return ""
    if extra.used is None:
        return unknown_amount_text(extra)
    used = format_money(extra.used, extra.currency)
    if extra.limit is None:
        return f"{used} spent (no cap)"
    text = f"{used} of {format_money(extra.limit, extra.currency)}"
    if extra.percent is not None:
        text += f" ({format_percent(extra.percent)})"
    return text


def status_text(
    doc_or_error: UsageDocument | ErrorDocument | SessionDocument,
    now: datetime | None = None,
    *,
    tz: tzinfo | None = None,
) -> str:
    """The lines `claude-tray status` prints (no trailing newline)."""
    now = now or datetime.now(timezone.utc)
    if isinstance(doc_or_error, ErrorDocument):
        _headline, action = error_advice(doc_or_error.error)
        sentence = cli_error_text(doc_or_error.error, doc_or_error.message)
        lines = [f"Error ({doc_or_error.error.value}): {sentence}"]
        if action == "login" and "claude-tray login" not in sentence:
            lines.append("Run `claude-tray login` to log in.")
        if doc_or_error.retry_after:
            wait = format_countdown(now + timedelta(seconds=doc_or_error.retry_after), now)
            lines.append(f"The service asks to wait {wait}.")
        return "\n".join(lines)
    if isinstance(doc_or_error, SessionDocument):
        return doc_or_error.message
    usage = doc_or_error
    lines = []
    labels = [lim.label for lim in usage.limits]
    extra = extra_usage_text(usage)
    if extra:
        labels.append("Extra usage")
    width = max((len(label) for label in labels), default=0)
    for lim in usage.limits:
        lines.append(_limit_line(lim, now, width, tz))
        forecast = pace_text(lim, now, tz)
        if forecast:
            lines.append(" " * (width + 9) + forecast)  # under the reset column
    if extra:
        lines.append(f"{'Extra usage':<{width}}  {extra}")
    if not lines:
        lines.append("No plan limits reported for this account.")
    age = format_age(usage.last_updated, now)
    lines.append(f"Source: {_source_name(usage.source)}, updated {age}")
    return "\n".join(lines)


def pace_text(limit: Limit, now: datetime, tz: tzinfo | None = None) -> str:
    """The forecast in words: 'at this pace: 100 % at 15:40, 1 h 20 before the reset'
    or 'on pace for 64 % at the reset'; '' when the pace is not known."""
    pace = limit.pace
    if pace is None or pace.projected_percent is None:
        return ""
    if limit.percent >= 100:
        return ""
    if pace.runs_out_at is not None:
        text = f"at this pace: 100 % at {format_clock(pace.runs_out_at, now, tz)}"
        if limit.resets_at is not None:
            ahead = format_countdown(limit.resets_at, pace.runs_out_at)
            if " h " in ahead:  # "1 h 20 min" reads as "1 h 20" here, and fits one line
                ahead = ahead.removesuffix(" min")
            text += f", {ahead} before the reset"
        return text
    projected = min(max(pace.projected_percent, limit.percent), 100.0)
    return f"on pace for {format_percent(projected).replace('%', ' %')} at the reset"


def _source_name(source: str) -> str:
    return {"web": "claude.ai web session", "claude-code": "Claude Code login"}.get(source, source)


def waybar_class(percent: float | None, thresholds: ThresholdsLike) -> WaybarClass:
    """Waybar's class for a percentage: normal below warning, then warning, then critical."""
    level = level_for(percent, thresholds)
    if level == "critical":
        return "critical"
    if level == "warning":
        return "warning"
    return "normal"


def _pango(text: str) -> str:
    # Waybar shows a custom module's text and tooltip as Pango markup: a bare
    # "<" (as in "<1%") or "&" in a label would break the whole label.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def waybar_payload(
    doc_or_error: UsageDocument | ErrorDocument | SessionDocument,
    thresholds: ThresholdsLike,
    *,
    icon_limit: IconLimit | str = "highest",
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """Waybar's custom-module JSON: exactly `text`, `tooltip`, `class`, `percentage` (int).

    `text` and `tooltip` are escaped for Pango markup, which Waybar uses for both.
    """
    now = now or datetime.now(timezone.utc)
    if isinstance(doc_or_error, ErrorDocument) and doc_or_error.error in LOGIN_CODES:
        # Nothing to show until someone logs in: say that, not "!" (a failure).
        why = cli_error_text(doc_or_error.error, doc_or_error.message)
        text, tooltip, css, shown = "login", f"Claude: {why}", "login", 0
    elif isinstance(doc_or_error, ErrorDocument):
        why = cli_error_text(doc_or_error.error, doc_or_error.message)
        text, tooltip, css, shown = "!", f"Claude: {why}", "error", 0
    elif isinstance(doc_or_error, SessionDocument):
        text, tooltip, css, shown = "–", doc_or_error.message, "normal", 0
    else:
        top = headline_limit(doc_or_error, icon_limit)
        percent = top.percent if top is not None else None
        text = format_percent(percent) if top is not None else "–"
        tooltip = status_text(doc_or_error, now, tz=tz)
        css = waybar_class(percent, thresholds)
        shown = display_percent(percent) or 0
    return {"text": _pango(text), "tooltip": _pango(tooltip), "class": css, "percentage": shown}


def limit_rows(
    usage: UsageDocument, now: datetime, tz: tzinfo | None = None
) -> Sequence[tuple[str, str, str]]:
    """(label, percent, reset) per limit, for tables such as the popup's rows."""
    return [
        (lim.label, format_percent(lim.percent), format_reset(lim.resets_at, now, tz))
        for lim in usage.limits
    ]
