"""The tray icon: backend choice (`choice`), one module per backend, the shared view.

- `view`: what the tray shows and the commands it sends (no toolkit imports);
- `choice`: which pystray backend, and importing pystray with it;
- `control`: `Tray`, the app's one handle on the icon;
- `xorg`, `gtk`, `darwin`: what each backend needs beyond pystray's own.

This package must NOT touch Tk or call the core; importing it must not import
pystray or open a display (`load_backend` does that).
"""

from __future__ import annotations

from claude_tray.tray.choice import (
    NO_DISPLAY_MESSAGE,
    Backend,
    TrayUnavailable,
    choose_backends,
    load_backend,
)
from claude_tray.tray.control import STOP_TIMEOUT, Tray
from claude_tray.tray.darwin import darwin_icon_options
from claude_tray.tray.view import ICON_NAME, TrayCommand, TrayView, x11_title

__all__ = [
    "ICON_NAME",
    "NO_DISPLAY_MESSAGE",
    "STOP_TIMEOUT",
    "Backend",
    "Tray",
    "TrayCommand",
    "TrayUnavailable",
    "TrayView",
    "choose_backends",
    "darwin_icon_options",
    "load_backend",
    "x11_title",
]
