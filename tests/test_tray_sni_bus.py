"""The StatusNotifierItem backend and the notifier on a real private session bus.

A dbus-daemon of the test's own; the item is the app's `Tray` with the `sni`
backend, the other side is a jeepney connection that listens to its signals
and calls its methods, as a host does. The notification server is a small
D-Bus service written here (it records what it is sent). No display needed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jeepney import (
    DBusAddress,
    MatchRule,
    Message,
    MessageType,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.io.threading import DBusRouter, open_dbus_connection
from PIL import Image

from claude_tray.config import Thresholds
from claude_tray.icon import render_icon
from claude_tray.tray import Tray, TrayCommand, TrayView, load_backend
from tests.support.desktop import SessionBus, start_session_bus
from tests.support.gui import wait_for

ITEM = "org.kde.StatusNotifierItem"


@pytest.fixture
def bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SessionBus]:
    running = start_session_bus(tmp_path / "bus", activation=False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", running.address)
    try:
        yield running
    finally:
        running.stop()


def view(percent: float, *, paused: bool = False, title: str | None = None) -> TrayView:
    image = render_icon(percent, "normal", Thresholds())
    return TrayView(
        image,
        title or f"Claude: session {percent:g}%\nweek 18%",
        True,
        paused,
        draw=lambda size: render_icon(percent, "normal", Thresholds(), size=size),
        label=f"{percent:g}%",
    )


class Listener:
    """A host's side: the item's signals as they arrive, and calls to the item."""

    def __init__(self, bus: SessionBus, name: str) -> None:
        self.name = name
        self.conn = open_dbus_connection(bus=bus.address)
        self.router = DBusRouter(self.conn)
        self.signals: list[tuple[str, tuple[Any, ...]]] = []
        bus_daemon = DBusAddress(
            "/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus"
        )
        # Signals carry the sender's unique name, so the local filter needs the owner.
        owner = self.router.send_and_get_reply(
            new_method_call(bus_daemon, "GetNameOwner", "s", (name,)), timeout=5
        ).body[0]
        rule = MatchRule(type="signal", sender=owner)
        self._queue = self.router.filter(rule, bufsize=1000).queue
        self.router.send_and_get_reply(
            new_method_call(bus_daemon, "AddMatch", "s", (rule.serialise(),)), timeout=5
        )

    def drain(self, settle: float = 0.5) -> list[tuple[str, tuple[Any, ...]]]:
        time.sleep(settle)
        while not self._queue.empty():
            message: Message = self._queue.get_nowait()
            self.signals.append((str(message.header.fields[3]), tuple(message.body)))
        out, self.signals = self.signals, []
        return out

    def call(
        self,
        path: str,
        interface: str,
        member: str,
        sig: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        reply = self.router.send_and_get_reply(
            new_method_call(DBusAddress(path, self.name, interface), member, sig, body), timeout=5
        )
        assert reply.header.message_type is MessageType.method_return, reply.body
        return tuple(reply.body)

    def close(self) -> None:
        self.router.close()
        self.conn.close()


@pytest.fixture
def sni_tray(
    bus: SessionBus, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Tray, list[TrayCommand], Listener]]:
    monkeypatch.setenv("PYSTRAY_BACKEND", "sni")
    monkeypatch.setenv("DISPLAY", ":0")  # the SNI backend needs none; load_backend asks for one
    backend = load_backend("linux")
    assert backend.name == "sni"
    commands: list[TrayCommand] = []
    shown = threading.Event()
    tray = Tray(backend, view(42.0), commands.append, on_shown=shown.set)
    tray.start()
    assert shown.wait(10)
    name = tray._icon.bus_name
    wait_for(lambda: bus.has_owner(name), 10, "the item's bus name")
    listener = Listener(bus, name)
    try:
        yield tray, commands, listener
    finally:
        listener.close()
        tray.stop()


def test_properties_pixmaps_and_label(sni_tray: tuple[Tray, list[TrayCommand], Listener]) -> None:
    """GetAll gives the documented properties; IconPixmap has one drawing per size."""
    _tray, _commands, host = sni_tray
    (props,) = host.call(
        "/StatusNotifierItem", "org.freedesktop.DBus.Properties", "GetAll", "s", (ITEM,)
    )
    values = {key: value[1] for key, value in props.items()}
    assert values["Id"] == "claude-tray"
    assert values["Category"] == "ApplicationStatus"
    assert values["Status"] == "Active"
    assert values["ItemIsMenu"] is False
    assert values["Menu"] == "/MenuBar"
    assert values["XAyatanaLabel"] == "42%"
    assert values["ToolTip"] == ("", [], "Claude: session 42%", "week 18%")
    sizes = [(w, h) for w, h, _ in values["IconPixmap"]]
    assert sizes == [(16, 16), (22, 22), (24, 24), (32, 32), (48, 48), (64, 64)]
    _w, _h, data = values["IconPixmap"][0]
    red, green, blue, alpha = render_icon(42.0, "normal", Thresholds(), size=16).split()
    assert data == Image.merge("RGBA", (alpha, red, green, blue)).tobytes()


def test_signals_only_on_change(sni_tray: tuple[Tray, list[TrayCommand], Listener]) -> None:
    """The same view again sends nothing; a new number sends NewIcon and the label;
    a new title NewTitle and NewToolTip; Pause one ItemsPropertiesUpdated for its id."""
    tray, _commands, host = sni_tray
    host.drain()
    tray.update(view(42.0), force=True)
    assert host.drain() == []
    tray.update(view(95.0, title="Claude: session 42%\nweek 18%"))
    assert [name for name, _ in host.drain()] == ["NewIcon", "XAyatanaNewLabel"]
    tray.update(view(95.0))
    assert sorted(name for name, _ in host.drain()) == ["NewTitle", "NewToolTip"]
    _revision, (_root, _props, children) = host.call(
        "/MenuBar", "com.canonical.dbusmenu", "GetLayout", "iias", (0, -1, [])
    )
    ids = {child[1][1]["label"][1]: child[1][0] for child in children if "label" in child[1][1]}
    tray.update(view(95.0, paused=True))
    signals = host.drain()
    assert signals == [
        (
            "ItemsPropertiesUpdated",
            ([(ids["Pause auto-refresh"], {"label": ("s", "Resume auto-refresh")})], []),
        )
    ]


def test_host_calls_run_the_app_commands(
    sni_tray: tuple[Tray, list[TrayCommand], Listener],
) -> None:
    """Activate shows details (remembering where), SecondaryActivate refreshes, a menu
    Event runs its item, EventGroup reports unknown ids, AboutToShow needs no update."""
    tray, commands, host = sni_tray
    host.call("/StatusNotifierItem", ITEM, "Activate", "ii", (640, 12))
    host.call("/StatusNotifierItem", ITEM, "SecondaryActivate", "ii", (0, 0))
    _revision, (_root, _props, children) = host.call(
        "/MenuBar", "com.canonical.dbusmenu", "GetLayout", "iias", (0, -1, ["label"])
    )
    quit_id = next(child[1][0] for child in children if child[1][1].get("label") == ("s", "Quit"))
    host.call(
        "/MenuBar", "com.canonical.dbusmenu", "Event", "isvu", (quit_id, "clicked", ("i", 0), 0)
    )
    (errors,) = host.call(
        "/MenuBar",
        "com.canonical.dbusmenu",
        "EventGroup",
        "a(isvu)",
        ([(999, "clicked", ("i", 0), 0)],),
    )
    assert errors == [999]
    assert host.call("/MenuBar", "com.canonical.dbusmenu", "AboutToShow", "i", (0,)) == (False,)
    assert commands == [TrayCommand.SHOW_DETAILS, TrayCommand.REFRESH, TrayCommand.QUIT]
    assert tray.last_click == (640, 12)


# --- notifications ----------------------------------------------------------------------------


class FakeServer:
    """org.freedesktop.Notifications of the test's own: records each Notify, gives ids."""

    def __init__(self, bus: SessionBus) -> None:
        self.conn = open_dbus_connection(bus=bus.address)
        self.calls: list[tuple[Any, ...]] = []
        self._next = 40
        self._thread = threading.Thread(target=self._serve, daemon=True)
        hello = new_method_call(
            DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus"),
            "RequestName",
            "su",
            ("org.freedesktop.Notifications", 4),
        )
        self.conn.send(hello)
        self._thread.start()
        wait_for(lambda: bus.has_owner("org.freedesktop.Notifications"), 5, "the fake server")

    def _serve(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                message = self.conn.receive()
                if (
                    message.header.message_type is MessageType.method_call
                    and message.header.fields.get(3) == "Notify"
                ):
                    self.calls.append(tuple(message.body))
                    self._next += 1
                    self.conn.send(new_method_return(message, "u", (self._next,)))

    def invoke(self, notification_id: int) -> None:
        self.conn.send(
            new_signal(
                DBusAddress(
                    "/org/freedesktop/Notifications", interface="org.freedesktop.Notifications"
                ),
                "ActionInvoked",
                "us",
                (notification_id, "default"),
            )
        )

    def close(self) -> None:
        self.conn.close()


def test_notifications_replace_their_kind_carry_the_icon_and_open_the_popup(
    bus: SessionBus,
) -> None:
    """The second notification of a kind replaces the first (replaces_id), another kind
    does not; the app icon goes as image-data; the default action calls back."""
    from claude_tray.desktop_notify import DesktopNotifier
    from claude_tray.icon import app_icon

    server = FakeServer(bus)
    activated = threading.Event()
    failed: list[tuple[str, str]] = []
    notifier = DesktopNotifier.open(
        app_icon(64), on_activated=activated.set, on_failed=lambda t, b: failed.append((t, b))
    )
    assert notifier is not None
    try:
        notifier.notify("threshold:session", "Claude: session over 75%", "at 80%")
        wait_for(lambda: len(server.calls) == 1, 5, "the first Notify")
        notifier.notify("threshold:session", "Claude: session over 90%", "at 95%")
        notifier.notify("reset:session", "Claude: session has reset", "back to 0%")
        wait_for(lambda: len(server.calls) == 3, 5, "three Notify calls")
        (app, replaces1, _icon, summary1, _b, actions, hints, _t) = server.calls[0]
        assert (app, replaces1, summary1) == ("claude-tray", 0, "Claude: session over 75%")
        assert actions == ["default", "Show details"]
        width, height, stride, alpha, bits, channels, data = hints["image-data"][1]
        assert (width, height, stride, alpha, bits, channels, len(data)) == (
            64,
            64,
            256,
            True,
            8,
            4,
            64 * 64 * 4,
        )
        replaces = {call[3]: call[1] for call in server.calls}
        assert replaces["Claude: session over 90%"] == 41  # replaces the first one's id
        assert replaces["Claude: session has reset"] == 0  # another kind: a new one
        server.invoke(99)  # not ours
        time.sleep(0.3)
        assert not activated.is_set()
        server.invoke(42)
        assert activated.wait(5)
        assert failed == []
    finally:
        notifier.close()
        server.close()


def test_no_notification_server_falls_back_once(
    bus: SessionBus, caplog: pytest.LogCaptureFixture
) -> None:
    """With nobody owning the name each notification comes back for the banner; one log line."""
    from claude_tray.desktop_notify import DesktopNotifier

    failed: list[tuple[str, str]] = []
    notifier = DesktopNotifier.open(
        None, on_activated=lambda: None, on_failed=lambda t, b: failed.append((t, b))
    )
    assert notifier is not None
    try:
        with caplog.at_level("WARNING", logger="claude_tray.desktop_notify"):
            notifier.notify("threshold:a", "T1", "B1")
            notifier.notify("threshold:b", "T2", "B2")
            wait_for(lambda: len(failed) == 2, 5, "both to fall back")
        assert failed == [("T1", "B1"), ("T2", "B2")]
        assert len([r for r in caplog.records if "no notification server" in r.getMessage()]) == 1
    finally:
        notifier.close()


class FakeWatcher:
    """A StatusNotifierWatcher of the test's own under the given names (one connection)."""

    def __init__(self, bus: SessionBus, names: tuple[str, ...]) -> None:
        self.conn = open_dbus_connection(bus=bus.address)
        self.registered: list[tuple[str, str]] = []  # (name called, service)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        for name in names:
            self.conn.send(
                new_method_call(
                    DBusAddress(
                        "/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus"
                    ),
                    "RequestName",
                    "su",
                    (name, 4),
                )
            )
        for name in names:
            wait_for(lambda name=name: bus.has_owner(name), 5, f"the fake watcher {name}")

    def _serve(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                message = self.conn.receive()
                fields = message.header.fields
                if (
                    message.header.message_type is MessageType.method_call
                    and fields.get(3) == "RegisterStatusNotifierItem"
                ):
                    self.registered.append((str(fields.get(6)), str(message.body[0])))
                    self.conn.send(new_method_return(message))

    def close(self) -> None:
        self.conn.close()


def test_registers_once_per_watcher_and_again_when_it_comes_back(
    sni_tray: tuple[Tray, list[TrayCommand], Listener], bus: SessionBus
) -> None:
    """A host owning both watcher names gets one registration; a watcher that goes and
    comes back (a panel restart) gets the item again; the host state follows."""
    tray, _commands, _host = sni_tray
    assert not tray.host_present
    both = ("org.kde.StatusNotifierWatcher", "org.freedesktop.StatusNotifierWatcher")
    first = FakeWatcher(bus, both)
    try:
        wait_for(lambda: first.registered, 5, "a registration")
        time.sleep(0.5)
        assert len(first.registered) == 1
        assert first.registered[0][1] == tray._icon.bus_name
        wait_for(lambda: tray.host_present, 5, "the host to count")
    finally:
        first.close()
    wait_for(lambda: not tray.host_present, 5, "the host to be gone")
    second = FakeWatcher(bus, both[:1])
    try:
        wait_for(lambda: second.registered, 5, "the registration with the new watcher")
        assert second.registered == [("org.kde.StatusNotifierWatcher", tray._icon.bus_name)]
        wait_for(lambda: tray.host_present, 5, "the host to count again")
    finally:
        second.close()
