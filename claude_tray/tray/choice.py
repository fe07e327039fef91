"""Which pystray backend the tray uses, and importing pystray with it.

`PYSTRAY_BACKEND` wins (`sni` included); otherwise on Linux the
StatusNotifierItem backend (`tray.sni`) or plain X11 (`tray.xorg`, with its
click fix), by the hosts found (`choose_backends`); the native backend
elsewhere. The variable is set before pystray is imported, because pystray
picks its backend at import time.

This module must NOT build icons or menus (that is `tray.control`), touch Tk,
or import a backend module before the display was checked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from claude_tray.tray.hosts import TrayHosts, probe_hosts

log = logging.getLogger(__name__)

NO_DISPLAY_MESSAGE = (
    "There is no display to put a tray icon on. "
    "Use `claude-tray status` to see your usage on the command line."
)


class TrayUnavailable(RuntimeError):
    """Raised when no tray backend can start (no display, no toolkit)."""


def choose_backends(
    env: Mapping[str, str],
    platform: str,
    *,
    hosts: Callable[[], TrayHosts] = probe_hosts,
) -> list[str]:
    """The backends to try, best first.

    On Linux: the StatusNotifierItem backend (`sni`) where a watcher runs, or
    where nothing shows yet but a session bus does (a panel that starts later
    is most likely an SNI host, and the item registers when it comes); the
    plain X11 backend (`xorg`) where only an XEmbed tray is there (trayer,
    i3bar, polybar) or there is no session bus. PyGObject is not needed and no
    longer chosen by itself: `gtk` and `appindicator` remain for
    `PYSTRAY_BACKEND` only.
    """
    forced = env.get("PYSTRAY_BACKEND")
    if forced:
        return [forced]
    if platform == "darwin":
        return ["darwin"]
    if platform == "win32":
        return ["win32"]
    found = hosts()
    if found.sni_watcher:
        return ["sni", "xorg"]
    if found.xembed_tray:
        return ["xorg", "sni"] if found.session_bus else ["xorg"]
    return ["sni", "xorg"] if found.session_bus else ["xorg"]


def pystray_backend_for(name: str) -> str:
    """The name pystray imports for one of ours: `sni` subclasses pystray's base icon."""
    return "dummy" if name == "sni" else name


def _xorg_connections() -> contextlib.AbstractContextManager[None]:
    """While the xorg backend is imported: its connections set up no X extension (issue 12)."""
    from claude_tray import xlib_connect

    return xlib_connect.extensions_only(())


def load_xorg_backend() -> Backend:
    """The xorg backend beside whatever pystray was imported as (for `Tray.switch_to`).

    `tray.xorg` imports `pystray._xorg` itself, which connects to DISPLAY; its
    icon uses pystray's shared base classes, so the menu built from the pystray
    already imported works with it.
    """
    try:
        with _xorg_connections():
            import pystray

            from claude_tray.tray.xorg import ClickableXorgIcon
    except Exception as exc:
        raise TrayUnavailable(NO_DISPLAY_MESSAGE) from exc
    return Backend("xorg", pystray, ClickableXorgIcon)


def load_sni_backend() -> Backend:
    """The StatusNotifierItem backend beside whatever pystray was imported as."""
    try:
        import pystray

        from claude_tray.tray.sni import StatusNotifierIcon
    except Exception as exc:
        raise TrayUnavailable(f"the StatusNotifierItem backend cannot start: {exc}") from exc
    return Backend("sni", pystray, StatusNotifierIcon)


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
    #: Chosen by the user (PYSTRAY_BACKEND): the app never moves the icon elsewhere.
    forced: bool = False


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
    no_display: BaseException | None = None
    for name in choose_backends(env, platform):
        imported_as = pystray_backend_for(name)
        if sys.modules.get("pystray") is not None and env.get("PYSTRAY_BACKEND") != imported_as:
            _forget_pystray()  # imported earlier with another backend (tests)
        env["PYSTRAY_BACKEND"] = imported_as
        try:
            # pystray's xorg module opens a test connection when imported.
            with _xorg_connections() if name == "xorg" else contextlib.nullcontext():
                import pystray

            icon_class: type[Any] = pystray.Icon
            if name == "sni":
                from claude_tray.tray.sni import StatusNotifierIcon

                icon_class = StatusNotifierIcon
            elif name == "xorg":
                with _xorg_connections():
                    from claude_tray.tray.xorg import ClickableXorgIcon

                icon_class = ClickableXorgIcon
            elif name == "gtk":
                from claude_tray.tray.gtk import with_gtk_tooltip

                icon_class = with_gtk_tooltip(icon_class)
            elif name == "darwin":
                from claude_tray.tray.darwin import colour_icon_class

                icon_class = colour_icon_class(icon_class)
        except Exception as exc:  # Xlib.error.DisplayNameError is not an ImportError
            _forget_pystray()
            if not forced:
                del env["PYSTRAY_BACKEND"]
            log.info("tray backend %s unavailable: %s", name, exc)
            if name == "xorg" or _no_display(exc):  # python-xlib is always there
                no_display = exc
            errors.append(f"{name}: {exc}")
            continue
        log.info("tray backend: %s%s", name, " (PYSTRAY_BACKEND)" if forced else "")
        return Backend(name, pystray, icon_class, forced)
    if no_display is not None:
        raise TrayUnavailable(NO_DISPLAY_MESSAGE) from no_display
    raise TrayUnavailable(
        "No tray backend could start (" + "; ".join(errors) + "). "
        "Use `claude-tray status` to see your usage on the command line."
    )
