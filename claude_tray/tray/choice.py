"""Which pystray backend the tray uses, and importing pystray with it.

`PYSTRAY_BACKEND` wins; otherwise on Linux AppIndicator (when a StatusNotifier
host runs) or GTK where PyGObject is importable, else plain X11 (xorg, with the
click fix of `tray.xorg`); the native backend elsewhere. The variable is set
before pystray is imported, because pystray picks its backend at import time.

This module must NOT build icons or menus (that is `tray.control`), touch Tk,
or import a backend module before the display was checked.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

NO_DISPLAY_MESSAGE = (
    "There is no display to put a tray icon on. "
    "Use `claude-tray status` to see your usage on the command line."
)


class TrayUnavailable(RuntimeError):
    """Raised when no tray backend can start (no display, no toolkit)."""


def _gi_importable() -> bool:
    return importlib.util.find_spec("gi") is not None


def _status_notifier_host_running() -> bool:
    """Whether a StatusNotifier host (GNOME's AppIndicator extension, KDE) is on the bus."""
    try:
        import gi

        gi.require_version("Gio", "2.0")
        from gi.repository import Gio, GLib

        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        reply = bus.call_sync(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            GLib.Variant("(s)", ("org.kde.StatusNotifierWatcher",)),
            GLib.VariantType.new("(b)"),
            Gio.DBusCallFlags.NONE,
            1000,
            None,
        )
        return bool(reply.unpack()[0])
    except Exception:  # no session bus, no Gio: AppIndicator would not show either
        return False


def choose_backends(
    env: Mapping[str, str],
    platform: str,
    *,
    gi_importable: Callable[[], bool] = _gi_importable,
    sni_host: Callable[[], bool] = _status_notifier_host_running,
) -> list[str]:
    """The pystray backends to try, best first."""
    forced = env.get("PYSTRAY_BACKEND")
    if forced:
        return [forced]
    if platform == "darwin":
        return ["darwin"]
    if platform == "win32":
        return ["win32"]
    if gi_importable():
        # AppIndicator without a StatusNotifier host falls back to XEmbed and
        # opens its menu on a left click (no default action); GTK's StatusIcon
        # keeps left click for the popup there.
        first = ["appindicator", "gtk"] if sni_host() else ["gtk", "appindicator"]
        return [*first, "xorg"]
    return ["xorg"]


def _forget_pystray() -> None:
    for name in [n for n in sys.modules if n == "pystray" or n.startswith("pystray.")]:
        del sys.modules[name]


def _no_display(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith("Xlib") or "display" in str(exc).lower()


@dataclass(frozen=True)
class Backend:
    """An imported pystray backend: its name, the pystray module and the Icon class."""

    name: str
    pystray: ModuleType
    icon_class: type[Any]


def load_backend(platform: str = sys.platform) -> Backend:
    """Import pystray with the chosen backend; raises `TrayUnavailable` with a clear message.

    pystray reads `PYSTRAY_BACKEND` from `os.environ` once, at import, so the
    choice is written there first.
    """
    env = os.environ
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and not (
        env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    ):
        raise TrayUnavailable(NO_DISPLAY_MESSAGE)
    forced = bool(env.get("PYSTRAY_BACKEND"))
    errors: list[str] = []
    for name in choose_backends(env, platform):
        if sys.modules.get("pystray") is not None and env.get("PYSTRAY_BACKEND") != name:
            _forget_pystray()  # imported earlier with another backend (tests)
        env["PYSTRAY_BACKEND"] = name
        try:
            import pystray

            icon_class: type[Any] = pystray.Icon
            if name == "xorg":
                from claude_tray.tray.xorg import ClickableXorgIcon

                icon_class = ClickableXorgIcon
            elif name == "gtk":
                from claude_tray.tray.gtk import with_gtk_tooltip

                icon_class = with_gtk_tooltip(icon_class)
        except Exception as exc:  # Xlib.error.DisplayNameError is not an ImportError
            _forget_pystray()
            if not forced:
                del env["PYSTRAY_BACKEND"]
            log.info("tray backend %s unavailable: %s", name, exc)
            if name == "xorg" or _no_display(exc):  # python-xlib is always there
                raise TrayUnavailable(NO_DISPLAY_MESSAGE) from exc
            errors.append(f"{name}: {exc}")
            continue
        log.info("tray backend: %s", name)
        return Backend(name, pystray, icon_class)
    raise TrayUnavailable(
        "No tray backend could start (" + "; ".join(errors) + "). "
        "Use `claude-tray status` to see your usage on the command line."
    )
