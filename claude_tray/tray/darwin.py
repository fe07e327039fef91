"""macOS: the option that lets pystray share Tk's NSApplication (untested here).

This module must not be imported on other platforms (it imports AppKit).
"""

from __future__ import annotations

from typing import Any


def darwin_icon_options() -> dict[str, Any]:  # pragma: no cover - macOS only
    """pystray's option for sharing Tk's NSApplication on macOS (untested here)."""
    from AppKit import NSApplication  # type: ignore[import-not-found]

    return {"darwin_nsapplication": NSApplication.sharedApplication()}
