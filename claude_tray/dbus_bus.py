"""One D-Bus connection with its own receiving thread: calls, signals and exported objects.

Built on jeepney (pure Python, no libdbus, no PyGObject). The receiving thread
blocks in `select` with no timeout until a message arrives, so an idle
connection costs no wake-ups. Sending is thread-safe (jeepney's threading
connection holds a send lock); a call waits for its reply with a bound, and
never on the receiving thread itself (that would wait for itself).

This module must NOT know about trays, menus or notifications, and must not
import a GUI toolkit: it is the plumbing both the StatusNotifierItem backend
and the desktop notifications use.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import Callable
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, Message, MessageType, new_error
from jeepney import new_method_call as _new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.threading import DBusConnection, ReceiveStopped, open_dbus_connection

log = logging.getLogger(__name__)

#: Seconds a call waits for its reply unless told otherwise.
CALL_TIMEOUT = 2.0
#: Seconds opening the connection (socket and authentication) may take.
OPEN_TIMEOUT = 2.0

#: What an exported object does with a method call: a reply (or error) message,
#: or None for "no such method here".
MethodHandler = Callable[[Message], "Message | None"]
SignalHandler = Callable[[Message], None]
ReplyHandler = Callable[[Message], None]


def session_bus_address() -> str | None:
    """The session bus: DBUS_SESSION_BUS_ADDRESS, else systemd's per-user socket
    `$XDG_RUNTIME_DIR/bus` when it exists (jeepney reads only the variable)."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and stat.S_ISSOCK(_mode(os.path.join(runtime, "bus"))):
        return f"unix:path={os.path.join(runtime, 'bus')}"
    return None


def name_owner_changed_rule(name: str | None = None) -> MatchRule:
    """The bus daemon's NameOwnerChanged signal: for every name, or only for `name`."""
    rule = MatchRule(
        type="signal",
        sender="org.freedesktop.DBus",
        interface="org.freedesktop.DBus",
        member="NameOwnerChanged",
        path="/org/freedesktop/DBus",
    )
    if name is not None:
        rule.add_arg_condition(0, name)
    return rule


def _mode(path: str) -> int:
    try:
        return os.stat(path).st_mode
    except OSError:
        return 0


class BusUnavailable(RuntimeError):
    """Raised when there is no session bus to connect to (no address, refused, no answer)."""


