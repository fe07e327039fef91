"""Helpers for the scraper tests: run the real child program, store sessions, check secrets.

Every run is a real `python -m claude_tray.scraper …` child process; nothing
here mocks a process or the network.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from claude_tray.paths import AppPaths
from claude_tray.scraper.session_store import WebSession, save_session
from tests.support.child import REPO, one_document, run_module

REPO_ROOT = REPO

#: Key-shaped fake values, so the redaction is exercised by the tests.
FAKE_SESSION_KEY = "sk-ant-sid01-TestFakeKey0000aaaaBBBBccccDDDD_eeee-ffff"
FAKE_OAUTH_TOKEN = "sk-ant-oat01-TestFakeToken000aaaaBBBBccccDDDD_eeee-ffff"
FAKE_REFRESH_TOKEN = "sk-ant-ort01-TestFakeRefresh0aaaaBBBBccccDDDD_eeee-ffff"


@dataclass
class ScraperRun:
    """What one scraper child did."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def document(self) -> dict[str, Any]:
        """The one JSON document on stdout (asserts there is exactly one line of it)."""
        lines = self.stdout.splitlines()
        assert len(lines) == 1, f"expected one line on stdout, got {self.stdout!r}"
        return one_document(self.stdout)

    @property
    def error(self) -> str | None:
        return self.document.get("error")


def scraper_env(
    *,
    base_url: str | None = None,
    api_url: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The test process's environment (CLAUDE_TRAY_HOME etc. from conftest) for a child."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT)
    if base_url is not None:
        env["CLAUDE_TRAY_BASE_URL"] = base_url
    if api_url is not None:
        env["CLAUDE_TRAY_API_URL"] = api_url
    env.update(extra or {})
    return env


def run_scraper(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    stdin: str | None = None,
    timeout: float = 120.0,
) -> ScraperRun:
    """Run `python -m claude_tray.scraper ARGS` as a child process and wait for it.

    Without `stdin` the child reads an empty pipe.
    """
    result = run_module(
        "claude_tray.scraper", args, env, stdin=stdin if stdin is not None else "", timeout=timeout
    )
    return ScraperRun(result.returncode, result.stdout, result.stderr)


def app_paths() -> AppPaths:
    """The AppPaths of the test's CLAUDE_TRAY_HOME (set by conftest)."""
    return AppPaths.from_env()


def store_session(
    key: str,
    *,
    last_active_org: str | None = None,
    org_uuid: str | None = None,
    org_name: str | None = None,
    cookies: Mapping[str, str] | None = None,
    invalid: bool = False,
) -> AppPaths:
    """Store a web session in the test's home, as a login would have."""
    paths = app_paths()
    save_session(
        paths,
        WebSession(
            session_key=key,
            last_active_org=last_active_org,
            org_uuid=org_uuid,
            org_name=org_name,
            cookies=dict(cookies or {}),
            saved_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
            invalid=invalid,
            invalid_at=datetime(2026, 11, 2, tzinfo=timezone.utc) if invalid else None,
        ),
    )
    return paths


def session_bytes() -> bytes | None:
    """The stored session file's bytes, or None when there is none."""
    path = app_paths().session_file
    return path.read_bytes() if path.exists() else None


def session_json() -> dict[str, Any]:
    path = app_paths().session_file
    value = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def write_credentials(
    config_dir: Path, token: str, *, expires_at: datetime | None, plan: str = "max"
) -> Path:
    """A Claude Code `.credentials.json` in `config_dir`, shaped like the real one."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / ".credentials.json"
    body = {
        "claudeAiOauth": {
            "accessToken": token,
            "refreshToken": FAKE_REFRESH_TOKEN,
            "expiresAt": None if expires_at is None else int(expires_at.timestamp() * 1000),
            "scopes": ["user:inference", "user:profile"],
            "subscriptionType": plan,
        }
    }
    path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return path


def logged_text(run: ScraperRun | None = None) -> str:
    """Everything a run printed plus every log file in the test's home."""
    parts = [] if run is None else [run.stdout, run.stderr]
    log_dir = app_paths().log_dir
    if log_dir.exists():
        parts.extend(p.read_text(encoding="utf-8", errors="replace") for p in log_dir.iterdir())
    return "\n".join(parts)


def assert_no_secrets(text: str, secrets: Iterable[str]) -> None:
    """No secret appears in `text` (nor a long piece of one)."""
    for secret in secrets:
        assert secret, "an empty secret proves nothing"
        assert secret not in text, "a secret leaked into output or logs"
        tail = secret[-16:]
        assert tail not in text, "a piece of a secret leaked into output or logs"
