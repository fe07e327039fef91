"""Where the popup opens: next to the tray icon, inside the work area of the icon's monitor.

The rule, the same on every platform: the popup's outer frame (title bar and borders
included) lies inside the work area (the monitor minus its taskbars and panels) of the
monitor the icon is on, against the side of the work area that faces the panel holding
the icon (bottom, top, left or right), centred on the icon along that side as far as the
work area allows. Lying inside the work area, it can never cover the panel or the icon,
so a second click on the icon reaches the icon.

`place()` is the arithmetic (pure, tested directly). `desktop_at()` reads the monitors and
work areas from the platform: Win32 `MonitorFromPoint` + `GetMonitorInfoW` (rcWork), with
the taskbar's rectangle cut off when a shell reports no work area (Wine's desktop); X11
`_NET_WORKAREA` (set by a window manager), else the panels' `_NET_WM_STRUT(_PARTIAL)`
(a bare panel such as trayer without a window manager), and RandR monitors; macOS
`NSScreen.visibleFrame`. `measure_frame()` measures the window manager's decorations of a
mapped Tk window.

This module must NOT create, move, map or focus windows, keep a display connection open,
or block: each call reads the desktop once and returns numbers. Every platform probe falls
back to the whole screen (as Tk reports it) rather than raise.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from claude_tray import xlib_connect

if TYPE_CHECKING:
    import tkinter as tk

log = logging.getLogger(__name__)

Edge = Literal["top", "bottom", "left", "right"]
#: How far from a screen edge a tray icon in a panel can be (the thickest panels).
PANEL_REACH = 64


@dataclass(frozen=True)
class Rect:
    """A screen rectangle; `right` and `bottom` are exclusive (Win32 RECT style)."""

    left: int
    top: int
    right: int
    bottom: int

    @classmethod
    def of(cls, x: int, y: int, width: int, height: int) -> Rect:
        return cls(x, y, x + width, y + height)

    @classmethod
    def point(cls, x: int, y: int) -> Rect:
        return cls(x, y, x + 1, y + 1)

    @classmethod
    def around(cls, x: int, y: int, reach: int = 16) -> Rect:
        """The square a tray icon under a click at (x, y) may fill: the click says where
        the icon is, not how big it is (trays draw icons of 16 to 48 px)."""
        return cls(x - reach, y - reach, x + reach + 1, y + reach + 1)

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def centre(self) -> tuple[int, int]:
        return (self.left + self.right) // 2, (self.top + self.bottom) // 2

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.right and self.top <= y < self.bottom

    def intersects(self, other: Rect) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def inside(self, other: Rect) -> bool:
        """Whether this rectangle lies wholly within `other`."""
        return (
            other.left <= self.left
            and self.right <= other.right
            and other.top <= self.top
            and self.bottom <= other.bottom
        )

    def intersection(self, other: Rect) -> Rect | None:
        left, top = max(self.left, other.left), max(self.top, other.top)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        return Rect(left, top, right, bottom) if left < right and top < bottom else None


@dataclass(frozen=True)
class Desktop:
    """One monitor and the part of it windows may use (its work area)."""

    monitor: Rect
    work_area: Rect


@dataclass(frozen=True)
class Extents:
    """A window manager's decorations around a client window, in pixels."""

    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0

    def outer(self, width: int, height: int) -> tuple[int, int]:
        """The outer frame size of a client area of `width` x `height`."""
        return width + self.left + self.right, height + self.top + self.bottom


def default_edge() -> Edge:
    """Where the tray usually is when nothing says otherwise: Windows' taskbar is at the
    bottom; macOS's menu bar and most Linux panels are at the top."""
    return "bottom" if sys.platform == "win32" else "top"


