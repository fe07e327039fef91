"""Text for people: percentages, times, money, tooltip, `status` lines, Waybar JSON, advice."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_tray.config import Thresholds
from claude_tray.documents import (
    ErrorDocument,
    ExtraUsage,
    SessionDocument,
    UsageDocument,
    dump_document,
    load_document,
)
from claude_tray.errors import ErrorCode
from claude_tray.events import RefreshFailed
from claude_tray.text_format import (
    TOOLTIP_MAX,
    error_advice,
    extra_usage_text,
    format_age,
    format_clock,
    format_countdown,
    format_money,
    format_percent,
    headline_limit,
    status_text,
    tooltip_text,
    waybar_payload,
)
from tests.support.icon import NOW, limit, usage_doc

UTC = timezone.utc
PLUS2 = timezone(timedelta(hours=2))
MINUS8 = timezone(timedelta(hours=-8))

# --- percentages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "text"),
    [
        (0, "0%"),
        (0.0, "0%"),
        (0.4, "<1%"),
        (1, "1%"),
        (42.0, "42%"),
        (74.99, "74%"),
        (99.5, "99%"),
        (99.999, "99%"),
        (100, "100%"),
        (140, "140%"),
        (-3, "0%"),
        (None, "–"),
        (math.nan, "–"),
        (math.inf, ">999999%"),
    ],
)
def test_format_percent_floors(percent: float | None, text: str) -> None:
    """Percentages are floored, so 99.5 never reads 100% before the limit is reached."""
    assert format_percent(percent) == text


# --- countdown, clock, age -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "now"),
        (timedelta(seconds=-30), "now"),
        (timedelta(days=-2), "now"),
        (timedelta(seconds=1), "<1 min"),
        (timedelta(seconds=59), "<1 min"),
        (timedelta(seconds=60), "1 min"),
        (timedelta(minutes=45, seconds=30), "45 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=2, minutes=14), "2 h 14 min"),
        (timedelta(hours=23, minutes=59), "23 h 59 min"),
        (timedelta(days=1), "1 d"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
        (timedelta(days=6, hours=23), "6 d 23 h"),
    ],
)
def test_format_countdown(delta: timedelta, text: str) -> None:
    """The countdown uses the largest two units, floors, and says 'now' once due."""
    assert format_countdown(NOW + delta, NOW) == text


def test_format_countdown_unknown_and_naive() -> None:
    """No reset time gives ''; a datetime without an offset is taken as UTC."""
    assert format_countdown(None, NOW) == ""
    naive = (NOW + timedelta(minutes=45)).replace(tzinfo=None)
    assert format_countdown(naive, NOW) == "45 min"


def test_format_countdown_across_offsets() -> None:
    """The same instant in another offset gives the same countdown."""
    assert format_countdown((NOW + timedelta(hours=2)).astimezone(MINUS8), NOW) == "2 h"


@pytest.mark.parametrize(
    ("resets_at", "tz", "text"),
    [
        (datetime(2026, 11, 26, 17, 40, tzinfo=UTC), UTC, "17:40"),
        (datetime(2026, 11, 26, 17, 40, tzinfo=UTC), PLUS2, "19:40"),
        (datetime(2026, 11, 26, 23, 30, tzinfo=UTC), PLUS2, "Fri 01:30"),
        (datetime(2026, 11, 27, 5, 0, tzinfo=UTC), MINUS8, "21:00"),
        (datetime(2026, 11, 30, 10, 0, tzinfo=UTC), UTC, "Mon 10:00"),
        (datetime(2026, 12, 2, 10, 0, tzinfo=UTC), UTC, "Wed 10:00"),
        (datetime(2026, 12, 3, 10, 0, tzinfo=UTC), UTC, "3 Dec 10:00"),
        (datetime(2026, 11, 25, 9, 5, tzinfo=UTC), UTC, "25 Nov 09:05"),
    ],
)
def test_format_clock(resets_at: datetime, tz: timezone, text: str) -> None:
    """Local clock time; the weekday when not today; the date a week or more away."""
    assert format_clock(resets_at, NOW, tz) == text


def test_format_clock_defaults_to_the_local_zone() -> None:
    """Without a zone the machine's local time is shown."""
    resets_at = NOW + timedelta(minutes=5)
    local = resets_at.astimezone()
    assert format_clock(resets_at, NOW).endswith(f"{local.hour:02d}:{local.minute:02d}")
    assert format_clock(None, NOW) == ""


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=-20), "just now"),
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=2), "2 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=1), "1 h ago"),
        (timedelta(hours=47), "47 h ago"),
        (timedelta(days=3), "3 d ago"),
    ],
)
def test_format_age(age: timedelta, text: str) -> None:
    """The age of the numbers in words, without a prefix."""
    assert format_age(NOW - age, NOW) == text


