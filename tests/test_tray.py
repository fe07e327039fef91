"""The tray module without a display: backend choice, the menu and its commands.

pystray's `dummy` backend builds icons and menus headless (platform.md); the
real backends are exercised by the GUI tests on Xvfb.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from claude_tray.tray import (
    NO_DISPLAY_MESSAGE,
    STOP_TIMEOUT,
    Backend,
    Tray,
    TrayCommand,
    TrayUnavailable,
    TrayView,
    choose_backends,
    load_backend,
)
from claude_tray.tray.hosts import TrayHosts

REPO = Path(__file__).resolve().parents[1]


def view(*, logged_in: bool = True, paused: bool = False) -> TrayView:
    return TrayView(Image.new("RGBA", (64, 64)), "Claude: 42%", logged_in, paused)


@pytest.fixture
def commands() -> list[TrayCommand]:
    return []


@pytest.fixture
def tray(commands: list[TrayCommand], monkeypatch: pytest.MonkeyPatch) -> Tray:
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    monkeypatch.setenv("DISPLAY", ":0")
    backend = load_backend("linux")
    return Tray(backend, view(), commands.append)


def test_forced_backend_wins() -> None:
    """PYSTRAY_BACKEND overrides every automatic choice."""
    assert choose_backends(
        {"PYSTRAY_BACKEND": "xorg"}, "linux", hosts=hosts(bus=True, watcher=True)
    ) == ["xorg"]


def hosts(*, bus: bool, watcher: bool = False, xembed: bool = False) -> Callable[[], TrayHosts]:
    return lambda: TrayHosts(session_bus=bus, sni_watcher=watcher, xembed_tray=xembed)


def test_linux_uses_sni_where_a_watcher_runs() -> None:
    """A StatusNotifierWatcher on the bus: the SNI backend, xorg only if it cannot start."""
    assert choose_backends({}, "linux", hosts=hosts(bus=True, watcher=True, xembed=True)) == [
        "sni",
        "xorg",
    ]


def test_linux_uses_xorg_where_only_an_xembed_tray_runs() -> None:
    """Only an XEmbed tray (trayer, i3bar): the xorg backend first."""
    assert choose_backends({}, "linux", hosts=hosts(bus=True, xembed=True)) == ["xorg", "sni"]
    assert choose_backends({}, "linux", hosts=hosts(bus=False, xembed=True)) == ["xorg"]


def test_linux_with_no_host_yet_waits_on_the_bus() -> None:
    """No host yet: SNI when a session bus exists (it registers when a panel comes), else xorg."""
    assert choose_backends({}, "linux", hosts=hosts(bus=True)) == ["sni", "xorg"]
    assert choose_backends({}, "linux", hosts=hosts(bus=False)) == ["xorg"]


def test_the_choice_needs_no_pygobject() -> None:
    """PyGObject is never probed: with hosts found, no `gi` import happens (this venv has none)."""
    choose_backends({}, "linux", hosts=hosts(bus=True, watcher=True))
    assert "gi" not in sys.modules


def test_native_backends_elsewhere() -> None:
    """macOS and Windows use their native backends."""
    assert choose_backends({}, "darwin") == ["darwin"]
    assert choose_backends({}, "win32") == ["win32"]


def test_no_display_gives_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DISPLAY on Linux the tray refuses with a message that names `status`."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(TrayUnavailable, match="claude-tray status"):
        load_backend("linux")


@pytest.mark.posix_only
def test_bad_display_gives_clear_message_not_xlib_error() -> None:
    """A DISPLAY nobody serves turns pystray's Xlib error into the same clear message."""
    code = (
        "import os\n"
        "from claude_tray.tray import load_backend, TrayUnavailable\n"
        "try:\n"
        "    load_backend()\n"
        "except TrayUnavailable as exc:\n"
        "    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYSTRAY_BACKEND"}
    env.update(DISPLAY=":4242", PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == NO_DISPLAY_MESSAGE
    assert "Traceback" not in out.stderr


def test_menu_has_every_action_logged_in(tray: Tray) -> None:
    """Logged in, the menu (separators left out) offers Log out and Pause."""
    assert tray.menu_texts() == [
        "Show details",
        "Refresh now",
        "Log out",
        "Pause auto-refresh",
        "Open usage page",
        "Settings…",
        "Quit",
    ]


def test_menu_follows_view(tray: Tray) -> None:
    """Logged out and paused, the menu offers Log in… and Resume instead."""
    tray.update(view(logged_in=False, paused=True))
    texts = tray.menu_texts()
    assert "Log in…" in texts and "Log out" not in texts
    assert "Resume auto-refresh" in texts and "Pause auto-refresh" not in texts


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Show details", TrayCommand.SHOW_DETAILS),
        ("Refresh now", TrayCommand.REFRESH),
        ("Log out", TrayCommand.LOGOUT),
        ("Pause auto-refresh", TrayCommand.PAUSE),
        ("Open usage page", TrayCommand.OPEN_USAGE_PAGE),
        ("Settings…", TrayCommand.SETTINGS),
        ("Quit", TrayCommand.QUIT),
    ],
)
def test_each_item_sends_its_command(
    tray: Tray, commands: list[TrayCommand], text: str, command: TrayCommand
) -> None:
    """Every menu item hands exactly its command to the app."""
    tray.run_command_of(text)
    assert commands == [command]


