"""Which tray hosts are there now: a StatusNotifierWatcher on the session bus, an XEmbed tray on X.

Each probe is quick and bounded (one short-lived connection, a timeout) and
says False rather than raising. This module must NOT import pystray or start
an icon; `tray.choice` and `doctor` ask it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from claude_tray import xlib_connect

log = logging.getLogger(__name__)

#: The watcher names a StatusNotifierItem registers with (see `tray.sni`).
WATCHER_NAMES = ("org.kde.StatusNotifierWatcher", "org.freedesktop.StatusNotifierWatcher")
#: Seconds a probe may take.
PROBE_TIMEOUT = 1.0


@dataclass(frozen=True)
class TrayHosts:
    """What a probe found."""

    session_bus: bool
    sni_watcher: bool
    xembed_tray: bool

    @property
    def kind(self) -> str:
        """ "SNI", "XEmbed" or "none": the best host found."""
        if self.sni_watcher:
            return "SNI"
        if self.xembed_tray:
            return "XEmbed"
        return "none"


def session_bus_names(
    names: tuple[str, ...], *, activatable: bool = False
) -> tuple[bool, dict[str, bool]]:
    """(whether the session bus answers, which of `names` have an owner, or with
    `activatable` also which the bus would start on demand)."""
    try:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        from claude_tray.dbus_bus import session_bus_address
    except ImportError:  # not on Linux
        return False, {}
    address = session_bus_address()
    if address is None:
        return False, {}
    try:
        with open_dbus_connection(bus=address, auth_timeout=PROBE_TIMEOUT) as conn:
            owned = {}
            for name in names:
                reply = conn.send_and_get_reply(
                    message_bus.NameHasOwner(name), timeout=PROBE_TIMEOUT
                )
                owned[name] = bool(reply.body[0]) if reply.body else False
            if activatable:
                reply = conn.send_and_get_reply(
                    message_bus.ListActivatableNames(), timeout=PROBE_TIMEOUT
                )
                startable = set(reply.body[0]) if reply.body else set()
                owned = {name: has or name in startable for name, has in owned.items()}
            return True, owned
    except Exception as exc:  # no bus at that address, refused, timed out
        log.debug("no session bus: %s", exc)
        return False, {}


def xembed_tray_present(display: str | None = None) -> bool:
    """Whether an X client owns the system tray selection (`_NET_SYSTEM_TRAY_S<screen>`)."""
    name = display or os.environ.get("DISPLAY")
    if not name:
        return False
    try:
        import Xlib.X
    except ImportError:
        return False
    try:
        connection = xlib_connect.connect(name)
    except Exception as exc:
        log.debug("no X display %s: %s", name, exc)
        return False
    try:
        atom = connection.intern_atom(f"_NET_SYSTEM_TRAY_S{connection.get_default_screen()}")
        return bool(connection.get_selection_owner(atom) != Xlib.X.NONE)
    except Exception:
        return False
    finally:
        connection.close()


class XEmbedWatch:
    """Says once, on its own thread, when an XEmbed tray owns the system tray selection.

    A tray host that takes `_NET_SYSTEM_TRAY_S<screen>` announces it with a
    MANAGER client message to the root window (freedesktop system tray spec);
    the thread blocks in python-xlib's `next_event` until one comes (no
    wake-ups). It fires at once if a tray is already there.
    """

    def __init__(self, display: str, on_tray: Callable[[], None]) -> None:
        self._display_name = display
        self._on_tray = on_tray
        self._thread = threading.Thread(target=self._run, name="xembed-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            import Xlib.X

            connection = xlib_connect.connect(self._display_name)
            root = connection.screen().root
            selection = connection.intern_atom(
                f"_NET_SYSTEM_TRAY_S{connection.get_default_screen()}"
            )
            manager = connection.intern_atom("MANAGER")
            root.change_attributes(event_mask=Xlib.X.StructureNotifyMask)
            connection.sync()
            if connection.get_selection_owner(selection) == Xlib.X.NONE:
                while True:
                    event = connection.next_event()
                    if (
                        event.type == Xlib.X.ClientMessage
                        and event.client_type == manager
                        and event.data[1][1] == selection
                    ):
                        break
            connection.close()
        except Exception as exc:  # the display went away: nothing to watch
            log.info("stopped watching for an XEmbed tray: %s", exc)
            return
        log.info("an XEmbed tray appeared on %s", self._display_name)
        self._on_tray()


class WatcherWatch:
    """Says, on the bus thread, each time a StatusNotifierWatcher appears on the session bus.

    One connection of its own, subscribed to the bus daemon's NameOwnerChanged
    for the watcher names; its thread blocks between signals (no wake-ups).
    """

    def __init__(self, on_watcher: Callable[[], None]) -> None:
        self._on_watcher = on_watcher
        self._bus: object | None = None

    def start(self) -> bool:
        """Start watching; False when there is no session bus."""
        from jeepney import Message

        from claude_tray.dbus_bus import Bus, BusUnavailable, name_owner_changed_rule

        try:
            bus = Bus.open()
        except BusUnavailable as exc:
            log.info("not watching for a StatusNotifierWatcher: %s", exc)
            return False

        def changed(message: Message) -> None:
            name, _old, new = (str(part) for part in message.body)
            if name in WATCHER_NAMES and new:
                log.info("a StatusNotifierWatcher (%s) appeared", name)
                self._on_watcher()

        bus.start("sni-watch")
        for name in WATCHER_NAMES:
            bus.subscribe(name_owner_changed_rule(name), changed)
        self._bus = bus
        return True

    def stop(self) -> None:
        from claude_tray.dbus_bus import Bus

        if isinstance(self._bus, Bus):
            self._bus.close()
        self._bus = None


def probe_hosts() -> TrayHosts:
    """Ask the session bus and the X display (the latter only when no watcher answered)."""
    bus, owned = session_bus_names(WATCHER_NAMES)
    watcher = any(owned.values())
    return TrayHosts(bus, watcher, False if watcher else xembed_tray_present())
