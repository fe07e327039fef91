"""The status-line feed: the readings Claude Code's `statusLine` command last saw.

`claude-tray statusline` (a short-lived process started by Claude Code on every
render) records here what Claude Code piped to it; the tray reads the file back
and merges it into the service's numbers (`feed_merge`). The file is one small
JSON object in the data folder, replaced atomically under a lock file, so two
Claude Code sessions rendering at once never interleave their writes.

The one rule that matters (claude-service.md): an idle Claude Code session keeps
repeating the numbers of the window it last saw, so a reading of an *older*
window than one already recorded is stale and is dropped; within one window the
latest reading wins.

This module runs on the status-line path, which must finish in a few
milliseconds: it must not import pydantic, the tray, Tk or anything that does
network I/O, and must not fsync (a lost reading is replaced on the next render).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from claude_tray import oslock
from claude_tray.reset_window import SAME_WINDOW, is_older_window, same_window

FEED_VERSION = 1

#: Claude Code's names of the two windows, and the limit ids of interface.md they are.
WINDOW_IDS: Mapping[str, str] = {"five_hour": "session", "seven_day": "weekly_all"}

#: A feed reading younger than this counts as "live" (Claude Code is in use).
FRESH_FOR = timedelta(minutes=15)

#: Rewrite the file for an unchanged reading only this often (renders come several a second).
REFRESH_UNCHANGED = timedelta(seconds=30)


@dataclass(frozen=True)
class Reading:
    """One limit's numbers as one source saw them at one moment."""

    limit_id: str
    percent: float
    resets_at: datetime | None
    read_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "percent": self.percent,
            "resets_at": None if self.resets_at is None else self.resets_at.isoformat(),
            "read_at": self.read_at.isoformat(),
        }

    @classmethod
    def from_json(cls, limit_id: str, raw: object) -> Reading | None:
        if not isinstance(raw, dict):
            return None
        percent = raw.get("percent")
        if isinstance(percent, bool) or not isinstance(percent, (int, float)):
            return None
        read_at = parse_time(raw.get("read_at"))
        if read_at is None:
            return None
        resets = raw.get("resets_at")
        return cls(limit_id, float(percent), parse_time(resets), read_at)


def parse_time(value: object) -> datetime | None:
    """A UTC datetime from ISO-8601 text or Unix seconds (int, float or digits); else None.

    Claude Code has been seen sending `resets_at` in both forms (claude-service.md).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return parse_time(float(text))
        except ValueError:
            pass
        if text.endswith(("Z", "z")):  # 3.10's fromisoformat does not take "Z"
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return _sane(parsed.astimezone(timezone.utc))
    if isinstance(value, (int, float)):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds, as some JavaScript emits
            seconds /= 1000.0
        try:
            return _sane(datetime.fromtimestamp(seconds, tz=timezone.utc))
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _sane(value: datetime) -> datetime | None:
    return value if 2000 <= value.year <= 2200 else None


def newer(candidate: Reading, recorded: Reading | None, now: datetime) -> bool:
    """The merge rule: does `candidate` replace `recorded`?

    A reading of a window that has already reset, or of an older window than the
    recorded one, never wins; a later window always wins; within one window the
    later reading wins.
    """
    if candidate.resets_at is not None and candidate.resets_at <= now - SAME_WINDOW:
        return False  # that window is over: an idle session repeating old numbers
    if recorded is None:
        return True
    if is_older_window(candidate.resets_at, recorded.resets_at):
        return False
    if is_older_window(recorded.resets_at, candidate.resets_at):
        return True
    return candidate.read_at >= recorded.read_at


# ---------------------------------------------------------------- the file


def load(path: Path) -> dict[str, Reading]:
    """The recorded readings by limit id; empty when the file is missing or unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(raw, dict) or raw.get("version") != FEED_VERSION:
        return {}
    readings = raw.get("readings")
    if not isinstance(readings, dict):
        return {}
    out: dict[str, Reading] = {}
    for limit_id, entry in readings.items():
        reading = Reading.from_json(str(limit_id), entry)
        if reading is not None:
            out[reading.limit_id] = reading
    return out


def is_fresh(readings: Mapping[str, Reading], now: datetime) -> bool:
    """Whether the feed was written recently enough to stand in for a poll."""
    return any(now - reading.read_at < FRESH_FOR for reading in readings.values())


def _write(path: Path, readings: Mapping[str, Reading]) -> None:
    """Replace the file in one step (no fsync: a lost reading comes back on the next render)."""
    body = {
        "version": FEED_VERSION,
        "readings": {key: reading.to_json() for key, reading in sorted(readings.items())},
    }
    # Imported here, as in fileio: tempfile pulls in random, and most renders write nothing.
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (released by the OS if the process dies)."""
    handle: IO[bytes] = open(lock_path, "a+b")  # noqa: SIM115 - held for the block
    try:
        oslock.lock(handle)
        yield
    finally:
        handle.close()  # closing drops the lock on every platform


@dataclass(frozen=True)
class RecordResult:
    """What `record` did with each incoming reading."""

    kept: list[Reading]  # recorded (new window, changed, or merely refreshed)
    changed: list[Reading]  # new numbers: worth a history row
    stale: list[Reading]  # dropped by the merge rule


def record(path: Path, incoming: list[Reading], now: datetime) -> RecordResult:
    """Merge `incoming` into the feed file at `path` under its lock; returns what happened."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    kept: list[Reading] = []
    changed: list[Reading] = []
    stale: list[Reading] = []
    with _locked(path.with_name(path.name + ".lock")):
        recorded = load(path)
        merged = dict(recorded)
        dirty = False
        for reading in incoming:
            old = recorded.get(reading.limit_id)
            if not newer(reading, old, now):
                stale.append(reading)
                continue
            kept.append(reading)
            same = (
                old is not None
                and old.percent == reading.percent
                and same_window(old.resets_at, reading.resets_at)
            )
            if not same:
                changed.append(reading)
            if same and old is not None and reading.read_at - old.read_at < REFRESH_UNCHANGED:
                continue  # nothing new; spare the disk several writes a second
            merged[reading.limit_id] = reading
            dirty = True
        if dirty:
            _write(path, merged)
    return RecordResult(kept, changed, stale)
