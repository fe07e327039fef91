"""Desktop notifications on Linux: `org.freedesktop.Notifications` over jeepney, tray-independent.

One session-bus connection of its own (so it works with any tray backend, or
none). Each notification carries the app's icon as `image-data`, replaces the
previous one of the same kind (`replaces_id`) instead of piling up, and offers
the default action, which opens the popup. When no notification server
answers (the call fails or times out), `on_failed` gets the notification so
the app can put it in the popup's banner; the log says so once.

This module must NOT touch Tk or the tray, and never waits on the caller's
thread: `notify` sends and returns; the reply comes on the bus thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from jeepney import MatchRule, Message
from PIL import Image

from claude_tray.dbus_bus import Bus, BusUnavailable, error_of, method_call

log = logging.getLogger(__name__)

SERVER_NAME = "org.freedesktop.Notifications"
SERVER_PATH = "/org/freedesktop/Notifications"
APP_NAME = "claude-tray"
DEFAULT_ACTION = "default"
#: Seconds to wait for the server's reply before calling the notification lost.
REPLY_TIMEOUT = 3.0
#: Server-chosen display time (the spec's -1).
EXPIRE_DEFAULT = -1

Failed = Callable[[str, str], None]


def image_data(image: Image.Image) -> tuple[str, tuple[int, int, int, bool, int, int, bytes]]:
    """The `image-data` hint: (width, height, rowstride, has_alpha, bits, channels, RGBA bytes)."""
    rgba = image.convert("RGBA")
    return (
        "(iiibiiay)",
        (rgba.width, rgba.height, rgba.width * 4, True, 8, 4, rgba.tobytes()),
    )


class DesktopNotifier:
    """Sends notifications; call `notify` from any thread, it never waits."""

    def __init__(
        self,
        bus: Bus,
        icon: Image.Image | None,
        *,
        on_activated: Callable[[], None],
        on_failed: Failed,
    ) -> None:
        self._bus = bus
        self._icon_hint = image_data(icon) if icon is not None else None
        self._on_activated = on_activated
        self._on_failed = on_failed
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}  # kind -> the server's id of the last one shown
        self._in_flight: set[str] = set()  # kinds whose Notify has no answer yet
        self._waiting: dict[str, tuple[str, str]] = {}  # kind -> (title, body) to send next
        self._told_missing = False
        self._told_working = False
        bus.subscribe(
            MatchRule(
                type="signal", interface=SERVER_NAME, member="ActionInvoked", path=SERVER_PATH
            ),
            self._on_action,
        )

    @classmethod
    def open(
        cls,
        icon: Image.Image | None,
        *,
        on_activated: Callable[[], None],
        on_failed: Failed,
    ) -> DesktopNotifier | None:
        """A notifier on the session bus, or None (logged) when there is no session bus."""
        try:
            bus = Bus.open()
        except BusUnavailable as exc:
            log.info("desktop notifications: %s; messages go to the popup's banner", exc)
            return None
        bus.start("notify-dbus")
        return cls(bus, icon, on_activated=on_activated, on_failed=on_failed)

    def notify(self, kind: str, title: str, body: str) -> None:
        """Show (or replace the previous `kind` with) a notification; falls back via `on_failed`.

        While the server has not yet answered the previous one of `kind` (its id
        is what `replaces_id` needs), the new one waits for that answer; only the
        newest waiting one is sent.
        """
        with self._lock:
            if kind in self._in_flight:
                self._waiting[kind] = (title, body)
                return
            self._in_flight.add(kind)
        self._send(kind, title, body)

    def _settled(self, kind: str) -> None:
        """The answer for `kind` came (or never will): send what waited for it."""
        with self._lock:
            waiting = self._waiting.pop(kind, None)
            if waiting is None:
                self._in_flight.discard(kind)
                return
        self._send(kind, *waiting)

    def _send(self, kind: str, title: str, body: str) -> None:
        with self._lock:
            replaces = self._ids.get(kind, 0)
        hints: dict[str, tuple[str, Any]] = {"desktop-entry": ("s", APP_NAME)}
        if self._icon_hint is not None:
            hints["image-data"] = self._icon_hint
        call = method_call(
            SERVER_NAME,
            SERVER_PATH,
            SERVER_NAME,
            "Notify",
            "susssasa{sv}i",
            APP_NAME,
            replaces,
            "",
            title,
            body,
            [DEFAULT_ACTION, "Show details"],
            hints,
            EXPIRE_DEFAULT,
        )
        answered = threading.Event()

        def on_reply(reply: Message) -> None:
            if answered.is_set():  # too late: already handed to the banner
                return
            answered.set()
            error = error_of(reply)
            if error is not None:
                self._lost(title, body, str(error))
            else:
                with self._lock:
                    self._ids[kind] = int(reply.body[0])
                if not self._told_working:
                    self._told_working = True
                    log.info("desktop notifications go to the notification server")
            self._settled(kind)

        def on_timeout() -> None:
            if not answered.is_set():
                answered.set()
                self._lost(title, body, f"no answer within {REPLY_TIMEOUT:g} s")
                self._settled(kind)

        self._bus.call_async(call, on_reply)
        timer = threading.Timer(REPLY_TIMEOUT, on_timeout)
        timer.daemon = True
        timer.start()

    def _lost(self, title: str, body: str, why: str) -> None:
        if not self._told_missing:
            self._told_missing = True
            log.warning(
                "no notification server answered (%s); notifications go to the popup's banner",
                why,
            )
        self._on_failed(title, body)

    def _on_action(self, message: Message) -> None:
        notification_id, action = int(message.body[0]), str(message.body[1])
        with self._lock:
            ours = notification_id in self._ids.values()
        if ours and action == DEFAULT_ACTION:
            self._on_activated()

    def close(self) -> None:
        self._bus.close()
