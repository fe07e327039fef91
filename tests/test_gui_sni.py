"""The real app on xfce4-panel's Status Tray (a StatusNotifierItem host), with no PyGObject.

One Xvfb, one private session bus and one panel for the module (linux-desktops.md
section 1); the app runs as `python -m claude_tray run` from the project's venv,
which has no `gi` (asserted). Checked from outside: the watcher's list, the pixels
the panel draws, windows on the screen, the emulator's requests, the item's
dbusmenu read over the bus, the log, and the exit code.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageGrab, ImageStat

from claude_tray.config import Thresholds
from claude_tray.emulator import Emulator
from claude_tray.icon import render_icon
from claude_tray.tray.pixmaps import PIXMAP_SIZES
from tests.support.desktop import SessionBus, XfcePanel, start_session_bus
from tests.support.display import XvfbDisplay, start_xvfb
from tests.support.gui import REPO, save_artifact, store_session, usage_requests, wait_for
from tests.support.gui import write_config as write_app_config

pytestmark = [pytest.mark.display, pytest.mark.slow]

PANEL_HEIGHT = 32
MENU = "com.canonical.dbusmenu"
ITEM = "org.kde.StatusNotifierItem"
POPUP_NAME = "^Claude usage"
#: Seconds from a host being ready to the item being in its watcher's list.
REGISTER_WITHIN = 3.0
#: Mean difference (0-255) below which the panel's icon is our drawing (measured: 2.0 for
#: the right number, 5.3 for the same number with the refreshing dot, 65 for another number).
MATCH = 4.0


class Desktop:
    """Xvfb + a private session bus + xfce4-panel, shared by the module's tests."""

    def __init__(self, root: Path, *, activation: bool = True, any_user: bool = False) -> None:
        self.root = root
        self.display: XvfbDisplay = start_xvfb()
        self.bus: SessionBus = start_session_bus(
            root / "desktop", activation=activation, any_user=any_user
        )
        self.panel = XfcePanel(self.display.name, self.bus)

    def xdotool(self, *args: str) -> str:
        env = dict(os.environ, DISPLAY=self.display.name)
        return subprocess.run(
            ["xdotool", *args], env=env, capture_output=True, text=True, timeout=30
        ).stdout

    def screenshot(self) -> Image.Image:
        return ImageGrab.grab(xdisplay=self.display.name).convert("RGB")

    def visible_windows(self, name: str) -> list[str]:
        return self.xdotool("search", "--onlyvisible", "--name", name).split()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.panel.stop()
        self.bus.stop()
        self.display.stop()


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    running = Desktop(tmp_path_factory.mktemp("xfce"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        emu.set_usage(session=42.0, weekly=18.0)
        yield emu


class App:
    """One `python -m claude_tray run` on the desktop, logged in to the emulator."""

    def __init__(
        self,
        desktop: Desktop,
        emulator: Emulator,
        home: Path,
        *,
        backend: str | None = None,
        debug_file: Path | None = None,
        no_bus: bool = False,
        **settings: Any,
    ) -> None:
        """`backend`: force PYSTRAY_BACKEND (None: the app chooses); `debug_file`: where
        the app writes its modules (and `.threads`, its threads) for benchmarks."""
        self.desktop = desktop
        self.home = home
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "PYSTRAY_"))}
        env.update(
            DISPLAY=desktop.display.name,
            DBUS_SESSION_BUS_ADDRESS=desktop.bus.address,
            XDG_CURRENT_DESKTOP="XFCE",
            CLAUDE_TRAY_HOME=str(home),
            CLAUDE_TRAY_BASE_URL=emulator.base_url,
            CLAUDE_TRAY_API_URL=emulator.base_url,
            CLAUDE_CONFIG_DIR=str(home / "no-claude-code"),
            PYTHONPATH=str(REPO),
            PYTHONUNBUFFERED="1",
        )
        env.pop("WAYLAND_DISPLAY", None)
        if backend is not None:
            env["PYSTRAY_BACKEND"] = backend
        if debug_file is not None:
            env["CLAUDE_TRAY_DEBUG_MODULES_FILE"] = str(debug_file)
        if no_bus:
            env.pop("DBUS_SESSION_BUS_ADDRESS", None)
            env.pop("XDG_RUNTIME_DIR", None)
        self.env = env
        store_session(env, emulator.session_key)
        write_app_config(home, **{"interval_minutes": 60, **settings})
        self.log = home / "app.log"
        self.started = time.monotonic()
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "claude_tray", "run"],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        """What the app printed and what it logged (its log file)."""
        logged = self.home / "logs" / "claude-tray.log"
        text = self.log.read_text(errors="replace")
        with contextlib.suppress(OSError):
            text += logged.read_text(errors="replace")
        return text

    def item(self) -> str | None:
        """The bus name of this app's item in the watcher's list, or None."""
        for entry in self.desktop.bus.registered_items():
            name = entry.split("/", 1)[0]
            if name.endswith(f"-{self.process.pid}-1"):
                return name
        return None

    def layout(self) -> list[tuple[int, dict[str, Any]]]:
        """The item's menu as the host reads it: [(id, {property: value})]."""
        name = self.item()
        assert name is not None
        _revision, (_root, _props, children) = self.desktop.bus.call(
            name, "/MenuBar", MENU, "GetLayout", "iias", (0, -1, [])
        )
        return [(child[1][0], {k: v[1] for k, v in child[1][1].items()}) for child in children]

    def call_item(
        self, member: str, signature: str | None = None, body: tuple[Any, ...] = ()
    ) -> None:
        """Call a method of the item, as a host does (Activate, SecondaryActivate, ...)."""
        name = f"org.kde.StatusNotifierItem-{self.process.pid}-1"
        self.desktop.bus.call(name, "/StatusNotifierItem", ITEM, member, signature, body)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)