def panel_edge(anchor: Rect, desktop: Desktop, fallback: Edge | None = None) -> Edge:
    """The side of the work area that faces the panel holding `anchor` (the icon).

    The icon lies outside the work area, in the band the panel takes: the side it is
    beyond is the panel's edge. An icon inside the work area (no panel reserves space:
    a floating tray, or no work area known) goes by the nearest monitor edge.
    """
    work, monitor = desktop.work_area, desktop.monitor
    x, y = anchor.centre
    beyond = {
        "bottom": y - work.bottom + 1,
        "top": work.top - y,
        "right": x - work.right + 1,
        "left": work.left - x,
    }
    edge, depth = max(beyond.items(), key=lambda item: item[1])
    if depth > 0:
        return edge  # type: ignore[return-value]
    if fallback is not None and not monitor.contains(x, y):
        return fallback
    distances: dict[Edge, int] = {
        "bottom": monitor.bottom - y,
        "top": y - monitor.top,
        "right": monitor.right - x,
        "left": x - monitor.left,
    }
    # In a corner, a horizontal panel is the likelier home (most panels and taskbars are
    # horizontal): top or bottom wins when the icon is within a panel's thickness of it.
    horizontal: tuple[Edge, Edge] = ("bottom", "top")
    vertical = min(horizontal, key=lambda edge: distances[edge])
    if distances[vertical] <= PANEL_REACH:
        return vertical
    return min(distances.items(), key=lambda item: item[1])[0]


def place(
    frame: tuple[int, int],
    anchor: Rect | None,
    desktop: Desktop,
    *,
    fallback_edge: Edge | None = None,
    gap: int = 6,
) -> tuple[Edge, int, int]:
    """The edge and top-left corner for an outer frame of size `frame` next to `anchor`.

    The frame goes against the work-area side facing the icon's panel, `gap` pixels in
    from it, and is centred on the icon along that side; it keeps clear of the icon
    itself (a panel that reserves no space leaves the icon inside the work area), and
    then `gap` pixels inside the work area. With no anchor (a second instance asked for
    the popup and the icon's place is unknown) it goes to the far end of the
    `fallback_edge` side, where trays live. A frame larger than the work area keeps its
    top-left corner inside it.
    """
    width, height = frame
    work = desktop.work_area
    if anchor is None:
        edge = fallback_edge or default_edge()
        # The far end of that side: bottom-right for a bottom or right panel, top-right
        # for a top panel, bottom-left for a left one.
        corner_x = work.left if edge == "left" else work.right - 1
        corner_y = work.top if edge == "top" else work.bottom - 1
        anchor = Rect.point(corner_x, corner_y)
    else:
        edge = panel_edge(anchor, desktop, fallback_edge)
    cx, cy = anchor.centre
    if edge == "bottom":
        x, y = cx - width // 2, work.bottom - gap - height
    elif edge == "top":
        x, y = cx - width // 2, work.top + gap
    elif edge == "left":
        x, y = work.left + gap, cy - height // 2
    else:
        x, y = work.right - gap - width, cy - height // 2
    if edge == "bottom":
        y = min(y, anchor.top - gap - height)
    elif edge == "top":
        y = max(y, anchor.bottom + gap)
    elif edge == "left":
        x = max(x, anchor.right + gap)
    else:
        x = min(x, anchor.left - gap - width)
    x = _clamp(x, work.left + gap, work.right - gap - width)
    y = _clamp(y, work.top + gap, work.bottom - gap - height)
    return edge, x, y


def _clamp(value: int, low: int, high: int) -> int:
    """`value` kept within [low, high]; when the range is empty, `low` wins (top-left
    stays visible)."""
    return max(low, min(value, high))


# Platform probes ---------------------------------------------------------------------------


def desktop_at(window: tk.Misc, x: int | None = None, y: int | None = None) -> Desktop:
    """The monitor at (x, y) (the primary one without a point) and its work area."""
    screen = Rect(0, 0, window.winfo_screenwidth(), window.winfo_screenheight())
    try:
        if sys.platform == "win32":
            found = _win32_desktop(x, y)
        elif sys.platform == "darwin":
            found = _darwin_desktop(x, y)
        else:
            found = _x11_desktop(window.winfo_screen(), screen, x, y)
    except Exception:  # a missing extension or property: the plain screen still works
        log.debug("could not read the work area; using the whole screen", exc_info=True)
        found = None
    return found or Desktop(screen, screen)


