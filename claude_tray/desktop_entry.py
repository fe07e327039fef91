"""The Linux menu launcher: `claude-tray install-desktop-entry [--uninstall]`.

Writes `$XDG_DATA_HOME/applications/claude-tray.desktop` (starting this
install, as the autostart entry does) and the app icon into the user's
hicolor theme (`$XDG_DATA_HOME/icons/hicolor/NxN/apps/claude-tray.png`),
drawn by `claude_tray.icon.app_icon`, the same code that makes `icons/`.
`--uninstall` removes exactly those files. This module must not touch any
other file, and must not run `update-desktop-database` or any other program
(desktops watch these folders themselves).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from claude_tray.autostart import APP_ID, desktop_entry, launch_command, xdg_data_home
from claude_tray.fileio import atomic_write

#: Sizes a menu, a dock and a settings page ask the theme for.
ICON_SIZES = (32, 48, 64, 128, 256)


def launcher_path(env: Mapping[str, str]) -> Path:
    return xdg_data_home(env) / "applications" / f"{APP_ID}.desktop"


def icon_paths(env: Mapping[str, str]) -> dict[int, Path]:
    base = xdg_data_home(env) / "icons" / "hicolor"
    return {size: base / f"{size}x{size}" / "apps" / f"{APP_ID}.png" for size in ICON_SIZES}


def install(env: Mapping[str, str], command: Sequence[str]) -> list[Path]:
    """Write the launcher and its icons; returns the files written."""
    from claude_tray.icon import app_icon

    written = []
    for size, path in icon_paths(env).items():
        buffer = io.BytesIO()
        app_icon(size).save(buffer, format="PNG", optimize=True)
        atomic_write(path, buffer.getvalue(), mode=0o644)
        written.append(path)
    launcher = launcher_path(env)
    atomic_write(launcher, desktop_entry(command, autostart=False), mode=0o644)
    written.append(launcher)
    return written


def uninstall(env: Mapping[str, str]) -> list[Path]:
    """Remove what `install` wrote; returns the files removed."""
    removed = []
    for path in [launcher_path(env), *icon_paths(env).values()]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def run_command(uninstalling: bool, out: TextIO, err: TextIO) -> int:
    """The command line's body: 0 done, 1 on an error."""
    env = os.environ
    try:
        if uninstalling:
            removed = uninstall(env)
            if removed:
                print(f"Removed the menu launcher ({launcher_path(env)}) and its icons.", file=out)
            else:
                print("There was no claude-tray menu launcher; nothing to remove.", file=out)
            return 0
        install(env, launch_command())
    except OSError as exc:
        print(f"claude-tray: cannot write the menu launcher: {exc}", file=err)
        return 1
    print(f"claude-tray is in the applications menu now ({launcher_path(env)}).", file=out)
    return 0
