"""The whole scraper child through the browser fallback: real processes, the emulator, Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from claude_tray.paths import AppPaths
from claude_tray.scraper.session_store import WebSession, load_session, save_session
from tests.support.browser import (
    assert_no_secrets,
    expect,
    logs_text,
    run_scraper,
    scraper_env,
)
from tests.support.child import one_document

pytestmark = pytest.mark.browser


@pytest.fixture
def cloudflare() -> Iterator[Emulator]:
    """An emulator that challenges every client without a cf_clearance cookie."""
    with Emulator("cloudflare") as emulator:
        yield emulator


def store_session(home: Path, key: str) -> Path:
    """A stored web session (saved an hour ago, so not "brand-new"); returns its file."""
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    paths.ensure()
    saved = datetime.now(timezone.utc) - timedelta(hours=1)
    save_session(paths, WebSession(session_key=key, saved_at=saved))
    return paths.session_file


def test_poll_passes_challenge_through_the_browser(cloudflare: Emulator, tray_home: Path) -> None:
    """A poll against the cloudflare scenario ends in a success usage document via the browser."""
    key = cloudflare.session_key
    session_file = store_session(tray_home, key)
    completed = run_scraper(["poll"], scraper_env(tray_home, cloudflare.base_url))
    assert completed.returncode == 0, completed.stderr[-2000:]
    document = one_document(completed.stdout)
    assert document["status"] == "success"
    assert document["source"] == "web"
    assert document["limits"]
    # The fast path was challenged first, then the browser read the usage.
    usage = f"/api/organizations/{cloudflare.chat_org_uuid}/usage"
    assert ("GET", usage, 200) in cloudflare.requests
    assert any(status == 403 for _, _, status in cloudflare.requests)
    stored = load_session(AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tray_home)}))
    assert stored is not None
    expect(stored.session_key == key, "the stored key is unchanged")
    assert stored.cookies.get("cf_clearance"), "the clearance the browser earned is kept"
    assert session_file.stat().st_mode & 0o777 == 0o600
    assert_no_secrets(
        [completed.stdout, completed.stderr, logs_text(tray_home)],
        [key, stored.cookies["cf_clearance"]],
    )


def test_poll_without_a_browser_is_blocked(cloudflare: Emulator, tray_home: Path) -> None:
    """With CLAUDE_TRAY_BROWSER pointing nowhere a challenged poll is blocked; the session stays."""
    key = cloudflare.session_key
    session_file = store_session(tray_home, key)
    before = session_file.read_bytes()
    missing = tray_home / "no-such-browser"
    env = scraper_env(tray_home, cloudflare.base_url, extra={"CLAUDE_TRAY_BROWSER": str(missing)})
    completed = run_scraper(["poll"], env)
    assert completed.returncode == 1
    document = one_document(completed.stdout)
    assert document["status"] == "error"
    assert document["error"] == "blocked"
    assert session_file.read_bytes() == before
    assert_no_secrets([completed.stdout, completed.stderr, logs_text(tray_home)], [key])


def test_forced_browser_path_without_browser_is_browser_missing(
    cloudflare: Emulator, tray_home: Path
) -> None:
    """A poll forced through the browser path with a missing browser says browser_missing."""
    key = cloudflare.session_key
    session_file = store_session(tray_home, key)
    before = session_file.read_bytes()
    missing = tray_home / "no-such-browser"
    env = scraper_env(tray_home, cloudflare.base_url, extra={"CLAUDE_TRAY_BROWSER": str(missing)})
    completed = run_scraper(["poll", "--force-browser"], env)
    assert completed.returncode == 1
    document = one_document(completed.stdout)
    assert document["error"] == "browser_missing"
    assert str(missing) in str(document["message"])
    assert session_file.read_bytes() == before


def test_poll_with_a_browser_that_cannot_start_is_blocked(
    cloudflare: Emulator, tray_home: Path
) -> None:
    """A challenged poll whose browser will not start is blocked, and the session is untouched."""
    key = cloudflare.session_key
    session_file = store_session(tray_home, key)
    before = session_file.read_bytes()
    broken = tray_home / "broken-browser"
    broken.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    env = scraper_env(tray_home, cloudflare.base_url, extra={"CLAUDE_TRAY_BROWSER": str(broken)})
    completed = run_scraper(["poll"], env)
    assert completed.returncode == 1
    document = one_document(completed.stdout)
    assert document["error"] == "blocked"
    assert session_file.read_bytes() == before
    assert_no_secrets([completed.stdout, completed.stderr, logs_text(tray_home)], [key])
