"""The popup's wording, levels, staleness, placement and settings validation, without a display."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from claude_tray.config import Config
from claude_tray.documents import ExtraUsage, Limit, UsageDocument
from claude_tray.errors import LOGIN_CODES, TRANSIENT_CODES, ErrorCode
from claude_tray.popup.model import (
    banner_for,
    bar_fill,
    limit_view,
    money_view,
    usage_page_url,
)
from claude_tray.popup.settings import SettingsForm, SettingsInvalid, config_from_form
from claude_tray.text_format import is_stale

NOW = datetime(2026, 11, 29, 15, 26, tzinfo=timezone.utc)


def _document(age: timedelta) -> UsageDocument:
    limit = Limit(id="session", kind="session", label="Current session", percent=10.0)
    return UsageDocument.build(source="web", limits=[limit], last_updated=NOW - age)


def test_bar_is_full_above_100_and_empty_below_0() -> None:
    """A limit above 100 % fills the bar exactly, never beyond; negatives and None are empty."""
    assert bar_fill(140.0) == 1.0
    assert bar_fill(100.0) == 1.0
    assert bar_fill(42.0) == pytest.approx(0.42)
    assert bar_fill(-3.0) == 0.0
    assert bar_fill(None) == 0.0


def test_limit_over_100_keeps_its_number_and_is_critical() -> None:
    """140 % is shown as 140 %, with a full bar in the critical level."""
    limit = Limit(id="weekly_fable", kind="weekly_scoped", label="Weekly, Fable", percent=140.0)
    view = limit_view(limit, Config().thresholds, NOW)
    assert view.percent_text == "140%"
    assert view.fill == 1.0
    assert view.level == "critical"
    assert view.reset_text == ""


@pytest.mark.posix_only
def test_reset_text_has_countdown_and_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reset is shown as a countdown and a local clock time."""
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        limit = Limit(
            id="session",
            kind="session",
            label="Current session",
            percent=42.0,
            resets_at=NOW + timedelta(hours=2, minutes=14),
        )
        view = limit_view(limit, Config().thresholds, NOW)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert view.reset_text == "resets in 2 h 14 min · 17:40"


def test_money_row_reads_like_money() -> None:
    """Extra usage shows spent and cap as money, and nothing when it is off."""
    extra = ExtraUsage(enabled=True, used=47.52, limit=100.0, currency="USD", percent=47.52)
    view = money_view(extra, Config().thresholds)
    assert view is not None
    assert view.amount_text == "$47.52 of $100.00"
    assert view.fill == pytest.approx(0.4752)
    assert money_view(ExtraUsage(enabled=False), Config().thresholds) is None
    uncapped = money_view(ExtraUsage(enabled=True, used=3.0, currency="EUR"), Config().thresholds)
    assert uncapped is not None and uncapped.fill is None and "€3.00" in uncapped.amount_text


def test_stale_after_two_intervals_or_from_cache() -> None:
    """Numbers are stale when older than two intervals, or when they came from the cache."""
    fresh = _document(timedelta(minutes=9))
    old = _document(timedelta(minutes=11))
    assert not is_stale(fresh, from_cache=False, now=NOW, interval_minutes=5)
    assert is_stale(old, from_cache=False, now=NOW, interval_minutes=5)
    assert is_stale(fresh, from_cache=True, now=NOW, interval_minutes=5)


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_code_has_a_banner_with_the_right_action(code: ErrorCode) -> None:
    """Login codes offer Log in, transient ones Retry, blocked and rate_limited nothing."""
    view = banner_for(code, "What happened, and what to do.")
    assert view.title
    if code in LOGIN_CODES:
        assert view.action == "login"
    elif code in TRANSIENT_CODES:
        assert view.action == "retry"
    elif code in (ErrorCode.BLOCKED, ErrorCode.RATE_LIMITED):
        assert view.action is None
        assert view.tone == "info"


def test_blocked_banner_is_calm_and_does_not_ask_to_log_in() -> None:
    """A Cloudflare check is not an expired session: no alarm, no login request."""
    view = banner_for(ErrorCode.BLOCKED, "Cloudflare challenge")
    text = f"{view.title} {view.body}".lower()
    assert "log in again" not in text
    assert "expired" not in text
    assert view.tone == "info"


def test_usage_page_url_follows_the_base_url() -> None:
    """The usage page is <base>/settings/usage, for claude.ai and for the emulator."""
    assert usage_page_url(None) == "https://claude.ai/settings/usage"
    assert usage_page_url("http://127.0.0.1:8123/") == "http://127.0.0.1:8123/settings/usage"


def _form(base: Config | None = None, /, **changes: object) -> SettingsForm:
    values = SettingsForm.from_config(base or Config()).__dict__ | changes
    return SettingsForm(**values)


def test_valid_settings_make_a_config() -> None:
    """Valid fields become a Config; settings the form does not show are kept."""
    base = Config(browser_path="/usr/bin/chromium", login_timeout_seconds=120)
    config = config_from_form(
        base,
        _form(
            base, interval_minutes="10", source="web", moderate="40", warning="70", critical="95"
        ),
    )
    assert config.login_timeout_seconds == 120
    assert config.interval_minutes == 10
    assert config.source == "web"
    assert (config.thresholds.moderate, config.thresholds.warning) == (40, 70)
    assert config.thresholds.critical == 95
    assert config.browser_path == "/usr/bin/chromium"
    emptied = config_from_form(base, _form(browser_path="  ", python_path="/opt/py/bin/python3"))
    assert emptied.browser_path is None
    assert emptied.python_path == "/opt/py/bin/python3"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"interval_minutes": "soon"}, "must be a number"),
        ({"interval_minutes": "0"}, "between 1 and 1440"),
        ({"interval_minutes": "nan"}, "must be a number"),
        ({"warning": "95", "critical": "90"}, "must go up"),
        ({"moderate": "-5"}, "between 0 and 1000"),
    ],
)
def test_invalid_settings_are_refused_with_a_sentence(changes: dict[str, str], words: str) -> None:
    """Wrong input raises SettingsInvalid with a sentence saying what is wrong."""
    with pytest.raises(SettingsInvalid) as caught:
        config_from_form(Config(), _form(**changes))
    assert any(words in problem for problem in caught.value.problems)


def test_an_unknown_amount_reads_the_same_in_the_popup_and_in_status() -> None:
    """A missing `used` is unknown, never 0 and never a hidden row: one wording everywhere."""
    from claude_tray.text_format import extra_usage_text, status_text

    for limit, words in ((20.0, "amount unknown (cap $20.00)"), (None, "amount unknown (no cap)")):
        extra = ExtraUsage(enabled=True, used=None, limit=limit, currency="USD")
        doc = UsageDocument.build(source="web", limits=[], extra_usage=extra, last_updated=NOW)
        view = money_view(extra, Config().thresholds)
        assert view is not None and view.amount_text == words and view.fill is None
        assert extra_usage_text(doc) == words
        assert f"Extra usage  {words}" in status_text(doc, NOW)
        assert "$0.00" not in status_text(doc, NOW)
