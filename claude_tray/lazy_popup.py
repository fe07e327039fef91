"""The popup, built the first time the user needs it instead of at start (issue 12).

Building the popup imports its modules and creates its widgets: about 5 MB and
0.2 s that would otherwise sit between starting the app and its first icon,
for a window many sessions never open. `LazyPopup` stands in for the `Popup`:
calls that only change what the popup will show (a new snapshot, an event, a
message for its banner) are remembered in order while it does not exist and
replayed, in the same order, when it is built; any other use (showing it,
reading one of its attributes) builds it first. Hiding a popup that does not
exist does nothing.

This module must not import Tk or the popup itself (the builder does), and it
must only be used on the Tk thread, like the popup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final

from claude_tray.events import UsageUpdated

#: Calls that only change the popup's state: remembered until it exists.
RECORDED: Final = frozenset({"apply_snapshot", "apply_event", "show_message", "set_standalone"})
#: Remembered calls beyond the first (the starting snapshot) kept at most.
MAX_PENDING: Final = 200


class LazyPopup:
    """A `Popup` made by `build()` on first real use; see the module docstring."""

    def __init__(self, build: Callable[[], Any]) -> None:
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_popup", None)
        object.__setattr__(self, "_pending", [])

    @property
    def built(self) -> bool:
        return self._popup is not None

    def ready(self) -> Any:
        """The real popup, built now if it was not yet (with the remembered calls replayed)."""
        popup = self._popup
        if popup is None:
            popup = self._build()
            object.__setattr__(self, "_popup", popup)
            pending: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = self._pending
            for name, args, kwargs in pending:
                getattr(popup, name)(*args, **kwargs)
            pending.clear()
        return popup

    def hide(self) -> None:
        if self._popup is not None:
            self._popup.hide()

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on LazyPopup itself.
        if self._popup is None and name in RECORDED:
            return lambda *args, **kwargs: self._remember(name, args, kwargs)
        return getattr(self.ready(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.ready(), name, value)

    def _remember(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        pending: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = self._pending
        if name == "apply_event" and _sets_trends(args[0]):
            # The popup replaces its sparklines whole with each such event, so only the
            # latest keeps its trends: with a week of history they are about 0.5 MB an
            # event, and a popup never opened would otherwise hold one per poll (issue 12).
            pending[:] = [_without_trends(call) for call in pending]
        pending.append((name, args, kwargs))
        if len(pending) > MAX_PENDING + 1:
            # Keep the first (the starting snapshot) and the latest: the state they
            # leave is the state the popup shows.
            del pending[1 : len(pending) - MAX_PENDING]


def _sets_trends(event: object) -> bool:
    """Whether `Popup.apply_event(event)` replaces the sparklines (see there)."""
    return isinstance(event, UsageUpdated) and bool(event.trends or event.stale)


def _without_trends(
    call: tuple[str, tuple[Any, ...], dict[str, Any]],
) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    name, args, kwargs = call
    if name == "apply_event" and isinstance(args[0], UsageUpdated) and args[0].trends:
        return name, (dataclasses.replace(args[0], trends=()), *args[1:]), kwargs
    return call