# --- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (47.52, "USD", "$47.52"),
        (20, "EUR", "€20.00"),
        (20, "eur", "€20.00"),
        (5.5, "GBP", "£5.50"),
        (1234.5, "USD", "$1,234.50"),
        (0, "USD", "$0.00"),
        (0.005, "USD", "$0.01"),
        (-4.25, "USD", "-$4.25"),
        (-0.001, "USD", "$0.00"),
        (47.52, None, "47.52"),
        (47.52, "", "47.52"),
        (12, "CHF", "CHF 12.00"),
        (1500, "JPY", "¥1,500"),
        (None, "USD", "–"),
        (math.nan, "USD", "–"),
    ],
)
def test_format_money(amount: float | None, currency: str | None, text: str) -> None:
    """Money in major units with the currency's symbol, its code, or nothing."""
    assert format_money(amount, currency) == text


def test_extra_usage_text() -> None:
    """Extra usage reads 'used of limit (percent)', or 'spent (no cap)' without a limit."""
    capped = usage_doc(
        extra=ExtraUsage(enabled=True, used=47.52, limit=100, currency="USD", percent=47.52)
    )
    assert extra_usage_text(capped) == "$47.52 of $100.00 (47%)"
    uncapped = usage_doc(extra=ExtraUsage(enabled=True, used=12, currency="EUR"))
    assert extra_usage_text(uncapped) == "€12.00 spent (no cap)"
    assert extra_usage_text(usage_doc(extra=ExtraUsage(enabled=False))) == ""
    assert extra_usage_text(usage_doc()) == ""


# --- headline ------------------------------------------------------------------------------


def test_headline_limit_choices() -> None:
    """Highest by default; the session or weekly limit when chosen; highest when missing."""
    doc = usage_doc(limit("session", 20), limit("weekly_all", 35), limit("weekly_fable", 80))

    def chosen(document: UsageDocument, icon_limit: str) -> str | None:
        found = headline_limit(document, icon_limit)
        return None if found is None else found.id

    assert chosen(doc, "highest") == "weekly_fable"
    assert chosen(doc, "session") == "session"
    assert chosen(doc, "weekly") == "weekly_all"
    assert chosen(usage_doc(limit("weekly_all", 35)), "session") == "weekly_all"
    assert headline_limit(usage_doc(), "highest") is None
    assert headline_limit(None) is None


# --- tooltip -------------------------------------------------------------------------------


def _doc(**kwargs: Any) -> UsageDocument:
    return usage_doc(
        limit("session", 42, datetime(2026, 11, 26, 17, 40, tzinfo=UTC)),
        limit("weekly_all", 18, datetime(2026, 12, 2, 10, 0, tzinfo=UTC)),
        limit("weekly_fable", 3),
        **kwargs,
    )


def test_tooltip_normal() -> None:
    """The tooltip names the headline limit with its reset time, then the others."""
    text = tooltip_text(_doc(), NOW, tz=UTC)
    assert text == "Claude: session 42% (resets 17:40) · week 18% · Fable 3%"


def test_tooltip_follows_the_icon_limit() -> None:
    """With the weekly limit chosen for the icon, the tooltip leads with it."""
    text = tooltip_text(_doc(), NOW, icon_limit="weekly", tz=UTC)
    assert text.startswith("Claude: week 18% (resets Wed 10:00) · session 42%")


def test_tooltip_states() -> None:
    """No data, refreshing, stale, logged out, error and blocked each say so."""
    doc = _doc()
    assert tooltip_text(None, NOW) == "Claude: no usage data yet"
    assert tooltip_text(None, NOW, look="refreshing") == "Claude: reading usage…"
    assert tooltip_text(doc, NOW, look="refreshing", tz=UTC).endswith("· refreshing…")
    old = _doc(updated=NOW - timedelta(minutes=25))
    assert tooltip_text(old, NOW, look="stale", tz=UTC).endswith("· updated 25 min ago")
    logged_out = tooltip_text(doc, NOW, look="logged_out", error=ErrorCode.SESSION_EXPIRED)
    assert logged_out == "Claude: session expired, log in again – click to log in"
    assert "not logged in" in tooltip_text(None, NOW, look="logged_out")
    error = tooltip_text(doc, NOW, look="error", error=RefreshFailed(ErrorCode.NETWORK_ERROR, "x"))
    assert error.startswith("Claude: session 42%") and error.endswith("· no connection")
    assert tooltip_text(None, NOW, look="error", error="timeout") == "Claude: no answer in time"
    blocked = tooltip_text(doc, NOW, error=ErrorCode.BLOCKED, tz=UTC)
    assert "42%" in blocked and "browser check" in blocked and "updated just now" in blocked


