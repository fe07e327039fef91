"""Opening python-xlib connections with only the X extensions the caller uses.

python-xlib's `Display()` imports and sets up a module for every extension in
`Xlib.ext.__extensions__` that the server offers (XInput, RandR, RECORD, ...):
about 0.9 MB resident in a process that only draws an icon (issue 12). The
list is read once, while a connection opens, so `extensions_only` narrows it
for that moment, under one lock that every connection this app opens takes
(`connect`, and the xorg tray's pystray connections): a connection opened
meanwhile on another thread, e.g. the popup's placement asking RandR for the
monitors, never sees the narrowed list.

A connection opened with fewer extensions says `has_extension(...) is False`
for the others and has none of their methods: name every extension you call.
This module must not open a connection of its own or keep one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterator
from typing import Any

#: Held while `Xlib.ext.__extensions__` may be narrowed (re-entrant: the xorg tray
#: imports pystray's xorg module, which opens a connection, inside its own narrowing).
_LOCK = threading.RLock()
#: The full list as python-xlib shipped it, kept before the first narrowing.
_ALL: list[tuple[str, str]] | None = None


@contextlib.contextmanager
def extensions_only(names: Collection[str] | None) -> Iterator[None]:
    """While inside, python-xlib connections set up only the extensions `names`
    (X extension names, e.g. "SHAPE"); None means all of them."""
    global _ALL
    import Xlib.ext

    with _LOCK:
        if _ALL is None:
            _ALL = list(Xlib.ext.__extensions__)
        saved = list(Xlib.ext.__extensions__)
        wanted = _ALL if names is None else [pair for pair in _ALL if pair[0] in names]
        Xlib.ext.__extensions__[:] = wanted
        try:
            yield
        finally:
            Xlib.ext.__extensions__[:] = saved


def connect(name: str | None, *, extensions: Collection[str] | None = ()) -> Any:
    """A python-xlib `Display` for `name` with only `extensions` set up (None: all)."""
    import Xlib.display

    with extensions_only(extensions):
        return Xlib.display.Display(name)
