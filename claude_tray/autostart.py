"""Start the tray at login: `claude-tray autostart on|off|status`, and the popup's setting.

One entry per platform, always for this install (the frozen executable, or
this venv's `claude-tray`):

- Linux and other XDG desktops: `$XDG_CONFIG_HOME/autostart/claude-tray.desktop`
  (XDG Autostart specification), marked with `X-Claude-Tray-Autostart=true`.
- Windows: the value `claude-tray` under the per-user key
  `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`, written through a
  `RunKey` (the real one uses `winreg`; tests pass a dictionary).
- macOS: `~/Library/LaunchAgents/io.github.claude-tray.plist`, loaded by
  launchd at the next login.

`on` twice leaves one entry (it rewrites the same file or value); `off`
removes exactly what `on` wrote, and leaves a file of the same name that
claude-tray did not write. This module must not start, stop or signal any
process (no `launchctl`, no `systemctl`), and must not touch anything but the
one entry.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath
from typing import Protocol, TextIO

from claude_tray.fileio import atomic_write

APP_ID = "claude-tray"
#: The key in our .desktop files that says claude-tray wrote them.
MARKER_KEY = "X-Claude-Tray-Autostart"
RUN_KEY_PATH = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE_NAME = "claude-tray"
LAUNCH_AGENT_LABEL = "io.github.claude-tray"


class AutostartError(Exception):
    """An entry could not be written, read or removed; the message is for a person."""


# ---------------------------------------------------------------- what to start


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    system: str | None = None,
    exists: Callable[[str], bool] = os.path.exists,
) -> list[str]:
    """The command that starts this install's tray app, as an argument list.

    Frozen: the executable itself (on Windows its windowed twin
    `claude-tray-tray.exe` when present, so no console opens at login). From a
    venv: the `claude-tray` script next to the interpreter (pipx and venvs put
    it there); else `python -m claude_tray`. The interpreter path is not
    resolved: a venv's `python` is a symlink to the system one, and the
    resolved path would start outside the venv. `frozen`, `executable`,
    `system` and `exists` let tests describe another platform's install.
    """
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = sys.executable if executable is None else executable
    system = sys.platform if system is None else system
    windows = system == "win32"
    exe: PurePath = PureWindowsPath(executable) if windows else Path(os.path.abspath(executable))
    if frozen:
        windowed = exe.with_name("claude-tray-tray.exe")
        if windows and exists(str(windowed)):
            return [str(windowed)]
        return [str(exe), "run"]
    if windows:
        # pythonw starts without a console window.
        pythonw = exe.with_name("pythonw.exe")
        return [str(pythonw if exists(str(pythonw)) else exe), "-m", "claude_tray", "run"]
    script = exe.with_name("claude-tray")
    if exists(str(script)):
        return [str(script), "run"]
    return [str(exe), "-m", "claude_tray", "run"]


@dataclass(frozen=True)
class Status:
    """What `autostart status` found."""

    enabled: bool
    where: str
    #: The command the entry starts, as written (None when there is no entry).
    command: str | None = None
    #: True when the entry starts another install than this one.
    other_install: bool = False
    #: A file of our name that claude-tray did not write.
    foreign: bool = False


class Autostart(Protocol):
    """One platform's autostart entry."""

    def enable(self, command: Sequence[str]) -> str:
        """Write the entry (again); returns where it is."""
        ...

    def disable(self) -> bool:
        """Remove what `enable` wrote; False when there was nothing of ours."""
        ...

    def status(self, command: Sequence[str]) -> Status:
        """Whether the entry exists, and whether it starts `command`."""
        ...


# ---------------------------------------------------------------- Linux / XDG


