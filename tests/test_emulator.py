"""The claude.ai emulator answers like claude.ai: driven over real HTTP with urllib."""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from claude_tray.emulator import SCENARIOS, Emulator
from tests.support.emulator import Answer, fetch, oauth_headers

SID = re.compile(r"^sk-ant-sid01-[A-Za-z0-9_\-]{40,}$")


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def orgs(emu: Emulator, key: str | None = None) -> Answer:
    return fetch(
        emu.base_url + "/api/organizations", cookies={"sessionKey": key or emu.session_key}
    )


def usage(emu: Emulator, key: str | None = None, org: str | None = None) -> Answer:
    return fetch(
        f"{emu.base_url}/api/organizations/{org or emu.chat_org_uuid}/usage",
        cookies={"sessionKey": key or emu.session_key},
    )


def oauth(emu: Emulator, headers: dict[str, str] | None = None) -> Answer:
    return fetch(
        emu.base_url + "/api/oauth/usage",
        headers=oauth_headers(emu.oauth_token) if headers is None else headers,
    )


# --- credentials and organizations -----------------------------------------------------------


def test_keys_are_shaped_like_the_real_ones(emu: Emulator) -> None:
    """The pre-issued session key and OAuth token have the real prefixes."""
    assert SID.match(emu.session_key)
    assert emu.oauth_token.startswith("sk-ant-oat01-")
    assert emu.base_url.startswith("http://127.0.0.1:")


def test_organizations_list_api_only_first_then_chat(emu: Emulator) -> None:
    """The org list puts an API-only org first and contains exactly one chat org."""
    answer = orgs(emu)
    assert answer.status == 200
    body = answer.json()
    assert len(body) >= 2
    assert body[0]["capabilities"] == ["api"]
    assert body[0]["uuid"] == emu.api_org_uuid
    chat = [org for org in body if "chat" in org["capabilities"]]
    assert [org["uuid"] for org in chat] == [emu.chat_org_uuid]
    assert {"uuid", "name", "capabilities", "rate_limit_tier"} <= set(chat[0])


def test_api_only_org_answers_invalid_authorization_for_organization(emu: Emulator) -> None:
    """Usage of the API-only org is a 403 permission_error that is not a dead session."""
    answer = usage(emu, org=emu.api_org_uuid)
    assert answer.status == 403
    error = answer.json()["error"]
    assert error["type"] == "permission_error"
    assert error["message"].startswith("Invalid authorization for organization")
    assert "account_session_invalid" not in answer.text


@pytest.mark.parametrize("cookie", [None, "sk-ant-sid01-notIssuedByThisEmulatorAtAll000000000000"])
def test_missing_or_unknown_key_is_account_session_invalid(
    emu: Emulator, cookie: str | None
) -> None:
    """No session cookie, or a key the emulator never issued, gets 403 account_session_invalid."""
    answer = fetch(
        emu.base_url + "/api/organizations", cookies={"sessionKey": cookie} if cookie else None
    )
    assert answer.status == 403
    assert answer.json()["error"]["details"]["error_code"] == "account_session_invalid"


# --- usage shapes ----------------------------------------------------------------------------


def test_ok_usage_has_current_shape(emu: Emulator) -> None:
    """`ok` serves windows plus limits[] with session, weekly and a scoped model row."""
    body = usage(emu).json()
    assert body["seven_day_opus"] is None and body["seven_day_sonnet"] is None
    assert 0 <= body["five_hour"]["utilization"] <= 100
    assert isinstance(body["seven_day"]["resets_at"], str)
    kinds = [row["kind"] for row in body["limits"]]
    assert kinds[:2] == ["session", "weekly_all"]
    scoped = [row for row in body["limits"] if row["kind"] == "weekly_scoped"]
    assert scoped and scoped[0]["scope"]["model"]["display_name"]
    assert body["limits"][0]["percent"] == pytest.approx(body["five_hour"]["utilization"])
    extra = body["extra_usage"]
    assert isinstance(extra["monthly_limit"], int) and extra["decimal_places"] == 2
    # Unknown codename keys are there, so clients prove they ignore them.
    known = {"five_hour", "seven_day", "seven_day_opus", "seven_day_sonnet", "limits"}
    assert len(set(body) - known - {"extra_usage"}) >= 3


