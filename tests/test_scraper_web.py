"""The scraper child with the web source, against the emulator, through every scenario.

Each test runs `python -m claude_tray.scraper …` as a real child process and
checks the one document, the exit code, what happened to the stored session
file, and that no key reached any output or log.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from claude_tray.emulator import Emulator
from claude_tray.scraper import scraper_state
from tests.support.scraper import (
    ScraperRun,
    app_paths,
    assert_no_secrets,
    logged_text,
    run_scraper,
    scraper_env,
    session_bytes,
    session_json,
    store_session,
)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running emulator in the `ok` scenario."""
    with Emulator("ok") as emu:
        yield emu


def _poll(emu: Emulator, *extra: str) -> ScraperRun:
    return run_scraper(["poll", "--source", "web", *extra], scraper_env(base_url=emu.base_url))


def _no_secrets(emu: Emulator, *runs: ScraperRun) -> None:
    secrets = {emu.session_key, emu.latest_session_key, emu.oauth_token}
    for run in runs:
        assert_no_secrets(logged_text(run), secrets)


def _store(
    emu: Emulator, *, org_uuid: str | None = None, last_active_org: str | None = None
) -> bytes:
    store_session(emu.session_key, org_uuid=org_uuid, last_active_org=last_active_org)
    stored = session_bytes()
    assert stored is not None
    return stored


def test_ok_prints_the_usage_document(emulator: Emulator) -> None:
    """`poll` prints the usage document of interface.md, field for field, and exits 0."""
    emulator.set_usage(session=42.0, weekly=18.0, scoped={"Fable": 3.0})
    _store(emulator)
    run = _poll(emulator)
    assert run.returncode == 0, run.stderr
    doc = run.document
    assert list(doc) == [
        "schema_version",
        "status",
        "source",
        "usage_percent",
        "tokens_used",
        "tokens_limit",
        "tokens_remaining",
        "reset_time",
        "last_updated",
        "limits",
        "extra_usage",
        "account",
    ]
    assert doc["schema_version"] == 1 and doc["status"] == "success" and doc["source"] == "web"
    assert [limit["id"] for limit in doc["limits"]] == ["session", "weekly_all", "weekly_fable"]
    assert [limit["percent"] for limit in doc["limits"]] == [42.0, 18.0, 3.0]
    assert doc["usage_percent"] == 42.0
    assert doc["reset_time"] == doc["limits"][0]["resets_at"]
    assert doc["tokens_used"] is None
    _no_secrets(emulator, run)


def test_ok_remembers_the_chat_organization(emulator: Emulator) -> None:
    """The first poll lists the organizations once, remembers the chat one, and keeps the key."""
    _store(emulator)
    assert _poll(emulator).returncode == 0
    stored = session_json()
    assert stored["org_uuid"] == emulator.chat_org_uuid
    assert stored["sessionKey"] == emulator.session_key
    assert emulator.count("/api/organizations", method="GET") == 2  # list + usage
    emulator.clear_requests()
    assert _poll(emulator).returncode == 0
    assert [r[1] for r in emulator.requests] == [
        f"/api/organizations/{emulator.chat_org_uuid}/usage"
    ]


@pytest.mark.parametrize("scenario", ["legacy", "no_windows"])
def test_other_shapes_parse(emulator: Emulator, scenario: str) -> None:
    """The older shape and an enterprise account without windows both give a usage document."""
    emulator.set_scenario(scenario)
    _store(emulator, org_uuid=emulator.chat_org_uuid)
    run = _poll(emulator)
    assert run.returncode == 0, run.stderr
    doc = run.document
    if scenario == "no_windows":
        assert doc["limits"] == [] and doc["usage_percent"] is None
        assert doc["extra_usage"] is not None
    else:
        assert {limit["id"] for limit in doc["limits"]} >= {"session", "weekly_all"}


