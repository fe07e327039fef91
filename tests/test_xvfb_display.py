"""The GUI tests' private Xvfb (tests/support/display.py) keeps its state between clients.

An X server resets when its last client leaves, and a connection still in its
handshake at that moment is dropped: trayer then failed with "cannot open
display" while the tray host started (issue 7, an ERROR in the first GUI test's
setup). A reset also deletes the root window's properties, which is what this
test looks at: a property set by a client that has gone must still be there.
"""

from __future__ import annotations

import pytest
import Xlib.display
import Xlib.X
import Xlib.Xatom

from tests.support.display import start_xvfb

pytestmark = pytest.mark.display


def test_the_server_does_not_reset_when_its_last_client_leaves() -> None:
    display = start_xvfb("320x240x24")
    try:
        first = Xlib.display.Display(display.name)
        atom = first.intern_atom("CLAUDE_TRAY_TEST_MARK")
        first.screen().root.change_property(atom, Xlib.Xatom.STRING, 8, b"still here")
        first.sync()
        first.close()  # the only client: a resetting server starts its reset now
        second = Xlib.display.Display(display.name)
        try:
            # The atom's name is resolved again: a reset also forgets interned atoms.
            again = second.intern_atom("CLAUDE_TRAY_TEST_MARK")
            value = second.screen().root.get_full_property(again, Xlib.X.AnyPropertyType)
        finally:
            second.close()
        assert value is not None and bytes(value.value) == b"still here"
    finally:
        display.stop()
