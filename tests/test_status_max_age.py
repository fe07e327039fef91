"""`status --max-age SECONDS` prints the tray's last numbers without a new read (issue 7, item 8).

The tray side is a real `Core` with the real runner and scraper child against
the emulator (what the tray runs); `status` is the real command in its own
process, reading the same cache file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray.config import Config
from claude_tray.core import Core
from claude_tray.documents import (
    ExtraUsage,
    Limit,
    Pace,
    SessionDocument,
    UsageDocument,
    dump_document,
)
from claude_tray.emulator import Emulator
from claude_tray.events import Event, UsageUpdated
from claude_tray.paths import AppPaths
from claude_tray.runner import ScraperRunner
from tests.support.cli import (
    child_env,
    emulator,
    emulator_env,
    restore_logging,
    run_cli,
    run_status_bytes,
)

__all__ = ["emulator", "restore_logging"]

pytestmark = pytest.mark.timeout(120)


def _tray_poll(home: Path, emu: Emulator) -> UsageUpdated:
    """Log in and poll once the way the tray does; returns the tray's UsageUpdated."""
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    env = {
        **os.environ,
        "CLAUDE_TRAY_HOME": str(home),
        "CLAUDE_TRAY_BASE_URL": emu.base_url,
        "CLAUDE_TRAY_API_URL": emu.base_url,
    }
    config = Config(source="web")
    events: queue.Queue[Event] = queue.Queue()
    core = Core(paths, config, events, runner=ScraperRunner(paths, config, env=env))
    try:
        login = core.login_blocking(emu.session_key)
        assert isinstance(login, SessionDocument) and login.logged_in
        assert core.refresh_now()
        while True:
            event = events.get(timeout=60)
            if isinstance(event, UsageUpdated) and not event.stale:
                return event
    finally:
        core.shutdown(timeout=5)


def test_max_age_after_a_tray_poll_reads_nothing(tmp_path: Path, emulator: Emulator) -> None:
    """Right after the tray's poll, `status --max-age 300` prints its numbers, asks nobody."""
    home = tmp_path / "home"
    emulator.set_usage(session=37.0, weekly=12.0)
    polled = _tray_poll(home, emulator)
    before = len(emulator.requests)
    done = run_cli(["status", "--json", "--max-age", "300"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["usage_percent"] == 37.0
    assert document["last_updated"] == polled.document.last_updated.isoformat()
    bar = run_cli(
        ["status", "--format", "waybar", "--max-age", "300"], emulator_env(home, emulator)
    )
    assert bar.returncode == 0 and json.loads(bar.stdout)["text"] == "37%"
    assert len(emulator.requests) == before  # no child ran, nothing was read


def test_max_age_too_old_or_another_source_polls(tmp_path: Path, emulator: Emulator) -> None:
    """Numbers older than SECONDS, or of another source than asked for, mean a real poll."""
    home = tmp_path / "home"
    _tray_poll(home, emulator)
    emulator.set_usage(session=64.0)
    before = len(emulator.requests)
    done = run_cli(["status", "--json", "--max-age", "0"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["usage_percent"] == 64.0
    assert len(emulator.requests) > before
    other = run_cli(
        ["status", "--json", "--max-age", "300", "--source", "claude-code"],
        emulator_env(home, emulator),
    )
    # Not the web cache: a real poll of Claude Code's login, which this test has none of.
    assert other.returncode == 1
    assert json.loads(other.stdout)["error"] == "no_session"


def test_max_age_must_be_a_number(tmp_path: Path) -> None:
    """A bad --max-age is a usage error (exit 2), not a poll."""
    done = run_cli(["status", "--max-age", "soon"], child_env(tmp_path / "home"))
    assert done.returncode == 2
    assert "--max-age" in done.stderr


@pytest.mark.parametrize("fmt", ["json", "waybar", "text"])
def test_the_quick_answer_is_the_full_paths_answer_byte_for_byte(tmp_path: Path, fmt: str) -> None:
    """The same cached document, printed by the quick path and then by the full path
    (a config file that is not TOML sends it there: the defaults, and a warning on
    stderr): the same stdout, byte for byte, also on a cp1252 pipe (Windows' for a
    redirected stdout; the JSON is UTF-8 there, a Cyrillic name and "₹" included)."""
    home = tmp_path / "home"
    now = datetime.now(timezone.utc)
    reset = now + timedelta(days=2, hours=5, minutes=30)  # far from a countdown's next step
    limit = Limit(id="weekly_opus", kind="weekly_scoped", label="Weekly Опус", percent=42.0)
    document = UsageDocument.build(
        source="web",
        limits=[
            dataclasses.replace(limit, resets_at=reset, pace=Pace(elapsed_percent=30.0)),
            Limit(id="session", kind="session", label="Current session", percent=12.5),
        ],
        extra_usage=ExtraUsage(enabled=True, used=470.5, limit=1000.0, currency="INR"),
        last_updated=now - timedelta(seconds=5),
    )
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    paths.usage_cache_file.parent.mkdir(parents=True)
    env = child_env(home)
    del env["PYTHONIOENCODING"]
    if sys.platform != "win32":
        env["PYTHONIOENCODING"] = "cp1252"  # what Windows gives a pipe
    args = ["--format", fmt, "--max-age", "600"]

    paths.usage_cache_file.write_text(dump_document(document) + "\n", encoding="utf-8")
    quick = run_status_bytes(args, env)
    assert not paths.log_file.exists()  # the quick path: no logging set up, no core
    paths.config_file.parent.mkdir(parents=True)
    paths.config_file.write_text("source = [\n", encoding="utf-8")
    full = run_status_bytes(args, env)
    assert "printing the cached numbers" in paths.log_file.read_text(encoding="utf-8")

    assert (quick.returncode, full.returncode) == (0, 0), full.stderr
    assert quick.stdout == full.stdout
    assert quick.stderr == b"" and b"config.toml" in full.stderr
    if fmt == "json":
        assert "Опус".encode() in quick.stdout
