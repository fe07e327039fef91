"""`claude-tray statusline --install/--uninstall`: edit Claude Code's `settings.json`.

Install sets `statusLine` to run `claude-tray statusline`; a command-type
status line the user already had is chained (it keeps running, its output
first). The file is edited as text, not re-serialised: only the `statusLine`
member changes, every other byte (key order, indentation, spacing, other keys)
stays as it was. Before writing, the original bytes and what was written are
kept in the data folder; uninstall puts the original bytes back exactly when
the file is still what install left, and otherwise removes only our member
(or puts the previous `statusLine` text back).

This module must never read or write Claude Code's credentials
(`.credentials.json`) or any file but `settings.json` and its own records, and
must leave `settings.json` untouched when it cannot understand it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claude_tray.fileio import atomic_write, atomic_write_json, read_json
from claude_tray.paths import AppPaths

RECORD_VERSION = 1

_OURS = re.compile(r"claude[-_]tray\b.*\bstatusline\b")


class SettingsError(Exception):
    """settings.json cannot be changed safely; the message is for a person."""


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    """Claude Code's settings file: `$CLAUDE_CONFIG_DIR/settings.json`, default ~/.claude."""
    env = os.environ if env is None else env
    folder = env.get("CLAUDE_CONFIG_DIR") or str(Path.home() / ".claude")
    return Path(folder).expanduser() / "settings.json"


def our_command(chain: str | None) -> str:
    """The shell command Claude Code runs: this claude-tray, and the chained command."""
    if getattr(sys, "frozen", False):
        command = f"{shlex.quote(sys.executable)} statusline"
    else:
        command = f"{shlex.quote(sys.executable)} -m claude_tray statusline"
    if chain:
        command += f" --chain {shlex.quote(chain)}"
    return command


def is_ours(value: object) -> bool:
    """Whether a `statusLine` value is one that install wrote."""
    if not isinstance(value, dict):
        return False
    command = value.get("command")
    return isinstance(command, str) and bool(_OURS.search(command))


# ---------------------------------------------------------------- text editing


@dataclass(frozen=True)
class Member:
    """One top-level `"key": value` of the settings object, as spans of the text."""

    key: str
    key_start: int
    value_start: int
    value_end: int
    value: Any


@dataclass(frozen=True)
class Parsed:
    text: str
    open_at: int  # index of the top-level "{"
    close_at: int  # index of its "}"
    members: list[Member]

    def find(self, key: str) -> Member | None:
        return next((member for member in self.members if member.key == key), None)


_WS = " \t\r\n"


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WS:
        at += 1
    return at


def parse(text: str) -> Parsed:
    """The top-level members of a JSON object with their spans; raises SettingsError."""
    decoder = json.JSONDecoder()
    at = _skip(text, 1 if text.startswith("\ufeff") else 0)
    if at >= len(text) or text[at] != "{":
        raise SettingsError("it is not a JSON object")
    open_at = at
    at = _skip(text, at + 1)
    members: list[Member] = []
    try:
        if text[at] != "}":
            while True:
                key_start = at
                key, at = decoder.raw_decode(text, at)
                if not isinstance(key, str):
                    raise SettingsError("a key is not a string")
                at = _skip(text, at)
                if text[at] != ":":
                    raise SettingsError("a ':' is missing")
                value_start = _skip(text, at + 1)
                value, at = decoder.raw_decode(text, value_start)
                members.append(Member(key, key_start, value_start, at, value))
                at = _skip(text, at)
                if text[at] == ",":
                    at = _skip(text, at + 1)
                    continue
                if text[at] == "}":
                    break
                raise SettingsError("a ',' or '}' is missing")
    except (ValueError, IndexError) as exc:
        raise SettingsError(f"it is not valid JSON ({exc})") from None
    close_at = at
    if _skip(text, close_at + 1) != len(text):
        raise SettingsError("there is text after the JSON object")
    return Parsed(text, open_at, close_at, members)


def with_member(parsed: Parsed, key: str, value_text: str) -> str:
    """The text with `key` set to `value_text` (replaced in place, or added first)."""
    text = parsed.text
    existing = parsed.find(key)
    if existing is not None:
        return text[: existing.value_start] + value_text + text[existing.value_end :]
    entry = f"{json.dumps(key)}: {value_text}"
    if parsed.members:
        first = parsed.members[0]
        gap = text[parsed.open_at + 1 : first.key_start]  # the file's own indentation
        return text[: first.key_start] + entry + "," + gap + text[first.key_start :]
    inner = "\n  " + entry + "\n"
    return text[: parsed.open_at + 1] + inner + text[parsed.close_at :]


