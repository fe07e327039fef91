"""The warning before the stored claude.ai login ends: from the service's cookie to the banner.

The expiry comes from a real Set-Cookie of the emulator (the `rotate` scenario
hands out a new sessionKey with a Max-Age on every usage answer), read by a
real `status` poll; the warning is then asked for like the tray does, and
shown in a real popup banner with the Log in action.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray import login_expiry
from claude_tray.emulator import Emulator
from claude_tray.paths import AppPaths
from claude_tray.scraper.http_transport import cookie_expiry
from claude_tray.scraper.session_store import load_session
from tests.support.cli import emulator_env, run_cli, store_session
from tests.support.cli import restore_logging as restore_logging  # autouse fixture
from tests.support.display import xvfb as xvfb  # fixture
from tests.test_popup import Harness, texts
from tests.test_popup import harness as harness  # fixture
from tests.test_popup import utc_zone as utc_zone  # fixture

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sessionKey=x; Path=/; Max-Age=3600; HttpOnly", NOW + timedelta(hours=1)),
        ("sessionKey=x; Expires=Wed, 02 Dec 2026 10:00:00 GMT; Path=/",
         datetime(2026, 12, 2, 10, tzinfo=timezone.utc)),
        ("sessionKey=x; Expires=Wed, 02 Dec 2026 10:00:00 GMT; Max-Age=60",
         NOW + timedelta(minutes=1)),  # Max-Age wins
        ("sessionKey=x; Path=/", None),  # a browser-session cookie: no end known
        ("sessionKey=x; Expires=someday", None),
    ],
)  # fmt: skip
def test_cookie_expiry(header: str, expected: datetime | None) -> None:
    assert cookie_expiry(header, NOW) == expected


def test_the_warning_window_and_the_words() -> None:
    ends = NOW + timedelta(days=2, hours=3)
    warning = login_expiry.warning_for(ends, NOW)
    assert warning is not None
    assert warning.title == "Your claude.ai login ends in 2 d 3 h"
    assert warning.body.startswith("Log in again before ")
    assert login_expiry.warning_for(NOW + timedelta(days=4), NOW) is None  # not yet
    assert login_expiry.warning_for(NOW - timedelta(minutes=1), NOW) is None  # already over


def test_a_real_cookie_end_is_stored_and_warned_about_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    with Emulator("rotate") as emulator:
        store_session(home, emulator)
        emulator.set_session_cookie_max_age(2 * 86400)
        polled = run_cli(["status", "--json"], emulator_env(home, emulator), timeout=120)
    assert polled.returncode == 0, polled.stderr
    assert json.loads(polled.stdout)["status"] == "success"
    session = load_session(paths)
    assert session is not None and session.key_expires_at is not None
    now = datetime.now(timezone.utc)
    assert abs(session.key_expires_at - (now + timedelta(days=2))) < timedelta(minutes=2)
    assert session.key_expires_at.isoformat() not in polled.stdout + polled.stderr

    first = login_expiry.check(paths, now)
    assert first is not None
    assert first.title.startswith("Your claude.ai login ends in 1 d 23 h")
    assert login_expiry.check(paths, now) is None  # once
    assert login_expiry.check(paths, now + timedelta(hours=5)) is None  # still once
    # The marker names no secret.
    marker = (paths.data_dir / "login_expiry_warned.json").read_text(encoding="utf-8")
    assert session.session_key not in marker


def test_no_warning_when_the_end_is_far_or_unknown(tmp_path: Path) -> None:
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    assert login_expiry.check(paths, NOW) is None  # nothing stored at all
    with Emulator("ok") as emulator:
        store_session(home, emulator)
    assert load_session(paths) is not None
    assert login_expiry.check(paths, datetime.now(timezone.utc)) is None


def test_the_banner_offers_log_in(harness: Harness) -> None:
    warning = login_expiry.warning_for(NOW + timedelta(days=2), NOW)
    assert warning is not None
    harness.popup.show()
    harness.popup.show_message(warning.title, warning.body, action="login", tone="warning")
    harness.settle()
    shown = texts(harness.popup.window)
    assert warning.title in shown
    assert "Log in…" in shown
    harness.screenshot("login_expiry")
    assert not harness.popup.login_open
    harness.click(harness.popup.banner.button)
    assert harness.popup.login_open  # the ways to log in, in the card's place


@pytest.mark.browser
@pytest.mark.display
def test_a_browser_login_stores_when_its_cookie_ends(tray_home: Path) -> None:
    """The headed login against login_auto keeps the sessionKey cookie's end (real Chromium)."""
    from tests.support.browser import run_scraper, scraper_env
    from tests.support.child import one_document
    from tests.support.display import xvfb_display

    with xvfb_display() as display, Emulator("login_auto") as emulator:
        emulator.set_session_cookie_max_age(2 * 86400)
        env = scraper_env(tray_home, emulator.base_url, extra={"DISPLAY": display.name})
        completed = run_scraper(["login", "--timeout", "120"], env, timeout=180.0)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert one_document(completed.stdout)["logged_in"] is True
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tray_home)})
    session = load_session(paths)
    assert session is not None and session.key_expires_at is not None
    now = datetime.now(timezone.utc)
    assert abs(session.key_expires_at - (now + timedelta(days=2))) < timedelta(minutes=5)
    assert login_expiry.check(paths, now) is not None