def measure_frame(window: tk.Misc) -> tuple[Rect, Extents] | None:
    """The outer frame of the mapped toplevel `window` on screen and the decorations
    around its client area, or None when not measurable.

    Tk reports the client area (`winfo_rootx`, `winfo_width`); `wm frame` names the
    outermost window (the window manager's frame on X11, Tk's wrapper on Windows).
    """
    try:
        frame_id = int(window.tk.call("wm", "frame", window._w), 16)  # type: ignore[attr-defined]
        client = Rect.of(
            window.winfo_rootx(), window.winfo_rooty(), window.winfo_width(), window.winfo_height()
        )
        if sys.platform == "win32":
            outer = _win32_window_rect(frame_id)
        elif sys.platform == "darwin":
            return None
        else:
            outer = _x11_window_rect(window.winfo_screen(), frame_id)
    except Exception:
        log.debug("could not measure the window frame", exc_info=True)
        return None
    if outer is None:
        return None
    extents = Extents(
        max(client.left - outer.left, 0),
        max(client.top - outer.top, 0),
        max(outer.right - client.right, 0),
        max(outer.bottom - client.bottom, 0),
    )
    return outer, extents


def tray_area(window: tk.Misc) -> Rect | None:
    """Where the notification area is, for placing the popup without a click: Windows'
    taskbar notification area (`TrayNotifyWnd`), or the X11 system tray's window (the
    owner of `_NET_SYSTEM_TRAY_S<n>`). None where the platform names no such place."""
    try:
        if sys.platform == "win32":
            return _win32_tray_area()
        if sys.platform == "darwin":
            return None
        return _x11_tray_area(window.winfo_screen())
    except Exception:
        log.debug("could not find the tray area", exc_info=True)
        return None


# Windows ------------------------------------------------------------------------------


def _win32_tray_area() -> Rect | None:
    import ctypes

    user32 = _user32()
    user32.FindWindowW.restype = ctypes.c_void_p
    user32.FindWindowW.argtypes = [ctypes.c_wchar_p, ctypes.c_wchar_p]
    user32.FindWindowExW.restype = ctypes.c_void_p
    user32.FindWindowExW.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_wchar_p,
                                     ctypes.c_wchar_p]  # fmt: skip
    taskbar = user32.FindWindowW("Shell_TrayWnd", None)
    if not taskbar:
        return None
    notify = user32.FindWindowExW(taskbar, None, "TrayNotifyWnd", None)
    if notify:
        return _win32_window_rect(notify)
    bar = _win32_window_rect(taskbar)  # Wine's taskbar has no TrayNotifyWnd child
    if bar is None:
        return None
    # The notification area is at the taskbar's far end (right, or bottom when upright).
    if bar.width >= bar.height:
        return Rect(bar.right - bar.height, bar.top, bar.right, bar.bottom)
    return Rect(bar.left, bar.bottom - bar.width, bar.right, bar.bottom)


def _user32() -> Any:
    """A private user32 handle: argtypes set here do not leak into other modules'
    `ctypes.windll.user32` (pystray sets its own)."""
    import ctypes

    return ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]


def _win32_desktop(x: int | None, y: int | None) -> Desktop | None:
    import ctypes
    from ctypes import wintypes

    user32 = _user32()

    class MONITORINFO(ctypes.Structure):
        _fields_ = [
            ("cbSize", wintypes.DWORD),
            ("rcMonitor", wintypes.RECT),
            ("rcWork", wintypes.RECT),
            ("dwFlags", wintypes.DWORD),
        ]

    user32.MonitorFromPoint.restype = wintypes.HANDLE
    user32.MonitorFromPoint.argtypes = [wintypes.POINT, wintypes.DWORD]
    user32.GetMonitorInfoW.argtypes = [wintypes.HANDLE, ctypes.POINTER(MONITORINFO)]
    monitor_defaulttonearest, monitor_defaulttoprimary = 2, 1
    flag = monitor_defaulttoprimary if x is None or y is None else monitor_defaulttonearest
    handle = user32.MonitorFromPoint(wintypes.POINT(x or 0, y or 0), flag)
    info = MONITORINFO()
    info.cbSize = ctypes.sizeof(MONITORINFO)
    if not handle or not user32.GetMonitorInfoW(handle, ctypes.byref(info)):
        return None
    monitor = _from_win_rect(info.rcMonitor)
    work = _from_win_rect(info.rcWork)
    if work == monitor:
        # A shell that reserves no work area (Wine's desktop taskbar does not) still has
        # a taskbar window: cut its band off so the popup cannot cover it.
        taskbar = _win32_taskbar_rect()
        if taskbar is not None:
            work = cut_band(work, taskbar)
    return Desktop(monitor, work)