@pytest.mark.parametrize(
    ("scenario", "code", "retry_after"),
    [
        ("rate_limited", "rate_limited", 0.0),
        ("rate_limited_long", "rate_limited", 120.0),
        ("server_error", "server_error", None),
        ("html", "parse_error", None),
        ("truncated", "parse_error", None),
    ],
)
def test_faults_keep_the_session(
    emulator: Emulator, scenario: str, code: str, retry_after: float | None
) -> None:
    """429, 5xx and unreadable answers give their error, exit 1; the session file is unchanged."""
    emulator.set_scenario(scenario)
    before = _store(emulator, org_uuid=emulator.chat_org_uuid)
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["status"] == "error"
    assert run.document["error"] == code
    assert run.document["retry_after"] == retry_after
    assert run.document["message"].endswith(".")
    assert session_bytes() == before
    _no_secrets(emulator, run)


def test_hang_is_a_timeout(emulator: Emulator) -> None:
    """A service that never answers gives `timeout` after the request time limit; session kept."""
    emulator.set_scenario("hang")
    before = _store(emulator, org_uuid=emulator.chat_org_uuid)
    run = _poll(emulator, "--http-timeout", "1")
    assert run.returncode == 1
    assert run.document["error"] == "timeout"
    assert session_bytes() == before
    _no_secrets(emulator, run)


def test_unreachable_service_is_a_network_error() -> None:
    """Nothing listening on the port gives `network_error`; session kept."""
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store_session("sk-ant-sid01-NetworkFake00000aaaaBBBBccccDDDD_eeee-ffff")
    before = session_bytes()
    run = run_scraper(["poll"], scraper_env(base_url=f"http://127.0.0.1:{port}"))
    assert run.returncode == 1
    assert run.document["error"] == "network_error"
    assert f"127.0.0.1:{port}" in run.document["message"]
    assert session_bytes() == before


def test_session_expired_flags_but_keeps_the_session(emulator: Emulator) -> None:
    """An invalid session: `session_expired`, file kept but flagged, next poll asks nobody."""
    emulator.set_scenario("session_expired")
    _store(emulator, org_uuid=emulator.chat_org_uuid)
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == "session_expired"
    assert "Log in again" in run.document["message"]
    stored = session_json()
    assert stored["invalid"] is True
    assert stored["sessionKey"] == emulator.session_key
    emulator.clear_requests()
    again = _poll(emulator)
    assert again.document["error"] == "session_expired"
    assert emulator.requests == []
    _no_secrets(emulator, run, again)


def test_wrong_organization_is_rechosen_once(emulator: Emulator) -> None:
    """A remembered API-only organization is replaced by the chat one, once, and remembered."""
    emulator.set_scenario("wrong_org")
    _store(emulator, last_active_org=emulator.api_org_uuid)
    run = _poll(emulator)
    assert run.returncode == 0, run.stderr
    assert run.document["status"] == "success"
    usage_calls = [r for r in emulator.requests if r[1].endswith("/usage")]
    assert [(r[1], r[2]) for r in usage_calls] == [
        (f"/api/organizations/{emulator.api_org_uuid}/usage", 403),
        (f"/api/organizations/{emulator.chat_org_uuid}/usage", 200),
    ]
    assert session_json()["org_uuid"] == emulator.chat_org_uuid
    emulator.clear_requests()
    again = _poll(emulator)
    assert again.returncode == 0
    assert emulator.count(f"/api/organizations/{emulator.api_org_uuid}") == 0
    _no_secrets(emulator, run, again)


def test_rotated_key_is_stored(emulator: Emulator) -> None:
    """A sessionKey rotated by Set-Cookie is stored, and the next poll works with it."""
    emulator.set_scenario("rotate")
    _store(emulator, org_uuid=emulator.chat_org_uuid)
    old_key = emulator.session_key
    run = _poll(emulator)
    assert run.returncode == 0, run.stderr
    new_key = emulator.latest_session_key
    assert new_key != old_key
    assert not emulator.is_session_key_valid(old_key)
    assert session_json()["sessionKey"] == new_key
    again = _poll(emulator)
    assert again.returncode == 0, again.stderr
    assert session_json()["sessionKey"] == emulator.latest_session_key
    assert_no_secrets(logged_text(run) + logged_text(again), {old_key, new_key})


def test_new_key_401_is_retried(emulator: Emulator) -> None:
    """A key that answers 401 for its first requests gets short retries and then works."""
    emulator.set_scenario("new_key_401")
    before = _store(emulator, org_uuid=emulator.chat_org_uuid)
    run = _poll(emulator)
    assert run.returncode == 0, run.stderr
    statuses = [r[2] for r in emulator.requests]
    assert statuses.count(401) >= 1 and statuses[-1] == 200
    assert session_bytes() == before
    _no_secrets(emulator, run)


