"""The xorg icon changed from other threads while the X server keeps it busy.

pystray's xorg backend forwards every change (image, title, show, stop) made
outside its X thread by sending a client message and flushing on the icon's
own python-xlib connection, the one its X thread reads and draws with. Two
threads in python-xlib 0.33's `send_and_recv` can leave the X thread asleep
for good: a flush that started while the X thread was receiving returns early
(`not receiving` and data to read) without waking a thread that began waiting
for a reply meanwhile (`_draw`'s `get_geometry` after an Expose). The icon then
never draws again (black or stuck on its first image) and every later change
waits forever (seen in full CI runs, about one start in twenty here).

These tests make exposures arrive all the time (another client clears the
icon window with `exposures=True`) while a thread changes the icon, and check
from outside (pixels on the screen) that the last change is drawn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image

from claude_tray.tray.view import ICON_NAME
from tests.support.gui import TrayHost, find_icon, tray_host, wait_for

pytestmark = [pytest.mark.display, pytest.mark.slow]

COLOURS = [(200, 40, 40), (40, 160, 60), (40, 80, 200), (220, 180, 30)]
CHANGES = 1000  # each one is a cross-thread round trip through the X thread
EXPOSE_EVERY = 0.002  # seconds between exposures


@pytest.fixture(scope="module")
def host() -> Iterator[TrayHost]:
    with tray_host() as running:
        yield running


def solid(colour: tuple[int, int, int]) -> Image.Image:
    return Image.new("RGBA", (32, 32), (*colour, 255))


def keep_exposing(display_name: str, window_id: int, stop: threading.Event) -> None:
    """Another X client: clear the icon window again and again, each time an Expose."""
    import Xlib.display

    connection = Xlib.display.Display(display_name)
    try:
        window = connection.create_resource_object("window", window_id)
        while not stop.is_set():
            window.clear_area(exposures=True)
            connection.sync()
            # Paced: a flood faster than the icon draws fills its socket instead.
            stop.wait(EXPOSE_EVERY)
    finally:
        connection.close()


def test_changes_from_another_thread_during_exposures_are_all_drawn(
    host: TrayHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", host.name)  # pystray's xorg backend connects to DISPLAY
    from claude_tray.tray.xorg import ClickableXorgIcon

    icon = ClickableXorgIcon(ICON_NAME, solid(COLOURS[0]), "claude-tray test")
    shown = threading.Event()

    def setup(running: ClickableXorgIcon) -> None:
        running.visible = True
        shown.set()

    loop = threading.Thread(target=icon.run, kwargs={"setup": setup}, daemon=True)
    loop.start()
    stop = threading.Event()
    exposer: threading.Thread | None = None
    try:
        assert shown.wait(30), "the icon was never shown"
        found = find_icon(host, 60)
        exposer = threading.Thread(
            target=keep_exposing, args=(host.name, int(found.window_id), stop), daemon=True
        )
        exposer.start()
        done = threading.Event()

        def change() -> None:
            for number in range(CHANGES):
                icon.icon = solid(COLOURS[number % len(COLOURS)])
                icon.title = f"claude-tray test {number}"
            done.set()

        changer = threading.Thread(target=change, daemon=True)
        started = time.monotonic()
        changer.start()
        # Generous: 1000 changes take a few seconds here; a stuck X thread never ends them.
        finished = done.wait(120)
        took = time.monotonic() - started
        assert finished, f"the icon's X thread stopped answering ({took:.0f} s)"
        stop.set()
        last = COLOURS[(CHANGES - 1) % len(COLOURS)]

        def shows_last() -> bool:
            shot = found.screenshot().convert("RGB")
            centre = shot.getpixel((shot.width // 2, shot.height // 2))
            return max(abs(a - b) for a, b in zip(centre, last, strict=True)) < 8  # type: ignore[arg-type]

        wait_for(shows_last, 30, "the icon to show the last change")
    finally:
        stop.set()
        if exposer is not None:
            exposer.join(10)
        stopper = threading.Thread(target=icon.stop, daemon=True)
        stopper.start()
        stopper.join(10)
        loop.join(10)
