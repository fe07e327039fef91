"""pystray's plain-X11 (xorg) icon, made clickable.

In pystray 0.19.5 (and upstream master at the time of writing) the xorg
backend creates its icon window with only `ExposureMask | StructureNotifyMask`,
so the X server never sends it `ButtonPress` events and a click on the icon
does nothing (upstream issue #151). Its `_on_button_press` handler exists but
is never reached. This subclass asks for button events on the icon window and
runs the default menu action on the left and the right button, and remembers
where the click happened so the popup can open next to the icon.

It also draws the icon for the slot the tray host gives (trayer's 32 px panel
gives a 24×30 window) through `sized_renderer`, instead of pystray's LANCZOS
stretch of one square image, and cuts the rounded corners out of the window
with the X SHAPE extension: pystray pastes the RGBA image onto black without
its alpha (`_assert_icon_data`), which showed black corners; with a bounding
shape the panel itself shows through them, whatever its colour.

Changes made outside the icon's X thread (image, title, show, stop) reach it
through a second X connection of their own (`_forward`): pystray sends them on
the icon's own connection while its X thread reads and draws with it, and
python-xlib 0.33 can then leave the X thread waiting for a reply for good (a
black or stuck icon, every later change waiting forever; see `_forward`).

Importing this module imports `pystray._xorg`, which opens an X connection: the
caller (`tray.choice`) imports it only after choosing the xorg backend and checking
the display.
This module must not know about the app's menu, state or popup.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import Xlib.protocol.event
import Xlib.X
from PIL import Image
from pystray import _xorg

from claude_tray import xlib_connect
from claude_tray.tray.view import x11_title

#: The buttons that activate the icon: left (1) and right (3). The xorg backend
#: has no menu (`HAS_MENU = False`), so both open the popup, which offers every
#: menu action.
ACTIVATING_BUTTONS = (1, 3)

#: The event mask pystray 0.19.5 uses for the icon window, plus button presses.
ICON_EVENT_MASK = Xlib.X.ExposureMask | Xlib.X.StructureNotifyMask | Xlib.X.ButtonPressMask
#: The X extensions the icon's connection sets up: SHAPE cuts its corners; python-xlib's
#: others (XInput, RandR, ...) are never used here and cost ~0.9 MB (issue 12).
ICON_EXTENSIONS = ("SHAPE",)


@dataclass
class _Call:
    """One change handed to the X thread, and how it went."""

    method: Callable[[], None]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class ClickableXorgIcon(_xorg.Icon):  # type: ignore[misc]  # pystray ships no type hints
    """The xorg icon, with button presses delivered and handled (pystray #151)."""

    def __init__(
        self, name: str, icon: Any = None, title: str | None = None, menu: Any = None, **kwargs: Any
    ) -> None:
        #: Root-window coordinates of the last activating click, or None.
        self.last_click: tuple[int, int] | None = None
        #: Called with True/False (on the X thread) when the icon docks or loses its tray.
        self.on_host_changed: Any = None
        self._host_present = False
        self._told_no_host = False
        #: Draws the icon for a (width, height) slot; set by `tray.control` (TrayView.draw).
        self.sized_renderer: Callable[[Any], Image.Image] | None = None
        self.label = ""
        #: The (width, height) last drawn and whether its corners were cut (for tests).
        self.drawn: tuple[tuple[int, int], bool] | None = None
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._calls_lock = threading.Lock()  # guards _loop_ended and the waker connection
        self._loop_ended = False
        self._waker: Any = None
        with xlib_connect.extensions_only(ICON_EXTENSIONS):  # pystray opens its connection here
            super().__init__(name, icon, x11_title(title or ""), menu, **kwargs)
        self._listen_for_tray_hosts()
        # pystray draws on Expose and ConfigureNotify only. An image drawn while
        # the tray host was still embedding the window can be lost without a
        # later Expose (a black icon, seen once in a full CI run), so the icon
        # also draws itself when the host reparents and maps it.
        self._message_handlers[Xlib.X.MapNotify] = self._on_mapped
        self._message_handlers[Xlib.X.ReparentNotify] = self._on_mapped

    def _listen_for_tray_hosts(self) -> None:
        """Dock as soon as a tray host starts, not only at the next icon change.

        pystray docks only when the icon changes, so an app started before the
        panel (at login) stayed invisible until its next refresh. A tray host
        that takes the `_NET_SYSTEM_TRAY_Sn` selection announces it with a
        MANAGER client message to the root window (freedesktop system tray
        spec), which clients receive by selecting StructureNotify on the root.
        """
        self._manager_atom = self._display.intern_atom("MANAGER")
        pystray_handler = self._message_handlers[Xlib.X.ClientMessage]

        def on_client_message(event: Any) -> None:
            if event.client_type == self._manager_atom:
                self._on_tray_host_started(event)
            else:
                pystray_handler(event)

        self._message_handlers[Xlib.X.ClientMessage] = on_client_message
        self._display.screen().root.change_attributes(event_mask=Xlib.X.StructureNotifyMask)
        self._display.flush()

    def _on_mapped(self, event: Any) -> None:
        # Runs on the icon's X thread, like pystray's own Expose handler.
        if event.window.id == self._window.id and self._icon is not None:
            self._draw()

    def _on_tray_host_started(self, event: Any) -> None:
        # Runs on the icon's X thread. data: (format, [time, selection, owner, ...]).
        selection = event.data[1][1]
        if selection != self._net_system_tray_sx or not self.visible:
            return
        if self._systray_manager is None:
            self._log.info("a tray host started; docking the icon")
            self._dock_window()

    @property
    def title(self) -> str:
        return str(getattr(self, "_title", ""))

    @title.setter
    def title(self, value: str) -> None:
        # Every title (the first one goes to the window in __init__) is made
        # latin-1 safe before pystray hands it to python-xlib.
        safe = x11_title(value)
        if safe != self.title:
            self._title = safe
            if self.visible:
                self._update_title()

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
        try:
            super()._run()
        finally:
            self._end_calls()

    # --- changes from other threads ---------------------------------------------------

    def _rewrite_implementation(self, *methods: Callable[[], None]) -> None:
        # Replaces pystray's: same methods (_show, _hide, _update_icon,
        # _update_title, _stop) run on the X thread, woken through `_waker`.
        self._wake_atom = self._display.intern_atom("_CLAUDE_TRAY_RUN_CALLS")
        for method in methods:
            setattr(self, method.__name__, self._forwarder(method))
        self._message_handlers[Xlib.X.ClientMessage] = self._on_wake

    def _forwarder(self, method: Callable[[], None]) -> Callable[[], None]:
        def forwarded() -> None:
            self._forward(method)

        forwarded.__name__ = method.__name__
        return forwarded

    def _forward(self, method: Callable[[], None]) -> None:
        """Run `method` on the X thread and wait for it (its exception is raised here).

        pystray's own forwarding sends a client message and flushes on the
        connection the X thread is using. In python-xlib 0.33 a flush that
        starts while the X thread waits for events, and finds data to read,
        returns early (`send_and_recv`: "not receiving" branch) without waking
        a thread that began waiting for a reply meanwhile: the X thread's
        `get_geometry` in `_draw`, right after an Expose. Nothing else talks
        on that connection then, so the X thread sleeps for good. Here the
        wake-up goes out on a second connection, used under a lock, and the
        icon's connection stays with its X thread alone
        (tests/test_xorg_icon_threads.py).
        """
        if threading.current_thread() is getattr(self, "_thread", None):
            method()
            return
        call = _Call(method)
        with self._calls_lock:
            if self._loop_ended:
                return  # the icon is gone: nothing left to show or change
            self._calls.put(call)
            self._wake_x_thread()
        call.done.wait()
        if call.error is not None:
            raise call.error

    def _wake_x_thread(self) -> None:
        # Called with _calls_lock held: the waker connection is used by one thread at a time.
        if self._waker is None:
            self._waker = xlib_connect.connect(self._display.get_display_name())
            # Its one request can only fail once the icon window is gone (a change
            # racing the icon's stop), which the X thread never waits for.
            self._waker.set_error_handler(self._on_waker_error)
            self._waker_window = self._waker.create_resource_object("window", self._window.id)
        event = Xlib.protocol.event.ClientMessage(
            window=self._waker_window,
            client_type=self._wake_atom,
            data=(32, [0, 0, 0, 0, 0]),
        )
        # An empty event mask sends it to the window's creator: the X thread's connection.
        self._waker.send_event(self._waker_window, event, event_mask=Xlib.X.NoEventMask)
        self._waker.sync()  # a round trip: the message has left, whatever the socket's state

    def _on_waker_error(self, error: Any, request: Any = None) -> None:
        self._log.debug("waking the icon's X thread failed: %s", error)

    def _on_wake(self, event: Any) -> None:
        # Runs on the X thread: every change queued so far, in order.
        if event.client_type != self._wake_atom:
            return
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                return
            try:
                call.method()
            except BaseException as exc:  # handed to the waiting thread, as pystray does
                call.error = exc
            finally:
                call.done.set()

    def _end_calls(self) -> None:
        """The X loop has ended: changes still queued (or made later) do nothing."""
        with self._calls_lock:
            self._loop_ended = True
            waker, self._waker = self._waker, None
        while True:
            try:
                self._calls.get_nowait().done.set()
            except queue.Empty:
                break
        if waker is not None:
            try:
                waker.close()
            except Exception:  # the server may be gone already
                self._log.debug("closing the waker connection failed", exc_info=True)

    def _assert_docked(self) -> None:
        # pystray sends a new dock request on every icon change (and twice when
        # it shows the icon). trayer answers each one by unmapping the icon and
        # embedding it again, so a click during a refresh could land on nothing
        # (seen in the GUI tests). Dock only when not docked; when the tray
        # host goes away pystray clears `_systray_manager` and this docks again.
        if self._systray_manager is None:
            self._dock_window()
        self._set_host(self._systray_manager is not None)
        assert self._systray_manager

    @property
    def host_present(self) -> bool:
        """Whether the icon is docked in an XEmbed tray."""
        return self._host_present

    def _set_host(self, present: bool) -> None:
        if present == self._host_present:
            return
        self._host_present = present
        if present:
            self._told_no_host = False
        if self.on_host_changed is not None:
            self.on_host_changed(present)

    def _show(self) -> None:
        # pystray logs "Failed to dock icon" with a traceback each time it finds
        # no tray, and the app redraws once a minute: one line, once, instead.
        if not self._dock_quietly():
            return

    def _update_icon(self) -> None:
        if not self._dock_quietly():
            return
        self._icon_data = None  # pystray's way to make `_draw` convert the image again
        self._draw()
        self._icon_valid = True

    def _on_destroy_notify(self, event: Any) -> None:
        # Runs on the X thread. pystray's version logs "Failed to dock icon" with a
        # traceback when the tray host goes away and no other is there (and fails
        # on `None.id` when it was never docked); the icon docks again quietly
        # when a host announces itself (`_listen_for_tray_hosts`).
        manager: Any = getattr(self, "_systray_manager", None)
        if manager is None or event.window.id != manager.id:
            return
        self._systray_manager = None
        self._set_host(False)
        self._told_no_host = False
        self._dock_quietly()

    def _dock_quietly(self) -> bool:
        try:
            self._assert_docked()
        except AssertionError:
            if not self._told_no_host:
                self._told_no_host = True
                self._log.info("no XEmbed tray to dock into yet; the icon docks when one starts")
            return False
        return True

    def _stop(self) -> None:
        # pystray destroys the window and only flushes; the loop ends when the
        # DestroyNotify for the window arrives. Under trayer that event never
        # came in about one run of three (measured here with python-xlib 0.33),
        # so the loop thread outlived Quit. A round trip (sync) instead of a
        # flush made it arrive in every run.
        self._window.destroy()
        self._display.sync()

    def _assert_icon_data(self, width: int, height: int) -> None:
        # Replaces pystray's: drawn for the slot, corners cut by a window shape.
        if self._icon_data and self._icon_data.size == (width, height):
            return
        image: Image.Image | None = None
        if self.sized_renderer is not None:
            try:
                image = self.sized_renderer((width, height))
            except Exception:  # a drawing bug must not kill the tray thread: stretch instead
                self._log.exception("drawing the icon at %sx%s failed", width, height)
        if image is None or image.size != (width, height):
            image = self._icon.convert("RGBA").resize((width, height), Image.Resampling.LANCZOS)
        image = image.convert("RGBA")
        alpha = image.getchannel("A")
        # Pixels kept by the shape show their own colour at full strength (an edge
        # pixel blended with black would draw a dark rim on a light panel).
        solid = Image.new("RGB", (width, height), (0, 0, 0))
        solid.paste(image.convert("RGB"), mask=alpha.point(lambda a: 255 if a else 0))
        data: Any = solid
        data.tostring = solid.tobytes  # what pystray's put_pil_image call expects
        self._icon_data = data
        shaped = self._shape_corners(alpha.point(lambda a: 255 if a >= 128 else 0).convert("1"))
        self.drawn = ((width, height), shaped)

    def _shape_corners(self, mask: Image.Image) -> bool:
        """Make the window the shape of `mask` (1: the icon, 0: the panel shows)."""
        try:
            from Xlib.ext import shape

            if not self._display.has_extension("SHAPE"):
                return False
            pixmap = self._window.create_pixmap(mask.width, mask.height, 1)
            gc = pixmap.create_gc(foreground=1, background=0)
            pixmap.put_pil_image(gc, 0, 0, mask)
            self._window.shape_mask(shape.SO.Set, shape.SK.Bounding, 0, 0, pixmap)
            gc.free()
            pixmap.free()
        except Exception:  # no SHAPE, or the server refused: square corners, still drawn
            self._log.info("could not cut the icon's corners", exc_info=True)
            return False
        return True

    def _on_button_press(self, event: Any) -> None:
        # Runs on the icon's own X thread. `self()` runs the menu's default
        # item, which in this app only queues a message for the UI thread.
        if event.detail in ACTIVATING_BUTTONS:
            self.last_click = (int(event.root_x), int(event.root_y))
            self()
