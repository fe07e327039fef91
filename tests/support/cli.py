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
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


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
    warnings.resetwarnings()


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
    """Run `python -m claude_tray ARGS` as a real child process and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "claude_tray", *args],
        env=dict(env),
        cwd=REPO,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
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