class DBusCallError(RuntimeError):
    """Raised by `Bus.call` when the other side answered with a D-Bus error."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name


def method_call(
    destination: str, path: str, interface: str, member: str, signature: str = "", *body: Any
) -> Message:
    """A method call message (jeepney's constructor, with the arguments in D-Bus order)."""
    address = DBusAddress(path, bus_name=destination, interface=interface)
    return _new_method_call(address, member, signature or None, tuple(body))


def error_of(message: Message) -> DBusCallError | None:
    """The error a reply carries, or None for a normal reply."""
    if message.header.message_type is not MessageType.error:
        return None
    name = str(message.header.fields.get(HeaderFields.error_name, "org.freedesktop.DBus.Error"))
    text = message.body[0] if message.body and isinstance(message.body[0], str) else ""
    return DBusCallError(name, text)


def unknown_method(message: Message) -> Message:
    """The standard error reply for a call nobody here answers."""
    member = message.header.fields.get(HeaderFields.member, "?")
    return new_error(
        message,
        "org.freedesktop.DBus.Error.UnknownMethod",
        "s",
        (f"No such method {member!s} here",),
    )


class _Waiter:
    """A reply someone waits for with a bound (`Bus.call`)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.reply: Message | None = None

    def __call__(self, reply: Message) -> None:
        self.reply = reply
        self.done.set()


class Bus:
    """A connection to one bus. `start()` the receiver, then call, subscribe and export."""

    def __init__(self, connection: DBusConnection) -> None:
        self._conn = connection
        self._lock = threading.Lock()
        self._replies: dict[int, ReplyHandler] = {}
        self._signals: list[tuple[MatchRule, SignalHandler]] = []
        self._objects: dict[str, MethodHandler] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        #: Called once (on the receiving thread) when the connection ends by itself.
        self.on_lost: Callable[[], None] | None = None

    @classmethod
    def open(cls, bus: str = "SESSION") -> Bus:
        """Connect and say Hello; raises `BusUnavailable` with the reason."""
        address = session_bus_address() if bus == "SESSION" else bus
        if address is None:
            raise BusUnavailable("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        try:
            return cls(open_dbus_connection(address, auth_timeout=OPEN_TIMEOUT))
        except Exception as exc:  # KeyError (no address), OSError, TimeoutError, auth errors
            raise BusUnavailable(f"no {bus.lower()} bus ({type(exc).__name__}: {exc})") from exc

    @property
    def unique_name(self) -> str:
        return str(self._conn.unique_name)

    # --- the receiving thread ---------------------------------------------------------

    def start(self, name: str = "dbus") -> None:
        """Run the receiving loop in a daemon thread."""
        self._thread = threading.Thread(target=self._receive_loop, name=name, daemon=True)
        self._thread.start()

    def _receive_loop(self) -> None:
        try:
            while True:
                message = self._conn.receive()  # blocks, no timeout: no wake-ups when idle
                try:
                    self._dispatch(message)
                except Exception:
                    log.warning("a D-Bus message handler failed", exc_info=True)
        except ReceiveStopped:
            pass
        except Exception as exc:  # the bus went away (EOF) or the socket broke
            if not self._closed:
                log.info("the D-Bus connection ended: %s", exc)
        finally:
            with self._lock:
                waiting, self._replies = self._replies, {}
            self._closed = True
            for handler in waiting.values():
                if isinstance(handler, _Waiter):
                    handler.done.set()  # no reply will come: wake the caller now
            if self.on_lost is not None:
                self.on_lost()

    def _dispatch(self, message: Message) -> None:
        kind = message.header.message_type
        fields = message.header.fields
        if kind in (MessageType.method_return, MessageType.error):
            serial = fields.get(HeaderFields.reply_serial)
            with self._lock:
                handler = self._replies.pop(int(serial), None) if serial is not None else None
            if handler is not None:
                handler(message)
            return
        if kind is MessageType.signal:
            with self._lock:
                matching = [h for rule, h in self._signals if rule.matches(message)]
            for signal_handler in matching:
                signal_handler(message)
            return
        if kind is MessageType.method_call:
            path = str(fields.get(HeaderFields.path, ""))
            with self._lock:
                method_handler = self._objects.get(path)
            reply = method_handler(message) if method_handler is not None else None
            if reply is None:
                reply = unknown_method(message)
            if not message.header.flags & 1:  # NO_REPLY_EXPECTED
                self.send(reply)

    @property
    def on_receiving_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    # --- sending ----------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send without waiting for anything (a signal, a reply)."""
        if self._closed:
            return
        try:
            self._conn.send(message)
        except OSError as exc:
            log.info("could not send on D-Bus: %s", exc)

    def call_async(self, message: Message, on_reply: ReplyHandler | None = None) -> None:
        """Send a call; `on_reply` gets the reply (or error) on the receiving thread."""
        serial = next(self._conn.outgoing_serial)
        if on_reply is not None:
            with self._lock:
                self._replies[serial] = on_reply
        try:
            self._conn.send(message, serial=serial)
        except OSError as exc:
            with self._lock:
                self._replies.pop(serial, None)
            log.info("could not send on D-Bus: %s", exc)

    def call(self, message: Message, timeout: float = CALL_TIMEOUT) -> tuple[Any, ...]:
        """Send a call and return the reply's body; waits at most `timeout` seconds.

        Raises `DBusCallError` for an error reply, `TimeoutError` when no reply
        came in time (or the connection ended), `RuntimeError` on the receiving
        thread (use `call_async` there).
        """
        if self.on_receiving_thread:
            raise RuntimeError("Bus.call on the receiving thread would wait for itself")
        if self._thread is None:
            raise RuntimeError("Bus.call before start()")
        waiter = _Waiter()
        self.call_async(message, waiter)
        if not waiter.done.wait(timeout) or waiter.reply is None:
            raise TimeoutError(f"no D-Bus reply within {timeout:g} s")
        error = error_of(waiter.reply)
        if error is not None:
            raise error
        return tuple(waiter.reply.body)

    def bus_call(self, member: str, signature: str = "", *body: Any) -> Message:
        """A call to the bus daemon itself (`org.freedesktop.DBus`)."""
        return method_call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            member,
            signature,
            *body,
        )

    def name_has_owner(self, name: str, timeout: float = CALL_TIMEOUT) -> bool:
        return bool(self.call(self.bus_call("NameHasOwner", "s", name), timeout)[0])

    def request_name(self, name: str, timeout: float = CALL_TIMEOUT) -> bool:
        """Own `name` (do not queue, do not replace); True when this connection owns it now."""
        reply = self.call(message_bus.RequestName(name, 4), timeout)  # 4: DO_NOT_QUEUE
        return int(reply[0]) in (1, 4)  # PRIMARY_OWNER, ALREADY_OWNER

    # --- objects and signals ----------------------------------------------------------

    def export(self, path: str, handler: MethodHandler) -> None:
        """Answer method calls to `path` with `handler` (on the receiving thread)."""
        with self._lock:
            self._objects[path] = handler

    def subscribe(self, rule: MatchRule, handler: SignalHandler) -> None:
        """Hear the signals matching `rule` (AddMatch; the handler runs on the receiving thread)."""
        with self._lock:
            self._signals.append((rule, handler))
        self.call_async(message_bus.AddMatch(rule))

    def close(self) -> None:
        """End the receiving loop and close the socket (safe to call twice)."""
        if self._closed and self._thread is None:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._conn.close()
        if self._thread is not None and not self.on_receiving_thread:
            self._thread.join(1.0)