def test_tooltip_says_when_auto_refresh_is_paused() -> None:
    """Paused adds a note at the end, also when the rest had to be shortened."""
    text = tooltip_text(_doc(), NOW, tz=UTC, paused=True)
    assert text == "Claude: session 42% (resets 17:40) · week 18% · Fable 3% · auto-refresh paused"
    long = usage_doc(
        limit("session", 5, label="x"), limit("weekly_y", 5, label="Weekly, " + "y" * 200)
    )
    shortened = tooltip_text(long, NOW, paused=True)
    assert len(shortened) <= TOOLTIP_MAX and shortened.endswith("auto-refresh paused")


def test_tooltip_without_limits_mentions_extra_usage() -> None:
    """An account with only extra usage says there are no plan limits, and the money."""
    doc = usage_doc(extra=ExtraUsage(enabled=True, used=47.52, limit=100, currency="USD"))
    assert tooltip_text(doc, NOW) == "Claude: no plan limits reported · extra $47.52"


def test_tooltip_drops_trailing_limits_rather_than_the_state() -> None:
    """With many limits the tooltip keeps the headline and the state and drops the rest."""
    limits = [limit("session", 91)] + [
        limit(f"weekly_model{n}", n, label=f"Weekly, A rather long model name number {n}")
        for n in range(20)
    ]
    text = tooltip_text(usage_doc(*limits), NOW, look="error", error="server_error")
    assert len(text) <= TOOLTIP_MAX
    assert text.startswith("Claude: session 91%")
    assert text.endswith("· claude.ai server error")


@settings(max_examples=200, deadline=None)
@given(
    percents=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=0, max_size=12
    ),
    labels=st.lists(st.text(min_size=0, max_size=80), min_size=12, max_size=12),
    look=st.sampled_from(["normal", "no_data", "refreshing", "stale", "logged_out", "error"]),
    error=st.one_of(st.none(), st.sampled_from(list(ErrorCode)), st.text(max_size=30)),
    icon_limit=st.sampled_from(["highest", "session", "weekly"]),
    minutes=st.integers(min_value=-10_000, max_value=100_000),
    paused=st.booleans(),
)
def test_tooltip_never_exceeds_windows_limit(
    percents: list[float],
    labels: list[str],
    look: str,
    error: object,
    icon_limit: str,
    minutes: int,
    paused: bool,
) -> None:
    """Whatever the limits, labels, look and error, the tooltip is at most 127 characters."""
    limits = [
        limit(
            f"weekly_x{i}" if i else "session",
            p,
            NOW + timedelta(minutes=minutes),
            label=(labels[i] or "x"),
        )
        for i, p in enumerate(percents)
    ]
    doc = usage_doc(*limits, updated=NOW - timedelta(minutes=minutes))
    text = tooltip_text(doc, NOW, look=look, error=error, icon_limit=icon_limit, paused=paused)
    assert 0 < len(text) <= TOOLTIP_MAX
    assert text.startswith("Claude")


# --- status and Waybar ---------------------------------------------------------------------


def test_status_text_for_a_usage_document() -> None:
    """`status` prints an aligned line per limit with countdown and clock, money, and the source."""
    doc = _doc(extra=ExtraUsage(enabled=True, used=47.52, limit=100, currency="USD", percent=47.52))
    lines = status_text(doc, NOW, tz=UTC).splitlines()
    assert lines[0] == "Current session       42%  resets in 1 h 59 min (17:40)"
    assert lines[1] == "Weekly, all models    18%  resets in 5 d 18 h (Wed 10:00)"
    assert lines[2] == "Weekly, Fable          3%"
    assert lines[3] == "Extra usage         $47.52 of $100.00 (47%)"
    assert lines[4] == "Source: claude.ai web session, updated just now"


def test_status_text_for_errors_and_sessions() -> None:
    """An error prints its code and message (and how to log in); a session document its message."""
    expired = ErrorDocument(error=ErrorCode.SESSION_EXPIRED, message="Your session has expired.")
    assert status_text(expired, NOW) == (
        "Error (session_expired): Your session has expired.\nRun `claude-tray login` to log in."
    )
    limited = ErrorDocument(error=ErrorCode.RATE_LIMITED, message="Slow down.", retry_after=120)
    assert status_text(limited, NOW).splitlines()[-1] == "The service asks to wait 2 min."
    session = SessionDocument(source="web", logged_in=True, message="Logged in.")
    assert status_text(session, NOW) == "Logged in."
    assert "No plan limits" in status_text(usage_doc(), NOW)


