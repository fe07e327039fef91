"""The browser path against the emulator: real Playwright driving Debian's Chromium."""

from __future__ import annotations

import gc
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.scraper.browser_transport import BrowserTransport, cookie_params
from claude_tray.usage_parser import parse_usage_body
from tests.support.browser import (
    DEBIAN_CHROMIUM,
    assert_no_secrets,
    chromium_profiles_running,
    expect,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def cloudflare() -> Iterator[Emulator]:
    """An emulator that challenges every client without a cf_clearance cookie."""
    with Emulator("cloudflare") as emulator:
        yield emulator


def usage_path(emulator: Emulator) -> str:
    return f"/api/organizations/{emulator.chat_org_uuid}/usage"


def profile(tmp_path: Path) -> Path:
    return tmp_path / "profile"


def test_plain_http_is_challenged(cloudflare: Emulator) -> None:
    """Without a browser the cloudflare scenario answers 403 with cf-mitigated: challenge."""
    request = urllib.request.Request(
        cloudflare.base_url + usage_path(cloudflare),
        headers={"Cookie": f"sessionKey={cloudflare.session_key}"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=20)
    assert caught.value.code == 403
    assert caught.value.headers.get("cf-mitigated") == "challenge"


def test_browser_passes_challenge_and_reads_usage(
    cloudflare: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The browser runs the challenge's script, then fetch() inside the page gets 200 JSON usage."""
    caplog.set_level(logging.DEBUG)
    key = cloudflare.session_key
    with BrowserTransport(
        cloudflare.base_url, profile(tmp_path), DEBIAN_CHROMIUM, {"sessionKey": key}
    ) as transport:
        organizations = transport.get("/api/organizations")
        usage = transport.get(usage_path(cloudflare))
        cookies = transport.cookies()
    assert organizations.status == 200
    assert cloudflare.chat_org_uuid in {org["uuid"] for org in organizations.json()}
    assert usage.status == 200
    assert usage.headers["content-type"].startswith("application/json")
    document = parse_usage_body(usage.body, source="web")
    assert document.limits
    expect(cookies["sessionKey"] == key, "the browser kept the stored session key")
    assert cookies.get("cf_clearance")
    # The challenge was really met (and passed) by this browser.
    assert any(status == 403 for _, _, status in cloudflare.requests)
    assert ("GET", usage_path(cloudflare), 200) in cloudflare.requests
    assert_no_secrets([caplog.text], [key, cookies["cf_clearance"]])


def test_clearance_survives_in_the_profile(cloudflare: Emulator, tmp_path: Path) -> None:
    """A second run on the same profile is not challenged again: the clearance cookie was kept."""
    key = cloudflare.session_key
    with BrowserTransport(
        cloudflare.base_url, profile(tmp_path), DEBIAN_CHROMIUM, {"sessionKey": key}
    ) as transport:
        assert transport.get(usage_path(cloudflare)).status == 200
    cloudflare.clear_requests()
    with BrowserTransport(
        cloudflare.base_url, profile(tmp_path), DEBIAN_CHROMIUM, {"sessionKey": key}
    ) as transport:
        assert transport.get(usage_path(cloudflare)).status == 200
    assert cloudflare.requests, "the second run made requests"
    assert all(status != 403 for _, _, status in cloudflare.requests)


def test_rotated_key_is_reported(tmp_path: Path) -> None:
    """A sessionKey the service rotates during a fetch shows in set_cookies and cookies()."""
    with Emulator("rotate") as emulator:
        old = emulator.session_key
        with BrowserTransport(
            emulator.base_url, profile(tmp_path), DEBIAN_CHROMIUM, {"sessionKey": old}
        ) as transport:
            response = transport.get(usage_path(emulator))
            new = transport.cookies()["sessionKey"]
        assert response.status == 200
        expect(response.set_cookies.get("sessionKey") == new, "set_cookies has the new key")
        expect(new != old, "the key was rotated")
        expect(emulator.is_session_key_valid(new), "the rotated key works")
        expect(not emulator.is_session_key_valid(old), "the old key stopped working")


def test_error_answers_are_returned(tmp_path: Path) -> None:
    """A 403 from the service comes back as an HttpResponse, not an exception."""
    with Emulator("session_expired") as emulator:
        with BrowserTransport(
            emulator.base_url,
            profile(tmp_path),
            DEBIAN_CHROMIUM,
            {"sessionKey": emulator.session_key},
        ) as transport:
            response = transport.get(usage_path(emulator))
        assert response.status == 403
        assert "account_session_invalid" in response.text


def test_hanging_service_is_a_timeout(tmp_path: Path) -> None:
    """A usage request that never answers ends in timeout after the transport's limit."""
    with Emulator("hang") as emulator:
        transport = BrowserTransport(
            emulator.base_url,
            profile(tmp_path),
            DEBIAN_CHROMIUM,
            {"sessionKey": emulator.session_key},
            timeout=4.0,
        )
        try:
            with pytest.raises(ClaudeTrayError) as caught:
                transport.get(usage_path(emulator))
        finally:
            transport.close()
    assert caught.value.code is ErrorCode.TIMEOUT


def test_unreachable_service_is_a_network_error(tmp_path: Path) -> None:
    """A base URL where nothing listens ends in network_error, and no browser is left."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ClaudeTrayError) as caught:
        BrowserTransport(
            f"http://127.0.0.1:{port}", profile(tmp_path), DEBIAN_CHROMIUM, {}, timeout=15.0
        )
    assert caught.value.code is ErrorCode.NETWORK_ERROR
    assert f"127.0.0.1:{port}" in caught.value.message
    assert chromium_profiles_running(profile(tmp_path)) == []


def test_browser_that_cannot_start(tmp_path: Path) -> None:
    """An executable that is not a working browser is browser_missing naming it."""
    fake = tmp_path / "not-a-browser"
    fake.write_text("#!/bin/sh\necho broken >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    with pytest.raises(ClaudeTrayError) as caught:
        BrowserTransport("http://127.0.0.1:9", profile(tmp_path), fake, {}, timeout=20.0)
    assert caught.value.code is ErrorCode.BROWSER_MISSING
    assert str(fake) in caught.value.message
    # The browser's own complaint and exit code say why.
    assert "exited with code 1" in caught.value.message
    assert "broken" in caught.value.message


def test_missing_browser(tmp_path: Path) -> None:
    """A browser path that does not exist is browser_missing, without starting Playwright."""
    with pytest.raises(ClaudeTrayError) as caught:
        BrowserTransport("http://127.0.0.1:9", profile(tmp_path), tmp_path / "gone", {})
    assert caught.value.code is ErrorCode.BROWSER_MISSING


def test_a_browser_run_collects_garbage_again(tmp_path: Path) -> None:
    """The scraper child runs with the cyclic collector off (scraper/__main__.py); a
    browser run, which lasts seconds to minutes, turns it back on where it starts."""
    gc.disable()
    try:
        with pytest.raises(ClaudeTrayError):
            BrowserTransport("http://127.0.0.1:9", profile(tmp_path), tmp_path / "gone", {})
        assert gc.isenabled()
    finally:
        gc.enable()


def test_close_stops_the_browser_and_is_idempotent(cloudflare: Emulator, tmp_path: Path) -> None:
    """close() ends every Chromium process of the profile and may be called twice."""
    transport = BrowserTransport(
        cloudflare.base_url,
        profile(tmp_path),
        DEBIAN_CHROMIUM,
        {"sessionKey": cloudflare.session_key},
    )
    assert chromium_profiles_running(profile(tmp_path))
    transport.close()
    transport.close()
    assert chromium_profiles_running(profile(tmp_path)) == []
    with pytest.raises(ClaudeTrayError) as caught:
        transport.get("/api/organizations")
    assert caught.value.code is ErrorCode.INTERNAL_ERROR
    # The last known cookies stay readable after close, for the caller to store.
    last_key = transport.cookies()["sessionKey"]
    expect(last_key == cloudflare.session_key, "cookies() after close has the session key")


def test_cookie_records_for_named_hosts() -> None:
    """On a named host cookies go on the parent domain, where the service sets sessionKey."""
    records = cookie_params("https://claude.ai", {"sessionKey": "sk-ant-sid01-x", "empty": ""})
    assert records == [
        {
            "name": "sessionKey",
            "value": "sk-ant-sid01-x",
            "domain": ".claude.ai",
            "path": "/",
            "secure": True,
            "sameSite": "Lax",
            "httpOnly": True,
        }
    ]
    local = cookie_params("http://127.0.0.1:8123", {"lastActiveOrg": "org"})
    assert local == [
        {
            "name": "lastActiveOrg",
            "value": "org",
            "url": "http://127.0.0.1:8123/",
            "httpOnly": False,
        }
    ]


def test_profile_in_use_says_so(cloudflare: Emulator, tmp_path: Path) -> None:
    """A second browser on a profile another one holds fails with a message naming the profile."""
    key = {"sessionKey": cloudflare.session_key}
    first = BrowserTransport(cloudflare.base_url, profile(tmp_path), DEBIAN_CHROMIUM, key)
    try:
        # Playwright's sync API runs once per thread: the second browser gets its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            second = pool.submit(
                BrowserTransport, cloudflare.base_url, profile(tmp_path), DEBIAN_CHROMIUM, {}
            )
            with pytest.raises(ClaudeTrayError) as caught:
                second.result(timeout=120)
        assert caught.value.code is ErrorCode.INTERNAL_ERROR
        assert str(profile(tmp_path)) in caught.value.message
        assert "in use" in caught.value.message
        # The first browser is not disturbed.
        assert first.get("/api/organizations").status == 200
    finally:
        first.close()
