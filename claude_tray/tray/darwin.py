"""macOS: pystray's darwin icon driven from Tk's main thread (designed on paper: no Mac
runs these tests; tests/test_tray_darwin.py checks the threading and image rules with
a stand-in for pystray's class).

What pystray 0.19.5 does, and what this module changes (line numbers are pystray's
master at cf38ef6, `lib/pystray/`):

- `_base.py` 215-242 `run_detached(setup)` calls `_start_setup(setup)` (391-404), which
  runs `setup` on a NEW thread (`threading.Thread(target=setup_handler)`, 403) once
  `_mark_ready()` (300-314) is called; `_darwin.py` 116-117 `_run_detached` only calls
  `_mark_ready()`. The default setup sets `visible = True` (`_base.py` 401), and the
  `visible` setter (174-189) calls `_show()` (`_darwin.py` 66-70): `setImage_`,
  `setToolTip_`, `setHidden_` on an NSStatusItem, off the main thread. AppKit requires
  the main thread (macOS 26 traps it). So the app passes a setup that only wakes Tk
  (`Tray._darwin_ready`), and Tk's thread sets `visible` (`Tray.update`).
- `_darwin.py` 51-53 takes `darwin_nsapplication` (pystray strips the prefix): Tk's
  NSApplication, so Tk's event loop also serves the status item (`darwin_icon_options`).
- `_darwin.py` 182 (commit 2f3a573, after the 0.19.5 release) marks the icon image a
  template (`setTemplate_(YES)`): macOS then draws it as a monochrome silhouette and the
  colour that says how close the limit is would be lost. `colour_icon_class` turns the
  flag off again after pystray builds the image, so the pin (`pystray==0.19.5` in
  .ci/constraints.txt) is not what keeps the colour.
- `_darwin.py` 119-125 `_notify` runs `osascript` with `subprocess.check_call`, on the
  calling thread (Tk's): the popup would freeze for the script's run. The subclass runs
  it on a short-lived thread (osascript is a separate process: no AppKit there).
- A Python started from a terminal is a regular app with a Dock icon; a tray app is
  not. `darwin_icon_options` sets the accessory activation policy
  (NSApplicationActivationPolicyAccessory) unless the run is an .app bundle, whose
  Info.plist (LSUIElement) decides.

This module must not be imported on other platforms' tray paths except for
`colour_icon_class`, which touches AppKit only through the icon's own objects.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

#: NSApplicationActivationPolicyAccessory: no Dock icon, no menu bar of its own.
ACCESSORY_POLICY = 1


def darwin_icon_options() -> dict[str, Any]:  # pragma: no cover - macOS only
    """pystray's option for sharing Tk's NSApplication; also hides the Dock icon of a
    non-bundled run. Call on Tk's (the main) thread, after Tk is up."""
    from AppKit import NSApplication, NSBundle  # type: ignore[import-not-found]

    app = NSApplication.sharedApplication()
    bundle = NSBundle.mainBundle()
    bundled = bundle is not None and str(bundle.bundlePath() or "").endswith(".app")
    if not bundled:
        app.setActivationPolicy_(ACCESSORY_POLICY)
    return {"darwin_nsapplication": app}


def colour_icon_class(base: type[Any]) -> type[Any]:
    """pystray's darwin `Icon` with a coloured (non-template) image and notifications
    that do not block the calling thread."""

    class ColourIcon(base):  # type: ignore[misc]
        def _assert_image(self) -> None:
            super()._assert_image()
            image = getattr(self, "_icon_image", None)
            if image is not None and image.isTemplate():
                # Newer pystray (2f3a573) makes it a template: keep the colours.
                image.setTemplate_(False)
                self._status_item.button().setImage_(image)

        def _notify(self, message: str, title: str | None = None) -> None:
            def run() -> None:
                try:
                    base._notify(self, message, title)
                except Exception:
                    log.warning("could not show a notification (osascript)", exc_info=True)

            threading.Thread(target=run, name="osascript", daemon=True).start()

    ColourIcon.__name__ = ColourIcon.__qualname__ = f"Colour{base.__name__}"
    return ColourIcon
