"""The StatusNotifierItem tray backend: a pystray `Icon` that speaks D-Bus through jeepney.

What KDE Plasma, GNOME's AppIndicator extension, xfce4-panel's Status Tray and
waybar show. No PyGObject and no libdbus: the item (`org.kde.StatusNotifierItem`
at `/StatusNotifierItem`) and its menu (`com.canonical.dbusmenu` at `/MenuBar`)
are exported on the session bus by `claude_tray.dbus_bus`, whose receiving
thread blocks until a message comes (no wake-ups between polls).

- The icon goes as `IconPixmap` (ARGB32, network byte order), drawn at every
  size in `PIXMAP_SIZES` by the renderer the view carries, never scaled from
  one bitmap; `XAyatanaLabel` carries "42%" for hosts that print labels.
- `Activate(x, y)` runs the default item (the popup, near x, y);
  `SecondaryActivate` refreshes; `ContextMenu` opens the popup too (it is only
  called by hosts that cannot show the dbusmenu, and the popup has every action).
- The item registers with `org.kde.StatusNotifierWatcher` (and
  `org.freedesktop.StatusNotifierWatcher`) and again whenever a watcher's
  owner changes: a panel that starts after the app, or restarts, shows it.
- Signals go out only when a value really changed.

This module must NOT touch Tk, the core or the app's menu texts: pystray's
`Menu` comes from `tray.control`, and callbacks only hand over commands.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from jeepney import HeaderFields, Message, new_method_return, new_signal
from jeepney.wrappers import DBusAddress
from PIL import Image
from pystray import _base  # imported after `tray.choice` set PYSTRAY_BACKEND=dummy

from claude_tray.dbus_bus import Bus, BusUnavailable, error_of, method_call, name_owner_changed_rule
from claude_tray.tray.dbusmenu import MenuModel
from claude_tray.tray.pixmaps import Pixmap, pixmaps, split_tooltip

log = logging.getLogger(__name__)

ITEM_PATH = "/StatusNotifierItem"
MENU_PATH = "/MenuBar"
ITEM_INTERFACE = "org.kde.StatusNotifierItem"
MENU_INTERFACE = "com.canonical.dbusmenu"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
PEER = "org.freedesktop.DBus.Peer"
#: The watcher's names: KDE's (every host here) and the freedesktop one a few hosts own.
WATCHER_NAMES = ("org.kde.StatusNotifierWatcher", "org.freedesktop.StatusNotifierWatcher")
WATCHER_PATH = "/StatusNotifierWatcher"


def _introspection(interface_xml: str) -> str:
    return (
        '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
        ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
        "<node>\n"
        f'  <interface name="{INTROSPECTABLE}"><method name="Introspect">'
        '<arg name="xml" type="s" direction="out"/></method></interface>\n'
        f'  <interface name="{PROPERTIES}">'
        '<method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/>'
        '<arg type="v" direction="out"/></method>'
        '<method name="GetAll"><arg type="s" direction="in"/>'
        '<arg type="a{sv}" direction="out"/></method></interface>\n'
        f"{interface_xml}</node>\n"
    )


ITEM_XML = _introspection(
    f'  <interface name="{ITEM_INTERFACE}">\n'
    '    <property name="Category" type="s" access="read"/>\n'
    '    <property name="Id" type="s" access="read"/>\n'
    '    <property name="Title" type="s" access="read"/>\n'
    '    <property name="Status" type="s" access="read"/>\n'
    '    <property name="WindowId" type="i" access="read"/>\n'
    '    <property name="IconName" type="s" access="read"/>\n'
    '    <property name="IconPixmap" type="a(iiay)" access="read"/>\n'
    '    <property name="OverlayIconName" type="s" access="read"/>\n'
    '    <property name="OverlayIconPixmap" type="a(iiay)" access="read"/>\n'
    '    <property name="AttentionIconName" type="s" access="read"/>\n'
    '    <property name="AttentionIconPixmap" type="a(iiay)" access="read"/>\n'
    '    <property name="AttentionMovieName" type="s" access="read"/>\n'
    '    <property name="IconThemePath" type="s" access="read"/>\n'
    '    <property name="ToolTip" type="(sa(iiay)ss)" access="read"/>\n'
    '    <property name="ItemIsMenu" type="b" access="read"/>\n'
    '    <property name="Menu" type="o" access="read"/>\n'
    '    <property name="XAyatanaLabel" type="s" access="read"/>\n'
    '    <property name="XAyatanaLabelGuide" type="s" access="read"/>\n'
    '    <method name="ContextMenu"><arg name="x" type="i" direction="in"/>'
    '<arg name="y" type="i" direction="in"/></method>\n'
    '    <method name="Activate"><arg name="x" type="i" direction="in"/>'
    '<arg name="y" type="i" direction="in"/></method>\n'
    '    <method name="SecondaryActivate"><arg name="x" type="i" direction="in"/>'
    '<arg name="y" type="i" direction="in"/></method>\n'
    '    <method name="Scroll"><arg name="delta" type="i" direction="in"/>'
    '<arg name="orientation" type="s" direction="in"/></method>\n'
    '    <signal name="NewTitle"/>\n    <signal name="NewIcon"/>\n'
    '    <signal name="NewAttentionIcon"/>\n    <signal name="NewOverlayIcon"/>\n'
    '    <signal name="NewToolTip"/>\n'
    '    <signal name="NewStatus"><arg name="status" type="s"/></signal>\n'
    '    <signal name="XAyatanaNewLabel"><arg name="label" type="s"/>'
    '<arg name="guide" type="s"/></signal>\n'
    "  </interface>\n"
)

MENU_XML = _introspection(
    f'  <interface name="{MENU_INTERFACE}">\n'
    '    <property name="Version" type="u" access="read"/>\n'
    '    <property name="TextDirection" type="s" access="read"/>\n'
    '    <property name="Status" type="s" access="read"/>\n'
    '    <property name="IconThemePath" type="as" access="read"/>\n'
    '    <method name="GetLayout"><arg type="i" name="parentId" direction="in"/>'
    '<arg type="i" name="recursionDepth" direction="in"/>'
    '<arg type="as" name="propertyNames" direction="in"/>'
    '<arg type="u" name="revision" direction="out"/>'
    '<arg type="(ia{sv}av)" name="layout" direction="out"/></method>\n'
    '    <method name="GetGroupProperties"><arg type="ai" name="ids" direction="in"/>'
    '<arg type="as" name="propertyNames" direction="in"/>'
    '<arg type="a(ia{sv})" name="properties" direction="out"/></method>\n'
    '    <method name="GetProperty"><arg type="i" name="id" direction="in"/>'
    '<arg type="s" name="name" direction="in"/>'
    '<arg type="v" name="value" direction="out"/></method>\n'
    '    <method name="Event"><arg type="i" name="id" direction="in"/>'
    '<arg type="s" name="eventId" direction="in"/>'
    '<arg type="v" name="data" direction="in"/>'
    '<arg type="u" name="timestamp" direction="in"/></method>\n'
    '    <method name="EventGroup"><arg type="a(isvu)" name="events" direction="in"/>'
    '<arg type="ai" name="idErrors" direction="out"/></method>\n'
    '    <method name="AboutToShow"><arg type="i" name="id" direction="in"/>'
    '<arg type="b" name="needUpdate" direction="out"/></method>\n'
    '    <method name="AboutToShowGroup"><arg type="ai" name="ids" direction="in"/>'
    '<arg type="ai" name="updatesNeeded" direction="out"/>'
    '<arg type="ai" name="idErrors" direction="out"/></method>\n'
    '    <signal name="ItemsPropertiesUpdated"><arg type="a(ia{sv})" name="updatedProps"/>'
    '<arg type="a(ias)" name="removedProps"/></signal>\n'
    '    <signal name="LayoutUpdated"><arg type="u" name="revision"/>'
    '<arg type="i" name="parent"/></signal>\n'
    '    <signal name="ItemActivationRequested"><arg type="i" name="id"/>'
    '<arg type="u" name="timestamp"/></signal>\n'
    "  </interface>\n"
)


def _member(message: Message) -> tuple[str, str]:
    fields = message.header.fields
    return str(fields.get(HeaderFields.interface, "")), str(fields.get(HeaderFields.member, ""))


class StatusNotifierIcon(_base.Icon):  # type: ignore[misc]  # pystray ships no type hints
    """pystray's icon API over StatusNotifierItem + dbusmenu, on the session bus."""

    HAS_DEFAULT_ACTION = True
    HAS_MENU = True
    HAS_MENU_RADIO = True
    #: Desktop notifications go through `claude_tray.desktop_notify`, not the tray.
    HAS_NOTIFICATION = False

    def __init__(
        self, name: str, icon: Any = None, title: str | None = None, menu: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(name, icon, title, menu, **kwargs)
        #: Screen coordinates the host gave with the last Activate, or None.
        self.last_click: tuple[int, int] | None = None
        #: Draws the icon at a size (set by `tray.control` from the view); None: scale `icon`.
        self.sized_renderer: Callable[[int], Image.Image] | None = None
        #: The label hosts print beside the icon ("42%"), set by `tray.control`.
        self.label = ""
        #: Called with True/False (on the bus thread) when a tray host starts or goes.
        self.on_host_changed: Callable[[bool], None] | None = None
        #: Called (on the bus thread) for SecondaryActivate and ContextMenu.
        self.on_secondary: Callable[[], None] | None = None
        self.on_context_menu: Callable[[], None] | None = None
        self.bus_name = f"org.kde.StatusNotifierItem-{os.getpid()}-1"
        self._bus: Bus | None = None
        self._stopped = threading.Event()
        self._model = MenuModel(self.menu, _base.Menu.SEPARATOR)
        self._pixmaps: list[Pixmap] = []
        self._sent: dict[str, Any] = {}
        self._status = "Passive"
        self._watchers: dict[str, str] = {}  # watcher name -> owner it was registered with
        self._host_present = False

    # --- pystray's backend methods ----------------------------------------------------

    def _run(self) -> None:
        try:
            bus = Bus.open()
        except BusUnavailable as exc:
            log.warning("the StatusNotifierItem tray cannot start: %s", exc)
            self._mark_ready()
            return
        self._bus = bus
        bus.export(ITEM_PATH, self._on_item_call)
        bus.export(MENU_PATH, self._on_menu_call)
        bus.start("sni-dbus")
        try:
            if not bus.request_name(self.bus_name):
                log.warning("the bus name %s is taken; registering by unique name", self.bus_name)
                self.bus_name = bus.unique_name
        except (TimeoutError, RuntimeError) as exc:
            log.warning("could not own %s: %s", self.bus_name, exc)
            self.bus_name = bus.unique_name
        bus.subscribe(name_owner_changed_rule(), self._on_name_owner_changed)
        self._mark_ready()
        # The setup thread makes the icon visible, which registers it. This
        # thread has nothing else to do: it waits (no wake-ups) for `_stop`.
        self._stopped.wait()

    def _stop(self) -> None:
        self._stopped.set()
        if self._bus is not None:
            self._bus.close()

    def _show(self) -> None:
        self._set_status("Active")
        self._register_everywhere()

    def _hide(self) -> None:
        self._set_status("Passive")

    def _update_icon(self) -> None:
        if self._icon is None:
            return
        new = pixmaps(self.sized_renderer, self._icon)
        self._icon_valid = True
        if new != self._pixmaps:
            self._pixmaps = new
            self._emit_item("NewIcon")
        self._send_label()

    def _update_title(self) -> None:
        title, body = split_tooltip(self.title)
        if self._changed("title", title):
            self._emit_item("NewTitle")
        if self._changed("tooltip", (title, body)):
            self._emit_item("NewToolTip")

    def _update_menu(self) -> None:
        updated, removed = self._model.changes()
        if (updated or removed) and self._bus is not None:
            self._bus.send(
                new_signal(
                    DBusAddress(MENU_PATH, interface=MENU_INTERFACE),
                    "ItemsPropertiesUpdated",
                    "a(ia{sv})a(ias)",
                    (updated, removed),
                )
            )

    def _notify(self, message: str, title: str | None = None) -> None:
        raise NotImplementedError("notifications go through claude_tray.desktop_notify")

    def _remove_notification(self) -> None:
        pass

    # --- what changed ----------------------------------------------------------------

    def _changed(self, key: str, value: Any) -> bool:
        if self._sent.get(key) == value:
            return False
        self._sent[key] = value
        return True

    def _emit_item(
        self, member: str, signature: str | None = None, body: tuple[Any, ...] = ()
    ) -> None:
        if self._bus is not None:
            self._bus.send(
                new_signal(
                    DBusAddress(ITEM_PATH, interface=ITEM_INTERFACE), member, signature, body
                )
            )

    def _set_status(self, status: str) -> None:
        self._status = status
        if self._changed("status", status):
            self._emit_item("NewStatus", "s", (status,))

    def _send_label(self) -> None:
        if self._changed("label", self.label):
            self._emit_item("XAyatanaNewLabel", "ss", (self.label, "100%"))

    # --- registration ----------------------------------------------------------------

    def _register_everywhere(self) -> None:
        bus = self._bus
        if bus is None:
            return
        for name in WATCHER_NAMES:
            bus.call_async(bus.bus_call("GetNameOwner", "s", name), self._owner_handler(name))

    def _owner_handler(self, name: str) -> Callable[[Message], None]:
        def on_owner(reply: Message) -> None:
            if error_of(reply) is None and reply.body:
                self._register_with(name, str(reply.body[0]))

        return on_owner

    def _register_with(self, name: str, owner: str) -> None:
        bus = self._bus
        if bus is None or self._status != "Active":
            return
        if self._watchers.get(name) == owner:
            return
        if owner in self._watchers.values():
            # One host owning both watcher names: registering twice could show two icons.
            self._watchers[name] = owner
            return
        self._watchers[name] = owner
        call = method_call(
            name, WATCHER_PATH, name, "RegisterStatusNotifierItem", "s", self.bus_name
        )

        def registered(reply: Message) -> None:
            error = error_of(reply)
            if error is not None:
                self._watchers.pop(name, None)
                log.info("%s refused the tray item: %s", name, error)
                return
            log.info("tray item registered with %s (%s)", name, owner)
            self._set_host(True)

        bus.call_async(call, registered)

    def _on_name_owner_changed(self, message: Message) -> None:
        name, _old, new = (str(part) for part in message.body)
        if name not in WATCHER_NAMES:
            return
        if new:
            log.info("a tray host (%s) appeared", name)
            self._register_with(name, new)
        else:
            self._watchers.pop(name, None)
            if not self._watchers:
                log.info("the tray host went away; waiting for another")
                self._set_host(False)

    def _set_host(self, present: bool) -> None:
        if present != self._host_present:
            self._host_present = present
            if self.on_host_changed is not None:
                self.on_host_changed(present)

    @property
    def host_present(self) -> bool:
        """Whether a StatusNotifierWatcher accepted the item."""
        return self._host_present

    # --- org.kde.StatusNotifierItem ---------------------------------------------------

    def item_properties(self) -> dict[str, tuple[str, Any]]:
        title, body = split_tooltip(self.title)
        if not self._pixmaps and self._icon is not None:
            self._pixmaps = pixmaps(self.sized_renderer, self._icon)
        return {
            "Category": ("s", "ApplicationStatus"),
            "Id": ("s", self.name),
            "Title": ("s", title or self.name),
            "Status": ("s", self._status),
            "WindowId": ("i", 0),
            "IconName": ("s", ""),
            "IconPixmap": ("a(iiay)", self._pixmaps),
            "OverlayIconName": ("s", ""),
            "OverlayIconPixmap": ("a(iiay)", []),
            "AttentionIconName": ("s", ""),
            "AttentionIconPixmap": ("a(iiay)", []),
            "AttentionMovieName": ("s", ""),
            "IconThemePath": ("s", ""),
            "ToolTip": ("(sa(iiay)ss)", ("", [], title, body)),
            "ItemIsMenu": ("b", False),
            "Menu": ("o", MENU_PATH),
            "XAyatanaLabel": ("s", self.label),
            "XAyatanaLabelGuide": ("s", "100%"),
        }

    def _on_item_call(self, message: Message) -> Message | None:
        interface, member = _member(message)
        if interface in ("", ITEM_INTERFACE):
            if member == "Activate":
                x, y = (int(v) for v in message.body[:2])
                self.last_click = (x, y) if (x, y) != (0, 0) else None
                self._run_default()
                return new_method_return(message)
            if member in ("SecondaryActivate", "XAyatanaSecondaryActivate"):
                if self.on_secondary is not None:
                    self.on_secondary()
                return new_method_return(message)
            if member == "ContextMenu":
                x, y = (int(v) for v in message.body[:2])
                self.last_click = (x, y) if (x, y) != (0, 0) else None
                if self.on_context_menu is not None:
                    self.on_context_menu()
                return new_method_return(message)
            if member == "Scroll":
                return new_method_return(message)
        return self._standard(message, ITEM_INTERFACE, self.item_properties, ITEM_XML)

    def _run_default(self) -> None:
        # pystray's __call__: the menu's default item, then update_menu.
        try:
            self()
        except Exception:
            log.warning("the tray's default action failed", exc_info=True)

    # --- com.canonical.dbusmenu -------------------------------------------------------

    def menu_properties(self) -> dict[str, tuple[str, Any]]:
        return {
            "Version": ("u", 3),
            "TextDirection": ("s", "ltr"),
            "Status": ("s", "normal"),
            "IconThemePath": ("as", []),
        }

    def _on_menu_call(self, message: Message) -> Message | None:
        interface, member = _member(message)
        body = message.body
        if interface in ("", MENU_INTERFACE):
            if member == "GetLayout":
                revision, layout = self._model.layout(int(body[0]), int(body[1]), list(body[2]))
                return new_method_return(message, "u(ia{sv}av)", (revision, layout))
            if member == "GetGroupProperties":
                props = self._model.group_properties(list(body[0]), list(body[1]))
                return new_method_return(message, "a(ia{sv})", (props,))
            if member == "GetProperty":
                value = self._model.props_of(int(body[0])).get(str(body[1]))
                if value is None:
                    return None
                return new_method_return(message, "v", (value,))
            if member == "Event":
                self._menu_event(int(body[0]), str(body[1]))
                return new_method_return(message)
            if member == "EventGroup":
                errors = [
                    int(event[0])
                    for event in body[0]
                    if not self._menu_event(int(event[0]), str(event[1]))
                ]
                return new_method_return(message, "ai", (errors,))
            if member == "AboutToShow":
                return new_method_return(message, "b", (False,))
            if member == "AboutToShowGroup":
                return new_method_return(message, "aiai", ([], []))
        return self._standard(message, MENU_INTERFACE, self.menu_properties, MENU_XML)

    def _menu_event(self, item_id: int, event: str) -> bool:
        """Run a menu item for a "clicked" event; False for an unknown id."""
        item = self._model.item(item_id)
        if item is None:
            return False
        if event == "clicked" and item is not _base.Menu.SEPARATOR and item.enabled:
            try:
                item(self)
            except Exception:
                log.warning("a tray menu item failed", exc_info=True)
            self.update_menu()
        return True

    # --- Properties, Introspectable, Peer ---------------------------------------------

    def _standard(
        self,
        message: Message,
        own_interface: str,
        properties: Callable[[], dict[str, tuple[str, Any]]],
        xml: str,
    ) -> Message | None:
        interface, member = _member(message)
        body = message.body
        if interface == PROPERTIES:
            if member == "GetAll":
                if body and body[0] not in ("", own_interface):
                    return new_method_return(message, "a{sv}", ({},))
                return new_method_return(message, "a{sv}", (properties(),))
            if member == "Get":
                value = properties().get(str(body[1])) if body[0] in ("", own_interface) else None
                if value is None:
                    return None
                return new_method_return(message, "v", (value,))
        if interface == INTROSPECTABLE and member == "Introspect":
            return new_method_return(message, "s", (xml,))
        if interface == PEER and member == "Ping":
            return new_method_return(message)
        return None
