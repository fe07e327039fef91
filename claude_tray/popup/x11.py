"""Window-manager hints Tk cannot set itself: skip the taskbar and pager, no decorations.

Tk 8.6 sets `WM_CLASS` (from the toplevel's name and class) and
`_NET_WM_WINDOW_TYPE` (`wm attributes -type`), but has no way to ask for
`_NET_WM_STATE_SKIP_TASKBAR`/`_SKIP_PAGER` or to drop the title bar of a
managed window. This module writes those on the toplevel's wrapper window (the
one the window manager sees) with python-xlib, over a short connection of its
own.

Two moments: `set_undecorated` before the window is mapped (the WM reads
`_MOTIF_WM_HINTS` then), and `add_wm_states` once it is mapped: Tk rewrites
`_NET_WM_STATE` itself when it maps a window, and from then on the window
manager owns the property, so the states are asked for with the EWMH client
message (or, with no window manager running, written directly).

This module must NOT create windows, keep a connection open, or raise: on
anything but X11, or without python-xlib, it does nothing and says so in the
log.
"""

from __future__ import annotations

import logging
import tkinter as tk
from typing import Any

from claude_tray import xlib_connect

log = logging.getLogger(__name__)

#: _MOTIF_WM_HINTS is five numbers: flags (bit 0: the functions field is set,
#: bit 1: the decorations field), functions, decorations (0: none), input mode,
#: status. Honoured by openbox, xfwm4, mutter, kwin and most others.
_MWM_HINTS_FUNCTIONS = 1
_MWM_HINTS_DECORATIONS = 2
_MWM_FUNC_MOVE = 4
_MWM_FUNC_MINIMIZE = 8
_MWM_FUNC_CLOSE = 32


def is_x11(widget: tk.Misc) -> bool:
    """Whether Tk draws on an X server (Linux and the BSDs, XWayland included)."""
    return str(widget.tk.call("tk", "windowingsystem")) == "x11"


def wrapper_id(toplevel: tk.Misc) -> int | None:
    """The X id of the toplevel's wrapper window (the window manager's client), or None.

    Tk puts each toplevel inside a wrapper window that carries the WM
    properties; `wm frame` is no help before a window manager reparents it.
    """
    if not is_x11(toplevel):
        return None
    try:
        import Xlib.display  # noqa: F401  # is python-xlib installed?
    except ImportError:
        return None
    connection = xlib_connect.connect(toplevel.winfo_screen(), extensions=None)
    try:
        window = connection.create_resource_object("window", toplevel.winfo_id())
        parent = window.query_tree().parent
        return int(parent.id)
    finally:
        connection.close()


def _connect(toplevel: tk.Misc) -> Any | None:
    """A python-xlib connection to the toplevel's display, or None (not X11, no Xlib)."""
    if not is_x11(toplevel):
        return None
    try:
        import Xlib.display  # noqa: F401  # is python-xlib installed?
    except ImportError:
        log.info("python-xlib is missing: the popup may show in the taskbar")
        return None
    try:
        return xlib_connect.connect(toplevel.winfo_screen(), extensions=None)
    except Exception as exc:  # no such display, or refused: the popup still works
        log.info("could not set the popup's window hints: %s", exc)
        return None


def set_decorations(toplevel: tk.Misc, *, decorated: bool, can_minimize: bool) -> bool:
    """Title bar and border or none, and which title-bar buttons (`_MOTIF_WM_HINTS`).

    A window that cannot be resized gets no maximize button; a dialog no
    minimize button either. Call before mapping.
    """
    toplevel.update_idletasks()  # the wrapper exists once Tk has laid the window out
    connection = _connect(toplevel)
    if connection is None:
        return False
    from Xlib import X
    from Xlib import error as xerror

    try:
        window = connection.create_resource_object("window", toplevel.winfo_id())
        wrapper = window.query_tree().parent
        motif = connection.intern_atom("_MOTIF_WM_HINTS")
        if decorated:
            functions = _MWM_FUNC_MOVE | _MWM_FUNC_CLOSE
            if can_minimize:
                functions |= _MWM_FUNC_MINIMIZE
            hints = [_MWM_HINTS_FUNCTIONS, functions, 0, 0, 0]
        else:
            hints = [_MWM_HINTS_DECORATIONS, 0, 0, 0, 0]
        wrapper.change_property(motif, motif, 32, hints, X.PropModeReplace)
        # Wait until the server has it: Tk maps the window on its own connection next.
        connection.sync()
    except xerror.XError as exc:
        log.info("could not set the popup's decorations: %s", exc)
        return False
    finally:
        connection.close()
    return True


def _window_manager_running(connection: Any, root: Any) -> bool:
    """EWMH: the root names a check window that names itself (else a WM ran and left)."""
    from Xlib import Xatom
    from Xlib import error as xerror

    check = connection.intern_atom("_NET_SUPPORTING_WM_CHECK")
    named = root.get_full_property(check, Xatom.WINDOW)
    if named is None or not len(named.value):
        return False
    try:
        child = connection.create_resource_object("window", int(named.value[0]))
        itself = child.get_full_property(check, Xatom.WINDOW)
    except xerror.XError:
        return False
    return itself is not None and len(itself.value) > 0 and itself.value[0] == named.value[0]


def add_wm_states(toplevel: tk.Misc, names: list[str]) -> bool:
    """Add `_NET_WM_STATE_<name>` states (SKIP_TASKBAR, SKIP_PAGER, ABOVE) to a mapped window.

    With a window manager: the EWMH `_NET_WM_STATE` client message to the root
    window, two states per message; without one: the property itself.
    """
    if not names:
        return True
    connection = _connect(toplevel)
    if connection is None:
        return False
    from Xlib import X, Xatom
    from Xlib import error as xerror
    from Xlib.protocol import event as xevent

    try:
        root = connection.screen().root
        window = connection.create_resource_object("window", toplevel.winfo_id())
        wrapper = window.query_tree().parent
        state = connection.intern_atom("_NET_WM_STATE")
        atoms = [connection.intern_atom(f"_NET_WM_STATE_{name}") for name in names]
        if _window_manager_running(connection, root):
            add, from_application = 1, 1
            for index in range(0, len(atoms), 2):
                pair = [*atoms[index : index + 2], 0][:2]
                message = xevent.ClientMessage(
                    window=wrapper,
                    client_type=state,
                    data=(32, [add, pair[0], pair[1], from_application, 0]),
                )
                root.send_event(
                    message,
                    event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask,
                )
        else:
            current = wrapper.get_full_property(state, Xatom.ATOM)
            have = [int(value) for value in current.value] if current is not None else []
            merged = have + [atom for atom in atoms if atom not in have]
            wrapper.change_property(state, Xatom.ATOM, 32, merged, X.PropModeReplace)
        connection.sync()
    except xerror.XError as exc:
        log.info("could not set the popup's window states: %s", exc)
        return False
    finally:
        connection.close()
    return True
