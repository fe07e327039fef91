"""python-xlib connections with only the X extensions asked for, on a real Xvfb.

The xorg tray's connections set up SHAPE only (issue 12: python-xlib's other
extension modules cost ~0.9 MB in the idle tray); the popup's placement still
gets RandR, also when it connects while the tray narrows the list on another
thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import Xlib.ext

from claude_tray import xlib_connect
from tests.support.display import XvfbDisplay, start_xvfb

pytestmark = pytest.mark.display


@pytest.fixture(scope="module")
def xvfb() -> Iterator[XvfbDisplay]:
    display = start_xvfb()
    try:
        yield display
    finally:
        display.stop()


def test_a_connection_sets_up_only_the_extensions_named(xvfb: XvfbDisplay) -> None:
    before = list(Xlib.ext.__extensions__)
    narrow = xlib_connect.connect(xvfb.name, extensions=("SHAPE",))
    bare = xlib_connect.connect(xvfb.name)
    full = xlib_connect.connect(xvfb.name, extensions=None)
    try:
        assert narrow.has_extension("SHAPE") and not narrow.has_extension("RANDR")
        assert not bare.has_extension("SHAPE") and not bare.has_extension("XInputExtension")
        assert full.has_extension("SHAPE") and full.has_extension("RANDR")
        assert Xlib.ext.__extensions__ == before  # python-xlib's list is given back
    finally:
        for connection in (narrow, bare, full):
            connection.close()


def test_a_full_connection_on_another_thread_waits_for_a_narrowing_to_end(
    xvfb: XvfbDisplay,
) -> None:
    inside = threading.Event()
    release = threading.Event()
    opened: list[Any] = []

    def narrowing() -> None:
        with xlib_connect.extensions_only(()):
            inside.set()
            release.wait(30)

    def placement() -> None:
        opened.append(xlib_connect.connect(xvfb.name, extensions=None))

    holder = threading.Thread(target=narrowing)
    holder.start()
    assert inside.wait(30)
    other = threading.Thread(target=placement)
    other.start()
    other.join(0.3)  # it would open now, with the narrowed list, without the lock
    release.set()
    holder.join(30)
    other.join(30)
    try:
        assert len(opened) == 1
        assert opened[0].has_extension("RANDR")
    finally:
        for connection in opened:
            connection.close()