def test_legacy_usage_has_no_limits_array(emu: Emulator) -> None:
    """`legacy` serves windows only; a pinned Opus value shows as seven_day_opus."""
    emu.set_scenario("legacy")
    emu.set_usage(session=12.0, weekly=3.5, scoped={"Opus": 7.0})
    body = usage(emu).json()
    assert "limits" not in body
    assert body["five_hour"]["utilization"] == 12.0
    assert body["seven_day"]["utilization"] == 3.5
    assert body["seven_day_opus"]["utilization"] == 7


def test_no_windows_usage_has_only_extra_usage(emu: Emulator) -> None:
    """`no_windows` (enterprise) has every window null and money in minor units."""
    emu.set_scenario("no_windows")
    emu.set_usage(extra_used=41.25, extra_limit=300.0)
    body = usage(emu).json()
    assert body["five_hour"] is None and body["seven_day"] is None
    assert "limits" not in body
    assert body["extra_usage"]["used_credits"] == 4125
    assert body["extra_usage"]["monthly_limit"] == 30000


def test_set_usage_pins_values_and_none_removes_a_window(emu: Emulator) -> None:
    """Pinned numbers appear in both windows and limits[]; None drops the window and its row."""
    emu.set_usage(session=None, weekly=104.0, scoped={"Fable": 2.5})
    body = usage(emu).json()
    assert body["five_hour"] is None
    rows = {row["kind"]: row for row in body["limits"]}
    assert "session" not in rows
    assert rows["weekly_all"]["percent"] == 104
    assert rows["weekly_all"]["severity"] == "critical"
    assert rows["weekly_scoped"]["percent"] == 2.5


def test_disabled_extra_usage_has_null_amounts(emu: Emulator) -> None:
    """With extra usage off, every amount is null."""
    emu.set_usage(extra_enabled=False)
    extra = usage(emu).json()["extra_usage"]
    assert extra["is_enabled"] is False
    assert extra["monthly_limit"] is None and extra["used_credits"] is None


# --- session faults --------------------------------------------------------------------------


def test_session_expired_rejects_old_keys_but_a_new_login_works(emu: Emulator) -> None:
    """`session_expired` answers 403 account_session_invalid to keys issued before the switch."""
    emu.set_scenario("session_expired")
    answer = usage(emu)
    assert answer.status == 403
    assert answer.json()["error"]["details"]["error_code"] == "account_session_invalid"
    assert orgs(emu).status == 403
    assert usage(emu, key=emu.issue_session_key()).status == 200
    emu.set_scenario("ok")
    assert usage(emu).status == 200


def test_wrong_org_login_remembers_the_api_only_org(emu: Emulator) -> None:
    """In `wrong_org` a login sets lastActiveOrg to the API-only org, whose usage answers 403."""
    emu.set_scenario("wrong_org")
    answer = login_over_http(emu)
    remembered = answer.cookie("lastActiveOrg")
    assert remembered == emu.api_org_uuid
    key = answer.cookie("sessionKey")
    assert key
    assert usage(emu, key=key, org=remembered).status == 403
    assert usage(emu, key=key, org=emu.chat_org_uuid).status == 200


def test_rotate_sets_a_new_key_and_the_old_one_stops_working(emu: Emulator) -> None:
    """`rotate` answers 200 with Set-Cookie sessionKey=<new>; the old key is then invalid."""
    emu.set_scenario("rotate")
    old = emu.session_key
    answer = usage(emu, key=old)
    assert answer.status == 200
    new = answer.cookie("sessionKey")
    assert new and new != old and SID.match(new)
    assert "httponly" in answer.cookie_attributes("sessionKey")
    assert usage(emu, key=old).status == 403
    assert orgs(emu, key=new).status == 200
    assert not emu.is_session_key_valid(old)
    assert emu.latest_session_key != old


