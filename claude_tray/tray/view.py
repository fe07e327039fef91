"""What the tray shows and what it asks for: the view, the commands, the title rules.

Shared by every backend and by the app. This module must NOT import pystray,
Xlib, a D-Bus library or Tk: it is plain data, importable with no display.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from PIL import Image

ICON_NAME = "claude-tray"


class TrayCommand(str, Enum):
    """What a menu item (or a click on the icon) asks the app to do."""

    SHOW_DETAILS = "show_details"
    REFRESH = "refresh"
    LOGIN = "login"
    LOGOUT = "logout"
    PAUSE = "pause"
    RESUME = "resume"
    OPEN_USAGE_PAGE = "open_usage_page"
    SETTINGS = "settings"
    QUIT = "quit"


@dataclass(frozen=True)
class TrayView:
    """Everything the tray shows: built by the app, applied by `Tray.update`."""

    image: Image.Image
    title: str
    logged_in: bool
    paused: bool
    #: Draws the same icon at another size (px), for hosts that take several
    #: sizes (StatusNotifierItem); None: backends use `image` as it is.
    draw: Callable[[int], Image.Image] | None = None
    #: A short text hosts may print beside the icon ("42%"); "" for none.
    label: str = ""


#: Characters of the app's texts that X11's WM_NAME (latin-1) cannot hold, and stand-ins.
_LATIN1_STAND_INS = str.maketrans({"…": "...", "–": "-", "—": "-", "‘": "'", "’": "'"})


def x11_title(text: str) -> str:
    """`text` in latin-1, as python-xlib writes the icon window's WM_NAME.

    pystray's xorg backend sets the title with `set_wm_name`, which python-xlib
    encodes as latin-1 (the STRING type): "…" or "–" raise UnicodeEncodeError
    inside the icon's thread.
    """
    return text.translate(_LATIN1_STAND_INS).encode("latin-1", "replace").decode("latin-1")
