"""A pystray menu as `com.canonical.dbusmenu`: stable item ids, layout and property changes.

Each item of the menu gets the id of its position (1, 2, ...; the root is 0)
for the whole life of the icon. Items the menu hides are sent with
`visible = false` instead of being left out, so the layout never changes and a
relabelled item (Pause <-> Resume) is one `ItemsPropertiesUpdated` for that
id, not a new menu with new ids (libayatana rebuilds it on every click and a
host holding an old id gets an error; linux-desktops.md section 4).

This module must NOT do I/O or know the bus: it builds D-Bus values (jeepney's
`(signature, value)` variants) and says what changed; `tray.sni` sends them.
Flat menus only (the app's menu has no submenus).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: dbusmenu's properties of one item, as jeepney values: name -> (signature, value).
Props = dict[str, tuple[str, Any]]

ROOT_ID = 0
#: The layout never changes shape, so it has one revision.
LAYOUT_REVISION = 1


def _label(text: str) -> str:
    # dbusmenu reads "_x" as a mnemonic; a literal underscore is doubled.
    return text.replace("_", "__")


class MenuModel:
    """The dbusmenu view of one pystray `Menu`, remembering what it last sent."""

    def __init__(self, menu: Any, separator: Any) -> None:
        self._menu = menu
        self._separator = separator
        self._sent: dict[int, Props] = {}

    def _items(self) -> Sequence[Any]:
        return tuple(self._menu.items) if self._menu is not None else ()

    def _visible_flags(self) -> list[bool]:
        """Per position, whether pystray shows the item (it drops doubled separators too)."""
        items = self._items()
        shown = tuple(self._menu) if self._menu is not None else ()
        flags: list[bool] = []
        next_shown = 0
        for item in items:
            if next_shown < len(shown) and shown[next_shown] is item:
                flags.append(True)
                next_shown += 1
            else:
                flags.append(False)
        return flags

    def item_ids(self) -> list[int]:
        return list(range(1, len(self._items()) + 1))

    def item(self, item_id: int) -> Any | None:
        items = self._items()
        return items[item_id - 1] if 1 <= item_id <= len(items) else None

    def props_of(self, item_id: int, visible: bool | None = None) -> Props:
        """The item's dbusmenu properties now."""
        if item_id == ROOT_ID:
            return {"children-display": ("s", "submenu")}
        item = self.item(item_id)
        if item is None:
            return {}
        if visible is None:
            visible = self._visible_flags()[item_id - 1]
        if item is self._separator:
            return {"type": ("s", "separator"), "visible": ("b", visible)}
        props: Props = {
            "label": ("s", _label(str(item.text))),
            "enabled": ("b", bool(item.enabled)),
            "visible": ("b", visible),
        }
        checked = item.checked
        if checked is not None:
            props["toggle-type"] = ("s", "radio" if item.radio else "checkmark")
            props["toggle-state"] = ("i", 1 if checked else 0)
        return props

    def all_props(self) -> dict[int, Props]:
        flags = self._visible_flags()
        return {item_id: self.props_of(item_id, flags[item_id - 1]) for item_id in self.item_ids()}

    @staticmethod
    def _filtered(props: Props, names: Sequence[str]) -> Props:
        return {k: v for k, v in props.items() if k in names} if names else dict(props)

    def layout(self, parent_id: int, depth: int, names: Sequence[str]) -> tuple[int, Any]:
        """GetLayout's reply body: (revision, (id, props, children as variants))."""
        current = self.all_props()
        self._sent = current
        if parent_id != ROOT_ID:
            props = current.get(parent_id)
            return LAYOUT_REVISION, (parent_id, self._filtered(props or {}, names), [])
        children: list[Any] = []
        if depth != 0:
            children = [
                ("(ia{sv}av)", (item_id, self._filtered(props, names), []))
                for item_id, props in current.items()
            ]
        root = (ROOT_ID, self._filtered(self.props_of(ROOT_ID), names), children)
        return LAYOUT_REVISION, root

    def group_properties(self, ids: Sequence[int], names: Sequence[str]) -> list[Any]:
        """GetGroupProperties' reply: [(id, props)] for the known ids (all when `ids` is empty)."""
        current = self.all_props()
        wanted = list(ids) or [ROOT_ID, *current]
        out = []
        for item_id in wanted:
            props = self.props_of(ROOT_ID) if item_id == ROOT_ID else current.get(item_id)
            if props is not None:
                out.append((item_id, self._filtered(props, names)))
        return out

    def changes(self) -> tuple[list[Any], list[Any]]:
        """What changed since the last layout or change report: (updated, removed).

        `updated` is `[(id, {name: value})]` of the properties whose value changed,
        `removed` is `[(id, [names])]` of properties an item no longer has; both
        empty when nothing changed. Calling it marks the current state as sent.
        """
        current = self.all_props()
        updated: list[Any] = []
        removed: list[Any] = []
        for item_id, props in current.items():
            before = self._sent.get(item_id, {})
            changed = {k: v for k, v in props.items() if before.get(k) != v}
            gone = [k for k in before if k not in props]
            if changed:
                updated.append((item_id, changed))
            if gone:
                removed.append((item_id, gone))
        self._sent = current
        return updated, removed
