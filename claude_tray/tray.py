"""The tray icon: pystray in its own thread, its menu, and the one method that updates it.

Backend choice: `PYSTRAY_BACKEND` wins; otherwise on Linux AppIndicator (when a
StatusNotifier host runs) or GTK where PyGObject is importable, else plain X11
(xorg, with the click fix of `tray_xorg`); the native backend elsewhere. The
variable is set before pystray is imported, because pystray picks its backend
at import time. Callers check the backend's flags (`HAS_MENU`,
`HAS_DEFAULT_ACTION`, `HAS_NOTIFICATION`), never `sys.platform`.

This module must NOT touch Tk, call the core, or do any work in pystray's
callbacks: a menu click only hands a `TrayCommand` to the app, which runs it on
the UI thread. It does not decide what the icon looks like (that is `icon`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import ModuleType
from typing import Any

from PIL import Image

log = logging.getLogger(__name__)

ICON_NAME = "claude-tray"
NO_DISPLAY_MESSAGE = (
    "There is no display to put a tray icon on. "
    "Use `claude-tray status` to see your usage on the command line."
)
#: Seconds `stop` waits for the tray thread to end.
STOP_TIMEOUT = 0.5


class TrayUnavailable(RuntimeError):
    """Raised when no tray backend can start (no display, no toolkit)."""


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


#: Characters of the app's texts that X11's WM_NAME (latin-1) cannot hold, and stand-ins.
_LATIN1_STAND_INS = str.maketrans({"…": "...", "–": "-", "—": "-", "‘": "'", "’": "'"})


def x11_title(text: str) -> str:
    """`text` in latin-1, as python-xlib writes the icon window's WM_NAME.

    pystray's xorg backend sets the title with `set_wm_name`, which python-xlib
    encodes as latin-1 (the STRING type): "…" or "–" raise UnicodeEncodeError
    inside the icon's thread.
    """
    return text.translate(_LATIN1_STAND_INS).encode("latin-1", "replace").decode("latin-1")


# --- backend choice -------------------------------------------------------------------


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
                from claude_tray.tray_xorg import ClickableXorgIcon

                icon_class = ClickableXorgIcon
            elif name == "gtk":
                icon_class = _with_gtk_tooltip(icon_class)
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


def _with_gtk_tooltip(base: type[Any]) -> type[Any]:
    """pystray's GTK icon, with the title also shown as the hover tooltip.

    pystray 0.19.5's GTK backend passes the title to `Gtk.StatusIcon.set_title`
    only, which trays do not show on hover; the tooltip stays empty.
    """
    from gi.repository import GLib

    class TooltipGtkIcon(base):  # type: ignore[misc]
        def _show(self) -> None:
            super()._show()
            GLib.idle_add(self._apply_tooltip)

        def _update_title(self) -> None:
            super()._update_title()
            GLib.idle_add(self._apply_tooltip)

        def _apply_tooltip(self) -> bool:
            # Runs in the GTK loop (idle_add), like pystray's own GTK calls.
            self._status_icon.set_tooltip_text(self.title)
            return False  # once

    return TooltipGtkIcon


# --- the icon -------------------------------------------------------------------------


class Tray:
    """One tray icon. Construct, `start()`, then `update()` only from the UI thread."""

    def __init__(
        self,
        backend: Backend,
        view: TrayView,
        on_command: Callable[[TrayCommand], None],
        *,
        on_shown: Callable[[], None] | None = None,
        **icon_options: Any,
    ) -> None:
        """`on_command` and `on_shown` are called on the tray's thread: hand over, never work."""
        self.backend = backend
        self._on_command = on_command
        self._on_shown = on_shown
        self._view = view
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._icon: Any = backend.icon_class(
            ICON_NAME, view.image, view.title, self._build_menu(backend.pystray), **icon_options
        )

    # Flags of the backend (pystray's own names).
    @property
    def has_menu(self) -> bool:
        return bool(self._icon.HAS_MENU)

    @property
    def has_default_action(self) -> bool:
        return bool(self._icon.HAS_DEFAULT_ACTION)

    @property
    def has_notification(self) -> bool:
        return bool(self._icon.HAS_NOTIFICATION)

    @property
    def last_click(self) -> tuple[int, int] | None:
        """Where the icon was last clicked (screen coordinates), where the backend knows."""
        click = getattr(self._icon, "last_click", None)
        return click if isinstance(click, tuple) else None

    def _build_menu(self, pystray: ModuleType) -> Any:
        item = pystray.MenuItem

        def send(command: TrayCommand) -> Callable[[], None]:
            return lambda: self._on_command(command)

        def pause_or_resume() -> None:
            self._on_command(TrayCommand.RESUME if self._view.paused else TrayCommand.PAUSE)

        # Item texts and visibility are read when the native menu is built
        # (pystray rebuilds it on `update_menu`), so they follow the view.
        return pystray.Menu(
            item("Show details", send(TrayCommand.SHOW_DETAILS), default=True),
            item("Refresh now", send(TrayCommand.REFRESH)),
            pystray.Menu.SEPARATOR,
            item("Log in…", send(TrayCommand.LOGIN), visible=lambda _: not self._view.logged_in),
            item("Log out", send(TrayCommand.LOGOUT), visible=lambda _: self._view.logged_in),
            item(
                lambda _: "Resume auto-refresh" if self._view.paused else "Pause auto-refresh",
                pause_or_resume,
            ),
            item("Open usage page", send(TrayCommand.OPEN_USAGE_PAGE)),
            item("Settings…", send(TrayCommand.SETTINGS)),
            pystray.Menu.SEPARATOR,
            item("Quit", send(TrayCommand.QUIT)),
        )

    def menu_texts(self) -> list[str]:
        """The visible menu items' texts, as the native menu would show them now."""
        return [entry.text for entry in self._icon.menu if entry is not self._separator()]

    def _separator(self) -> Any:
        return self.backend.pystray.Menu.SEPARATOR

    def run_command_of(self, text: str) -> None:
        """Activate the visible menu item with this text (what a click on it does)."""
        for entry in self._icon.menu:
            if entry.text == text:
                entry(self._icon)
                return
        raise KeyError(text)

    def activate(self) -> None:
        """Run the default action, as a click on the icon does."""
        self._icon.menu(self._icon)

    def start(self) -> None:
        """Run the icon's loop in a daemon thread (macOS: attach to the running NSApp)."""
        if self.backend.name == "darwin":
            # macOS (not testable here): AppKit wants the main thread, which Tk
            # owns. pystray's documented way to share it is run_detached() with
            # the NSApplication passed as `darwin_nsapplication` (see
            # `darwin_icon_options`); Tk's mainloop then drives both.
            self._icon.run_detached(setup=self._setup)
            return
        self._thread = threading.Thread(target=self._run, name="tray", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._icon.run(setup=self._setup)
        except Exception as exc:
            # GTK and AppIndicator raise a GLib error while finishing when no
            # notification daemon runs; a failing loop must not take the UI down.
            if self._stopping:
                log.info("the tray loop ended: %s", exc)
            else:
                log.warning("the tray loop ended with an error", exc_info=True)

    def _setup(self, icon: Any) -> None:
        try:
            icon.visible = True
        except Exception:
            log.warning("could not show the tray icon", exc_info=True)
        # pystray draws the image it has while it makes the icon visible, but an
        # image set in the moment between that drawing and `visible` becoming
        # true is stored and never drawn (the GUI tests caught the icon stuck
        # on "--" after the first poll). The app answers with a forced update.
        if self._on_shown is not None:
            self._on_shown()

    def _alive(self) -> bool:
        if self._stopping:
            return False
        if self._thread is None:
            return self.backend.name == "darwin"
        return self._thread.is_alive()

    def update(self, view: TrayView, *, force: bool = False) -> None:
        """Show `view`. The one place that changes the tray; call it from the UI thread only.

        pystray does not promise that icon changes from any thread are safe on
        every platform (upstream issue #60), so all of them go through here.
        Only what changed is passed on, unless `force`.
        """
        old, self._view = self._view, view
        if not self._alive():
            return
        try:
            if force or view.image is not old.image:
                # Also docks the icon if the tray host started after us.
                self._icon.icon = view.image
            if force or view.title != old.title:
                self._icon.title = view.title
            menu_state = (view.logged_in, view.paused) != (old.logged_in, old.paused)
            if (force or menu_state) and self.has_menu:
                self._icon.update_menu()
        except Exception:
            log.warning("could not update the tray icon", exc_info=True)

    @property
    def view(self) -> TrayView:
        return self._view

    def notify(self, title: str, body: str) -> bool:
        """Show a desktop notification where the backend has them; False if not shown."""
        if not self.has_notification or not self._alive():
            return False
        try:
            self._icon.notify(body, title)
        except Exception:
            log.warning("could not show a notification", exc_info=True)
            return False
        return True

    def stop(self) -> None:
        """Remove the icon and end its loop (safe to call twice)."""
        if self._stopping:
            return
        alive = self._alive()
        self._stopping = True
        if alive:
            # GTK/AppIndicator raise a GLib error here without a notification daemon.
            with contextlib.suppress(Exception):
                self._icon.stop()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)


def darwin_icon_options() -> dict[str, Any]:  # pragma: no cover - macOS only
    """pystray's option for sharing Tk's NSApplication on macOS (untested here)."""
    from AppKit import NSApplication  # type: ignore[import-not-found]

    return {"darwin_nsapplication": NSApplication.sharedApplication()}