def xdg_config_home(env: Mapping[str, str]) -> Path:
    """`$XDG_CONFIG_HOME`, or `~/.config` when unset or not absolute (as the spec says)."""
    value = env.get("XDG_CONFIG_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / ".config"


def xdg_data_home(env: Mapping[str, str]) -> Path:
    """`$XDG_DATA_HOME`, or `~/.local/share`."""
    value = env.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / ".local" / "share"


def desktop_exec(command: Sequence[str]) -> str:
    """An `Exec=` value: each argument quoted by the Desktop Entry rules where needed."""
    parts = []
    for arg in command:
        if arg and not any(ch in arg for ch in " \t\n\"'\\><~|&;$*?#()`%="):
            parts.append(arg)
            continue
        # Inside double quotes, ", `, $ and \ are escaped with a backslash; a literal %
        # is %% anywhere in Exec (Desktop Entry Specification, "The Exec key").
        escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
        parts.append('"' + escaped.replace("%", "%%") + '"')
    return " ".join(parts)


def parse_desktop_exec(value: str) -> list[str]:
    """The argument list of an `Exec=` value (the spec's quoting, as `desktop_exec` writes it).

    Raises ValueError on an unterminated quote.
    """
    args: list[str] = []
    current: list[str] = []
    in_arg = quoted = False
    chars = iter(value)
    for ch in chars:
        if quoted:
            if ch == "\\":
                current.append(next(chars, ""))
            elif ch == '"':
                quoted = False
            else:
                current.append(ch)
        elif ch == '"':
            quoted = in_arg = True
        elif ch in " \t":
            if in_arg:
                args.append("".join(current))
                current, in_arg = [], False
        else:
            current.append(ch)
            in_arg = True
    if quoted:
        raise ValueError("unterminated quote in Exec")
    if in_arg:
        args.append("".join(current))
    return [arg.replace("%%", "%") for arg in args]


def desktop_entry(command: Sequence[str], *, autostart: bool) -> str:
    """The text of our .desktop file (autostart entry or menu launcher)."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Name=claude-tray",
        "GenericName=Claude usage",
        "Comment=Shows how much of your Claude plan limits is left",
        f"Exec={desktop_exec(command)}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Utility;",
        "StartupNotify=false",
    ]
    if autostart:
        lines += ["X-GNOME-Autostart-enabled=true", f"{MARKER_KEY}=true"]
    else:
        lines.append("X-Claude-Tray-Launcher=true")
    return "\n".join(lines) + "\n"


def read_desktop_keys(text: str) -> dict[str, str]:
    """The keys of the [Desktop Entry] group."""
    keys: dict[str, str] = {}
    group = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
        elif group == "Desktop Entry" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys[key.strip()] = value.strip()
    return keys


def _written_by_us(keys: Mapping[str, str]) -> bool:
    """Whether a .desktop entry carries our marker (only those we rewrite or remove)."""
    return keys.get(MARKER_KEY) == "true"


@dataclass
class XdgAutostart:
    """The XDG autostart .desktop file."""

    env: Mapping[str, str]

    @property
    def path(self) -> Path:
        return xdg_config_home(self.env) / "autostart" / f"{APP_ID}.desktop"

    def _keys(self) -> dict[str, str] | None:
        """The entry's keys, or None when there is no entry (ours or not)."""
        try:
            keys = read_desktop_keys(self.path.read_text(encoding="utf-8", errors="replace"))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AutostartError(f"Cannot read {self.path}: {exc.strerror}.") from None
        return keys

    def enable(self, command: Sequence[str]) -> str:
        keys = self._keys()
        if keys is not None and not _written_by_us(keys):
            raise AutostartError(
                f"{self.path} exists and was not written by claude-tray; it was left alone. "
                "Remove it (or rename it) and run `claude-tray autostart on` again."
            )
        try:
            atomic_write(self.path, desktop_entry(command, autostart=True), mode=0o644)
        except OSError as exc:
            raise AutostartError(f"Cannot write {self.path}: {exc.strerror}.") from None
        return str(self.path)

    def disable(self) -> bool:
        keys = self._keys()
        if keys is None or not _written_by_us(keys):
            return False
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise AutostartError(f"Cannot remove {self.path}: {exc.strerror}.") from None
        return True

    def status(self, command: Sequence[str]) -> Status:
        keys = self._keys()
        where = str(self.path)
        if keys is None:
            return Status(False, where)
        if not _written_by_us(keys):
            return Status(False, where, keys.get("Exec"), foreign=True)
        # A user can switch the entry off in the desktop's settings without removing it.
        enabled = (
            keys.get("Hidden", "false").lower() != "true"
            and keys.get("X-GNOME-Autostart-enabled", "true").lower() != "false"
        )
        exec_value = keys.get("Exec", "")
        try:
            other = parse_desktop_exec(exec_value) != list(command)
        except ValueError:
            other = True
        return Status(enabled, where, exec_value, other_install=other)


# ---------------------------------------------------------------- Windows


class RunKey(Protocol):
    """The per-user Run key: get, set and delete one string value."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> bool: ...


class WinregRunKey:
    """The real `HKCU\\...\\Run` key through `winreg` (Windows only)."""

    def get(self, name: str) -> str | None:
        if sys.platform != "win32":  # also tells mypy the rest is Windows code
            raise AutostartError("The Run key exists only on Windows.")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY_PATH) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, value: str) -> None:
        if sys.platform != "win32":  # also tells mypy the rest is Windows code
            raise AutostartError("The Run key exists only on Windows.")
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY_PATH) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> bool:
        if sys.platform != "win32":  # also tells mypy the rest is Windows code
            raise AutostartError("The Run key exists only on Windows.")
        import winreg

        try:
            with winreg.OpenKey(
                winreg.HKEY_CURRENT_USER, RUN_KEY_PATH, 0, winreg.KEY_SET_VALUE
            ) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            return False
        return True


def windows_command_line(command: Sequence[str]) -> str:
    """The Run value: arguments joined by the Microsoft C runtime's quoting rules.

    An argument with a space, a tab or a quote is put in double quotes; a quote
    inside is escaped with a backslash, and backslashes before a quote (or
    before the closing quote) are doubled. (The same rules as the standard
    library's private `subprocess.list2cmdline`; this module starts no process.)
    """
    parts = []
    for arg in command:
        if arg and not any(ch in arg for ch in ' \t"'):
            parts.append(arg)
            continue
        out: list[str] = []
        backslashes = 0
        for ch in arg:
            if ch == "\\":
                backslashes += 1
                continue
            if ch == '"':
                out.append("\\" * (backslashes * 2 + 1) + '"')
            else:
                out.append("\\" * backslashes + ch)
            backslashes = 0
        out.append("\\" * (backslashes * 2))
        parts.append('"' + "".join(out) + '"')
    return " ".join(parts)


@dataclass
class WindowsAutostart:
    """The `claude-tray` value of the per-user Run key."""

    key: RunKey

    def enable(self, command: Sequence[str]) -> str:
        try:
            self.key.set(RUN_VALUE_NAME, windows_command_line(command))
        except OSError as exc:
            raise AutostartError(f"Cannot write the Run key: {exc}.") from None
        return f"HKCU\\{RUN_KEY_PATH}\\{RUN_VALUE_NAME}"

    def disable(self) -> bool:
        try:
            return self.key.delete(RUN_VALUE_NAME)
        except OSError as exc:
            raise AutostartError(f"Cannot remove the Run key value: {exc}.") from None

    def status(self, command: Sequence[str]) -> Status:
        where = f"HKCU\\{RUN_KEY_PATH}\\{RUN_VALUE_NAME}"
        value = self.key.get(RUN_VALUE_NAME)
        if value is None:
            return Status(False, where)
        return Status(True, where, value, other_install=value != windows_command_line(command))


# ---------------------------------------------------------------- macOS


def launch_agent_plist(command: Sequence[str]) -> bytes:
    """The LaunchAgent: run the app once at login, as an interactive (UI) process."""
    import plistlib  # macOS only, and only when the setting is read or changed

    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            # Quit means quit: launchd must not start it again.
            "KeepAlive": False,
            "ProcessType": "Interactive",
        },
        sort_keys=True,
    )


@dataclass
class MacAutostart:
    """`~/Library/LaunchAgents/io.github.claude-tray.plist`."""

    home: Path

    @property
    def path(self) -> Path:
        return self.home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"

    def _read(self) -> dict[str, object] | None:
        import plistlib  # macOS only (see launch_agent_plist)

        try:
            data = plistlib.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, plistlib.InvalidFileException, ValueError) as exc:
            raise AutostartError(f"Cannot read {self.path}: {exc}.") from None
        return data if isinstance(data, dict) else {}

    def enable(self, command: Sequence[str]) -> str:
        data = self._read()
        if data is not None and data.get("Label") != LAUNCH_AGENT_LABEL:
            raise AutostartError(f"{self.path} exists and was not written by claude-tray.")
        try:
            atomic_write(self.path, launch_agent_plist(command), mode=0o644)
        except OSError as exc:
            raise AutostartError(f"Cannot write {self.path}: {exc.strerror}.") from None
        return str(self.path)

    def disable(self) -> bool:
        data = self._read()
        if data is None or data.get("Label") != LAUNCH_AGENT_LABEL:
            return False
        self.path.unlink()
        return True

    def status(self, command: Sequence[str]) -> Status:
        data = self._read()
        if data is None:
            return Status(False, str(self.path))
        arguments = data.get("ProgramArguments")
        shown = shlex.join(str(a) for a in arguments) if isinstance(arguments, list) else None
        return Status(
            data.get("Label") == LAUNCH_AGENT_LABEL,
            str(self.path),
            shown,
            other_install=arguments != list(command),
            foreign=data.get("Label") != LAUNCH_AGENT_LABEL,
        )


# ---------------------------------------------------------------- choosing


def for_platform(
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    run_key: RunKey | None = None,
) -> Autostart:
    """This platform's autostart entry (`system`, `env` and `run_key` are the seams)."""
    system = sys.platform if system is None else system
    env = os.environ if env is None else env
    if system == "win32":
        return WindowsAutostart(run_key if run_key is not None else WinregRunKey())
    if system == "darwin":
        return MacAutostart(Path(env.get("HOME") or Path.home()))
    return XdgAutostart(env)


def status_text(status: Status) -> str:
    """One or two sentences for `autostart status` and the settings dialog."""
    if status.foreign:
        return f"Off: {status.where} exists but was not written by claude-tray."
    if status.command is None:
        return f"Off: claude-tray does not start at login ({status.where} does not exist)."
    if not status.enabled:
        return f"Off: {status.where} is switched off in the desktop's settings."
    text = f"On: {status.where} starts {status.command}"
    if status.other_install:
        text += (
            ". That is another install than this one; "
            "`claude-tray autostart on` points it at this one"
        )
    return text + "."


def run_command(action: str, out: TextIO, err: TextIO, entry: Autostart | None = None) -> int:
    """`claude-tray autostart on|off|status`: 0 done (status: 0 on, 1 off), 1 on an error."""
    entry = for_platform() if entry is None else entry
    command = launch_command()
    try:
        if action == "on":
            where = entry.enable(command)
            shown = (
                windows_command_line(command) if sys.platform == "win32" else shlex.join(command)
            )
            print(f"claude-tray will start at login: {where} starts {shown}", file=out)
            return 0
        if action == "off":
            removed = entry.disable()
            status = entry.status(command)
            if removed:
                print(
                    f"claude-tray will no longer start at login (removed {status.where}).", file=out
                )
            elif status.foreign:
                print(status_text(status) + " It was left alone.", file=out)
            else:
                print("claude-tray was not set to start at login; nothing to remove.", file=out)
            return 0
        status = entry.status(command)
        print(status_text(status), file=out)
        return 0 if status.enabled and not status.foreign else 1
    except AutostartError as exc:
        print(f"claude-tray: {exc}", file=err)
        return 1


class StartAtLogin:
    """The popup's "start at login" switch: this platform's entry, for this install."""

    def __init__(self, entry: Autostart | None = None, command: Sequence[str] | None = None):
        self._entry = entry
        self._command = list(command) if command is not None else None

    @property
    def entry(self) -> Autostart:
        if self._entry is None:
            self._entry = for_platform()
        return self._entry

    @property
    def command(self) -> list[str]:
        if self._command is None:
            self._command = launch_command()
        return self._command

    def enabled(self) -> bool:
        """Whether this install starts at login now (False when that cannot be read)."""
        try:
            status = self.entry.status(self.command)
        except AutostartError:
            return False
        return status.enabled and not status.foreign and not status.other_install

    def set(self, on: bool) -> str | None:
        """Switch it on or off; None when done, else a sentence saying why not."""
        try:
            if on:
                self.entry.enable(self.command)
            else:
                self.entry.disable()
        except AutostartError as exc:
            return str(exc)
        return None
