"""The browser login, end to end: the scraper child opens a visible Chromium on Xvfb."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.paths import AppPaths
from claude_tray.scraper.browser_login import is_logged_in_url, run_browser_login
from claude_tray.scraper.session_store import WebSession, save_session
from tests.support.browser import (
    DEBIAN_CHROMIUM,
    assert_no_secrets,
    browser_windows,
    chromium_profiles_running,
    close_window,
    expect,
    logs_text,
    run_scraper,
    scraper_env,
    screenshot,
    start_scraper,
    wait_for_browser_window,
)
from tests.support.child import one_document
from tests.support.display import XvfbDisplay, xvfb_display

CHILD_TIMEOUT = 180.0


@pytest.fixture(scope="module")
def display() -> Iterator[XvfbDisplay]:
    """A private Xvfb for this module, on a display number Xvfb chose itself."""
    with xvfb_display() as running:
        yield running


def paths_of(home: Path) -> AppPaths:
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    paths.ensure()
    return paths


def store_previous_session(home: Path) -> Path:
    """A session stored before the login attempt (it must survive a failed login)."""
    paths = paths_of(home)
    earlier = datetime.now(timezone.utc) - timedelta(days=3)
    save_session(paths, WebSession(session_key="sk-ant-sid01-previous-key-kept", saved_at=earlier))
    return paths.session_file


#: The emulator pages' background colour (#f5f4ef).
PAGE_BACKGROUND = (245, 244, 239)


def page_background_share(png: Path) -> float:
    """How much of a screenshot is the emulator page's background (0..1)."""
    from PIL import Image

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height) or []
        matching = sum(count for count, colour in colours if colour == PAGE_BACKGROUND)
        return matching / (rgb.width * rgb.height)


