"""The popup as a window: what the window manager is told, a layout that stays put, the keys.

On a real Xvfb, once without a window manager and once under openbox: the
popup's and the Settings dialog's X properties read back with `xprop`, every
button's position read with `xwininfo -tree` before and after a banner
appears, and real key presses through `xdotool`.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from PIL import Image, ImageGrab

from claude_tray.errors import ErrorCode
from claude_tray.events import LoginFinished, RefreshFailed, UsageUpdated
from claude_tray.popup.theme import FOCUS_RING
from claude_tray.popup.window import Popup
from tests.support.display import XvfbDisplay
from tests.support.wm import openbox
from tests.test_popup import Harness, harness, usage_document, utc_zone, xvfb  # noqa: F401

pytestmark = pytest.mark.display

WM_KINDS = ["no-wm", "openbox"]


@pytest.fixture(params=WM_KINDS)
def wm(request: pytest.FixtureRequest, xvfb: XvfbDisplay) -> Iterator[str]:  # noqa: F811
    """Each test runs without a window manager and under openbox."""
    if request.param == "openbox":
        with openbox(xvfb):
            yield "openbox"
    else:
        yield "no-wm"


def _wrapper(widget: object) -> str:
    """The X id (hex) of a toplevel's wrapper window: the one the window manager sees."""
    from Xlib import display as xdisplay

    assert isinstance(widget, Popup) or hasattr(widget, "winfo_id")
    window = widget.window if isinstance(widget, Popup) else widget
    connection = xdisplay.Display(window.winfo_screen())  # type: ignore[attr-defined]
    try:
        inner = connection.create_resource_object("window", window.winfo_id())  # type: ignore[attr-defined]
        return hex(int(inner.query_tree().parent.id))
    finally:
        connection.close()


