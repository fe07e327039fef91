"""pystray's GTK backend with the title as its hover tooltip.

Imported only after pystray was imported with the `gtk` backend (it needs
PyGObject). This module must not choose backends or know the app's menu.
"""

from __future__ import annotations

from typing import Any


def with_gtk_tooltip(base: type[Any]) -> type[Any]:
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