def finish(child: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        stdout, stderr = child.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        stdout, stderr = child.communicate(timeout=30)
        raise AssertionError(f"the login child did not end; stderr: {stderr[-2000:]}") from None
    return child.returncode, stdout, stderr


def wait_for_login_page(emulator: Emulator, timeout: float = 90.0) -> None:
    """Until the browser has fetched /login from the emulator."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if emulator.count("/login") > 0:
            return
        time.sleep(0.2)
    raise AssertionError("the browser never loaded /login")


@pytest.mark.browser
@pytest.mark.display
def test_login_completes_and_stores_a_working_key(display: XvfbDisplay, tray_home: Path) -> None:
    """A headed login against login_auto exits 0 and stores a key the service accepts (0600)."""
    with Emulator("login_auto") as emulator:
        env = scraper_env(tray_home, emulator.base_url, extra={"DISPLAY": display.name})
        completed = run_scraper(["login", "--timeout", "120"], env, timeout=CHILD_TIMEOUT)
        assert completed.returncode == 0, completed.stderr[-3000:]
        document = one_document(completed.stdout)
        assert document["logged_in"] is True
        session_file = paths_of(tray_home).session_file
        assert session_file.stat().st_mode & 0o777 == 0o600
        stored = json.loads(session_file.read_text(encoding="utf-8"))
        key = stored["sessionKey"]
        expect(key.startswith("sk-ant-sid01-"), "a session key is stored")
        expect(emulator.is_session_key_valid(key), "the emulator accepts the stored key")
        expect(key != emulator.session_key, "the key came from this login, not the pre-issued one")
        assert ("GET", "/login", 200) in emulator.requests
        assert_no_secrets([completed.stdout, completed.stderr, logs_text(tray_home)], [key])


@pytest.mark.browser
@pytest.mark.display
def test_closing_the_window_cancels_the_login(
    display: XvfbDisplay, tray_home: Path, tmp_path: Path
) -> None:
    """Closing the login window ends in login_cancelled and keeps the earlier session."""
    session_file = store_previous_session(tray_home)
    before = session_file.read_bytes()
    with Emulator("ok") as emulator:  # a login page that waits for a person
        env = scraper_env(tray_home, emulator.base_url, extra={"DISPLAY": display.name})
        child = start_scraper(["login", "--timeout", "150"], env)
        try:
            window = wait_for_browser_window(display.name)
            wait_for_login_page(emulator)
            time.sleep(2.0)  # let the page paint before the screenshot
            shot = screenshot(display.name, tmp_path / "login-window.png")
            close_window(display.name, window)
        except BaseException:
            child.kill()
            child.communicate(timeout=30)
            raise
        code, stdout, stderr = finish(child)
    assert code == 1, stderr[-3000:]
    document = one_document(stdout)
    assert document["error"] == "login_cancelled"
    assert session_file.read_bytes() == before
    assert page_background_share(shot) > 0.2, "the visible window shows the login page"
    assert_no_secrets([stdout, stderr, logs_text(tray_home)], ["sk-ant-sid01-previous-key-kept"])


@pytest.mark.browser
@pytest.mark.display
def test_login_time_limit(display: XvfbDisplay, tray_home: Path) -> None:
    """A login page nobody completes ends in login_timeout after --timeout; nothing is stored."""
    with Emulator("ok") as emulator:
        env = scraper_env(tray_home, emulator.base_url, extra={"DISPLAY": display.name})
        started = time.monotonic()
        completed = run_scraper(["login", "--timeout", "10"], env, timeout=CHILD_TIMEOUT)
        elapsed = time.monotonic() - started
        assert completed.returncode == 1, completed.stderr[-3000:]
        document = one_document(completed.stdout)
        assert document["error"] == "login_timeout"
        assert elapsed >= 10.0
        assert emulator.count("/login") > 0
    assert not paths_of(tray_home).session_file.exists()
    assert_no_secrets([completed.stdout, completed.stderr, logs_text(tray_home)], [])


@pytest.mark.browser
def test_login_without_display_says_so(tray_home: Path) -> None:
    """Without any display the browser login fails with browser_missing and says what to do."""
    with Emulator("login_auto") as emulator:
        env = scraper_env(tray_home, emulator.base_url)  # DISPLAY removed
        completed = run_scraper(["login", "--timeout", "30"], env)
    assert completed.returncode == 1
    document = one_document(completed.stdout)
    assert document["error"] == "browser_missing"
    assert "--session-key" in str(document["message"])


def test_logged_in_address() -> None:
    """Only an address on the service's site outside /login counts as logged in."""
    base = "https://claude.ai"
    assert is_logged_in_url("https://claude.ai/new", base)
    assert is_logged_in_url("https://claude.ai/chats?x=1", base)
    assert is_logged_in_url("https://www.claude.ai/recents", base)
    assert not is_logged_in_url("https://claude.ai/login", base)
    assert not is_logged_in_url("https://claude.ai/login/callback", base)
    assert not is_logged_in_url("https://accounts.google.com/signin", base)
    assert not is_logged_in_url("about:blank", base)
    assert not is_logged_in_url("https://notclaude.ai/new", base)
    local = "http://127.0.0.1:8123"
    assert is_logged_in_url("http://127.0.0.1:8123/new", local)
    assert not is_logged_in_url("http://127.0.0.1:9999/new", local)


@pytest.mark.browser
@pytest.mark.display
def test_run_browser_login_returns_cookies_and_closes_the_browser(
    display: XvfbDisplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_browser_login returns sessionKey and lastActiveOrg, then no browser is left running."""
    monkeypatch.setenv("DISPLAY", display.name)
    profile_dir = tmp_path / "profile"
    with Emulator("login_auto") as emulator:
        cookies = run_browser_login(emulator.base_url, profile_dir, DEBIAN_CHROMIUM, timeout=120.0)
        expect(emulator.is_session_key_valid(cookies["sessionKey"]), "a working key came back")
        assert cookies["lastActiveOrg"] in (emulator.chat_org_uuid, emulator.api_org_uuid)
    assert chromium_profiles_running(profile_dir) == []
    assert browser_windows(display.name) == []


@pytest.mark.browser
@pytest.mark.display
def test_unreachable_login_page_is_a_network_error(
    display: XvfbDisplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login page that cannot be reached ends in network_error naming it, the window closed."""
    monkeypatch.setenv("DISPLAY", display.name)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    profile_dir = tmp_path / "profile"
    with pytest.raises(ClaudeTrayError) as caught:
        run_browser_login(f"http://127.0.0.1:{port}", profile_dir, DEBIAN_CHROMIUM, timeout=60.0)
    assert caught.value.code is ErrorCode.NETWORK_ERROR
    assert f"127.0.0.1:{port}/login" in caught.value.message
    assert chromium_profiles_running(profile_dir) == []


@pytest.mark.browser
@pytest.mark.display
def test_login_does_not_reuse_the_profiles_old_session(
    display: XvfbDisplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second login asks for a new login even though the profile still holds a session cookie."""
    monkeypatch.setenv("DISPLAY", display.name)
    profile_dir = tmp_path / "profile"
    with Emulator("login_auto") as emulator:
        first = run_browser_login(emulator.base_url, profile_dir, DEBIAN_CHROMIUM, timeout=120.0)
        expect(emulator.is_session_key_valid(first["sessionKey"]), "the first login worked")
        # The emulator sends a browser with a usable key from /login straight to /new;
        # the old key must not end the new login at once.
        emulator.set_scenario("ok")
        with pytest.raises(ClaudeTrayError) as caught:
            run_browser_login(emulator.base_url, profile_dir, DEBIAN_CHROMIUM, timeout=8.0)
    assert caught.value.code is ErrorCode.LOGIN_TIMEOUT


@pytest.mark.browser
@pytest.mark.display
def test_ending_the_login_child_leaves_no_browser(display: XvfbDisplay, tray_home: Path) -> None:
    """When the app ends a login child (cancel), its browser goes away with it."""
    with Emulator("ok") as emulator:
        env = scraper_env(tray_home, emulator.base_url, extra={"DISPLAY": display.name})
        child = start_scraper(["login", "--timeout", "150"], env)
        try:
            wait_for_browser_window(display.name)
            profile_dir = paths_of(tray_home).browser_profile_dir
            assert chromium_profiles_running(profile_dir)
        finally:
            child.terminate()
            child.communicate(timeout=60)
        deadline = time.monotonic() + 30
        while chromium_profiles_running(profile_dir) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert chromium_profiles_running(profile_dir) == []
    assert not paths_of(tray_home).session_file.exists()