def _win32_taskbar_rect() -> Rect | None:
    import ctypes

    user32 = _user32()
    user32.FindWindowW.restype = ctypes.c_void_p
    user32.FindWindowW.argtypes = [ctypes.c_wchar_p, ctypes.c_wchar_p]
    hwnd = user32.FindWindowW("Shell_TrayWnd", None)
    user32.IsWindowVisible.argtypes = [ctypes.c_void_p]
    if not hwnd or not user32.IsWindowVisible(hwnd):
        return None
    return _win32_window_rect(hwnd)


def _win32_window_rect(hwnd: int) -> Rect | None:
    import ctypes
    from ctypes import wintypes

    user32 = _user32()
    user32.GetWindowRect.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.RECT)]
    rect = wintypes.RECT()
    if not user32.GetWindowRect(hwnd, ctypes.byref(rect)):
        return None
    return _from_win_rect(rect)


def _from_win_rect(rect: Any) -> Rect:
    return Rect(int(rect.left), int(rect.top), int(rect.right), int(rect.bottom))


def cut_band(work: Rect, band: Rect) -> Rect:
    """`work` without the strip `band` takes along one of its edges (a taskbar or panel).

    A band that spans the work area's width is a top or bottom bar; one that spans its
    height is a side bar. Which edge it hugs decides which side shrinks. A band that
    does not touch the work area, or does not span it, changes nothing.
    """
    if band.intersection(work) is None:
        return work
    spans_width = band.left <= work.left and band.right >= work.right
    spans_height = band.top <= work.top and band.bottom >= work.bottom
    if spans_width and not spans_height:
        if band.top - work.top < work.bottom - band.bottom:  # nearer the top
            return Rect(work.left, max(work.top, band.bottom), work.right, work.bottom)
        return Rect(work.left, work.top, work.right, min(work.bottom, band.top))
    if spans_height and not spans_width:
        if band.left - work.left < work.right - band.right:
            return Rect(max(work.left, band.right), work.top, work.right, work.bottom)
        return Rect(work.left, work.top, min(work.right, band.left), work.bottom)
    return work


# X11 ----------------------------------------------------------------------------------


def _x11_desktop(display_name: str, screen: Rect, x: int | None, y: int | None) -> Desktop | None:
    display = xlib_connect.connect(display_name, extensions=None)
    try:
        root = display.screen().root
        monitors = _x11_monitors(display, root) or [screen]
        monitor = monitors[0]
        if x is not None and y is not None:
            monitor = next((m for m in monitors if m.contains(x, y)), _nearest(monitors, x, y))
        work = _x11_net_workarea(display, root)
        if work is not None:
            # _NET_WORKAREA is one rectangle for all monitors together: this monitor's
            # share of it is their intersection.
            work = work.intersection(monitor) or monitor
        else:
            work = monitor
            for band in _x11_strut_bands(display, root, screen):
                work = cut_band(work, band)
        return Desktop(monitor, work)
    finally:
        display.close()


def _nearest(monitors: list[Rect], x: int, y: int) -> Rect:
    def distance(m: Rect) -> int:
        dx = max(m.left - x, 0, x - m.right + 1)
        dy = max(m.top - y, 0, y - m.bottom + 1)
        return dx * dx + dy * dy

    return min(monitors, key=distance)


def _x11_monitors(display: Any, root: Any) -> list[Rect]:
    if not display.has_extension("RANDR"):
        return []
    try:
        reply = root.xrandr_get_monitors(is_active=True)  # RandR 1.5
    except Exception:  # an older server: one screen
        log.debug("RandR monitors unavailable", exc_info=True)
        return []
    monitors = [Rect.of(m.x, m.y, m.width_in_pixels, m.height_in_pixels) for m in reply.monitors]
    primary = [m for m, raw in zip(monitors, reply.monitors, strict=True) if raw.primary]
    return primary + [m for m in monitors if m not in primary]


def _x11_cardinals(display: Any, window: Any, name: str) -> list[int] | None:
    atom = display.intern_atom(name, only_if_exists=True)
    if not atom:
        return None
    prop = window.get_full_property(atom, 6)  # XA_CARDINAL
    return [int(v) for v in prop.value] if prop is not None else None