def test_login_and_resume_items(tray: Tray, commands: list[TrayCommand]) -> None:
    """Logged out and paused, the items send LOGIN and RESUME."""
    tray.update(view(logged_in=False, paused=True))
    tray.run_command_of("Log in…")
    tray.run_command_of("Resume auto-refresh")
    assert commands == [TrayCommand.LOGIN, TrayCommand.RESUME]


def test_default_action_shows_details(tray: Tray, commands: list[TrayCommand]) -> None:
    """A click on the icon (the default action) asks for the details popup."""
    tray.activate()
    assert commands == [TrayCommand.SHOW_DETAILS]


def test_not_started_tray_ignores_updates_and_stop(tray: Tray) -> None:
    """Before start, update keeps the view without touching pystray and stop is harmless."""
    new = view(paused=True)
    tray.update(new)
    assert tray.view is new
    assert tray.notify("t", "b") is False
    tray.stop()
    tray.stop()


class RecordingIcon:
    """A stand-in pystray icon that records what the tray sets, for the update rules."""

    HAS_MENU = True
    HAS_DEFAULT_ACTION = True
    HAS_NOTIFICATION = False

    def __init__(self, name: str, icon: object, title: str, menu: object) -> None:
        self.set: list[str] = []
        self.menu = menu
        self._stop = threading.Event()

    def __setattr__(self, key: str, value: object) -> None:
        if key in ("icon", "title", "visible"):
            self.set.append(key)
        object.__setattr__(self, key, value)

    def update_menu(self) -> None:
        self.set.append("menu")

    def run(self, setup: Callable[[object], None]) -> None:
        setup(self)
        self._stop.wait(30)

    def stop(self) -> None:
        self._stop.set()


def test_icon_shown_callback_and_forced_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once pystray made the icon visible the app hears of it, and a forced update
    re-sends image, title and menu even when nothing changed."""
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    monkeypatch.setenv("DISPLAY", ":0")
    dummy = load_backend("linux")
    backend = Backend("fake", dummy.pystray, RecordingIcon)
    shown = threading.Event()
    first = view()
    tray = Tray(backend, first, lambda _command: None, on_shown=shown.set)
    tray.start()
    try:
        assert shown.wait(10)
        icon = tray._icon
        icon.set.clear()
        tray.update(first)
        assert icon.set == []  # nothing changed: pystray is not called
        tray.update(first, force=True)
        assert icon.set == ["icon", "title", "menu"]
    finally:
        tray.stop()


class StuckIcon(RecordingIcon):
    """An icon whose every change hangs, as pystray's xorg dispatch did once in about eleven
    starts (the UI thread waited forever for the X thread stuck in python-xlib)."""

    def __init__(self, name: str, icon: object, title: str, menu: object) -> None:
        super().__init__(name, icon, title, menu)
        object.__setattr__(self, "release", threading.Event())
        object.__setattr__(self, "entered", threading.Event())

    def __setattr__(self, key: str, value: object) -> None:
        if key in ("icon", "title"):
            self.entered.set()  # type: ignore[attr-defined]
            self.release.wait(60)  # type: ignore[attr-defined]
        super().__setattr__(key, value)

    def stop(self) -> None:
        self.release.wait(60)  # type: ignore[attr-defined]
        super().stop()


def test_a_hanging_xorg_icon_never_blocks_the_ui_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux backends `update` and `stop` return at once (bounded) even when the icon hangs."""
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    monkeypatch.setenv("DISPLAY", ":0")
    dummy = load_backend("linux")
    backend = Backend("xorg", dummy.pystray, StuckIcon)
    shown = threading.Event()
    tray = Tray(backend, view(), lambda _command: None, on_shown=shown.set)
    tray.start()
    icon = tray._icon
    try:
        assert shown.wait(10)
        started = time.monotonic()
        tray.update(view(paused=True), force=True)
        assert icon.entered.wait(10)  # the applier thread is stuck in the icon now
        for _ in range(5):
            tray.update(view(), force=True)
        tray.stop()
        assert time.monotonic() - started < 5 * STOP_TIMEOUT
    finally:
        icon.release.set()