def test_new_key_answers_401_twice_then_works(emu: Emulator) -> None:
    """In `new_key_401` a key answers 401 to its first two requests, then 200."""
    emu.set_scenario("new_key_401")
    statuses = [orgs(emu).status for _ in range(4)]
    assert statuses == [401, 401, 200, 200]
    fresh = emu.issue_session_key()
    assert [usage(emu, key=fresh).status for _ in range(3)] == [401, 401, 200]


# --- transient faults ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "retry_after"), [("rate_limited", "0"), ("rate_limited_long", "120")]
)
def test_rate_limited_answers_429_with_retry_after(
    emu: Emulator, scenario: str, retry_after: str
) -> None:
    """The 429 scenarios answer web and OAuth usage with rate_limit_error and retry-after."""
    emu.set_scenario(scenario)
    for answer in (usage(emu), oauth(emu)):
        assert answer.status == 429
        assert answer.headers["retry-after"] == retry_after
        assert answer.json()["error"]["type"] == "rate_limit_error"
    # The organization list is not rate limited, so a client gets as far as usage.
    assert orgs(emu).status == 200


def test_server_error_answers_500(emu: Emulator) -> None:
    """`server_error` answers usage with 500."""
    emu.set_scenario("server_error")
    assert usage(emu).status == 500
    assert oauth(emu).status == 500


def test_html_answers_200_with_a_page(emu: Emulator) -> None:
    """`html` answers usage with 200 and an HTML page instead of JSON."""
    emu.set_scenario("html")
    answer = usage(emu)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text.lstrip().startswith("<!doctype html>")
    with pytest.raises(ValueError):
        answer.json()


def test_truncated_answers_200_with_cut_json(emu: Emulator) -> None:
    """`truncated` answers 200 application/json whose body does not parse."""
    emu.set_scenario("truncated")
    answer = usage(emu)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.text.startswith("{")
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_hang_never_answers_and_does_not_block_stop() -> None:
    """`hang` holds the request without an answer; stop() still returns promptly."""
    emulator = Emulator("hang").start()
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(usage(emulator, org=emulator.chat_org_uuid))
        except OSError as error:
            outcome.append(error)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    with pytest.raises((TimeoutError, socket.timeout)):
        fetch(
            f"{emulator.base_url}/api/organizations/{emulator.chat_org_uuid}/usage",
            cookies={"sessionKey": emulator.session_key},
            timeout=1.0,
        )
    assert not outcome  # the other caller is still waiting
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 10
    caller.join(timeout=15)
    assert outcome and not isinstance(outcome[0], Answer)
    assert ("GET", f"/api/organizations/{emulator.chat_org_uuid}/usage", 0) in emulator.requests


# --- OAuth -----------------------------------------------------------------------------------


def test_oauth_usage_returns_the_usage_body(emu: Emulator) -> None:
    """With the bearer token and the beta header the OAuth endpoint returns the usage body."""
    emu.set_usage(session=61.0)
    answer = oauth(emu)
    assert answer.status == 200
    assert answer.json()["five_hour"]["utilization"] == 61.0


def test_oauth_needs_the_beta_header_and_a_valid_token(emu: Emulator) -> None:
    """Without the beta header, without a token or with a wrong one: 401 authentication_error."""
    for headers in (
        {"Authorization": f"Bearer {emu.oauth_token}"},
        {"anthropic-beta": "oauth-2025-04-20"},
        oauth_headers("sk-ant-oat01-wrongTokenWrongTokenWrongToken"),
    ):
        answer = oauth(emu, headers)
        assert answer.status == 401
        assert answer.json()["error"]["type"] == "authentication_error"


