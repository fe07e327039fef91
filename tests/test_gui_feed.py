"""The whole path on a real desktop: Claude Code's status line feeds a running tray.

A real `claude-tray run` (xorg icon in trayer on Xvfb) polls the emulator with a
history already on disk; then the real `claude-tray statusline` is fed Claude
Code's JSON, and the running tray must take the newer numbers within seconds
(no poll: the emulator sees no further usage request) and show them, with the
pace and sparklines, in its popup. The screenshot is kept for review.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray import history
from claude_tray.emulator import Emulator
from claude_tray.paths import AppPaths
from tests.support.cli import run_cli
from tests.support.gui import (
    TrayHost,
    app_env,
    find_icon,
    popup_window,
    save_artifact,
    start_app,
    store_session,
    tray_host,
    wait_for,
    write_config,
)

pytestmark = [pytest.mark.display, pytest.mark.slow]


@pytest.fixture(scope="module")
def host() -> Iterator[TrayHost]:
    with tray_host() as running:
        yield running


def _cached_session_percent(paths: AppPaths) -> float | None:
    try:
        cached = json.loads(paths.usage_cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for limit in cached.get("limits", []):
        if limit.get("id") == "session":
            return float(limit["percent"])
    return None


def test_the_status_line_feeds_the_running_tray(host: TrayHost, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    session_reset = now + timedelta(hours=3)  # 40 % of the 5 h window gone
    week_reset = now + timedelta(days=2, hours=19)
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    # What earlier polls stored: this window since its start, the one before, the week.
    rows = [
        history.NewRow("session", 100 * (1 - (session_reset - at) / timedelta(hours=5)) * 0.9,
                       session_reset, at)
        for at in (now - timedelta(minutes=m) for m in range(120, 0, -10))
    ] + [
        history.NewRow("session", min(100.0, 12.0 * h), session_reset - timedelta(hours=5),
                       now - timedelta(hours=7) + timedelta(hours=h))
        for h in range(0, 5)
    ] + [
        history.NewRow("weekly_all", 30.0 * (1 - d / 4.5), week_reset, now - timedelta(days=d))
        for d in (4, 3.5, 3, 2.5, 2, 1.5, 1, 0.5, 0.1)
    ]  # fmt: skip
    assert history.add(paths.history_file, rows, source="web")

    with Emulator("ok") as emulator:
        emulator.set_usage(
            session=36.0,
            weekly=30.0,
            scoped={},
            session_resets_at=session_reset,
            weekly_resets_at=week_reset,
        )
        env = app_env(host, home, emulator.base_url)
        store_session(env, emulator.session_key)
        write_config(home, interval_minutes=60)
        app = start_app(host, env, tmp_path / "app.log", "run")
        try:
            icon = find_icon(host)
            wait_for(lambda: _cached_session_percent(paths) == 36.0, 60, "the first poll")
            polls = emulator.count("/api/organizations/", method="GET")

            stdin = json.dumps(
                {
                    "model": {"id": "claude-test"},
                    "rate_limits": {
                        "five_hour": {
                            "used_percentage": 41.5,
                            "resets_at": session_reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        },
                        "seven_day": {
                            "used_percentage": 31.0,
                            "resets_at": int(week_reset.timestamp()),
                        },
                    },
                }
            )
            fed = run_cli(["statusline"], env, stdin=stdin, timeout=60)
            assert fed.returncode == 0 and fed.stdout == "5h 42% · 7d 31%\n", fed.stderr
            started = time.monotonic()
            wait_for(lambda: _cached_session_percent(paths) == 41.5, 30, "the feed to show")
            took = time.monotonic() - started
            assert took < 15  # the app looks at the feed every 5 s
            assert emulator.count("/api/organizations/", method="GET") == polls  # no poll

            host.xdotool("mousemove", *map(str, icon.geometry().centre), "click", "1")
            popup = wait_for(lambda: popup_window(host), 30, "the popup to open")
            time.sleep(1.0)  # let Tk draw the content after mapping
            shot = host.screenshot().crop(popup.box)
            save_artifact(shot, tmp_path / "screenshots", "popup_live_feed")
            assert shot.width > 200 and shot.height > 200
        finally:
            app.stop()
    cached = json.loads(paths.usage_cache_file.read_text(encoding="utf-8"))
    session = next(limit for limit in cached["limits"] if limit["id"] == "session")
    assert session["pace"] is not None
    assert session["pace"]["elapsed_percent"] == pytest.approx(40.0, abs=1.0)
    assert "Traceback" not in app.output()
