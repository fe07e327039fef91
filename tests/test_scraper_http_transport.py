"""The fast path's HTTP transport against a real local server (the emulator)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from claude_tray.emulator import Emulator
from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.scraper.http_transport import HttpTransport, parse_set_cookie


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running emulator in the `ok` scenario."""
    with Emulator("ok") as emu:
        yield emu


def test_sends_the_session_cookie(emulator: Emulator) -> None:
    """The Cookie header carries the session: the organizations call succeeds."""
    transport = HttpTransport(emulator.base_url, cookies={"sessionKey": emulator.session_key})
    response = transport.get("/api/organizations")
    assert response.status == 200
    assert isinstance(response.json(), list)
    assert response.headers["content-type"].startswith("application/json")


def test_error_statuses_are_answers_not_exceptions(emulator: Emulator) -> None:
    """A 403 comes back as a response with its body, not as an exception."""
    emulator.set_scenario("session_expired")
    transport = HttpTransport(emulator.base_url, cookies={"sessionKey": emulator.session_key})
    response = transport.get("/api/organizations")
    assert response.status == 403
    assert b"account_session_invalid" in response.body


def test_rotated_cookie_is_kept_and_sent(emulator: Emulator) -> None:
    """A Set-Cookie sessionKey is reported and used by the next request, like a browser."""
    emulator.set_scenario("rotate")
    transport = HttpTransport(emulator.base_url, cookies={"sessionKey": emulator.session_key})
    response = transport.get(f"/api/organizations/{emulator.chat_org_uuid}/usage")
    assert response.status == 200
    assert response.set_cookies["sessionKey"] == emulator.latest_session_key
    assert transport.cookies()["sessionKey"] == emulator.latest_session_key
    assert transport.get("/api/organizations").status == 200  # the old key no longer works


def test_environment_proxy_is_not_used_for_loopback(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An http_proxy in the environment does not swallow requests to 127.0.0.1."""
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    transport = HttpTransport(emulator.base_url, cookies={"sessionKey": emulator.session_key})
    assert transport.get("/api/organizations").status == 200


def test_refused_connection_is_a_network_error() -> None:
    """Nothing listening: `network_error`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = HttpTransport(f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(ClaudeTrayError) as caught:
        transport.get("/api/organizations")
    assert caught.value.code is ErrorCode.NETWORK_ERROR


def test_no_answer_is_a_timeout(emulator: Emulator) -> None:
    """A server that never answers: `timeout` after the transport's time limit."""
    emulator.set_scenario("hang")
    transport = HttpTransport(
        emulator.base_url, cookies={"sessionKey": emulator.session_key}, timeout=0.5
    )
    with pytest.raises(ClaudeTrayError) as caught:
        transport.get(f"/api/organizations/{emulator.chat_org_uuid}/usage")
    assert caught.value.code is ErrorCode.TIMEOUT


def test_redirects_are_not_followed(emulator: Emulator) -> None:
    """A 3xx comes back as it is (the cookie never follows a redirect elsewhere)."""
    transport = HttpTransport(emulator.base_url, cookies={"sessionKey": emulator.session_key})
    response = transport.get("/login")  # logged in: the emulator redirects to /new
    assert 300 <= response.status < 400
    assert response.headers["location"].endswith("/new")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sessionKey=abc; Path=/; HttpOnly; Secure", ("sessionKey", "abc", False)),
        ('lastActiveOrg="org-1"; Path=/', ("lastActiveOrg", "org-1", False)),
        ("sessionKey=; Max-Age=0; Path=/", ("sessionKey", "", True)),
        ("sessionKey=abc; Max-Age=-1", ("sessionKey", "abc", True)),
        ("sessionKey=abc; Max-Age=zz", ("sessionKey", "abc", False)),
        ("garbage", None),
        ("=value", None),
    ],
)
def test_parse_set_cookie(header: str, expected: tuple[str, str, bool] | None) -> None:
    """Set-Cookie headers give (name, value, deleted); nameless ones are ignored."""
    assert parse_set_cookie(header) == expected