def test_oauth_expired_and_scope_scenarios(emu: Emulator) -> None:
    """`oauth_expired` answers 401 and `oauth_scope` 403 naming the user:profile scope."""
    emu.set_scenario("oauth_expired")
    answer = oauth(emu)
    assert answer.status == 401
    assert answer.json()["error"]["type"] == "authentication_error"
    assert usage(emu).status == 200  # the web session is unaffected
    emu.set_scenario("oauth_scope")
    answer = oauth(emu)
    assert answer.status == 403
    assert "user:profile" in answer.json()["error"]["message"]


# --- Cloudflare ------------------------------------------------------------------------------


def test_cloudflare_challenges_urllib_even_with_a_good_session(emu: Emulator) -> None:
    """Without cf_clearance every claude.ai path answers the 403 JavaScript challenge."""
    emu.set_scenario("cloudflare")
    for answer in (orgs(emu), usage(emu), fetch(emu.base_url + "/login")):
        assert answer.status == 403
        assert answer.headers["cf-mitigated"] == "challenge"
        assert answer.headers["content-type"].startswith("text/html")
        assert "Just a moment" in answer.text
        assert "/cdn-cgi/challenge-platform/" in answer.text
    made_up = fetch(
        emu.base_url + "/api/organizations",
        cookies={"sessionKey": emu.session_key, "cf_clearance": "guessed.value"},
    )
    assert made_up.status == 403
    assert oauth(emu).status == 200  # api.anthropic.com is not behind claude.ai's challenge


def test_cloudflare_accepts_what_the_page_script_computes_for_the_same_agent(
    emu: Emulator,
) -> None:
    """The clearance the page's script builds passes, but only with the same User-Agent."""
    emu.set_scenario("cloudflare")
    agent = {"User-Agent": "Mozilla/5.0 (emulator test)"}
    page = fetch(emu.base_url + "/", headers=agent).text
    head = re.search(r'var head = "([^"]+)"', page)
    factors = re.search(r"var tail = \((\d+) \* (\d+)\)\.toString\(36\)", page)
    assert head and factors
    tail = _base36(int(factors.group(1)) * int(factors.group(2)))
    cookies = {"sessionKey": emu.session_key, "cf_clearance": f"{head.group(1)}.{tail}"}
    assert fetch(emu.base_url + "/api/organizations", cookies=cookies, headers=agent).status == 200
    other = {"User-Agent": "Python-urllib/3.11"}
    assert fetch(emu.base_url + "/api/organizations", cookies=cookies, headers=other).status == 403


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if value == 0:
            return out


# --- login and pages -------------------------------------------------------------------------


def login_over_http(emu: Emulator) -> Answer:
    started = fetch(
        emu.base_url + "/api/auth/send_code", method="POST", json_body={"email": "kim@example.test"}
    )
    assert started.status == 200
    body = started.json()
    return fetch(
        emu.base_url + "/api/auth/verify_code",
        method="POST",
        json_body={"attempt": body["attempt"], "code": body["code"]},
    )


def test_login_page_has_email_and_code_steps(emu: Emulator) -> None:
    """/login is an HTML page with an email field, Continue, a code field and Verify."""
    answer = fetch(emu.base_url + "/login")
    assert answer.status == 200
    for marker in ('id="email"', ">Continue<", 'id="code"', ">Verify<", "history.pushState"):
        assert marker in answer.text
    assert "const AUTO = false" in answer.text
    emu.set_scenario("login_auto")
    assert "const AUTO = true" in fetch(emu.base_url + "/login").text


