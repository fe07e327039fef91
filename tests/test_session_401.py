"""A plain 401 is not a logout; only `account_session_invalid` flags the stored session.

Real processes: `python -m claude_tray status` starts the real scraper child,
which talks to the emulator's real HTTP server (issue 7, item 5).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from tests.support.cli import (
    emulator,
    emulator_env,
    restore_logging,
    run_cli,
    store_session,
    write_claude_code_credentials,
)

__all__ = ["emulator", "restore_logging"]

pytestmark = pytest.mark.timeout(180)


def _session(home: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((home / "data" / "web_session.json").read_text())
    return data


def _status(home: Path, emu: Emulator, *args: str) -> tuple[int, dict[str, object], str]:
    done = run_cli(["status", "--json", *args], emulator_env(home, emu))
    return done.returncode, json.loads(done.stdout), done.stderr


def test_a_plain_401_keeps_the_session_and_the_next_poll_reads(
    tmp_path: Path, emulator: Emulator
) -> None:
    """A poll that meets a plain 401 says session_expired, keeps the key; the next one reads."""
    home = tmp_path / "home"
    key = store_session(home, emulator)
    emulator.set_scenario("unauthorized")
    code, document, _err = _status(home, emulator, "--source", "web")
    assert code == 1
    assert document["error"] == "session_expired"
    assert "kept" in str(document["message"])
    stored = _session(home)
    assert stored["invalid"] is False
    assert stored["sessionKey"] == key
    assert stored["unauthorized_at"] is not None

    emulator.set_scenario("ok")
    emulator.clear_requests()
    code, document, err = _status(home, emulator, "--source", "web")
    assert code == 0, err
    assert document["status"] == "success" and document["limits"]
    assert emulator.count("/api/organizations") >= 1  # the key was really tried again
    stored = _session(home)
    assert stored["invalid"] is False and stored["unauthorized_at"] is None
    assert stored["sessionKey"] == key


def test_account_session_invalid_marks_the_session(tmp_path: Path, emulator: Emulator) -> None:
    """403 account_session_invalid flags the session; the next poll does not ask the service."""
    home = tmp_path / "home"
    store_session(home, emulator)
    emulator.set_scenario("session_expired")
    code, document, _err = _status(home, emulator, "--source", "web")
    assert code == 1 and document["error"] == "session_expired"
    assert _session(home)["invalid"] is True
    emulator.clear_requests()
    code, document, _err = _status(home, emulator, "--source", "web")
    assert code == 1 and document["error"] == "session_expired"
    assert emulator.requests == []


def test_auto_says_when_it_falls_back_to_claude_code(tmp_path: Path, emulator: Emulator) -> None:
    """`auto` with an expired web session reads Claude Code's login and says so, and why."""
    home = tmp_path / "home"
    store_session(home, emulator)
    emulator.set_scenario("session_expired")
    assert _status(home, emulator, "--source", "web")[0] == 1  # flags the web session
    emulator.set_scenario("ok")
    write_claude_code_credentials(
        home.parent / "claude-config-empty", emulator.oauth_token, expires_in=3600
    )
    code, document, err = _status(home, emulator, "--source", "auto")
    assert code == 0, err
    assert document["source"] == "claude-code"
    notices = document.get("notices")
    assert isinstance(notices, list) and len(notices) == 1
    assert "Claude Code's login" in notices[0] and "expired" in notices[0]
    assert "Claude Code's login" in err  # said on stderr for a person, too
    text = run_cli(["status"], emulator_env(home, emulator))
    assert text.returncode == 0, text.stderr
    assert "Source: Claude Code login" in text.stdout
    assert "Claude Code's login" in text.stderr
