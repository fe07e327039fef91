"""`claude-tray statusline`: the command Claude Code runs for its status bar.

Claude Code pipes a JSON object on stdin on every render (several times a
second while it works); since 2.1.80 it carries `rate_limits.five_hour` and
`rate_limits.seven_day` (`used_percentage`, `resets_at` as ISO-8601 or Unix
seconds). This command records those readings for the tray (`feed`, plus a
history row when the numbers changed), prints one short line
(`5h 42% · 7d 18%`), and, when the user had a status-line command before,
runs that one too with the same stdin and prints its output first.

It is on Claude Code's render path, so it must be fast and quiet: no network,
no pydantic, no tray, no logging setup; it must exit 0 whatever it is given
and never print a traceback (interface.md). It must not write anything but the
feed file and the history database.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, BinaryIO, TextIO

from claude_tray import feed

if TYPE_CHECKING:
    from claude_tray.paths import AppPaths

#: More than Claude Code ever sends; a bigger stdin is not its JSON.
MAX_INPUT_BYTES = 1 << 20

#: A chained command slower than this is cut off; its output is lost, not ours.
CHAIN_TIMEOUT_SECONDS = 5.0

_SHORT_NAMES = {"session": "5h", "weekly_all": "7d"}


def parse_readings(raw: bytes, now: datetime) -> list[feed.Reading]:
    """The readings in Claude Code's status-line JSON; [] for anything else."""
    try:
        document = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError:
        return []
    if not isinstance(document, dict):
        return []
    limits = document.get("rate_limits")
    if not isinstance(limits, dict):
        return []
    readings: list[feed.Reading] = []
    for window, limit_id in feed.WINDOW_IDS.items():
        entry = limits.get(window)
        if not isinstance(entry, dict):
            continue
        percent = entry.get("used_percentage")
        if isinstance(percent, bool) or not isinstance(percent, (int, float)):
            continue
        if not math.isfinite(percent) or not 0 <= percent <= 1000:
            continue
        resets_at = feed.parse_time(entry.get("resets_at"))
        readings.append(feed.Reading(limit_id, float(percent), resets_at, now))
    return readings


def format_line(readings: list[feed.Reading]) -> str:
    """`5h 42% · 7d 18%` (whole percents, the order Claude Code's own bar uses)."""
    by_id = {reading.limit_id: reading for reading in readings}
    parts = [
        f"{_SHORT_NAMES[limit_id]} {by_id[limit_id].percent:.0f}%"
        for limit_id in ("session", "weekly_all")
        if limit_id in by_id
    ]
    return " · ".join(parts)


def _run_chained(command: str, raw: bytes) -> str:
    """The output of the status-line command that was there before ours ('' on failure)."""
    import subprocess  # only when a command is chained: it costs import time

    try:
        done = subprocess.run(
            command,
            shell=True,  # it is the user's own shell command, as Claude Code runs it
            input=raw,
            capture_output=True,
            timeout=CHAIN_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.decode("utf-8", errors="replace").rstrip("\n")


class _LazyLog(logging.Handler):
    """Sets up the app's log file only when something is logged (rarely: a broken history).

    The render path must not pay for the logging setup on every call, but a
    database that was set aside must still be in the log (not on Claude Code's screen).
    """

    def __init__(self, paths: AppPaths) -> None:
        super().__init__(logging.INFO)
        self._paths = paths
        self._ready = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self._ready:
            self._ready = True
            from claude_tray.logsetup import setup_logging

            logging.getLogger("claude_tray").removeHandler(self)
            setup_logging(self._paths, debug=False)
        logging.getLogger(record.name).handle(record)


def record(paths: AppPaths, readings: list[feed.Reading], now: datetime) -> feed.RecordResult:
    """Record the readings in the feed file, and a history row for each changed one."""
    result = feed.record(paths.statusline_feed_file, readings, now)
    if result.changed:
        from claude_tray import history

        history.record_readings(paths, result.changed, source="statusline")
    return result


def run(
    paths: AppPaths,
    *,
    chain: str | None,
    stdin: BinaryIO,
    stdout: TextIO,
    now: datetime | None = None,
) -> int:
    """Read, record, print; always returns 0 (a status bar must never see a failure)."""
    try:
        raw = stdin.read(MAX_INPUT_BYTES + 1)
    except (OSError, ValueError):
        raw = b""
    at = now or datetime.now(timezone.utc)
    readings = [] if len(raw) > MAX_INPUT_BYTES else parse_readings(raw, at)
    if readings:
        handler = _LazyLog(paths)
        logger = logging.getLogger("claude_tray")
        logger.addHandler(handler)
        try:
            # A full disk or a foreign file: the line still shows.
            with contextlib.suppress(Exception):
                record(paths, readings, at)
        finally:
            logger.removeHandler(handler)
    ours = format_line(readings)
    before = _run_chained(chain, raw) if chain else ""
    if "\n" in before:  # a multi-line status: ours goes on its own last line
        line = before + ("\n" + ours if ours else "")
    else:
        line = " · ".join(part for part in (before, ours) if part)
    if line:
        try:
            stdout.write(line + "\n")
            stdout.flush()
        except (OSError, ValueError):
            pass
    return 0