def test_login_sets_httponly_session_and_last_active_org(emu: Emulator) -> None:
    """A verified code sets an HttpOnly sessionKey that works and lastActiveOrg = the chat org."""
    answer = login_over_http(emu)
    assert answer.status == 200
    key = answer.cookie("sessionKey")
    assert key and SID.match(key) and key != emu.session_key
    assert "httponly" in answer.cookie_attributes("sessionKey")
    assert any(attr.startswith("max-age=") for attr in answer.cookie_attributes("sessionKey"))
    assert answer.cookie("lastActiveOrg") == emu.chat_org_uuid
    assert key not in answer.text
    assert usage(emu, key=key).status == 200


def test_login_rejects_a_wrong_code_and_a_bad_email(emu: Emulator) -> None:
    """A wrong code or an address without @ gets 400 and no session cookie."""
    bad_email = fetch(
        emu.base_url + "/api/auth/send_code", method="POST", json_body={"email": "nobody"}
    )
    assert bad_email.status == 400
    started = fetch(
        emu.base_url + "/api/auth/send_code", method="POST", json_body={"email": "a@example.test"}
    ).json()
    wrong = "000000" if started["code"] != "000000" else "111111"
    answer = fetch(
        emu.base_url + "/api/auth/verify_code",
        method="POST",
        json_body={"attempt": started["attempt"], "code": wrong},
    )
    assert answer.status == 400
    assert answer.cookie("sessionKey") is None


def test_logged_in_visit_to_login_redirects_to_new(emu: Emulator) -> None:
    """A visitor with a valid session who opens /login is sent to /new."""
    answer = fetch(emu.base_url + "/login", cookies={"sessionKey": emu.session_key})
    assert answer.status == 302
    assert answer.headers["location"] == "/new"


@pytest.mark.parametrize("path", ["/", "/new", "/settings/usage"])
def test_app_pages_are_served(emu: Emulator, path: str) -> None:
    """The app shell and the usage page answer 200 HTML."""
    answer = fetch(emu.base_url + path, cookies={"sessionKey": emu.session_key})
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")


def test_usage_page_shows_the_numbers(emu: Emulator) -> None:
    """/settings/usage shows the pinned session percentage to a logged-in visitor."""
    emu.set_usage(session=33.0)
    page = fetch(emu.base_url + "/settings/usage", cookies={"sessionKey": emu.session_key}).text
    assert "33% used" in page
    assert "Log in" in fetch(emu.base_url + "/settings/usage").text


# --- recording and control -------------------------------------------------------------------


def test_requests_are_recorded_without_secrets(emu: Emulator) -> None:
    """Each request is recorded with method, path, status and booleans; stats hold no secret."""
    orgs(emu)
    usage(emu)
    oauth(emu)
    fetch(emu.base_url + "/api/organizations")
    assert emu.count("/api/organizations/") == 1
    assert emu.count("/api/organizations") == 3
    assert emu.count("/api/oauth/usage") == 1
    first, _, third, fourth = emu.requests
    assert first == ("GET", "/api/organizations", 200)
    assert first.had_session_cookie and not first.had_authorization
    assert third.had_authorization and not third.had_session_cookie
    assert fourth.status == 403 and not fourth.had_session_cookie
    stats = fetch(emu.base_url + "/__emulator__/stats")
    assert stats.status == 200
    assert len(stats.json()["requests"]) == 4  # control requests are not recorded
    for secret in (emu.session_key, emu.oauth_token, "sk-ant-"):
        assert secret not in stats.text
        assert secret not in repr(emu.requests)


def test_http_control_switches_scenario_and_usage(emu: Emulator) -> None:
    """POST /__emulator__/scenario and /usage change what the service answers."""
    answer = fetch(
        emu.base_url + "/__emulator__/scenario",
        method="POST",
        json_body={"scenario": "server_error"},
    )
    assert answer.status == 200
    assert emu.scenario == "server_error"
    assert usage(emu).status == 500
    bad = fetch(emu.base_url + "/__emulator__/scenario", method="POST", json_body={"scenario": "x"})
    assert bad.status == 400
    fetch(emu.base_url + "/__emulator__/scenario", method="POST", json_body={"scenario": "ok"})
    answer = fetch(
        emu.base_url + "/__emulator__/usage",
        method="POST",
        json_body={"session": 88.5, "scoped": {"Fable": 9}, "weekly_resets_at": None},
    )
    assert answer.status == 200
    body = usage(emu).json()
    assert body["five_hour"]["utilization"] == 88.5
    assert body["seven_day"]["resets_at"] is None
    bad = fetch(emu.base_url + "/__emulator__/usage", method="POST", json_body={"session": "lots"})
    assert bad.status == 400