# --- what the panel draws -----------------------------------------------------------------


def icon_box(desktop: Desktop) -> tuple[int, int, int, int] | None:
    """The bounding box of what the panel draws that is not its background (the icon)."""
    shot = desktop.screenshot()
    strip = shot.crop((0, 0, shot.width, PANEL_HEIGHT))
    background = Image.new("RGB", strip.size, strip.getpixel((4, PANEL_HEIGHT // 2)))  # type: ignore[arg-type]
    box = (
        ImageChops.difference(strip, background)
        .convert("L")
        .point(lambda v: 255 if v > 40 else 0)
        .getbbox()
    )
    if box is None or box[2] - box[0] < 12:
        return None
    return box


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3)


def distance_to_drawing(shot: Image.Image, box: tuple[int, int, int, int], percent: float) -> float:
    """`distance_on` with xfce's panel background."""
    return distance_on(shot, box, (4, PANEL_HEIGHT // 2), percent)


def distance_on(
    shot: Image.Image, box: tuple[int, int, int, int], bg_at: tuple[int, int], percent: float
) -> float:
    """How far the icon on screen is from our own drawing of `percent` ("normal" look).

    The host picks one of the item's pixmaps and scales it to its icon size
    (xfce: the 32 px one drawn at 22 px), so each size is tried, flattened onto
    the panel's background and scaled the same way; the best match counts.
    """
    shown = shot.crop(box)
    background = shot.getpixel(bg_at)
    best = 255.0
    for size in PIXMAP_SIZES:
        drawn = render_icon(percent, "normal", Thresholds(), size=size)
        flat = Image.new("RGB", drawn.size, background)  # type: ignore[arg-type]
        flat.paste(drawn, mask=drawn.getchannel("A"))
        best = min(best, difference(shown, flat.resize(shown.size, Image.Resampling.BILINEAR)))
    return best


def nearest_square(
    shot: Image.Image, box: tuple[int, int, int, int], bg_at: tuple[int, int], percent: float
) -> float:
    """`distance_on` for the best square of 18 to 24 px around `box`'s centre: the box of
    pixels that differ from a coloured background cuts the icon's soft corners unevenly."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    best = 255.0
    for size in range(18, 25):
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                x0, y0 = int(cx - size / 2) + dx, int(cy - size / 2) + dy
                square = (x0, y0, x0 + size, y0 + size)
                best = min(best, distance_on(shot, square, bg_at, percent))
    return best


def wait_for_percent(desktop: Desktop, percent: float, timeout: float = 90) -> Image.Image:
    """Wait until the panel draws exactly our icon for `percent`; the icon's screenshot."""

    def matches() -> Image.Image | None:
        box = icon_box(desktop)
        if box is None:
            return None
        shot = desktop.screenshot()
        return shot.crop(box) if distance_to_drawing(shot, box, percent) < MATCH else None

    return wait_for(matches, timeout, f"the panel to draw {percent:g} %")  # type: ignore[no-any-return]


def quiet_requests(emulator: Emulator, quiet: float = 2.5) -> None:
    """Wait until the emulator saw no usage request for `quiet` seconds."""
    count, since = usage_requests(emulator), time.monotonic()
    deadline = since + 60
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the app kept polling"
        time.sleep(0.2)
        if usage_requests(emulator) != count:
            count, since = usage_requests(emulator), time.monotonic()


def popup_open(desktop: Desktop) -> bool:
    return bool(desktop.visible_windows(POPUP_NAME))


def open_menu(desktop: Desktop) -> tuple[int, int]:
    """Right-click the icon so the panel shows the item's menu; the icon's centre."""
    box = wait_for(lambda: icon_box(desktop), 30, "the icon")
    centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
    desktop.xdotool("mousemove", str(centre[0]), str(centre[1]), "click", "3")
    time.sleep(1.0)
    return centre


def choose(desktop: Desktop, *keys: str) -> None:
    """Pick a menu item with the keyboard (the panel's GTK menu has the grab)."""
    for key in keys:
        desktop.xdotool("key", key)
        time.sleep(0.15)
    desktop.xdotool("key", "Return")


# --- the tests ---------------------------------------------------------------------------------


def test_the_venv_has_no_pygobject() -> None:
    """The app under test runs where `import gi` fails (a pip/pipx install has no PyGObject)."""
    result = subprocess.run(
        [sys.executable, "-c", "import gi"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "No module named 'gi'" in result.stderr


def test_xfce_status_tray_shows_the_item_and_runs_its_menu(
    desktop: Desktop, emulator: Emulator, tmp_path: Path
) -> None:
    """With the panel running: registered within 3 s, the number drawn and following the
    emulator, left click opens the popup, the menu runs Refresh, Pause/Resume (relabelled in
    place), Show details and Quit, and the tooltip shows on hover."""
    artifacts = tmp_path / "screenshots"
    desktop.panel.start()
    app = App(desktop, emulator, tmp_path / "home")
    try:
        wait_for(app.item, 30, "the app's item in the watcher")
        # The process start (Python, Tk, imports) is most of this on a shared machine.
        registered_after = time.monotonic() - app.started
        print(f"registered {registered_after:.2f} s after the app started")
        shown = wait_for_percent(desktop, 42.0)
        save_artifact(shown.resize((shown.width * 8, shown.height * 8)), artifacts, "sni_xfce_42")
        save_artifact(desktop.screenshot().crop((1000, 0, 1280, 40)), artifacts, "sni_xfce_panel")

        quiet_requests(emulator)  # the app's own first polls are over
        emulator.set_usage(session=95.0, weekly=18.0)
        before = usage_requests(emulator)
        time.sleep(1.0)
        assert usage_requests(emulator) == before
        assert (
            distance_to_drawing(desktop.screenshot(), icon_box(desktop) or (0, 0, 1, 1), 42.0)
            < MATCH
        )
        open_menu(desktop)
        save_artifact(desktop.screenshot(), artifacts, "sni_xfce_menu")
        choose(desktop, "Down", "Down")  # Show details, Refresh now
        wait_for(lambda: usage_requests(emulator) > before, 60, "Refresh to poll the emulator")
        shown = wait_for_percent(desktop, 95.0)
        save_artifact(shown.resize((shown.width * 8, shown.height * 8)), artifacts, "sni_xfce_95")

        # Pause: the same item id is relabelled, the layout keeps its ids.
        layout = app.layout()
        ids = [item_id for item_id, _ in layout]
        pause_id = next(i for i, props in layout if props.get("label") == "Pause auto-refresh")
        open_menu(desktop)
        choose(desktop, "Down", "Down", "Down", "Down")  # ..., Log out, Pause auto-refresh
        wait_for(
            lambda: dict(app.layout())[pause_id].get("label") == "Resume auto-refresh",
            30,
            "Pause to relabel its item",
        )
        assert [item_id for item_id, _ in app.layout()] == ids
        open_menu(desktop)
        save_artifact(desktop.screenshot(), artifacts, "sni_xfce_menu_resume")
        choose(desktop, "Down", "Down", "Down", "Down")  # Resume auto-refresh
        wait_for(
            lambda: dict(app.layout())[pause_id].get("label") == "Pause auto-refresh",
            30,
            "Resume to relabel its item back",
        )

        # Show details from the menu, then a left click on the icon closes and opens it.
        open_menu(desktop)
        choose(desktop, "Down")
        wait_for(lambda: popup_open(desktop), 30, "Show details to open the popup")
        desktop.xdotool("key", "Escape")
        wait_for(lambda: not popup_open(desktop), 30, "Escape to close the popup")
        box = icon_box(desktop)
        assert box is not None
        centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
        time.sleep(1.0)
        desktop.xdotool("mousemove", str(centre[0]), str(centre[1]), "click", "1")
        wait_for(lambda: popup_open(desktop), 30, "a left click to open the popup")
        save_artifact(desktop.screenshot(), artifacts, "sni_xfce_popup")
        desktop.xdotool("key", "Escape")
        wait_for(lambda: not popup_open(desktop), 30, "the popup to close")

        # Hover: the panel shows the ToolTip (title and body) below the icon.
        desktop.xdotool("mousemove", "600", "400")
        time.sleep(0.5)
        calm = desktop.screenshot().crop((800, PANEL_HEIGHT, 1280, 200))
        desktop.xdotool("mousemove", str(centre[0]), str(centre[1]))

        def tooltip() -> Image.Image | None:
            now = desktop.screenshot().crop((800, PANEL_HEIGHT, 1280, 200))
            return now if difference(now, calm) > 1.0 else None

        hovered = wait_for(tooltip, 10, "the tooltip below the icon")
        save_artifact(hovered, artifacts, "sni_xfce_tooltip")

        # Quit from the menu: the last item (Up selects it first).
        desktop.xdotool("mousemove", "600", "400")
        open_menu(desktop)
        choose(desktop, "Up")
        assert app.process.wait(30) == 0
        assert registered_after < 30
        assert "Traceback" not in app.output(), app.output()[-2000:]
    finally:
        app.stop()


def test_panel_started_late_and_restarted_shows_the_icon(
    desktop: Desktop, emulator: Emulator, tmp_path: Path
) -> None:
    """No tray at first: the window explains within 5 s (one log line); the panel started
    10 s after the app gets the icon (registered within 3 s of the host), and again after
    the panel restarts."""
    artifacts = tmp_path / "screenshots"
    if desktop.panel.process is not None:
        desktop.panel.stop()
    app = App(desktop, emulator, tmp_path / "home")
    try:
        wait_for(lambda: popup_open(desktop), 5, "the no-tray window within 5 s")
        opened_after = time.monotonic() - app.started
        print(f"the no-tray window opened {opened_after:.2f} s after the app started")
        save_artifact(desktop.screenshot(), artifacts, "sni_no_tray_window")
        assert opened_after < 5, opened_after
        title = desktop.xdotool("getwindowname", desktop.visible_windows(POPUP_NAME)[0])
        assert "no tray found" in title.lower()

        time.sleep(max(0.0, 10 - (time.monotonic() - app.started)))
        desktop.panel.start()
        host_ready = time.monotonic()
        wait_for(app.item, REGISTER_WITHIN, "the item to register with the late panel")
        print(f"registered {time.monotonic() - host_ready:.2f} s after the late panel")
        shown = wait_for_percent(desktop, 42.0)
        save_artifact(shown.resize((shown.width * 8, shown.height * 8)), artifacts, "sni_late")

        desktop.panel.stop()
        desktop.panel.start()
        host_ready = time.monotonic()
        wait_for(app.item, REGISTER_WITHIN, "the item to register with the restarted panel")
        print(f"registered {time.monotonic() - host_ready:.2f} s after the panel restarted")
        wait_for_percent(desktop, 42.0)

        time.sleep(2)
        lines = [line for line in app.output().splitlines() if "no tray host found" in line]
        assert len(lines) == 1, app.output()[-3000:]
        assert "Traceback" not in app.output(), app.output()[-3000:]
    finally:
        app.stop()
    assert app.process.returncode == 0


# --- waybar on headless sway ---------------------------------------------------------------------


def test_waybar_on_sway_draws_the_percentage(emulator: Emulator, tmp_path: Path) -> None:
    """waybar's tray (sway headless, both as nobody) lists the item and draws our number."""
    from tests.support.desktop import start_sway_waybar

    desktop = Desktop(tmp_path / "x", any_user=True)  # Tk needs X; the item needs only the bus
    sway = None
    app = None
    try:
        sway = start_sway_waybar(desktop.bus)
        app = App(desktop, emulator, tmp_path / "home")
        wait_for(app.item, 30, "the item in waybar's watcher")

        def drawn() -> Image.Image | None:
            shot = Image.open(sway.screenshot(tmp_path / "sway.png")).convert("RGB")
            # The tray module has a background of its own at the bar's right end.
            tray_bg = shot.getpixel((shot.width - 1, 1))
            left = shot.width - 1
            while left > 0 and shot.getpixel((left - 1, 1)) == tray_bg:
                left -= 1
            module = shot.crop((left, 0, shot.width, 30))
            plain = Image.new("RGB", module.size, tray_bg)  # type: ignore[arg-type]
            box = (
                ImageChops.difference(module, plain)
                .convert("L")
                .point(lambda v: 255 if v > 40 else 0)
                .getbbox()
            )
            if box is None or box[2] - box[0] < 12:
                return None
            full = (box[0] + left, box[1], box[2] + left, box[3])
            return shot if nearest_square(shot, full, (shot.width - 1, 1), 42.0) < MATCH else None

        shot = wait_for(drawn, 60, "waybar to draw 42 %")
        save_artifact(shot.crop((shot.width - 300, 0, shot.width, 40)), tmp_path, "sni_waybar")
    finally:
        if app is not None:
            app.stop()
        if sway is not None:
            sway.stop()
        desktop.stop()


# --- notifications -----------------------------------------------------------------------------


def test_dunst_receives_the_threshold_notification(emulator: Emulator, tmp_path: Path) -> None:
    """Crossing 90 % (a middle click refreshes): dunst shows one notification from claude-tray
    with the right title and body, read back from dunst; its default action opens the popup."""
    from tests.support.desktop import dunst_history, start_dunst

    desktop = Desktop(tmp_path / "x")
    dunst = None
    app = None
    try:
        dunst = start_dunst(desktop.display.name, desktop.bus)
        desktop.panel.start()
        app = App(desktop, emulator, tmp_path / "home")
        wait_for(app.item, 30, "the item")
        wait_for_percent(desktop, 42.0)
        quiet_requests(emulator)
        emulator.set_usage(session=95.0, weekly=18.0)
        app.call_item("SecondaryActivate", "ii", (0, 0))  # a middle click: refresh
        wait_for_percent(desktop, 95.0)
        save_artifact(desktop.screenshot(), tmp_path, "sni_dunst")
        # The notification's default action (dunst's "action" command) opens the popup.
        assert not popup_open(desktop)
        env = dict(os.environ, DISPLAY=desktop.display.name)
        env["DBUS_SESSION_BUS_ADDRESS"] = desktop.bus.address
        subprocess.run(["dunstctl", "action", "0"], env=env, check=True, timeout=10)
        wait_for(lambda: popup_open(desktop), 15, "the default action to open the popup")
        # The doctor sees the same desktop: SNI host, the backend, the server.
        doctor = subprocess.run(
            [sys.executable, "-m", "claude_tray", "doctor"],
            env=app.env,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        rows = {line[:15].strip(): line[15:] for line in doctor.splitlines() if line[:1].strip()}
        assert rows["Tray host"].split() == ["ok", "SNI", "(org.kde.StatusNotifierWatcher)"]
        assert rows["Tray backend"].split() == ["ok", "sni"]
        assert rows["Notifications"].split()[0] == "ok", doctor
        assert rows["Session bus"].split()[0] == "ok", doctor
        assert rows["Display"].split() == ["ok", "X11", desktop.display.name]
        history = wait_for(
            lambda: dunst_history(desktop.display.name, desktop.bus), 15, "dunst's history"
        )
        ours = [entry for entry in history if entry["appname"] == "claude-tray"]
        assert len(ours) == 1, history
        assert ours[0]["summary"] == "Claude: session limit over 90%"
        assert ours[0]["body"].startswith("Current session is at 95%")
        assert "no notification server" not in app.output()
    finally:
        if app is not None:
            app.stop()
        if dunst is not None:
            dunst.terminate()
            dunst.wait(10)
        desktop.stop()


def test_without_a_notification_server_the_banner_shows(emulator: Emulator, tmp_path: Path) -> None:
    """A bus with no notification server and no activation (and no tray: the window is
    open): the notification goes to the popup's banner, and the log says so once."""
    desktop = Desktop(tmp_path / "x", activation=False)
    app = None
    try:
        app = App(desktop, emulator, tmp_path / "home")
        wait_for(lambda: popup_open(desktop), 30, "the no-tray window")
        quiet_requests(emulator)
        assert banner_pixels(desktop) < 100  # no info banner yet
        emulator.set_usage(session=95.0, weekly=18.0)
        requests = usage_requests(emulator)
        app.call_item("SecondaryActivate", "ii", (0, 0))  # what a middle click asks: refresh
        wait_for(lambda: usage_requests(emulator) > requests, 30, "the refresh")
        wait_for(lambda: "no notification server answered" in app.output(), 15, "the log line")
        wait_for(lambda: banner_pixels(desktop) > 2000, 15, "the info banner in the popup")
        save_artifact(desktop.screenshot(), tmp_path, "sni_banner_no_server")
        assert app.output().count("no notification server answered") == 1
    finally:
        if app is not None:
            app.stop()
        desktop.stop()


def banner_pixels(desktop: Desktop) -> int:
    """How many pixels on screen have the info banner's background (#eef3f8)."""
    colours = desktop.screenshot().getcolors(1 << 24) or []
    return sum(count for count, rgb in colours if rgb == (0xEE, 0xF3, 0xF8))


def test_an_xembed_tray_started_late_gets_the_icon(emulator: Emulator, tmp_path: Path) -> None:
    """No host at the start (SNI chosen, the window explains); trayer, an XEmbed-only tray,
    starts later: the icon moves to the xorg backend and docks there."""
    from tests.support.gui import ICON_CLASS, start_trayer

    desktop = Desktop(tmp_path / "x")
    app = None
    trayer = None
    try:
        app = App(desktop, emulator, tmp_path / "home")
        wait_for(lambda: popup_open(desktop), 8, "the no-tray window")
        assert "tray backend: sni" in app.output()
        trayer = start_trayer(desktop.display)

        def docked() -> bool:
            for window in desktop.xdotool("search", "--classname", ICON_CLASS).split():
                geometry = desktop.xdotool("getwindowgeometry", "--shell", window)
                values = dict(line.split("=", 1) for line in geometry.split())
                if int(values["WIDTH"]) >= 16 and int(values["Y"]) >= 0:
                    return True
            return False

        wait_for(docked, 30, "the icon to dock in trayer")
        save_artifact(desktop.screenshot().crop((900, 0, 1280, 40)), tmp_path, "sni_to_trayer")
        wait_for(lambda: "moving the icon to it" in app.output(), 10, "the log line about the move")
        assert "Traceback" not in app.output(), app.output()[-3000:]
    finally:
        if app is not None:
            app.stop()
        if trayer is not None and trayer.poll() is None:
            trayer.terminate()
            trayer.wait(10)
        desktop.stop()


def test_a_watcher_that_appears_later_takes_the_icon_from_xembed(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Only trayer at the start (xorg chosen, docked); then xfce4-panel brings a
    StatusNotifierWatcher: the icon moves to SNI, registers and the panel draws it."""
    from tests.support.gui import start_trayer

    desktop = Desktop(tmp_path / "x")
    app = None
    trayer = start_trayer(desktop.display)
    try:
        app = App(desktop, emulator, tmp_path / "home")
        wait_for(lambda: "tray backend: xorg" in app.output(), 30, "the xorg backend")
        time.sleep(1.0)  # docked in trayer, nothing to move yet
        assert "moving the icon" not in app.output()
        trayer.terminate()
        trayer.wait(10)
        desktop.panel.start()
        wait_for(app.item, 10, "the item to register with the new watcher")
        shown = wait_for_percent(desktop, 42.0)
        save_artifact(shown.resize((shown.width * 8, shown.height * 8)), tmp_path, "sni_from_xorg")
        assert "moving the icon to it" in app.output()
        assert "Traceback" not in app.output(), app.output()[-3000:]
    finally:
        if app is not None:
            app.stop()
        if trayer.poll() is None:
            trayer.terminate()
            trayer.wait(10)
        desktop.stop()


def test_no_bus_and_no_tray_on_xorg_logs_once_without_tracebacks(
    emulator: Emulator, tmp_path: Path
) -> None:
    """No session bus and no tray at all: the xorg backend, the explaining window within
    5 s, one line each about it; the redraws of the first poll and the settle redraw add no
    "Failed to dock icon" traceback (pystray logged one for each)."""
    desktop = Desktop(tmp_path / "x")
    app = None
    try:
        app = App(desktop, emulator, tmp_path / "home", no_bus=True)
        wait_for(lambda: popup_open(desktop), 5, "the no-tray window within 5 s")
        wait_for(lambda: usage_requests(emulator) > 0, 30, "the first poll")
        time.sleep(3.0)  # the settle redraw, 2 s after the icon was shown
        output = app.output()
        assert "tray backend: xorg" in output
        assert output.count("no tray host found") == 1, output[-3000:]
        assert output.count("no XEmbed tray to dock into yet") == 1, output[-3000:]
        assert "Failed to dock icon" not in output and "Traceback" not in output, output[-3000:]
    finally:
        if app is not None:
            app.stop()
        desktop.stop()
