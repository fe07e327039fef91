"""`claude-tray demo` for real: its own emulator, moving usage, its own home, Quit.

Also makes the README's screenshot (tray icon and open popup) from this run.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.support.gui import (
    TEAM_DIR,
    IconWindow,
    RunningApp,
    TrayHost,
    app_env,
    find_icon,
    popup_window,
    save_artifact,
    start_app,
    tray_host,
    wait_for,
)

pytestmark = [pytest.mark.display, pytest.mark.slow]

DESKTOP = "#3b4252"  # a desktop-like background for the README picture


@pytest.fixture(scope="module")
def host() -> Iterator[TrayHost]:
    with tray_host() as running:
        if shutil.which("xsetroot"):
            subprocess.run(["xsetroot", "-solid", DESKTOP], env=running.env(), timeout=30)
        yield running


@pytest.fixture
def demo(host: TrayHost, tmp_path: Path) -> Iterator[tuple[RunningApp, Path]]:
    home = tmp_path / "home"
    # The demo must not need a real service: an address nobody serves is fine.
    env = app_env(host, home, "http://127.0.0.1:9")
    app = start_app(host, env, tmp_path / "demo.log", "demo")
    try:
        yield app, home
    finally:
        app.stop()


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3)


def numbers_shown(icon: IconWindow) -> Image.Image | None:
    """The icon once it shows a coloured number (not the grey "no data" look)."""
    shot = icon.screenshot()
    r, g, b = (int(v) for v in ImageStat.Stat(shot).mean[:3])
    return shot if max(r, g, b) - min(r, g, b) > 25 else None


def test_demo_icon_moves_popup_opens_and_quit_exits_0(
    host: TrayHost, demo: tuple[RunningApp, Path], tmp_path: Path
) -> None:
    """The demo shows numbers, changes the icon within a minute, opens its popup and quits
    with 0, keeping everything in its own home."""
    app, home = demo
    icon = find_icon(host, 90)
    first = wait_for(lambda: numbers_shown(icon), 90, "the demo's first numbers")
    wait_for(lambda: difference(icon.screenshot(), first) > 8.0, 75, "the icon to change")

    where = icon.geometry()
    host.xdotool("mousemove", *map(str, where.centre), "click", "1")
    popup = wait_for(lambda: popup_window(host), 30, "the demo popup")
    time.sleep(1.0)
    shot = host.screenshot()
    save_artifact(shot, tmp_path / "screenshots", "demo")
    left = max(popup.x - 40, 0)
    readme = shot.crop((left, 0, host.display.size[0], min(popup.y + popup.height + 40, 800)))
    if TEAM_DIR.is_dir():
        readme.save(TEAM_DIR / "readme_screenshot.png")

    # Everything the demo wrote is under <cache>/demo; the real data folder has no session.
    assert (home / "cache" / "demo" / "data" / "web_session.json").is_file()
    assert not (home / "data" / "web_session.json").exists()

    # SIGTERM (what a desktop session sends at logout) quits like the Quit button.
    app.process.terminate()
    assert app.process.wait(30) == 0, app.output()[-3000:]