def test_every_scenario_name_is_accepted_and_unknown_ones_are_not(emu: Emulator) -> None:
    """set_scenario takes each documented name and refuses others."""
    for name in SCENARIOS:
        emu.set_scenario(name)
        assert emu.scenario == name
    with pytest.raises(ValueError, match="unknown scenario"):
        emu.set_scenario("sunny")


def test_only_loopback_is_allowed() -> None:
    """Asking for any host but 127.0.0.1 is refused."""
    with pytest.raises(ValueError):
        Emulator(host="0.0.0.0")


def test_server_is_quiet_by_default(emu: Emulator, capfd: pytest.CaptureFixture[str]) -> None:
    """No per-request lines reach stdout or stderr unless verbose."""
    orgs(emu)
    usage(emu, org=emu.api_org_uuid)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_verbose_logs_method_path_and_status_but_no_secret(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """With verbose on, each request is one stderr line without keys or query strings."""
    with Emulator(verbose=True) as emu:
        fetch(
            emu.base_url + "/api/organizations?token=sk-ant-oat01-inTheQueryString",
            cookies={"sessionKey": emu.session_key},
        )
        oauth(emu)
        _, err = capfd.readouterr()
        assert "/api/organizations -> 200" in err
        assert "/api/oauth/usage -> 200" in err
        for secret in (emu.session_key, emu.oauth_token, "sk-ant-", "token="):
            assert secret not in err


def test_logout_clears_the_cookies(emu: Emulator) -> None:
    """POST /api/auth/logout answers with sessionKey and lastActiveOrg cookies that expire now."""
    answer = fetch(
        emu.base_url + "/api/auth/logout", method="POST", cookies={"sessionKey": emu.session_key}
    )
    assert answer.status == 200
    assert answer.cookie("sessionKey") == ""
    assert "max-age=0" in answer.cookie_attributes("sessionKey")
    assert "max-age=0" in answer.cookie_attributes("lastActiveOrg")


def test_client_resetting_the_connection_stays_quiet(
    emu: Emulator, capfd: pytest.CaptureFixture[str]
) -> None:
    """A client that resets its connection mid-request leaves no traceback on stderr."""
    with socket.create_connection(("127.0.0.1", emu.port)) as raw:
        raw.sendall(b"GET /api/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.3)  # the server is now reading the rest of the headers
        # Linger 0: close() sends a reset, so the server's read fails.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(0.5)
    emu.stop()
    _, err = capfd.readouterr()
    assert err == ""


def test_http_control_serves_an_arbitrary_usage_body(emu: Emulator) -> None:
    """PUT /__emulator__/usage_body: both usage endpoints answer those bytes; DELETE undoes it."""
    raw = b'{"five_hour": {"utilization": false}, "odd": "\\u0000"}'
    request = urllib.request.Request(
        emu.base_url + "/__emulator__/usage_body", data=raw, method="PUT"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read()) == {"usage_body": len(raw)}
    assert usage(emu).status == 200 and usage(emu).body == raw
    assert oauth(emu).body == raw
    emu.set_scenario("server_error")  # faults still win over the served body
    assert usage(emu).status == 500
    emu.set_scenario("ok")
    assert fetch(emu.base_url + "/__emulator__/usage_body", method="DELETE").status == 200
    assert "five_hour" in usage(emu).json() and usage(emu).body != raw
