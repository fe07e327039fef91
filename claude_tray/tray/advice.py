"""What to tell a user whose desktop shows no tray: the words, per desktop.

Pure text from the environment (`XDG_CURRENT_DESKTOP`, `WAYLAND_DISPLAY`).
This module must NOT probe anything or import a toolkit; the app and `doctor`
decide when to say it.
"""

from __future__ import annotations

from collections.abc import Mapping

NO_TRAY_TITLE = "No tray found"


def desktop_name(env: Mapping[str, str]) -> str:
    """The desktop as `XDG_CURRENT_DESKTOP` names it (first entry), lower case; "" if unset."""
    names = [part.strip().lower() for part in env.get("XDG_CURRENT_DESKTOP", "").split(":")]
    known = [name for name in names if name]
    if "gnome" in known:
        return "gnome"
    return known[0] if known else ""


def install_hint(env: Mapping[str, str]) -> str:
    """One sentence: what to install or turn on so this desktop shows tray icons."""
    desktop = desktop_name(env)
    if desktop in ("gnome", "ubuntu", "pop", "unity"):
        return (
            "GNOME shows tray icons only with the AppIndicator extension: install "
            "gnome-shell-extension-appindicator (Debian, Ubuntu, Fedora), enable it in "
            "Extensions, then log out and in again."
        )
    if desktop == "kde":
        return "Add the System Tray widget to a panel (right-click the panel, Add Widgets)."
    if desktop == "xfce":
        return "Add the Status Tray plugin to a panel (Panel, Add New Items)."
    if desktop in ("lxqt", "lxde", "mate", "cinnamon", "budgie"):
        return "Add the system tray (notification area) applet to a panel."
    if desktop in ("sway", "hyprland", "river", "wayfire", "niri") or env.get("WAYLAND_DISPLAY"):
        return 'Add the tray module to your bar, for example waybar: "modules-right": ["tray"].'
    if desktop == "i3":
        return "Give an i3bar a tray (tray_output primary in the bar block of your i3 config)."
    return (
        "Start a panel with a system tray: one that speaks StatusNotifierItem "
        "(KDE, xfce4-panel, waybar, GNOME with the AppIndicator extension) or an "
        "XEmbed tray (trayer, polybar, i3bar)."
    )


def short_hint(env: Mapping[str, str]) -> str:
    """`install_hint` in a few words, for the doctor's fix column."""
    desktop = desktop_name(env)
    if desktop in ("gnome", "ubuntu", "pop", "unity"):
        return "enable GNOME's AppIndicator extension"
    if desktop == "kde":
        return "add the System Tray widget to a panel"
    if desktop == "xfce":
        return "add the Status Tray plugin to a panel"
    if desktop in ("sway", "hyprland", "river", "wayfire", "niri") or env.get("WAYLAND_DISPLAY"):
        return 'add "tray" to your bar (waybar: modules-right)'
    return "start a panel with a system tray"


def no_tray_message(env: Mapping[str, str]) -> str:
    """The explanation the window shows when no tray host was found."""
    return (
        "There is no tray on this desktop to show the icon in. "
        + install_hint(env)
        + " claude-tray keeps running and updating; the icon appears as soon as a tray does."
    )