def xprop(harness: Harness, window_id: str) -> str:  # noqa: F811
    done = subprocess.run(
        ["xprop", "-id", window_id],
        env=harness.display.env(),
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return done.stdout


def prop(text: str, name: str) -> str:
    """The value of one property in xprop's output ('' when absent)."""
    match = re.search(rf"^{re.escape(name)}\([^)]*\)(?::| =) ?(.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else ""


def frame_extents(harness: Harness, window_id: str) -> list[int]:  # noqa: F811
    value = prop(xprop(harness, window_id), "_NET_FRAME_EXTENTS")
    return [int(part) for part in value.split(",")] if value else []


def _shown(harness: Harness) -> None:  # noqa: F811
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show(near=(1200, 10))
    harness.settle(0.5)


# --- what the window manager is told ---------------------------------------------------------


def test_popup_and_settings_window_properties(harness: Harness, wm: str) -> None:  # noqa: F811
    """The popup is a borderless utility window out of taskbars; Settings a titled dialog of it."""
    _shown(harness)
    popup_id = _wrapper(harness.popup)
    assert harness.wait_for(
        lambda: "_NET_WM_STATE_SKIP_TASKBAR" in prop(xprop(harness, popup_id), "_NET_WM_STATE")
    ), xprop(harness, popup_id)
    props = xprop(harness, popup_id)
    assert prop(props, "WM_CLASS") == '"claude-tray", "Claude-tray"'
    assert prop(props, "_NET_WM_WINDOW_TYPE") == "_NET_WM_WINDOW_TYPE_UTILITY"
    states = prop(props, "_NET_WM_STATE")
    for state in ("SKIP_TASKBAR", "SKIP_PAGER", "ABOVE"):
        assert f"_NET_WM_STATE_{state}" in states, states
    assert prop(props, "_MOTIF_WM_HINTS").startswith("0x2, 0x0, 0x0")  # no decorations
    if wm == "openbox":
        assert frame_extents(harness, popup_id) == [0, 0, 0, 0]  # no title bar, no border

    harness.popup.open_settings()
    harness.settle(0.5)
    assert harness.popup.settings is not None
    settings_id = _wrapper(harness.popup.settings)
    assert harness.wait_for(
        lambda: "SKIP_TASKBAR" in prop(xprop(harness, settings_id), "_NET_WM_STATE")
    )
    props = xprop(harness, settings_id)
    assert prop(props, "WM_CLASS") == '"claude-tray", "Claude-tray"'
    assert prop(props, "_NET_WM_WINDOW_TYPE") == "_NET_WM_WINDOW_TYPE_DIALOG"
    assert prop(props, "WM_NAME") == '"Claude usage settings"'
    transient = prop(props, "WM_TRANSIENT_FOR")
    assert int(transient.split("#")[-1], 16) == int(popup_id, 16)
    if wm == "openbox":
        top = frame_extents(harness, settings_id)[2]
        assert top > 10, "the dialog has a title bar"


def test_window_mode_is_a_normal_window_with_a_taskbar_entry(
    harness: Harness,  # noqa: F811
    wm: str,
) -> None:
    """With no tray the popup becomes a normal titled window that stays when it loses focus."""
    closed: list[bool] = []
    harness.popup.set_window_mode(True, on_close=lambda: closed.append(True))
    _shown(harness)
    window_id = _wrapper(harness.popup)
    props = xprop(harness, window_id)
    assert prop(props, "_NET_WM_WINDOW_TYPE") == "_NET_WM_WINDOW_TYPE_NORMAL"
    assert "SKIP_TASKBAR" not in prop(props, "_NET_WM_STATE")
    assert prop(props, "WM_NAME") == '"Claude usage"'
    assert not harness.popup.close_on_focus_out
    if wm == "openbox":
        assert frame_extents(harness, window_id)[2] > 10  # a title bar
    harness.popup._close_clicked()
    assert closed == [True]


# --- a layout that never moves under the pointer ---------------------------------------------


def _geometries(harness: Harness) -> dict[int, tuple[int, int, int, int]]:  # noqa: F811
    """Absolute x, y, width, height of every X window under the popup, from `xwininfo -tree`."""
    done = subprocess.run(
        ["xwininfo", "-tree", "-id", _wrapper(harness.popup)],
        env=harness.display.env(),
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    found: dict[int, tuple[int, int, int, int]] = {}
    pattern = re.compile(r"^\s+(0x[0-9a-f]+) .*?(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)")
    for line in done.stdout.splitlines():
        match = pattern.match(line)
        if match:
            wid, width, height, x, y = match.groups()
            found[int(wid, 16)] = (int(x), int(y), int(width), int(height))
    return found


def _buttons(popup: Popup) -> dict[str, int]:
    return {
        "refresh": popup.refresh_button.winfo_id(),
        "login": popup.login_button.winfo_id(),
        "settings": popup.settings_button.winfo_id(),
        "quit": popup.quit_button.winfo_id(),
        "pause": popup.pause_button.winfo_id(),
        "usage page": popup.usage_page_button.winfo_id(),
    }


def _button_boxes(harness: Harness) -> dict[str, tuple[int, int, int, int]]:  # noqa: F811
    harness.settle(0.4)
    geometries = _geometries(harness)
    return {name: geometries[wid] for name, wid in _buttons(harness.popup).items()}


def test_buttons_stay_put_when_a_banner_appears(harness: Harness, wm: str) -> None:  # noqa: F811
    """Every button is where it was after a banner, the login panel, and Log in/Log out swaps."""
    _shown(harness)
    harness.popup.logged_in = True
    harness.popup.apply_event(UsageUpdated(usage_document()))
    before = _button_boxes(harness)
    assert len(set(before.values())) == len(before)  # six different real windows

    harness.popup.apply_event(RefreshFailed(ErrorCode.NETWORK_ERROR, "no route to host"))
    harness.settle(0.3)
    assert harness.popup.banner.winfo_ismapped()
    assert _button_boxes(harness) == before, "a banner moved a button"

    harness.popup.apply_event(RefreshFailed(ErrorCode.SESSION_EXPIRED, "expired"))
    assert harness.popup.login_button.cget("text") == "Log in…"
    assert _button_boxes(harness) == before, "Log out -> Log in… moved a button"

    harness.popup._banner_action("login")  # the banner's Log in… opens the login panel
    assert harness.popup.login_open
    assert harness.popup.login_button.cget("text") == "Back"
    assert _button_boxes(harness) == before, "the login panel moved a button"

    harness.popup.apply_event(LoginFinished(True))
    harness.popup.apply_event(UsageUpdated(usage_document()))
    assert harness.popup.login_button.cget("text") == "Log out"
    assert _button_boxes(harness) == before
    harness.popup._toggle_pause()
    assert harness.popup.pause_button.cget("text") == "Resume auto-refresh"
    assert _button_boxes(harness) == before, "Pause -> Resume moved the link beside it"
    harness.screenshot(f"layout-{wm}")


# --- the keyboard ------------------------------------------------------------------------------


def _focus_ring_pixels(image: Image.Image, widget: object) -> int:
    box = (
        widget.winfo_rootx(),  # type: ignore[attr-defined]
        widget.winfo_rooty(),  # type: ignore[attr-defined]
        widget.winfo_rootx() + widget.winfo_width(),  # type: ignore[attr-defined]
        widget.winfo_rooty() + widget.winfo_height(),  # type: ignore[attr-defined]
    )
    ring = tuple(int(FOCUS_RING[i : i + 2], 16) for i in (1, 3, 5))
    crop = image.convert("RGB").crop(box)
    return sum(count for count, colour in crop.getcolors(1 << 16) or [] if colour == ring)


def test_focus_ring_return_escape_and_select_all(harness: Harness, wm: str) -> None:  # noqa: F811
    """Tab shows a ring on the next button, Return presses it, Ctrl+A selects all, Escape closes."""
    _shown(harness)
    harness.popup.apply_event(RefreshFailed(ErrorCode.SESSION_EXPIRED, "expired"))
    assert harness.popup.login_button.cget("text") == "Log in…"
    if wm == "openbox":
        harness.xdotool("windowactivate", _wrapper(harness.popup))
    harness.popup.window.focus_force()
    harness.popup.refresh_button.focus_set()
    harness.settle(0.3)
    assert harness.wait_for(lambda: harness.popup.window.focus_get() is not None)
    harness.xdotool("key", "Tab")
    assert harness.wait_for(
        lambda: harness.popup.window.focus_get() is harness.popup.login_button
    ), harness.popup.window.focus_get()
    image = ImageGrab.grab(xdisplay=harness.display.name)
    assert _focus_ring_pixels(image, harness.popup.login_button) > 20, "no visible focus ring"
    assert _focus_ring_pixels(image, harness.popup.settings_button) == 0

    harness.xdotool("key", "Return")  # presses "Log in…": the login panel opens
    assert harness.wait_for(lambda: harness.popup.login_open)
    entry = harness.popup.login_panel.key_entry
    entry.focus_set()
    harness.settle(0.2)
    harness.xdotool("type", "sk-ant-partial")
    harness.xdotool("key", "ctrl+a")
    harness.settle(0.3)
    assert entry.selection_present()
    assert entry.index("sel.first") == 0 and entry.index("sel.last") == len(entry.get())
    harness.xdotool("key", "Escape")
    assert harness.wait_for(lambda: not harness.popup.visible)
    assert entry.get() == ""  # the half-typed key went with the popup
    assert harness.core.names() == []