def test_cloudflare_challenge_tries_the_browser_and_keeps_the_session(emulator: Emulator) -> None:
    """A fast-path challenge tries the browser (none here): `blocked`, session kept, remembered."""
    emulator.set_scenario("cloudflare")
    before = _store(emulator, org_uuid=emulator.chat_org_uuid)
    env = scraper_env(
        base_url=emulator.base_url, extra={"CLAUDE_TRAY_BROWSER": "/nonexistent/chromium"}
    )
    run = run_scraper(["poll"], env)
    assert run.returncode == 1
    assert run.document["error"] == "blocked"
    assert "browser" in run.document["message"]
    assert "Log in" not in run.document["message"]
    assert session_bytes() == before
    state = scraper_state.load_state(app_paths())
    assert state.fast_path_challenged(time.time())
    assert "trying the browser path" in run.stderr
    _no_secrets(emulator, run)


def test_force_browser_without_browser_is_browser_missing(emulator: Emulator) -> None:
    """`--force-browser` with no browser to be found gives `browser_missing`."""
    before = _store(emulator, org_uuid=emulator.chat_org_uuid)
    env = scraper_env(
        base_url=emulator.base_url, extra={"CLAUDE_TRAY_BROWSER": "/nonexistent/chromium"}
    )
    run = run_scraper(["poll", "--force-browser"], env)
    assert run.returncode == 1
    assert run.document["error"] == "browser_missing"
    assert session_bytes() == before


def test_no_session_says_both_ways_to_log_in(emulator: Emulator) -> None:
    """With nothing stored, `auto` gives `no_session` naming both ways to log in."""
    run = run_scraper(["poll"], scraper_env(base_url=emulator.base_url))
    assert run.returncode == 1
    assert run.document["error"] == "no_session"
    assert "claude-tray login" in run.document["message"]
    assert "Claude Code" in run.document["message"]
    assert emulator.requests == []


def test_corrupt_session_file_is_reported_and_kept(emulator: Emulator) -> None:
    """A corrupt session file gives a clear `no_session` message naming it; the file stays."""
    paths = app_paths()
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    paths.session_file.write_text('{"sessionKey": "sk-ant-sid01-Broken', encoding="utf-8")
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == "no_session"
    assert str(paths.session_file) in run.document["message"]
    assert paths.session_file.read_text(encoding="utf-8").endswith("Broken")


# --- check-session --------------------------------------------------------------------------


def test_check_session_ok(emulator: Emulator) -> None:
    """A working session: logged_in true, exit 0, without touching the usage endpoint."""
    _store(emulator, org_uuid=emulator.chat_org_uuid)
    run = run_scraper(["check-session"], scraper_env(base_url=emulator.base_url))
    assert run.returncode == 0, run.stderr
    assert run.document["logged_in"] is True and run.document["source"] == "web"
    assert emulator.count("/api/organizations/") == 0
    _no_secrets(emulator, run)


def test_check_session_expired(emulator: Emulator) -> None:
    """An expired session: logged_in false, exit 1, file kept."""
    emulator.set_scenario("session_expired")
    _store(emulator)
    run = run_scraper(["check-session"], scraper_env(base_url=emulator.base_url))
    assert run.returncode == 1
    assert run.document["status"] == "success" and run.document["logged_in"] is False
    assert session_json()["sessionKey"] == emulator.session_key


def test_check_session_without_session(emulator: Emulator) -> None:
    """Nothing stored: logged_in false, exit 1."""
    run = run_scraper(["check-session"], scraper_env(base_url=emulator.base_url))
    assert run.returncode == 1
    assert run.document["logged_in"] is False


def test_check_session_challenged_is_not_logged_out(emulator: Emulator) -> None:
    """A challenge during check-session is `blocked`, not "logged out"; the file is untouched."""
    emulator.set_scenario("cloudflare")
    before = _store(emulator, org_uuid=emulator.chat_org_uuid)
    run = run_scraper(["check-session"], scraper_env(base_url=emulator.base_url))
    assert run.returncode == 1
    assert run.document["error"] == "blocked"
    assert session_bytes() == before
    _no_secrets(emulator, run)


