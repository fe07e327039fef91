"""pystray's plain-X11 (xorg) icon, made clickable.

In pystray 0.19.5 (and upstream master at the time of writing) the xorg
backend creates its icon window with only `ExposureMask | StructureNotifyMask`,
so the X server never sends it `ButtonPress` events and a click on the icon
does nothing (upstream issue #151). Its `_on_button_press` handler exists but
is never reached. This subclass asks for button events on the icon window and
runs the default menu action on the left and the right button, and remembers
where the click happened so the popup can open next to the icon.

Importing this module imports `pystray._xorg`, which opens an X connection: the
caller imports it only after choosing the xorg backend and checking the display.
This module must not know about the app's menu, state or popup.
"""

from __future__ import annotations

import threading
from typing import Any

import Xlib.X
from pystray import _xorg

#: The buttons that activate the icon: left (1) and right (3). The xorg backend
#: has no menu (`HAS_MENU = False`), so both open the popup, which offers every
#: menu action.
ACTIVATING_BUTTONS = (1, 3)

#: The event mask pystray 0.19.5 uses for the icon window, plus button presses.
ICON_EVENT_MASK = Xlib.X.ExposureMask | Xlib.X.StructureNotifyMask | Xlib.X.ButtonPressMask


class ClickableXorgIcon(_xorg.Icon):  # type: ignore[misc]  # pystray ships no type hints
    """The xorg icon, with button presses delivered and handled (pystray #151)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        #: Root-window coordinates of the last activating click, or None.
        self.last_click: tuple[int, int] | None = None
        super().__init__(*args, **kwargs)

    def _create_window(self) -> Any:
        # pystray creates the window inside __init__; widen its event mask
        # right after, before the window is docked and mapped by the tray host.
        window = super()._create_window()
        window.change_attributes(event_mask=ICON_EVENT_MASK)
        return window

    def _run(self) -> None:
        # pystray's _run marks the icon ready (which lets the setup thread make
        # it visible) before it records `_thread`, yet the visibility change
        # reads `_thread` to decide whether to forward the call to this thread.
        # Recording it first closes that window.
        self._thread = threading.current_thread()
        super()._run()

    def _on_button_press(self, event: Any) -> None:
        # Runs on the icon's own X thread. `self()` runs the menu's default
        # item, which in this app only queues a message for the UI thread.
        if event.detail in ACTIVATING_BUTTONS:
            self.last_click = (int(event.root_x), int(event.root_y))
            self()
