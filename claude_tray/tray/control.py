"""The app's one handle on the tray icon: pystray in its own thread, its menu, `update`.

Callers check the backend's flags (`HAS_MENU`, `HAS_DEFAULT_ACTION`,
`HAS_NOTIFICATION`), never `sys.platform`.

This module must NOT choose or import a backend (that is `tray.choice`), touch
Tk, call the core, or do any work in pystray's callbacks: a menu click only
hands a `TrayCommand` to the app, which runs it on the UI thread. It does not
decide what the icon looks like (that is `claude_tray.icon`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from claude_tray.tray.choice import Backend
from claude_tray.tray.view import ICON_NAME, TrayCommand, TrayView

log = logging.getLogger(__name__)

#: Seconds `stop` waits for the tray thread to end.
STOP_TIMEOUT = 0.5
#: Backends whose icon changes are applied on the tray's own applier thread, so
#: the UI thread never waits for them. pystray's xorg backend forwards each
#: change to its X thread and waits for it with no timeout; once in about eleven
#: starts that wait never ended (the X thread sat in python-xlib) and the app
#: ignored SIGTERM (linux-desktops.md section 5). Windows and macOS keep the
#: direct calls from the UI thread (pystray does not promise their icons are
#: safe to change from any thread, upstream issue #60).
APPLIER_BACKENDS = frozenset({"xorg", "sni", "gtk", "appindicator"})


class Tray:
    """One tray icon. Construct, `start()`, then `update()` only from the UI thread."""

    def __init__(
        self,
        backend: Backend,
        view: TrayView,
        on_command: Callable[[TrayCommand], None],
        *,
        on_shown: Callable[[], None] | None = None,
        on_host_changed: Callable[[bool], None] | None = None,
        **icon_options: Any,
    ) -> None:
        """`on_command`, `on_shown` and `on_host_changed` are called on the tray's
        threads: hand over, never work."""
        self._on_command = on_command
        self._on_shown = on_shown
        self._on_host_changed = on_host_changed
        self._view = view
        self._make_icon(backend, icon_options)

    def _make_icon(self, backend: Backend, icon_options: dict[str, Any]) -> None:
        self.backend = backend
        view = self._view
        self._thread: threading.Thread | None = None
        #: macOS: pystray's setup thread asked for the icon; the next update shows it.
        self._show_on_update = False
        self._stopping = False
        self._icon: Any = backend.icon_class(
            ICON_NAME, view.image, view.title, self._build_menu(backend.pystray), **icon_options
        )
        self._applier = _Applier(self._apply) if backend.name in APPLIER_BACKENDS else None
        self._applied = view
        self._pass_extras(view)
        if hasattr(self._icon, "on_host_changed"):
            self._icon.on_host_changed = self._on_host_changed
        if hasattr(self._icon, "on_secondary"):  # StatusNotifierItem: middle click refreshes
            on_command = self._on_command
            self._icon.on_secondary = lambda: on_command(TrayCommand.REFRESH)
            self._icon.on_context_menu = lambda: on_command(TrayCommand.SHOW_DETAILS)

    def switch_to(self, backend: Backend) -> None:
        """Put the icon on another backend (UI thread): the old one is stopped (bounded),
        a new one with the current view is started. For a tray host of the other kind
        that appeared after the start (an XEmbed tray where SNI found no host)."""
        log.info("tray backend: %s (was %s)", backend.name, self.backend.name)
        self.stop()
        self._make_icon(backend, {})
        self.start()

    def _pass_extras(self, view: TrayView) -> None:
        """What some backends show beyond pystray's image and title (sizes, a label)."""
        if hasattr(self._icon, "sized_renderer"):
            self._icon.sized_renderer = view.draw
            self._icon.label = view.label

    @property
    def host_present(self) -> bool:
        """Whether a tray host shows the icon, where the backend can tell (else True)."""
        return bool(getattr(self._icon, "host_present", True))

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
            # macOS (on paper; tray/darwin.py has the pystray lines this rests on):
            # AppKit wants the main thread, which Tk owns. run_detached() with Tk's
            # NSApplication (`darwin_nsapplication`) lets Tk's loop drive the icon, but
            # it calls `setup` on a thread of its own: that setup only wakes Tk, and
            # `update()` on Tk's thread makes the icon visible.
            self._icon.run_detached(setup=self._darwin_ready)
            return
        self._thread = threading.Thread(target=self._run, name="tray", daemon=True)
        self._thread.start()
        if self._applier is not None:
            self._applier.start()

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

    def _darwin_ready(self, _icon: Any) -> None:
        """pystray's setup thread (macOS): no AppKit here; ask the UI thread to show."""
        self._show_on_update = True
        if self._on_shown is not None:
            self._on_shown()  # the app wakes Tk, whose refresh calls update()

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
        Only what changed is passed on, unless `force`. On Linux the change is
        handed to the applier thread and this returns at once (`APPLIER_BACKENDS`).
        """
        self._view = view
        if not self._alive():
            return
        if self._show_on_update:  # macOS, on Tk's (the main) thread
            self._show_on_update = False
            try:
                self._icon.visible = True
            except Exception:
                log.warning("could not show the tray icon", exc_info=True)
            force = True
        if self._applier is not None:
            self._applier.offer(view, force)
        else:
            self._apply(view, force)

    def _apply(self, view: TrayView, force: bool) -> None:
        """Pass the changes from the last applied view to the icon (one thread at a time)."""
        old, self._applied = self._applied, view
        try:
            self._pass_extras(view)
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
            if self._applier is not None:
                # Off the UI thread too: pystray's xorg stop talks to X, which can hang.
                self._applier.finish(self._stop_icon, STOP_TIMEOUT)
            else:
                self._stop_icon()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)

    def _stop_icon(self) -> None:
        # GTK/AppIndicator raise a GLib error here without a notification daemon.
        with contextlib.suppress(Exception):
            self._icon.stop()


class _Applier:
    """A thread that applies the newest view; whoever offers one never waits.

    Views offered while one is being applied replace each other: only the
    newest is applied next (with `force` if any of them asked for it). The
    thread sleeps on a condition with no timeout between offers.
    """

    def __init__(self, apply: Callable[[TrayView, bool], None]) -> None:
        self._apply = apply
        self._cond = threading.Condition()
        self._pending: tuple[TrayView, bool] | None = None
        self._final: Callable[[], None] | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tray-apply", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def offer(self, view: TrayView, force: bool) -> None:
        with self._cond:
            if self._pending is not None:
                force = force or self._pending[1]
            self._pending = (view, force)
            self._cond.notify()

    def finish(self, final: Callable[[], None], timeout: float) -> bool:
        """Run `final` on the thread after what is pending; wait at most `timeout` s for it."""
        with self._cond:
            self._final = final
            self._cond.notify()
        if not self._thread.is_alive():
            return False
        finished = self._done.wait(timeout)
        if not finished:
            log.warning("the tray did not stop within %.1f s; leaving it", timeout)
        return finished

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and self._final is None:
                    self._cond.wait()
                pending, self._pending = self._pending, None
                final = self._final
            if pending is not None:
                self._apply(*pending)
                continue
            if final is not None:
                try:
                    final()
                finally:
                    self._done.set()
                return