# --- login with a key -----------------------------------------------------------------------


def _login_key(emu: Emulator, key: str) -> ScraperRun:
    return run_scraper(
        ["login", "--session-key-stdin"], scraper_env(base_url=emu.base_url), stdin=key + "\n"
    )


def test_login_with_a_good_key_stores_it(emulator: Emulator) -> None:
    """A good key is checked (organizations + usage) and replaces the stored session."""
    store_session(emulator.session_key, invalid=True)
    new_key = emulator.issue_session_key()
    run = _login_key(emulator, new_key)
    assert run.returncode == 0, run.stderr
    assert run.document["logged_in"] is True
    stored = session_json()
    assert stored["sessionKey"] == new_key
    assert stored["invalid"] is False
    assert stored["org_uuid"] == emulator.chat_org_uuid
    assert emulator.count("/api/organizations", method="GET") >= 2
    assert_no_secrets(logged_text(run), {new_key, emulator.session_key})


def test_login_with_a_bad_key_keeps_the_old_session(emulator: Emulator) -> None:
    """A key the service refuses is not stored; the old session stays byte for byte."""
    before = _store(emulator, org_uuid=emulator.chat_org_uuid)
    bad_key = "sk-ant-sid01-NotIssuedFake000aaaaBBBBccccDDDD_eeee-ffff"
    run = _login_key(emulator, bad_key)
    assert run.returncode == 1
    assert run.document["error"] == "session_expired"
    assert session_bytes() == before
    assert_no_secrets(logged_text(run), {bad_key, emulator.session_key})


def test_login_with_a_brand_new_key_that_answers_401(emulator: Emulator) -> None:
    """A just-issued key that answers 401 at first is retried and stored."""
    emulator.set_scenario("new_key_401")
    new_key = emulator.issue_session_key()
    run = _login_key(emulator, new_key)
    assert run.returncode == 0, run.stderr
    assert session_json()["sessionKey"] == new_key


@pytest.mark.parametrize("text", ["", "   ", "sk-ant-sid01 with spaces", "key;injected=1"])
def test_login_rejects_a_malformed_key(emulator: Emulator, text: str) -> None:
    """An empty or malformed key is refused without asking the service; nothing is stored."""
    run = _login_key(emulator, text)
    assert run.returncode == 1
    assert run.document["error"] == "no_session"
    assert session_bytes() is None
    assert emulator.requests == []


def test_login_accepts_a_cookie_style_key(emulator: Emulator) -> None:
    """A pasted `sessionKey=…` is understood as the key itself."""
    new_key = emulator.issue_session_key()
    run = _login_key(emulator, f"sessionKey={new_key}")
    assert run.returncode == 0, run.stderr
    assert json.loads(session_bytes() or b"{}")["sessionKey"] == new_key


def test_remembered_challenge_without_browser_still_tries_the_fast_path(
    emulator: Emulator,
) -> None:
    """With a challenge remembered but no browser to be found, the fast path is tried and works."""
    _store(emulator, org_uuid=emulator.chat_org_uuid)
    scraper_state.remember_challenge(app_paths(), now=time.time(), seconds=600)
    env = scraper_env(
        base_url=emulator.base_url, extra={"CLAUDE_TRAY_BROWSER": "/nonexistent/chromium"}
    )
    run = run_scraper(["poll"], env)
    assert run.returncode == 0, run.stderr
    assert "going straight to the browser" in run.stderr
    assert emulator.count(f"/api/organizations/{emulator.chat_org_uuid}/usage") == 1


def test_expired_challenge_memory_is_cleared_by_a_fast_path_success(emulator: Emulator) -> None:
    """Once the remembered challenge is over, a fast-path success forgets it."""
    _store(emulator, org_uuid=emulator.chat_org_uuid)
    scraper_state.remember_challenge(app_paths(), now=time.time() - 3600, seconds=60)
    run = _poll(emulator)
    assert run.returncode == 0, run.stderr
    assert "browser" not in run.stderr
    assert scraper_state.load_state(app_paths()).challenged_until is None
