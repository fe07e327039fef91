"""The usage history: every reading of every limit, in a small SQLite database.

One row per reading per limit (when, which source, which limit, percent,
resets_at), written by whichever process read the numbers: the tray after a
poll, `status` after its poll, `statusline` when Claude Code's numbers changed.
Several processes may write at once, so the database is in WAL mode, every
write is one short transaction, and a writer waits a little for a lock.

The history is a nice-to-have: a database that is corrupt is set aside (renamed,
with its -wal/-shm files) and started afresh, and one that stays locked loses
that one write; both are logged and neither ever raises to the caller.

This module must not import pydantic, the tray or Tk (the status-line path
imports it), must not hold a connection open between calls, and must not
delete anything but rows older than the retention.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where a connection is opened: sqlite3 (about 1 MB with libsqlite3)
    # then loads in `status` only after its child answered, off the peak of the
    # process tree, and not before the tray's first icon (issue 12).
    import sqlite3

    from claude_tray.feed import Reading
    from claude_tray.limit_extras import Extras, Wanted
    from claude_tray.paths import AppPaths

log = logging.getLogger(__name__)

#: `PRAGMA user_version` of the layout below; a newer file is left alone (read-only).
SCHEMA_VERSION = 1

DEFAULT_RETENTION_DAYS = 90

#: How long a writer waits for another process's transaction (they last milliseconds).
BUSY_TIMEOUT_SECONDS = 2.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,            -- Unix seconds, UTC
    source TEXT NOT NULL,        -- web, claude-code, statusline
    limit_id TEXT NOT NULL,      -- session, weekly_all, weekly_<model>, ...
    percent REAL NOT NULL,
    resets_at REAL               -- Unix seconds, or NULL when unknown
);
CREATE INDEX IF NOT EXISTS readings_limit_at ON readings (limit_id, at);
CREATE INDEX IF NOT EXISTS readings_at ON readings (at);
"""


@dataclass(frozen=True)
class Row:
    """One stored reading."""

    at: datetime
    source: str
    limit_id: str
    percent: float
    resets_at: datetime | None

    def to_json(self) -> dict[str, object]:
        return {
            "time": self.at.isoformat(),
            "source": self.source,
            "limit": self.limit_id,
            "percent": self.percent,
            "resets_at": None if self.resets_at is None else self.resets_at.isoformat(),
        }


class HistoryUnavailable(Exception):
    """The database could not be used this time (already logged)."""


def timestamp_of(value: datetime) -> float:
    """Unix seconds, as the database stores times (a time without an offset is UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def time_of(value: float) -> datetime:
    """The UTC time of stored Unix seconds."""
    return datetime.fromtimestamp(value, tz=timezone.utc)


def set_aside(path: Path, reason: str) -> Path | None:
    """Rename a broken database (and its -wal/-shm) out of the way; where it went."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = path.with_name(f"{path.name}.broken-{stamp}-{os.getpid()}")
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("history %s is unusable (%s) and could not be set aside: %s", path, reason, exc)
        return None
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.replace(f"{path}{suffix}", f"{target}{suffix}")
    log.warning(
        "history %s was unusable (%s): set aside as %s, starting afresh", path, reason, target
    )
    return target


def preload() -> None:
    """Import sqlite3 now: for a caller with time to spare before it writes (the core,
    while a poll's child runs)."""
    import sqlite3  # noqa: F401


