"""macOS on paper: the darwin icon is only ever touched on the main thread, keeps its
colours, and notifies without blocking (issue 10, item 6).

No Mac runs these tests. The stand-in below is pystray's own base class (through its
`dummy` backend, so `run_detached`, `_start_setup` and `_mark_ready` are pystray's real
code) with the darwin backend's AppKit calls replaced by records of the thread they ran
on; its `_run_detached`, `_assert_image` and `_notify` do what pystray's `_darwin.py`
does there (116-117, 157-183 with master's `setTemplate_(YES)`, 119-125).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from claude_tray.tray import Tray, TrayView, load_backend
from claude_tray.tray.choice import Backend
from claude_tray.tray.darwin import colour_icon_class


class FakeNSImage:
    def __init__(self) -> None:
        self.template = False

    def setTemplate_(self, value: bool) -> None:
        self.template = bool(value)

    def isTemplate(self) -> bool:
        return self.template


class FakeButton:
    def __init__(self, record: list[tuple[str, threading.Thread]]) -> None:
        self.record = record
        self.image: FakeNSImage | None = None

    def setImage_(self, image: FakeNSImage) -> None:
        self.record.append(("setImage_", threading.current_thread()))
        self.image = image

    def setHidden_(self, hidden: bool) -> None:
        self.record.append(("setHidden_", threading.current_thread()))


class FakeStatusItem:
    def __init__(self, record: list[tuple[str, threading.Thread]]) -> None:
        self._button = FakeButton(record)

    def button(self) -> FakeButton:
        return self._button


def stand_in(pystray: Any) -> type[Any]:
    base: type[Any] = pystray.Icon  # the dummy backend's Icon: pystray's _base.Icon

    class DarwinStandIn(base):  # type: ignore[misc, valid-type]
        HAS_NOTIFICATION = True
        notify_seconds = 1.5

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.record: list[tuple[str, threading.Thread]] = []
            self._status_item = FakeStatusItem(self.record)
            self._icon_image: FakeNSImage | None = None
            self.notified: list[threading.Thread] = []

        def _run_detached(self) -> None:
            self._mark_ready()  # as _darwin.py 116-117

        def _show(self) -> None:
            self._assert_image()
            self._status_item.button().setHidden_(False)

        def _hide(self) -> None:
            self._status_item.button().setHidden_(True)

        def _stop(self) -> None:
            self.record.append(("stop_", threading.current_thread()))

        def _update_icon(self) -> None:
            self._icon_image = None
            if self.visible:
                self._assert_image()

        def _update_title(self) -> None:
            self.record.append(("setToolTip_", threading.current_thread()))

        def _update_menu(self) -> None:
            self.record.append(("setMenu_", threading.current_thread()))

        def _assert_image(self) -> None:
            if self._icon_image is not None:
                return
            self._icon_image = FakeNSImage()
            self._icon_image.setTemplate_(True)  # pystray master, _darwin.py 182
            self._status_item.button().setImage_(self._icon_image)

        def _notify(self, message: str, title: str | None = None) -> None:
            time.sleep(self.notify_seconds)  # osascript's run, check_call waits for it
            self.notified.append(threading.current_thread())

    return DarwinStandIn


@pytest.fixture
def darwin_tray(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Tray, threading.Event]]:
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    monkeypatch.setenv("DISPLAY", ":0")
    dummy = load_backend("linux")
    backend = Backend("darwin", dummy.pystray, colour_icon_class(stand_in(dummy.pystray)))
    woken = threading.Event()
    view = TrayView(Image.new("RGBA", (64, 64), (40, 160, 60, 255)), "Claude: 42%", True, False)
    tray = Tray(backend, view, lambda _command: None, on_shown=woken.set)
    yield tray, woken
    tray.stop()


def appkit_threads(tray: Tray) -> set[threading.Thread]:
    return {thread for _call, thread in tray._icon.record}


def test_the_setup_thread_only_wakes_tk_and_tks_thread_shows_the_icon(
    darwin_tray: tuple[Tray, threading.Event],
) -> None:
    tray, woken = darwin_tray
    tray.start()
    assert woken.wait(5), "pystray's setup callback never asked the UI thread to show"
    time.sleep(0.2)  # the setup thread is done
    assert not tray._icon.visible
    assert appkit_threads(tray) <= {threading.main_thread()}
    tray.update(tray.view)  # what the app's refresh does on Tk's thread
    assert tray._icon.visible
    assert ("setHidden_", threading.main_thread()) in tray._icon.record
    assert appkit_threads(tray) == {threading.main_thread()}


def test_the_icon_keeps_its_colours_when_pystray_makes_it_a_template(
    darwin_tray: tuple[Tray, threading.Event],
) -> None:
    tray, woken = darwin_tray
    tray.start()
    woken.wait(5)
    tray.update(tray.view)
    image = tray._icon._status_item.button().image
    assert image is not None and not image.isTemplate()


def test_a_notification_does_not_block_the_ui_thread(
    darwin_tray: tuple[Tray, threading.Event],
) -> None:
    tray, woken = darwin_tray
    tray.start()
    woken.wait(5)
    tray.update(tray.view)
    started = time.monotonic()
    assert tray.notify("Claude: session limit over 75%", "claude-tray")
    assert time.monotonic() - started < 0.5  # osascript takes 1.5 s here
    deadline = time.monotonic() + 10
    while not tray._icon.notified and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tray._icon.notified and tray._icon.notified[0] is not threading.main_thread()
