"""Helpers for the command-line, doctor, logging and config tests.

`restore_logging` puts the root logger back the way it found it; `run_cli`
runs the real `python -m claude_tray` as a child process. Nothing here mocks a
process or the network.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.child import REPO, run_module

if TYPE_CHECKING:
    from claude_tray.emulator import Emulator

#: The real Chromium the browser tests use (.ci/run sets it; Debian's by default).
TEST_BROWSER = os.environ.get("CLAUDE_TRAY_TEST_BROWSER") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Undo whatever a test did to the root logger (handlers, level, captured warnings)."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    level = root.level
    yield
    from claude_tray.logsetup import teardown_logging

    teardown_logging()
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)


def fake_session_key() -> str:
    """A key-shaped fake web session key, different every call."""
    return "sk-ant-sid01-" + secrets.token_urlsafe(48)


def fake_oauth_token() -> str:
    """A key-shaped fake Claude Code access token."""
    return "sk-ant-oat01-" + secrets.token_urlsafe(48)


def child_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a `claude-tray` child: private home, no real Claude Code login."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLAUDE_TRAY_") and key != "CLAUDE_CONFIG_DIR"
    }
    env["CLAUDE_TRAY_HOME"] = str(home)
    env["CLAUDE_CONFIG_DIR"] = str(home.parent / "claude-config-empty")
    env["PYTHONPATH"] = str(REPO)
    # Never reach the real service from a test: point both sources at a closed local port
    # unless the test gives an emulator.
    env["CLAUDE_TRAY_BASE_URL"] = "http://127.0.0.1:9"
    env["CLAUDE_TRAY_API_URL"] = "http://127.0.0.1:9"
    env["PYTHONIOENCODING"] = "utf-8"
    if extra:
        env.update(extra)
    return env


def run_cli(
    args: list[str],
    env: Mapping[str, str],
    *,
    stdin: str | None = None,
    timeout: float = 120.0,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m claude_tray ARGS` as a real child process and capture its output.

    Without `stdin` the child reads an empty pipe.
    """
    return run_module(
        "claude_tray", args, env, stdin=stdin if stdin is not None else "", timeout=timeout
    )


def run_status_bytes(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m claude_tray status ARGS`; its stdout and stderr as the bytes it wrote."""
    return subprocess.run(
        [sys.executable, "-m", "claude_tray", "status", *args],
        cwd=REPO,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )


def all_text_under(folder: Path) -> str:
    """Every readable file under `folder` (logs, caches, config) joined, for secret checks."""
    parts: list[str] = []
    if folder.exists():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                try:
                    parts.append(path.read_text(encoding="utf-8", errors="replace"))
                except OSError:
                    continue
    return "\n".join(parts)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running claude.ai emulator (scenario `ok`) on 127.0.0.1."""
    from claude_tray.emulator import Emulator

    with Emulator("ok") as running:
        yield running


def emulator_env(home: Path, emulator: Emulator, **extra: str) -> dict[str, str]:
    """A child environment whose sources both point at `emulator`."""
    return child_env(
        home,
        {
            "CLAUDE_TRAY_BASE_URL": emulator.base_url,
            "CLAUDE_TRAY_API_URL": emulator.base_url,
            **extra,
        },
    )


def store_session(home: Path, emulator: Emulator) -> str:
    """Store the emulator's valid session key through the scraper's own login; returns it."""
    key = emulator.session_key
    done = run_cli(
        ["scraper", "login", "--session-key-stdin"], emulator_env(home, emulator), stdin=key + "\n"
    )
    assert done.returncode == 0, done.stderr
    return key


def write_claude_code_credentials(config_dir: Path, token: str, *, expires_in: float) -> Path:
    """A Claude Code `.credentials.json` with `token`, expiring `expires_in` seconds from now."""
    import json
    import time

    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / ".credentials.json"
    body = {
        "claudeAiOauth": {
            "accessToken": token,
            "refreshToken": "sk-ant-ort01-" + secrets.token_urlsafe(32),
            "expiresAt": int((time.time() + expires_in) * 1000),
            "scopes": ["user:inference", "user:profile"],
            "subscriptionType": "max",
        }
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    path.chmod(0o600)
    return path


def assert_secret_absent(secret: str, text: str) -> None:
    """Fail if `secret` occurs in `text`, without printing either (a failure must not leak it)."""
    __tracebackhide__ = True
    leaked = secret in text
    if leaked:
        pytest.fail("a secret appeared in the output or logs", pytrace=False)
