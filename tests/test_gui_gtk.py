"""The real tray app with pystray's GTK backend: a native right-click menu, under D-Bus.

PyGObject comes from Debian's `python3-gi` (built for this CPython), put on
PYTHONPATH through a folder that holds only a `gi` symlink (platform.md), and
the app runs under `dbus-run-session` like on a desktop. Checked from outside:
the icon's pixels, the menu window on the screen, and the exit code after
choosing Quit in that menu with the keyboard.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from PIL import ImageChops, ImageStat

from claude_tray.emulator import Emulator
from claude_tray.icon import LEVEL_COLOURS
from tests.support.gui import (
    REPO,
    Geometry,
    TrayHost,
    app_env,
    colour_distance,
    descendants,
    fill_colour,
    popup_window,
    save_artifact,
    store_session,
    tray_host,
    wait_for,
    window_geometry,
    write_config,
)

pytestmark = [pytest.mark.display, pytest.mark.slow]

DEBIAN_GI = Path("/usr/lib/python3/dist-packages/gi")


@pytest.fixture(scope="module")
def host() -> Iterator[TrayHost]:
    with tray_host() as running:
        yield running


@pytest.fixture
def gtk_app(host: TrayHost, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`claude-tray run` with PYSTRAY_BACKEND=gtk under dbus-run-session, logged in, at 42 %."""
    assert DEBIAN_GI.is_dir(), "python3-gi is needed (apt-get install python3-gi gir1.2-gtk-3.0)"
    gi_only = tmp_path / "gi-only"
    gi_only.mkdir()
    (gi_only / "gi").symlink_to(DEBIAN_GI)
    home = tmp_path / "home"
    with Emulator() as emulator:
        emulator.set_usage(session=42.0, weekly=18.0, scoped={"Fable": 3.0})
        env = app_env(host, home, emulator.base_url, backend="gtk")
        env["PYTHONPATH"] = f"{REPO}:{gi_only}"
        store_session(env, emulator.session_key)
        write_config(home, interval_minutes=60)
        log = tmp_path / "app.log"
        with open(log, "wb") as out:
            app = subprocess.Popen(
                ["dbus-run-session", "--", sys.executable, "-m", "claude_tray", "run"],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            yield app, log
        finally:
            # dbus-run-session does not pass SIGTERM on: end the app itself first
            # (it quits cleanly on SIGTERM), then the session and its bus.
            tree = descendants(app.pid)
            for proc in tree:
                with contextlib.suppress(psutil.Error):
                    if "claude_tray" in " ".join(proc.cmdline()):
                        proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                app.wait(15)
            for proc in [*tree, psutil.Process(app.pid)] if app.poll() is None else tree:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            app.wait(15)


def gtk_icon(host: TrayHost) -> Geometry:
    """The GTK status icon: the docked window whose name is the tooltip ("Claude: …")."""

    def docked() -> Geometry | None:
        for window in host.xdotool("search", "--onlyvisible", "--name", "^Claude: ").split():
            geometry = window_geometry(host, window)
            if geometry.width >= 16 and 0 <= geometry.y < 40:
                return geometry
        return None

    return wait_for(docked, 90, "the GTK tray icon")  # type: ignore[no-any-return]


def changed(a: object, b: object) -> float:
    return float(sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3)  # type: ignore[arg-type]


def test_gtk_icon_right_click_menu_quits_with_0(
    host: TrayHost, gtk_app: tuple[subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    """On GTK the icon shows 42 in calm green, a right click opens the native menu, and
    its last item (Quit) ends the app with exit code 0."""
    app, log = gtk_app
    icon = gtk_icon(host)
    wait_for(
        lambda: (
            colour_distance(fill_colour(host.screenshot().crop(icon.box)), LEVEL_COLOURS["calm"])
            < 20
        ),
        90,
        "the GTK icon to show the calm colour",
    )
    before = host.screenshot()
    host.xdotool("mousemove", *map(str, icon.centre), "click", "3")
    below = (icon.x - 200, icon.y + icon.height, icon.x + icon.width, icon.y + icon.height + 150)
    wait_for(lambda: changed(before.crop(below), host.screenshot().crop(below)) > 30, 30, "menu")
    time.sleep(0.5)
    menu_shot = host.screenshot()
    save_artifact(menu_shot, tmp_path / "screenshots", "gtk_menu")
    assert popup_window(host) is None  # the right click opened the menu, not the popup
    # Keyboard in the open menu: Up wraps to the last item, Quit; Return activates it.
    host.xdotool("key", "Up")
    time.sleep(0.3)
    host.xdotool("key", "Return")
    assert app.wait(30) == 0, log.read_text(errors="replace")[-3000:]


def test_gtk_left_click_opens_popup(
    host: TrayHost, gtk_app: tuple[subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    """On GTK the left click (the default action) opens the details popup."""
    icon = gtk_icon(host)
    time.sleep(1.0)
    host.xdotool("mousemove", *map(str, icon.centre), "click", "1")
    popup = wait_for(lambda: popup_window(host), 30, "the popup after a left click")
    assert popup.y >= icon.y + icon.height - 4
    save_artifact(host.screenshot(), tmp_path / "screenshots", "gtk_popup")


def test_gtk_hover_shows_tooltip(
    host: TrayHost, gtk_app: tuple[subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    """On GTK, resting the pointer on the icon shows the tooltip with the numbers."""
    icon = gtk_icon(host)
    wait_for(
        lambda: (
            colour_distance(fill_colour(host.screenshot().crop(icon.box)), LEVEL_COLOURS["calm"])
            < 20
        ),
        90,
        "the GTK icon to show the numbers",
    )
    host.xdotool("mousemove", "10", "400")
    time.sleep(0.5)
    before = host.screenshot()
    near = (icon.x - 400, icon.y + icon.height, icon.x + icon.width, icon.y + icon.height + 80)
    host.xdotool("mousemove", *map(str, icon.centre))
    wait_for(lambda: changed(before.crop(near), host.screenshot().crop(near)) > 3, 30, "tooltip")
    time.sleep(0.5)
    save_artifact(host.screenshot(), tmp_path / "screenshots", "gtk_tooltip")
    assert popup_window(host) is None  # hovering opens nothing else
