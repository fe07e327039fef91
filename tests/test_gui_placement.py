"""The popup next to its icon, inside the work area, with trayer on different edges.

A real window manager (openbox) computes the work area from trayer's strut
(`_NET_WORKAREA`); the real demo's popup is opened with a click on its icon and its
outer frame (the client plus `_NET_FRAME_EXTENTS`) is read back from the X server.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray.popup.placement import Rect
from tests.support.display import XvfbDisplay, start_xvfb
from tests.support.gui import (
    TrayHost,
    app_env,
    find_icon,
    popup_window,
    save_artifact,
    start_app,
    start_trayer,
    trayer_args,
    wait_for,
)

pytestmark = [pytest.mark.display, pytest.mark.slow]


def root_cardinals(display: XvfbDisplay, name: str, window: str = "-root") -> list[int]:
    args = ["xprop", *(["-root"] if window == "-root" else ["-id", window]), name]
    out = subprocess.run(args, env=display.env(), capture_output=True, text=True, timeout=30).stdout
    _, _, values = out.replace("#", "=").partition("=")  # "NAME(CARDINAL) = 1, 2" / "# 0x1"
    return [int(v, 0) for v in values.replace(",", " ").split() if v.strip().isalnum()]


@pytest.fixture(scope="module")
def desktop() -> Iterator[XvfbDisplay]:
    """Xvfb with openbox, the window manager that turns struts into a work area."""
    if shutil.which("openbox") is None:
        pytest.skip("openbox is not installed (apt-get install openbox)")
    display = start_xvfb()
    wm = subprocess.Popen(
        ["openbox", "--sm-disable"],
        env=display.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: root_cardinals(display, "_NET_SUPPORTING_WM_CHECK"), 30, "openbox to start"
        )
        yield display
    finally:
        wm.terminate()
        wm.wait(10)
        display.stop()


def absolute_rect(display: XvfbDisplay, window: str) -> Rect:
    """A window's rectangle on the root (`xwininfo`'s absolute corner: xdotool's
    getwindowgeometry counts a window manager's frame offset twice)."""
    out = subprocess.run(
        ["xwininfo", "-id", window], env=display.env(), capture_output=True, text=True, timeout=30
    ).stdout
    values = {
        key.strip(): int(value)
        for key, _, value in (line.partition(":") for line in out.splitlines())
        if value.strip().lstrip("-").isdigit()
    }
    return Rect.of(
        values["Absolute upper-left X"], values["Absolute upper-left Y"],
        values["Width"], values["Height"],
    )  # fmt: skip


def outer_frame(display: XvfbDisplay, host: TrayHost) -> Rect:
    """The popup's frame: its client window plus the window manager's decorations
    (`_NET_FRAME_EXTENTS`: left, right, top, bottom)."""
    wait_for(lambda: popup_window(host), 30, "the popup")
    window = host.xdotool("search", "--onlyvisible", "--name", "^Claude usage$").split()[0]
    client = absolute_rect(display, window)
    extents = root_cardinals(display, "_NET_FRAME_EXTENTS", window) or [0, 0, 0, 0]
    left, right, top, bottom = extents[:4]
    return Rect(client.left - left, client.top - top, client.right + right, client.bottom + bottom)


@pytest.mark.parametrize("edge", ["bottom", "left", "right"])
def test_popup_frame_lies_in_the_work_area_beside_the_icon(
    desktop: XvfbDisplay, edge: str, tmp_path: Path
) -> None:
    # A 48-px bottom panel: taller than the old rule's fixed 16-px lift above the click.
    args = trayer_args("bottom", "right", 48) if edge == "bottom" else trayer_args(edge, "left")
    trayer = start_trayer(desktop, args=args)
    host = TrayHost(desktop, trayer)
    env = app_env(host, tmp_path / "home", "http://127.0.0.1:9")
    app = start_app(host, env, tmp_path / "app.log", "--debug", "demo")
    try:
        icon = find_icon(host, 90)
        spot = icon.geometry()  # no frame around a docked icon: xdotool is right here
        icon_rect = Rect.of(spot.x, spot.y, spot.width, spot.height)
        # openbox recomputes the work area once trayer's strut is set.
        work = wait_for(
            lambda: (lambda v: Rect.of(*v[:4]) if len(v) >= 4 and v[:4] != [0, 0, 1280, 800]
                     else None)(root_cardinals(desktop, "_NET_WORKAREA")),
            30, "openbox to leave trayer's band out of the work area",
        )  # fmt: skip
        host.xdotool("mousemove", *map(str, spot.centre), "click", "1")
        wait_for(lambda: popup_window(host), 30, "the popup to open")
        time.sleep(1.0)  # the popup re-places itself once the frame is measured
        frame = outer_frame(desktop, host)
        save_artifact(host.screenshot(), tmp_path, f"placement-{edge}")
        assert frame.inside(work), (edge, frame, work, app.output()[-2000:])
        assert not frame.intersects(icon_rect), (edge, frame, icon_rect)
        gap = {
            "bottom": work.bottom - frame.bottom,
            "left": frame.left - work.left,
            "right": work.right - frame.right,
        }[edge]
        assert 0 <= gap <= 16, (edge, frame, work)  # against the panel's side
    finally:
        app.stop()
        trayer.terminate()
        trayer.wait(10)