def _x11_net_workarea(display: Any, root: Any) -> Rect | None:
    values = _x11_cardinals(display, root, "_NET_WORKAREA")
    if not values or len(values) < 4:
        return None
    current = _x11_cardinals(display, root, "_NET_CURRENT_DESKTOP") or [0]
    index = current[0] if 4 * current[0] + 4 <= len(values) else 0
    x, y, width, height = values[4 * index : 4 * index + 4]
    return Rect.of(x, y, width, height) if width > 0 and height > 0 else None


def _x11_strut_bands(display: Any, root: Any, screen: Rect) -> list[Rect]:
    """The screen bands mapped top-level windows reserve (EWMH struts), as rectangles."""
    bands: list[Rect] = []
    for child in _x11_top_levels(display, root):
        partial = _x11_cardinals(display, child, "_NET_WM_STRUT_PARTIAL")
        plain = _x11_cardinals(display, child, "_NET_WM_STRUT")
        if partial and len(partial) >= 12:
            left, right, top, bottom = partial[:4]
            ly0, ly1, ry0, ry1, tx0, tx1, bx0, bx1 = partial[4:12]
        elif plain and len(plain) >= 4:
            left, right, top, bottom = plain[:4]
            ly0 = ry0 = screen.top
            ly1 = ry1 = screen.bottom - 1
            tx0 = bx0 = screen.left
            tx1 = bx1 = screen.right - 1
        else:
            continue
        if left:
            bands.append(Rect(screen.left, ly0, screen.left + left, ly1 + 1))
        if right:
            bands.append(Rect(screen.right - right, ry0, screen.right, ry1 + 1))
        if top:
            bands.append(Rect(tx0, screen.top, tx1 + 1, screen.top + top))
        if bottom:
            bands.append(Rect(bx0, screen.bottom - bottom, bx1 + 1, screen.bottom))
    return bands


def _x11_top_levels(display: Any, root: Any) -> list[Any]:
    """Mapped children of the root, and their children (the clients inside a window
    manager's frames carry the strut properties)."""
    import Xlib.X

    found: list[Any] = []
    for child in root.query_tree().children:
        try:
            if child.get_attributes().map_state != Xlib.X.IsViewable:
                continue
            found.append(child)
            found.extend(child.query_tree().children)
        except Exception:  # a window that went away meanwhile
            continue
    return found


def _x11_tray_area(display_name: str) -> Rect | None:
    display = xlib_connect.connect(display_name, extensions=None)
    try:
        selection = display.intern_atom(f"_NET_SYSTEM_TRAY_S{display.get_default_screen()}")
        owner = display.get_selection_owner(selection)
        owner_id = int(owner.id) if owner else 0
    finally:
        display.close()
    return _x11_window_rect(display_name, owner_id) if owner_id else None


def _x11_window_rect(display_name: str, window_id: int) -> Rect | None:
    display = xlib_connect.connect(display_name, extensions=None)
    try:
        window = display.create_resource_object("window", window_id)
        geometry = window.get_geometry()
        origin = window.translate_coords(display.screen().root, 0, 0)
        # translate_coords gives the root's origin in the window's space: negate it.
        x, y = -int(origin.x), -int(origin.y)
        border = int(geometry.border_width)
        return Rect.of(
            x - border, y - border, geometry.width + 2 * border, geometry.height + 2 * border
        )
    finally:
        display.close()


# macOS (on paper: no Mac runs these tests) ---------------------------------------------


def _darwin_desktop(x: int | None, y: int | None) -> Desktop | None:
    """NSScreen's frame and visibleFrame (which leaves out the menu bar and the Dock).

    AppKit's origin is the primary screen's bottom-left with y upwards; Tk's is the
    top-left with y downwards. Called on the Tk (main) thread, as AppKit requires.
    """
    from AppKit import NSScreen  # type: ignore[import-not-found]  # pyobjc, pystray's dependency

    screens = list(NSScreen.screens())
    if not screens:
        return None
    primary_height = int(screens[0].frame().size.height)

    def flip(frame: Any) -> Rect:
        left, bottom = int(frame.origin.x), int(frame.origin.y)
        width, height = int(frame.size.width), int(frame.size.height)
        return Rect.of(left, primary_height - bottom - height, width, height)

    desktops = [Desktop(flip(s.frame()), flip(s.visibleFrame())) for s in screens]
    if x is not None and y is not None:
        for desktop in desktops:
            if desktop.monitor.contains(x, y):
                return desktop
    return desktops[0]