def without_member(parsed: Parsed, key: str) -> str:
    """The text with `key` removed, with its comma; other bytes untouched."""
    text = parsed.text
    members = parsed.members
    index = next((i for i, member in enumerate(members) if member.key == key), None)
    if index is None:
        return text
    member = members[index]
    if index + 1 < len(members):
        return text[: member.key_start] + text[members[index + 1].key_start :]
    if index > 0:
        return text[: members[index - 1].value_end] + text[member.value_end :]
    end = _skip(text, member.value_end)
    return text[: member.key_start] + text[end:]


# ---------------------------------------------------------------- install / uninstall


def _backup_file(paths: AppPaths) -> Path:
    return paths.data_dir / "statusline_settings_backup.json"


def _read_settings(path: Path) -> bytes | None:
    """The bytes of settings.json, None when it does not exist; raises SettingsError."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsError(f"{path} cannot be read ({exc.strerror or exc})") from None


def _write_settings(path: Path, data: str | bytes) -> None:
    """Replace settings.json atomically, keeping the mode the user gave it."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    atomic_write(path, data, mode=mode)


def install(paths: AppPaths, settings: Path) -> str:
    """Add the status line; returns what was done. Raises SettingsError (nothing changed)."""
    original = _read_settings(settings)
    try:
        text = "{}\n" if original is None else original.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"{settings} is not UTF-8 text") from None
    try:
        parsed = parse(text)
    except SettingsError as exc:
        raise SettingsError(f"{settings} was left alone: {exc}") from None
    current = parsed.find("statusLine")
    if current is not None and is_ours(current.value):
        return f"Already installed in {settings}; nothing changed."
    chain: str | None = None
    value: dict[str, Any] = {"type": "command"}
    if current is not None and isinstance(current.value, dict):
        command = current.value.get("command")
        if current.value.get("type", "command") == "command" and isinstance(command, str):
            chain = command.strip() or None
        if "padding" in current.value:
            value["padding"] = current.value["padding"]
    value["command"] = our_command(chain)
    new_text = with_member(parsed, "statusLine", json.dumps(value))
    parse(new_text)  # never write a file we could not read back
    record = {
        "version": RECORD_VERSION,
        "settings": str(settings),
        "existed": original is not None,
        "installed": new_text,
        "previous": None if current is None else text[current.value_start : current.value_end],
    }
    paths.ensure()
    if original is not None:
        atomic_write(_backup_file(paths), original)
    atomic_write_json(paths.statusline_install_file, record)
    _write_settings(settings, new_text)
    done = f"Installed the claude-tray status line in {settings}"
    if chain:
        done += f"; your previous status line still runs first ({chain})"
    return done + f". A copy of the previous file is in {_backup_file(paths)}."


def uninstall(paths: AppPaths, settings: Path) -> str:
    """Remove the status line, restoring what was there; raises SettingsError."""
    try:
        record = read_json(paths.statusline_install_file)
    except FileNotFoundError:
        record = None
    except (OSError, ValueError):
        raise SettingsError(
            f"{paths.statusline_install_file} cannot be read; edit {settings} by hand"
        ) from None
    if isinstance(record, dict) and record.get("settings") not in (None, str(settings)):
        raise SettingsError(
            f"the status line was installed in {record.get('settings')}, not {settings}; "
            "set CLAUDE_CONFIG_DIR to that folder"
        )
    current_bytes = _read_settings(settings)
    current = None if current_bytes is None else current_bytes.decode("utf-8", errors="replace")
    if isinstance(record, dict) and current is not None and current == record.get("installed"):
        # Untouched since install: put the very bytes back.
        if record.get("existed"):
            _write_settings(settings, _backup_file(paths).read_bytes())
        else:
            settings.unlink()
        _forget(paths)
        return f"Removed the claude-tray status line; {settings} is as it was before."
    if current is None:
        _forget(paths)
        return f"{settings} does not exist; nothing to remove."
    try:
        parsed = parse(current)
    except SettingsError as exc:
        raise SettingsError(f"{settings} was left alone: {exc}") from None
    member = parsed.find("statusLine")
    if member is None or not is_ours(member.value):
        _forget(paths)
        return f"The claude-tray status line is not in {settings}; nothing changed."
    previous = record.get("previous") if isinstance(record, dict) else None
    if isinstance(previous, str):
        new_text = with_member(parsed, "statusLine", previous)
    else:
        new_text = without_member(parsed, "statusLine")
    parse(new_text)
    _write_settings(settings, new_text)
    _forget(paths)
    return f"Removed the claude-tray status line from {settings}; your other settings are kept."


def _forget(paths: AppPaths) -> None:
    for path in (paths.statusline_install_file, _backup_file(paths)):
        path.unlink(missing_ok=True)
