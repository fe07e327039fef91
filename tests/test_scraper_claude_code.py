"""The scraper child with the Claude Code source (read-only OAuth login), against the emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from tests.support.scraper import (
    FAKE_REFRESH_TOKEN,
    ScraperRun,
    assert_no_secrets,
    logged_text,
    run_scraper,
    scraper_env,
    store_session,
    write_credentials,
)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running emulator in the `ok` scenario."""
    with Emulator("ok") as emu:
        yield emu


def _config_dir() -> Path:
    return Path(os.environ["CLAUDE_CONFIG_DIR"])  # set by conftest to an empty temp folder


def _credentials(emu: Emulator, *, expires_in: timedelta | None = timedelta(hours=1)) -> bytes:
    expires = None if expires_in is None else datetime.now(timezone.utc) + expires_in
    path = write_credentials(_config_dir(), emu.oauth_token, expires_at=expires)
    return path.read_bytes()


def _poll(emu: Emulator, source: str = "claude-code") -> ScraperRun:
    env = scraper_env(base_url=emu.base_url, api_url=emu.base_url)
    return run_scraper(["poll", "--source", source], env)


def _credentials_unchanged(before: bytes) -> None:
    assert (_config_dir() / ".credentials.json").read_bytes() == before
    assert sorted(p.name for p in _config_dir().iterdir()) == [".credentials.json"]


def _no_secrets(emu: Emulator, run: ScraperRun) -> None:
    assert_no_secrets(logged_text(run), {emu.oauth_token, FAKE_REFRESH_TOKEN, emu.session_key})


def test_reads_usage_with_the_oauth_token(emulator: Emulator) -> None:
    """The token from .credentials.json reads usage; the file is byte-identical afterwards."""
    emulator.set_usage(session=61.0, weekly=20.0)
    before = _credentials(emulator)
    run = _poll(emulator)
    assert run.returncode == 0, run.stderr
    doc = run.document
    assert doc["source"] == "claude-code"
    assert doc["limits"][0]["id"] == "session" and doc["limits"][0]["percent"] == 61.0
    assert doc["account"] == {"organization": None, "plan": "Max"}
    assert emulator.count("/api/oauth/usage") == 1
    _credentials_unchanged(before)
    _no_secrets(emulator, run)


def test_auto_uses_claude_code_without_a_web_session(emulator: Emulator) -> None:
    """`auto` reads Claude Code's login when no web session is stored."""
    _credentials(emulator)
    run = _poll(emulator, "auto")
    assert run.returncode == 0, run.stderr
    assert run.document["source"] == "claude-code"


def test_auto_prefers_the_web_session(emulator: Emulator) -> None:
    """`auto` reads the web session when one is stored, even with Claude Code's login present."""
    _credentials(emulator)
    store_session(emulator.session_key, org_uuid=emulator.chat_org_uuid)
    run = _poll(emulator, "auto")
    assert run.returncode == 0, run.stderr
    assert run.document["source"] == "web"
    assert emulator.count("/api/oauth/") == 0


def test_auto_falls_back_to_claude_code_when_the_web_session_is_invalid(
    emulator: Emulator,
) -> None:
    """An expired (flagged) web session makes `auto` read Claude Code's login instead."""
    _credentials(emulator)
    store_session(emulator.session_key, invalid=True)
    run = _poll(emulator, "auto")
    assert run.returncode == 0, run.stderr
    assert run.document["source"] == "claude-code"


def test_expired_token_is_not_sent(emulator: Emulator) -> None:
    """An `expiresAt` in the past says to open Claude Code, without calling the service."""
    before = _credentials(emulator, expires_in=timedelta(minutes=-5))
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == "session_expired"
    assert "Open Claude Code" in run.document["message"]
    assert emulator.count("/api/oauth/") == 0
    _credentials_unchanged(before)


def test_401_says_to_open_claude_code(emulator: Emulator) -> None:
    """A 401 from the service is `session_expired` telling to open Claude Code; file unchanged."""
    emulator.set_scenario("oauth_expired")
    before = _credentials(emulator)
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == "session_expired"
    assert "Open Claude Code" in run.document["message"]
    _credentials_unchanged(before)
    _no_secrets(emulator, run)


def test_missing_scope_is_forbidden(emulator: Emulator) -> None:
    """A token without the user:profile scope is `forbidden`."""
    emulator.set_scenario("oauth_scope")
    before = _credentials(emulator)
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == "forbidden"
    _credentials_unchanged(before)


@pytest.mark.parametrize(
    ("scenario", "code"),
    [("rate_limited", "rate_limited"), ("server_error", "server_error"), ("html", "parse_error")],
)
def test_faults(emulator: Emulator, scenario: str, code: str) -> None:
    """429, 5xx and HTML answers are classified the same way as on the web source."""
    emulator.set_scenario(scenario)
    before = _credentials(emulator)
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == code
    _credentials_unchanged(before)


def test_wrong_token_is_session_expired(emulator: Emulator) -> None:
    """A token the service does not know is `session_expired`."""
    write_credentials(
        _config_dir(),
        "sk-ant-oat01-UnknownFakeToken0aaaaBBBBccccDDDD_eeee-ffff",
        expires_at=None,
    )
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == "session_expired"
    assert "sk-ant-oat01-UnknownFake" not in logged_text(run)


def test_missing_credentials_is_no_session(emulator: Emulator) -> None:
    """No credentials file: `no_session` naming where it looked."""
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == "no_session"
    assert ".credentials.json" in run.document["message"]


@pytest.mark.parametrize("content", ["{broken", "[]", '{"claudeAiOauth": {"accessToken": ""}}'])
def test_unusable_credentials_is_no_session(emulator: Emulator, content: str) -> None:
    """A corrupt credentials file: `no_session`, and the file is left as it was."""
    _config_dir().mkdir(parents=True, exist_ok=True)
    path = _config_dir() / ".credentials.json"
    path.write_text(content, encoding="utf-8")
    run = _poll(emulator)
    assert run.returncode == 1
    assert run.document["error"] == "no_session"
    assert path.read_text(encoding="utf-8") == content


def test_check_session_with_claude_code(emulator: Emulator) -> None:
    """check-session with only Claude Code's login: logged in, source claude-code, exit 0."""
    _credentials(emulator)
    env = scraper_env(base_url=emulator.base_url, api_url=emulator.base_url)
    run = run_scraper(["check-session"], env)
    assert run.returncode == 0, run.stderr
    assert run.document["source"] == "claude-code" and run.document["logged_in"] is True


def test_check_session_with_expired_claude_code(emulator: Emulator) -> None:
    """check-session with an expired Claude Code login: logged_in false, exit 1."""
    _credentials(emulator, expires_in=timedelta(hours=-1))
    env = scraper_env(base_url=emulator.base_url, api_url=emulator.base_url)
    run = run_scraper(["check-session"], env)
    assert run.returncode == 1
    assert run.document["logged_in"] is False
    assert "Open Claude Code" in run.document["message"]
