"""The Windows app under Wine, seen from outside: `claude-tray demo` with pystray's win32
icon in Wine's notification area, its popup, its menu (issue 10's CI checks).

Run by `.ci/windows.sh` (which sets up Wine and exports where it is); elsewhere these
tests are deselected, never skipped (conftest.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from claude_tray.icon import render_icon
from claude_tray.popup.placement import Rect
from tests.support import wine
from tests.support.wine import TRAY_ICON, WPY, Window

pytestmark = [pytest.mark.wine]

POPUP = ("Claude usage", "TkTopLevel")
MENU_CLASS = "#32768"
ELSEWHERE = (300, 250)  # the Wine desktop's empty background
#: Screenshots are kept with the stage's files (pytest's own temporary folders rotate).
SHOTS = Path(wine.WINE_ROOT or ".") / "screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[bytes]]:
    folder = tmp_path_factory.mktemp("wine-demo")
    # The demo's own settings (kept in its home): notify at 30 % as well, which its
    # climbing session passes within seconds, so the balloon test need not wait for 75 %.
    settings = folder / "home" / "cache" / "demo" / "config" / "config.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text("notify_thresholds = [30.0, 75.0, 90.0]\n", encoding="utf-8")
    env = {**wine.display_env(), "CLAUDE_TRAY_HOME": wine.windows_path(folder / "home")}
    assert wine.wine_pythons() == [], "a Windows python from an earlier test still runs"
    with open(folder / "demo.log", "wb") as log:
        process = subprocess.Popen(
            [WPY, "-m", "claude_tray", "--debug", "demo"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the clean-up reaches python.exe too
        )
    process.log_path = folder / "demo.log"  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)


def log_of(process: subprocess.Popen[bytes]) -> str:
    path: Path = process.log_path  # type: ignore[attr-defined]
    return path.read_text(encoding="utf-8", errors="replace")[-3000:]


def icon_crop(shot: Image.Image) -> Image.Image:
    """The 16x16 icon in the notification area (measured: x 1006-1021, y 750-765)."""
    x, y = TRAY_ICON
    return shot.crop((x - 7, y - 8, x + 9, y + 8))


def taskbar_colour(shot: Image.Image) -> tuple[int, int, int]:
    pixel = shot.getpixel((TRAY_ICON[0] - 12, TRAY_ICON[1]))
    assert isinstance(pixel, tuple)
    return (int(pixel[0]), int(pixel[1]), int(pixel[2]))


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3)


def as_shown(percent: int, background: tuple[int, int, int]) -> Image.Image:
    """The app's own icon for `percent` at the notification area's 16 px (pystray hands
    Windows an ICO with that size in it; measured: the closest of the ways to get there)."""
    image = render_icon(percent, "normal", size=16)
    backdrop = Image.new("RGBA", image.size, (*background, 255))
    backdrop.alpha_composite(image)
    return backdrop.convert("RGB")


def read_percent(crop: Image.Image, background: tuple[int, int, int]) -> tuple[int, float, float]:
    """The percentage whose icon looks most like `crop`: (best, its distance, the
    runner-up's distance)."""
    scores = sorted((difference(crop, as_shown(p, background)), p) for p in range(101))
    return scores[0][1], scores[0][0], scores[1][0]


def popup_window() -> Window | None:
    return next((w for w in wine.windows() if (w.title, w.cls) == POPUP), None)


def test_demo_icon_shows_a_percentage_in_the_notification_area(
    demo: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + 90
    best = None
    while time.monotonic() < deadline:
        assert demo.poll() is None, log_of(demo)
        shot = wine.screenshot()
        crop = icon_crop(shot)
        percent, distance, runner_up = read_percent(crop, taskbar_colour(shot))
        # The demo's numbers are coloured (green/amber/red), never the grey of no data.
        stat = ImageStat.Stat(crop)
        coloured = max(stat.mean[:3]) - min(stat.mean[:3]) > 15
        if coloured and distance < runner_up:
            best = (percent, distance, runner_up)
            break
        time.sleep(1.0)
    shot = wine.screenshot()
    shot.save(SHOTS / "wine-tray.png")
    icon_crop(shot).resize((128, 128), Image.Resampling.NEAREST).save(SHOTS / "wine-icon.png")
    assert best is not None, f"no coloured percentage in the tray icon; {log_of(demo)}"
    assert "tray backend: win32" in log_of(demo)
    percent, distance, runner_up = best
    # The closest drawing is clearly closer than any other number's.
    assert distance < 10 and distance < runner_up * 0.8, best


def test_a_threshold_notification_shows_as_a_balloon_at_the_tray(
    demo: subprocess.Popen[bytes],
) -> None:
    """The demo's session climbs past a threshold: pystray's win32 balloon (NIF_INFO, which
    Windows 10 and later show as a toast) appears next to the notification area."""
    deadline = time.monotonic() + 150
    while "notification: " not in log_of(demo) and time.monotonic() < deadline:
        assert demo.poll() is None, log_of(demo)
        time.sleep(1.0)
    assert "notification: " in log_of(demo), "the demo crossed no threshold in time"
    balloon = wine.wait_for_window("tooltips_class32", 10)
    wine.screenshot().save(SHOTS / "wine-balloon.png")
    assert balloon is not None, "no balloon window after the notification"
    assert balloon.rect.bottom <= TRAY_ICON[1] and balloon.rect.right >= TRAY_ICON[0] - 40


def test_left_click_opens_the_popup_in_the_work_area_and_a_click_elsewhere_closes_it(
    demo: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    work, taskbar = wine.work_area_and_taskbar()
    assert taskbar.top >= work.bottom or taskbar.bottom <= work.top, (work, taskbar)
    for attempt in ("first", "second", "after Escape"):
        popup = open_popup(demo)
        if attempt == "first":
            wine.screenshot().save(SHOTS / "wine-popup.png")
        assert popup.rect.inside(work), (attempt, popup.rect, work, log_of(demo))
        assert not popup.rect.intersects(taskbar), (attempt, popup.rect, taskbar)
        assert not popup.rect.intersects(Rect.around(*TRAY_ICON, 8))
        if attempt == "after Escape":
            # Closed with Escape while it had the focus, Tk still counts it as focused:
            # the next open must close on a click elsewhere all the same.
            wine.xdotool("key", "Escape")
            assert wine.wait_until_gone(POPUP[1], 10, POPUP[0]), "Escape did not close it"
            time.sleep(0.8)
            open_popup(demo)
        # A click on the desktop takes the focus: the popup closes (the first one too).
        wine.xdotool("mousemove", *map(str, ELSEWHERE), "sleep", "0.3", "click", "1")
        assert wine.wait_until_gone(POPUP[1], 10, POPUP[0]), (
            f"the {attempt} popup stayed open after a click elsewhere"
        )
        time.sleep(0.8)  # past the guard that keeps a focus-closing tray click closed


def open_popup(demo: subprocess.Popen[bytes]) -> Window:
    wine.xdotool("mousemove", *map(str, TRAY_ICON), "sleep", "0.3", "click", "1")
    popup = wine.wait_for_window(POPUP[1], 20, POPUP[0])
    assert popup is not None, f"a click on the icon opened no popup; {log_of(demo)}"
    time.sleep(1.0)  # the popup re-places itself once its frame is measured
    popup = popup_window()
    assert popup is not None
    return popup


def test_menu_quit_ends_the_app_and_leaves_no_process(demo: subprocess.Popen[bytes]) -> None:
    wine.xdotool("mousemove", *map(str, TRAY_ICON), "sleep", "0.3", "click", "3")
    menu = wine.wait_for_window(MENU_CLASS, 10)
    assert menu is not None, f"no menu after a right click; {log_of(demo)}"
    wine.xdotool(
        "mousemove", str(menu.rect.left + 25), str(menu.rect.bottom - 11), "sleep", "0.3",
        "click", "1",
    )  # fmt: skip
    assert demo.wait(30) == 0, log_of(demo)
    deadline = time.monotonic() + 15
    while wine.wine_pythons() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert wine.wine_pythons() == [], "Windows pythons left after Quit"
