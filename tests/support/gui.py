"""GUI test helpers: a tray host on a private Xvfb, the real app as a child, screenshots.

Everything here observes the app from outside, the way a user would: X
windows found with `xdotool`, pixels read from screenshots (Pillow's
`ImageGrab.grab(xdisplay=...)`), processes from the process table (psutil),
requests from the emulator's log. Nothing reads flags inside the app.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from PIL import Image, ImageGrab

from tests.support.display import XvfbDisplay, start_xvfb

REPO = Path(__file__).resolve().parents[2]
ICON_CLASS = "claude-traySystemTrayIcon"  # pystray's xorg window class: <name>SystemTrayIcon
POPUP_TITLE = "Claude usage"
TEAM_DIR = Path("/tmp/team")
TRAYER_ARGS = [
    "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "32",
    "--SetDockType", "true", "--transparent", "false", "--tint", "0xffffff",
]  # fmt: skip
RGB = tuple[int, int, int]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- the tray host ------------------------------------------------------------------------


@dataclass
class TrayHost:
    """Xvfb plus trayer (a standalone XEmbed system tray) on it."""

    display: XvfbDisplay
    trayer: subprocess.Popen[bytes]
    extra: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.display.name

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        return self.display.env(base)

    def xdotool(self, *args: str, timeout: float = 30.0) -> str:
        """Run xdotool on this display; its stdout."""
        result = subprocess.run(
            ["xdotool", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return result.stdout

    def screenshot(self) -> Image.Image:
        return ImageGrab.grab(xdisplay=self.name).convert("RGB")

    def stop(self) -> None:
        for process in [*self.extra, self.trayer]:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        self.display.stop()


def tray_selection_owner(display: str) -> int:
    """The window id owning `_NET_SYSTEM_TRAY_S0` on `display` (0: nobody)."""
    import Xlib.display

    conn = Xlib.display.Display(display)
    try:
        atom = conn.intern_atom("_NET_SYSTEM_TRAY_S0")
        owner = conn.get_selection_owner(atom)
        return 0 if owner in (0, None) else int(owner.id)
    finally:
        conn.close()


def trayer_args(edge: str, align: str = "right", height: int = 32) -> list[str]:
    """trayer as a panel on `edge` that reserves its band (a partial strut), so a window
    manager leaves it out of the work area."""
    args = list(TRAYER_ARGS)
    args[args.index("--edge") + 1] = edge
    args[args.index("--align") + 1] = align
    args[args.index("--height") + 1] = str(height)
    return [*args, "--SetPartialStrut", "true"]


def start_trayer(
    display: XvfbDisplay, attempts: int = 2, args: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """trayer on `display`, returned once it owns the tray selection.

    The tray host is test equipment, not the product: a trayer that died or
    never took the selection is started once more before the test gives up,
    and the failure then says how trayer ended and what it printed.
    """
    if shutil.which("trayer") is None:
        raise RuntimeError("trayer is not installed (apt-get install trayer)")
    failures: list[str] = []
    for _ in range(attempts):
        with tempfile.TemporaryFile() as stderr:
            trayer = subprocess.Popen(
                ["trayer", *(TRAYER_ARGS if args is None else args)],
                env=display.env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            try:
                wait_for(
                    lambda proc=trayer: (
                        proc.poll() is not None or tray_selection_owner(display.name)
                    ),
                    30,
                    "trayer to own the tray",
                )
                if trayer.poll() is None:
                    return trayer
            except AssertionError:
                pass
            except BaseException:
                trayer.kill()
                trayer.wait()
                raise
            if trayer.poll() is None:
                trayer.kill()
            trayer.wait()
            stderr.seek(0)
            tail = stderr.read()[-500:].decode("utf-8", "replace").strip()
            failures.append(f"exit {trayer.returncode}: {tail or '(no output)'}")
    raise AssertionError(f"trayer never owned the tray on {display.name}: {failures}")


def start_tray_host() -> TrayHost:
    """Xvfb on a free display (-displayfd) and trayer, once trayer owns the tray selection."""
    display = start_xvfb()
    try:
        trayer = start_trayer(display)
    except BaseException:
        display.stop()
        raise
    return TrayHost(display, trayer)


@contextlib.contextmanager
def tray_host() -> Iterator[TrayHost]:
    host = start_tray_host()
    try:
        yield host
    finally:
        host.stop()


# --- the app under test ---------------------------------------------------------------------


def app_env(
    host: TrayHost,
    home: Path,
    base_url: str,
    *,
    backend: str = "xorg",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment for a real `python -m claude_tray` child on `host`."""
    env = host.env()
    for name in list(env):
        if name.startswith(("CLAUDE_TRAY_", "PYSTRAY_")):
            del env[name]
    env.update(
        CLAUDE_TRAY_HOME=str(home),
        CLAUDE_TRAY_BASE_URL=base_url,
        CLAUDE_TRAY_API_URL=base_url,
        CLAUDE_CONFIG_DIR=str(home / "no-claude-code"),
        PYSTRAY_BACKEND=backend,
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def write_config(home: Path, **settings: Any) -> None:
    """Write the app's config file in `home` (TOML, simple values only)."""
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for key, value in settings.items():
        text = f'"{value}"' if isinstance(value, str) else str(value).lower()
        lines.append(f"{key} = {text}")
    config.write_text("\n".join(lines) + "\n")


def store_session(env: dict[str, str], session_key: str) -> None:
    """Store a web session through the real scraper program (key on stdin)."""
    result = subprocess.run(
        [sys.executable, "-m", "claude_tray.scraper", "login", "--session-key-stdin"],
        input=session_key + "\n",
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"storing the session failed: {result.stdout[-500:]}"


@dataclass
class RunningApp:
    """A real `python -m claude_tray run` child."""

    process: subprocess.Popen[bytes]
    host: TrayHost
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """End the app and every process it started (test clean-up)."""
        with contextlib.suppress(psutil.NoSuchProcess):
            children = psutil.Process(self.pid).children(recursive=True)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        with contextlib.suppress(NameError):
            for child in children:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()


def start_app(host: TrayHost, env: dict[str, str], log_path: Path, *args: str) -> RunningApp:
    """Start `python -m claude_tray run` (stdout and stderr to `log_path`)."""
    with open(log_path, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "claude_tray", *(args or ("run",))],
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return RunningApp(process, host, log_path)


# --- windows and pixels ---------------------------------------------------------------------


@dataclass(frozen=True)
class Geometry:
    x: int
    y: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.width, self.y + self.height


def window_geometry(host: TrayHost, window_id: str) -> Geometry:
    """Absolute position and size of a window (`xdotool getwindowgeometry --shell`)."""
    values: dict[str, int] = {}
    for line in host.xdotool("getwindowgeometry", "--shell", window_id).splitlines():
        key, _, value = line.partition("=")
        if value.strip().lstrip("-").isdigit():
            values[key.strip()] = int(value)
    return Geometry(values["X"], values["Y"], values["WIDTH"], values["HEIGHT"])


@dataclass(frozen=True)
class IconWindow:
    """The app's tray icon window; its geometry is read anew each time (trayer
    moves icons when it re-lays out, e.g. after another icon left)."""

    host: TrayHost
    window_id: str

    def geometry(self) -> Geometry:
        return window_geometry(self.host, self.window_id)

    def docked_geometry(self) -> Geometry | None:
        geometry = self.geometry()
        # Undocked, pystray's window sits at (-1, -1) with 1x1; docked, trayer sizes it.
        return geometry if geometry.width >= 16 and geometry.y >= 0 else None

    def screenshot(self) -> Image.Image:
        """The icon as it is on screen now."""
        geometry = wait_for(self.docked_geometry, 30, "the icon to be docked")
        return self.host.screenshot().crop(geometry.box)  # type: ignore[no-any-return]


def find_icon(host: TrayHost, timeout: float = 60.0) -> IconWindow:
    """The app's tray icon window, once it is docked in trayer."""
    found = host.xdotool("search", "--sync", "--classname", ICON_CLASS, timeout=timeout).split()
    assert found, "the app's tray icon window never appeared"
    # X gives each new client a higher id range: the newest window is the app's.
    icon = IconWindow(host, max(found, key=int))
    wait_for(icon.docked_geometry, timeout, "the icon to dock in the tray")
    return icon


def icon_windows(host: TrayHost) -> list[str]:
    """Every pystray xorg icon window of claude-tray on the display."""
    return host.xdotool("search", "--classname", ICON_CLASS).split()


def popup_window(host: TrayHost) -> Geometry | None:
    """The popup's geometry when it is mapped (visible), else None."""
    found = host.xdotool("search", "--onlyvisible", "--name", f"^{POPUP_TITLE}$").split()
    if not found:
        return None
    geometry = window_geometry(host, found[0])
    return geometry if geometry.width > 50 and geometry.height > 50 else None


def _pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    raw = image.convert("RGBA").tobytes()
    return [(raw[i], raw[i + 1], raw[i + 2], raw[i + 3]) for i in range(0, len(raw), 4)]


def dominant_colour(image: Image.Image) -> RGB:
    """The most common colour of an image (ignoring fully transparent pixels)."""
    counts = Counter(pixel[:3] for pixel in _pixels(image) if pixel[3] > 0)
    return counts.most_common(1)[0][0]


def fill_colour(image: Image.Image) -> RGB:
    """The icon's background fill: the most common colour that is neither near white
    (the digits) nor near black (the transparent corners on an RGB window)."""
    counts = Counter(
        pixel[:3]
        for pixel in _pixels(image)
        if pixel[3] > 0
        and not all(c > 230 for c in pixel[:3])
        and not all(c < 25 for c in pixel[:3])
    )
    return counts.most_common(1)[0][0] if counts else dominant_colour(image)


def colour_distance(a: RGB, b: RGB) -> int:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def save_artifact(image: Image.Image, directory: Path, name: str) -> Path:
    """Save a screenshot into the test's folder and (once per name) into /tmp/team."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    image.save(path)
    with contextlib.suppress(OSError):
        if TEAM_DIR.is_dir():
            image.save(TEAM_DIR / f"gui_{name}.png")
    return path


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def usage_requests(emulator: Any) -> int:
    """How many web usage requests (`/api/organizations/<org>/usage`) the emulator saw."""
    return sum(
        1
        for _method, path, _status in emulator.requests
        if path.startswith("/api/organizations/") and path.endswith("/usage")
    )


def env_without(keys: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in keys}
