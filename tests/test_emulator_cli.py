"""`python -m claude_tray.emulator` runs as a real process, writes its info file and answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.emulator import REPO, EmulatorProcess, child_env, fetch, oauth_headers
from tests.support.private import assert_private


def test_cli_writes_a_private_info_file_and_answers_on_its_port(tmp_path: Path) -> None:
    """The CLI writes base_url, session_key and oauth_token (mode 0600) and serves them."""
    info_file = tmp_path / "emulator.json"
    with EmulatorProcess(info_file) as emulator:
        assert_private(info_file)
        info = emulator.info
        assert info["base_url"].startswith("http://127.0.0.1:")
        assert info["session_key"].startswith("sk-ant-sid01-")
        assert info["oauth_token"].startswith("sk-ant-oat01-")
        orgs = fetch(
            info["base_url"] + "/api/organizations", cookies={"sessionKey": info["session_key"]}
        )
        assert orgs.status == 200
        assert (
            fetch(
                info["base_url"] + "/api/oauth/usage", headers=oauth_headers(info["oauth_token"])
            ).status
            == 200
        )
    code, out, err = emulator.stop()
    if os.name == "posix":  # Windows' terminate is TerminateProcess: exit code 1
        assert code == 0
    assert "127.0.0.1" in out
    for secret in (info["session_key"], info["oauth_token"]):
        assert secret not in out and secret not in err


@pytest.mark.posix_only
def test_cli_honours_port_scenario_and_stops_on_sigterm(tmp_path: Path) -> None:
    """--port N and --scenario take effect, and SIGTERM ends the process with 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = EmulatorProcess(tmp_path / "info.json", port=port, scenario="rate_limited_long")
    with process as emulator:
        assert emulator.base_url == f"http://127.0.0.1:{port}"
        answer = fetch(
            f"{emulator.base_url}/api/organizations/{emulator.info['chat_org_uuid']}/usage",
            cookies={"sessionKey": emulator.info["session_key"]},
        )
        assert answer.status == 429
        assert answer.headers["retry-after"] == "120"
    code, _, err = emulator.stop()
    assert code == 0
    assert err == ""  # quiet without --verbose


def test_cli_rejects_an_unknown_scenario() -> None:
    """An unknown scenario is a usage error (exit 2) that lists the valid names."""
    result = subprocess.run(
        [sys.executable, "-m", "claude_tray.emulator", "--scenario", "sunny"],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "rate_limited" in result.stderr


def test_cli_moving_usage_changes_in_real_time(tmp_path: Path) -> None:
    """With --moving, two usage reads a couple of seconds apart differ (the session climbs)."""
    with EmulatorProcess(tmp_path / "info.json", moving=True) as emulator:
        url = f"{emulator.base_url}/api/organizations/{emulator.info['chat_org_uuid']}/usage"
        cookies = {"sessionKey": emulator.info["session_key"]}
        first = fetch(url, cookies=cookies).json()["five_hour"]["utilization"]
        time.sleep(2.5)
        second = fetch(url, cookies=cookies).json()["five_hour"]["utilization"]
        assert second > first