@pytest.mark.parametrize(
    ("thresholds", "percent", "css"),
    [
        (Thresholds(), 0, "normal"),
        (Thresholds(), 74.9, "normal"),
        (Thresholds(), 75, "warning"),
        (Thresholds(), 89.9, "warning"),
        (Thresholds(), 90, "critical"),
        (Thresholds(), 140, "critical"),
        (Thresholds(moderate=10, warning=20, critical=30), 19.9, "normal"),
        (Thresholds(moderate=10, warning=20, critical=30), 20, "warning"),
        (Thresholds(moderate=10, warning=20, critical=30), 30, "critical"),
    ],
)
def test_waybar_classes(thresholds: Thresholds, percent: float, css: str) -> None:
    """Waybar's class is normal below warning, then warning, then critical."""
    payload = waybar_payload(usage_doc(limit("session", percent)), thresholds, now=NOW)
    assert payload["class"] == css


def test_waybar_payload_shape() -> None:
    """Exactly text, tooltip, class and an int percentage; one line of valid JSON."""
    payload = waybar_payload(_doc(), Thresholds(), now=NOW, tz=UTC)
    assert set(payload) == {"text", "tooltip", "class", "percentage"}
    assert payload["text"] == "42%"
    assert payload["percentage"] == 42 and isinstance(payload["percentage"], int)
    assert "Current session" in payload["tooltip"]
    assert "\n" not in json.dumps(payload)
    assert waybar_payload(usage_doc(limit("session", 99.5)), Thresholds())["percentage"] == 99


def test_waybar_payload_for_errors_and_no_limits() -> None:
    """An error gives class error with the message; no limits gives a dash at 0."""
    error = ErrorDocument(error=ErrorCode.NETWORK_ERROR, message="Cannot reach claude.ai.")
    payload = waybar_payload(error, Thresholds())
    assert payload == {
        "text": "!",
        "tooltip": "Claude: No connection to claude.ai.",
        "class": "error",
        "percentage": 0,
    }
    empty = waybar_payload(usage_doc(), Thresholds(), now=NOW)
    assert (empty["text"], empty["class"], empty["percentage"]) == ("–", "normal", 0)


def test_waybar_payload_is_escaped_for_pango() -> None:
    """Waybar renders text and tooltip as Pango markup, so '<' and '&' are escaped."""
    doc = usage_doc(limit("session", 0.5), limit("weekly_rd", 0.2, label="Weekly, R&D <beta>"))
    payload = waybar_payload(doc, Thresholds(), now=NOW)
    assert payload["text"] == "&lt;1%"
    assert "Weekly, R&amp;D &lt;beta&gt;" in payload["tooltip"]
    assert "<" not in payload["tooltip"] and "& " not in payload["tooltip"]


def test_waybar_payload_of_a_document_read_back_from_json() -> None:
    """A document that went through the scraper's JSON gives the same payload."""
    doc = _doc()
    again = load_document(dump_document(doc))
    assert waybar_payload(again, Thresholds(), now=NOW, tz=UTC) == waybar_payload(
        doc,
        Thresholds(),
        now=NOW,
        tz=UTC,
    )


# --- error advice --------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_code_has_advice(code: ErrorCode) -> None:
    """Every code has a sentence and one of the known actions."""
    headline, action = error_advice(code)
    assert headline.endswith(".") and len(headline) < 90
    assert action in {"login", "retry", "settings", "none"}


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (ErrorCode.SESSION_EXPIRED, "login"),
        (ErrorCode.NO_SESSION, "login"),
        (ErrorCode.NETWORK_ERROR, "retry"),
        (ErrorCode.TIMEOUT, "retry"),
        (ErrorCode.SERVER_ERROR, "retry"),
        (ErrorCode.SCRAPER_CRASHED, "retry"),
        (ErrorCode.BLOCKED, "none"),
        (ErrorCode.RATE_LIMITED, "none"),
        (ErrorCode.BROWSER_MISSING, "settings"),
    ],
)
def test_error_advice_actions(code: ErrorCode, action: str) -> None:
    """Login errors offer login, transient ones retry, blocked and rate limited nothing."""
    assert error_advice(code).action == action
    assert error_advice(code.value).action == action


def test_error_advice_wording() -> None:
    """Session expiry says so; blocked stays calm and promises the last numbers."""
    assert error_advice(ErrorCode.SESSION_EXPIRED).headline == "Your claude.ai session has expired."
    blocked = error_advice(ErrorCode.BLOCKED).headline
    assert "last numbers" in blocked and "expired" not in blocked
    assert error_advice("no_such_code").action == "retry"
