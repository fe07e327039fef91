"""Hears when the network comes back, where the platform says so, so a failed poll is
repeated at once instead of waiting for the next step of the retry ladder.

On Linux that is NetworkManager's `StateChanged` signal on the system bus
(state 70, NM_STATE_CONNECTED_GLOBAL: full network access), heard through
`dbus_bus` (jeepney, pure Python). Everything about it is optional at run
time: no jeepney, no system bus, no NetworkManager, another platform —
`start()` returns False and the ladder alone does the work (issue 7, item 4).

This module must not poll anything (it only listens: the receiving thread
sleeps in the kernel until a signal comes), must not know about documents or
the schedule, and must not import a GUI toolkit. `on_connected` runs on the
D-Bus receiving thread and must not block.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

NM_PATH = "/org/freedesktop/NetworkManager"
NM_INTERFACE = "org.freedesktop.NetworkManager"
#: NMState: 70 is NM_STATE_CONNECTED_GLOBAL (50 local, 60 site: no way out yet).
NM_STATE_CONNECTED_GLOBAL = 70


class NetworkWatch:
    """Calls `on_connected()` each time NetworkManager reports full connectivity again."""

    def __init__(self, on_connected: Callable[[], None], *, bus: str = "SYSTEM") -> None:
        """`bus` is "SYSTEM" (NetworkManager's) or a bus address (tests)."""
        self._on_connected = on_connected
        self._bus_name = bus
        self._bus: Any = None
        self._lock = threading.Lock()
        self._state: int | None = None
        self._stopped = False

    @property
    def listening(self) -> bool:
        return self._bus is not None

    def start(self) -> bool:
        """Start listening; False (and nothing else happens) where it cannot."""
        if not sys.platform.startswith("linux"):
            return False
        try:
            from jeepney import MatchRule

            from claude_tray.dbus_bus import Bus, BusUnavailable
        except ImportError as exc:  # jeepney is a Linux-only dependency; be safe anyway
            log.info("not watching the network: %s", exc)
            return False
        try:
            bus = Bus.open(self._bus_name)
        except BusUnavailable as exc:
            log.info("not watching the network: %s", exc)
            return False
        rule = MatchRule(type="signal", interface=NM_INTERFACE, member="StateChanged", path=NM_PATH)
        bus.subscribe(rule, self._heard)
        bus.start("network-watch")
        with self._lock:
            if self._stopped:  # stop() came while the bus was being opened
                bus.close()
                return False
            self._bus = bus
        log.info("listening for NetworkManager's network state")
        return True

    def _heard(self, message: Any) -> None:
        body = tuple(message.body)
        if not body or not isinstance(body[0], int):
            return
        state = int(body[0])
        with self._lock:
            before, self._state = self._state, state
        log.info("NetworkManager state %d", state)
        if state >= NM_STATE_CONNECTED_GLOBAL and (before is None or before < state):
            try:
                self._on_connected()
            except Exception:
                log.exception("the network-back listener failed")

    def stop(self) -> None:
        """Stop listening (safe to call twice, or without a start)."""
        with self._lock:
            self._stopped = True
            bus, self._bus = self._bus, None
        if bus is not None:
            bus.close()