def _is_locked(exc: sqlite3.Error) -> bool:
    import sqlite3

    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _open(path: Path) -> sqlite3.Connection:
    import sqlite3

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    new = not path.exists()
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        if new and hasattr(os, "chmod"):
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryUnavailable(f"schema {version} is newer than this claude-tray knows")
        if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable enough for a history (WAL keeps it consistent) and spares an
        # fsync per write on the status-line path.
        connection.execute("PRAGMA synchronous=NORMAL")
        if version < SCHEMA_VERSION:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        return connection
    except BaseException:
        connection.close()
        raise


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the history, set up; a corrupt file is set aside and made anew.

    Raises `HistoryUnavailable` (after logging) when the database is locked for
    longer than the busy timeout or cannot be made at all.
    """
    import sqlite3

    connection: sqlite3.Connection | None = None
    for attempt in range(2):
        try:
            connection = _open(path)
            break
        except HistoryUnavailable as exc:
            log.warning("history %s not used: %s", path, exc)
            raise
        except sqlite3.Error as exc:
            if _is_locked(exc):
                log.warning("history %s is locked by another process; skipped this time", path)
                raise HistoryUnavailable(str(exc)) from None
            if attempt == 0 and isinstance(exc, sqlite3.DatabaseError):
                set_aside(path, str(exc))
                continue
            log.warning("history %s could not be opened: %s", path, exc)
            raise HistoryUnavailable(str(exc)) from None
        except OSError as exc:
            log.warning("history %s could not be opened: %s", path, exc)
            raise HistoryUnavailable(str(exc)) from None
    assert connection is not None
    try:
        yield connection
    except sqlite3.Error as exc:
        if _is_locked(exc):
            log.warning("history %s is locked by another process; skipped this time", path)
        elif isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, sqlite3.OperationalError
        ):
            connection.close()
            set_aside(path, str(exc))
        else:
            log.warning("history %s: %s", path, exc)
        raise HistoryUnavailable(str(exc)) from None
    finally:
        connection.close()


@dataclass(frozen=True)
class NewRow:
    """A reading to store."""

    limit_id: str
    percent: float
    resets_at: datetime | None
    at: datetime


def add(
    path: Path,
    rows: Iterable[NewRow],
    *,
    source: str,
    retention_days: float = DEFAULT_RETENTION_DAYS,
    now: datetime | None = None,
) -> bool:
    """Store `rows` in one short transaction and drop rows past the retention.

    True when stored; False (logged) when the database could not be used.
    """
    values = [
        (
            timestamp_of(row.at),
            source,
            row.limit_id,
            float(row.percent),
            None if row.resets_at is None else timestamp_of(row.resets_at),
        )
        for row in rows
    ]
    if not values:
        return True
    cutoff = timestamp_of(now or datetime.now(timezone.utc)) - retention_days * 86400.0
    try:
        with connect(path) as connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO readings (at, source, limit_id, percent, resets_at) "
                "VALUES (?, ?, ?, ?, ?)",
                values,
            )
            connection.execute("DELETE FROM readings WHERE at < ?", (cutoff,))
            connection.execute("COMMIT")
    except HistoryUnavailable:
        return False
    return True


def record_readings(paths: AppPaths, readings: Iterable[Reading], *, source: str) -> bool:
    """Store feed readings (the status-line path)."""
    rows = [NewRow(r.limit_id, r.percent, r.resets_at, r.read_at) for r in readings]
    return add(paths.history_file, rows, source=source)


def query(
    path: Path,
    *,
    since: datetime | None = None,
    limit_id: str | None = None,
) -> list[Row]:
    """The stored readings, oldest first; [] when there is no usable database."""
    if not path.exists():
        return []
    sql = "SELECT at, source, limit_id, percent, resets_at FROM readings"
    where: list[str] = []
    args: list[object] = []
    if since is not None:
        where.append("at >= ?")
        args.append(timestamp_of(since))
    if limit_id is not None:
        where.append("limit_id = ?")
        args.append(limit_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY at, id"
    try:
        with connect(path) as connection:
            fetched = connection.execute(sql, args).fetchall()
    except HistoryUnavailable:
        return []
    return [
        Row(time_of(at), str(source), str(lid), float(percent), None if r is None else time_of(r))
        for at, source, lid, percent, r in fetched
    ]


def extras(path: Path, wanted: Sequence[Wanted], *, now: datetime) -> list[Extras]:
    """Each wanted limit's pace and sparkline from the last `limit_extras.SPAN` of readings."""
    from claude_tray import limit_extras  # pace and trends: not needed by the status line

    rows = query(path, since=now - limit_extras.SPAN)
    return limit_extras.for_limits(rows, wanted, now)


def summary(path: Path) -> tuple[int, datetime | None]:
    """How many readings are stored and the oldest one's time, read-only (for the doctor).

    Never sets anything aside or creates the file; raises `HistoryUnavailable`.
    """
    import sqlite3

    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error as exc:
        raise HistoryUnavailable(str(exc)) from None
    try:
        count, oldest = connection.execute("SELECT COUNT(*), MIN(at) FROM readings").fetchone()
    except sqlite3.Error as exc:
        raise HistoryUnavailable(str(exc)) from None
    finally:
        connection.close()
    return int(count), None if oldest is None else time_of(float(oldest))


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `6h`, `7d`, `2w`, or several (`1h30m`); raises ValueError."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    rest = text.strip().lower()
    if not rest:
        raise ValueError("an empty duration")
    total = 0.0
    number = ""
    for char in rest:
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total += float(number) * units[char]
            number = ""
        else:
            raise ValueError(f"{text!r} is not a duration like 6h or 7d")
    if number:
        raise ValueError(f"{text!r} needs a unit (s, m, h, d or w)")
    return timedelta(seconds=total)
