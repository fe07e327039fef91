"""Helpers for tests that drive the Windows build of the app under Wine from Linux.

`.ci/windows.sh` sets up the Wine prefix, its desktop (1024x768, taskbar at the bottom,
notification area at its right end) on a private Xvfb, and exports
CLAUDE_TRAY_WINE_ROOT, CLAUDE_TRAY_WPY (the wrapper that runs the Windows python) and
DISPLAY. Windows are listed from inside Wine (`EnumWindows`), clicks and screenshots go
through X (xdotool, ImageMagick's `import`), like a user's mouse and eyes.

This module must not set up or change the Wine prefix or its desktop (`.ci/windows.sh`
does), and must not leave a process behind: everything it starts runs to its end
under a timeout.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from PIL import Image

from claude_tray.popup.placement import Rect

WINE_ROOT = os.environ.get("CLAUDE_TRAY_WINE_ROOT", "")
WPY = os.environ.get("CLAUDE_TRAY_WPY", "")
DESKTOP = (1024, 768)
#: Where Wine's notification area puts the first icon (its right end of the taskbar).
TRAY_ICON = (DESKTOP[0] - 11, DESKTOP[1] - 10)


def windows_path(path: Path) -> str:
    """The Windows name of a Linux path (Wine maps / to drive Z:)."""
    return str(PureWindowsPath("Z:" + str(path.resolve()).replace("/", "\\")))


def wpy(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    stdin: bytes = b"",
    timeout: float = 120.0,
) -> subprocess.CompletedProcess[bytes]:
    """Run the Windows python with `args` to the end; stdout and stderr are separate pipes."""
    return subprocess.run(
        [WPY, *args], env=env, input=stdin, capture_output=True, timeout=timeout, check=False
    )


@dataclass(frozen=True)
class Window:
    title: str
    cls: str
    rect: Rect


_WINLIST = r"""
import ctypes
from ctypes import wintypes as w
u = ctypes.windll.user32
@ctypes.WINFUNCTYPE(w.BOOL, w.HWND, w.LPARAM)
def cb(h, _):
    if u.IsWindowVisible(h):
        t = ctypes.create_unicode_buffer(256); u.GetWindowTextW(h, t, 256)
        c = ctypes.create_unicode_buffer(256); u.GetClassNameW(h, c, 256)
        r = w.RECT(); u.GetWindowRect(h, ctypes.byref(r))
        print("\t".join([t.value, c.value, str(r.left), str(r.top), str(r.right), str(r.bottom)]))
    return True
u.EnumWindows(cb, 0)
"""


def windows() -> list[Window]:
    """The visible top-level windows of the Wine desktop."""
    done = wpy(["-c", _WINLIST], timeout=60)
    found: list[Window] = []
    for line in done.stdout.decode("utf-8", "replace").replace("\r", "").splitlines():
        parts = line.split("\t")
        if len(parts) == 6:
            left, top, right, bottom = (int(v) for v in parts[2:])
            found.append(Window(parts[0], parts[1], Rect(left, top, right, bottom)))
    return found


_AREAS = r"""
import ctypes
from ctypes import wintypes as w
u = ctypes.windll.user32
r = w.RECT(); u.SystemParametersInfoW(0x30, 0, ctypes.byref(r), 0)  # SPI_GETWORKAREA
print(r.left, r.top, r.right, r.bottom)
u.FindWindowW.restype = ctypes.c_void_p
t = u.FindWindowW("Shell_TrayWnd", None)
u.GetWindowRect(ctypes.c_void_p(t), ctypes.byref(r))
print(r.left, r.top, r.right, r.bottom)
"""


def work_area_and_taskbar() -> tuple[Rect, Rect]:
    """Windows' work area (SPI_GETWORKAREA) and the taskbar's rectangle."""
    out = wpy(["-c", _AREAS], timeout=60).stdout.decode().replace("\r", "").split("\n")
    work, bar = (Rect(*(int(v) for v in line.split())) for line in out[:2])
    return work, bar


def display_env() -> dict[str, str]:
    return {**os.environ}


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], env=display_env(), check=True, timeout=30)


def screenshot() -> Image.Image:
    """The whole X screen (the Wine desktop sits at its top left)."""
    png = subprocess.run(
        ["import", "-window", "root", "png:-"],
        env=display_env(),
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    from io import BytesIO

    return Image.open(BytesIO(png)).convert("RGB")


def wait_for_window(cls: str, timeout: float, title: str | None = None) -> Window | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for window in windows():
            if window.cls == cls and (title is None or window.title == title):
                return window
        time.sleep(0.3)
    return None


def wait_until_gone(cls: str, timeout: float, title: str | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(w.cls == cls and (title is None or w.title == title) for w in windows()):
            return True
        time.sleep(0.3)
    return False


def wine_pythons() -> list[str]:
    """Command lines of the Windows pythons running in this test's Wine prefix (from the
    Linux process table, where Wine shows the Linux path of the .exe)."""
    found = []
    marker = str(Path(WINE_ROOT) / "py311" / "python.exe").lower()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (
                (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            )
        except OSError:
            continue
        if marker in cmdline.lower():
            found.append(cmdline.strip())
    return found
