"""The read budget: at most so many usage reads an hour, from all claude-tray processes.

The service budgets usage reads per account (claude-service.md: about 30 an
hour, shared with Claude Code itself), and every claude-tray process that
polls spends from it: the tray's schedule, its retries, a manual refresh,
`claude-tray status` in a terminal, a Waybar module. So each poll child takes
one read from this budget before it starts, and a read beyond the limit is
refused instead (the tray waits for the next free read, `status` says when).

The reads are counted in one small JSON file in the data folder (Unix times
of the reads in the last window), changed only under an OS file lock on a
separate lock file, so several processes at once count together and never
lose a read. The lock is held for a read-modify-write of a tiny file and
waited for at most `LOCK_WAIT_SECONDS`.

The budget fails open: when its files cannot be read or written (a full disk,
a read-only folder) the read is allowed, and the log says so once per
process. A budget that cannot count must not stop the numbers.

This module must not start processes, must not know about documents or the
schedule, and must never raise to its caller for a file problem.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from claude_tray.fileio import atomic_write, make_private_dir
from claude_tray.oslock import try_lock, unlock
from claude_tray.paths import AppPaths

log = logging.getLogger(__name__)

#: Reads an hour from all claude-tray processes together (the service allows ~30,
#: shared with Claude Code): 12 scheduled polls at the default 5 minutes, the
#: retry ladder and a few manual refreshes fit.
DEFAULT_READS_PER_HOUR = 20
WINDOW_SECONDS = 3600.0
#: Longest wait for another process's hold on the budget file.
LOCK_WAIT_SECONDS = 2.0
#: A read stamped further in the future than this (the clock was set back) is dropped,
#: so a clock change can never block reading for an hour.
_FUTURE_SLACK_SECONDS = 60.0
_FORMAT_VERSION = 1

_warned = False


def _warn_once(message: str, *args: object) -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning(message, *args)


@contextlib.contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[bool]:
    """Hold an exclusive OS lock on `path`; yields False when it could not be had."""
    try:
        make_private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        _warn_once("the read budget cannot be counted (%s: %s); reads are not limited", path, exc)
        yield False
        return
    handle: IO[bytes] = os.fdopen(fd, "r+b")
    try:
        deadline = time.monotonic() + wait
        while not try_lock(handle):
            if time.monotonic() >= deadline:
                _warn_once("the read budget %s stayed locked; this read is not counted", path)
                yield False
                return
            time.sleep(0.01)
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                unlock(handle)
    finally:
        handle.close()


class ReadBudget:
    """At most `limit` reads in any `window_seconds`, counted in `path` for all processes."""

    def __init__(
        self,
        path: Path,
        *,
        limit: int = DEFAULT_READS_PER_HOUR,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock` is Unix time (shared between processes); tests pass a fake."""
        self.path = path
        self.limit = max(1, int(limit))
        self.window_seconds = float(window_seconds)
        self._clock = clock
        self._lock_path = path.with_name(path.name + ".lock")

    @classmethod
    def for_paths(
        cls,
        paths: AppPaths,
        *,
        limit: int = DEFAULT_READS_PER_HOUR,
        clock: Callable[[], float] = time.time,
    ) -> ReadBudget:
        """The budget every claude-tray process shares: `read_budget.json` in the data folder."""
        return cls(paths.data_dir / "read_budget.json", limit=limit, clock=clock)

    # -- the file -------------------------------------------------------------

    def _load(self, now: float) -> list[float]:
        """The reads still inside the window (oldest first); [] when none or unreadable."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("ignoring the unreadable read budget %s (%s)", self.path, exc)
            return []
        reads = raw.get("reads") if isinstance(raw, dict) else None
        if not isinstance(reads, list):
            return []
        start = now - self.window_seconds
        return sorted(
            float(t)
            for t in reads
            if isinstance(t, (int, float))
            and not isinstance(t, bool)
            and start < float(t) <= now + _FUTURE_SLACK_SECONDS
        )

    def _save(self, reads: list[float]) -> None:
        try:
            # Not durable: the count is written before every poll child starts, and
            # a count lost to a power cut only lets one hour's reads through again
            # (an empty or broken file is ignored), so it need not wait for the disk.
            atomic_write(
                self.path,
                json.dumps({"version": _FORMAT_VERSION, "reads": [round(t, 3) for t in reads]})
                + "\n",
                durable=False,
            )
        except OSError as exc:
            _warn_once("the read budget cannot be saved (%s); reads are not limited", exc)

    # -- the API ----------------------------------------------------------------

    def try_take(self) -> bool:
        """Count one read now if the budget allows it; False (nothing counted) if not."""
        with _file_lock(self._lock_path, LOCK_WAIT_SECONDS) as locked:
            now = self._clock()
            reads = self._load(now)
            if len(reads) >= self.limit:
                log.info(
                    "read budget used up: %d reads in the last %.0f min; next in %.0f s",
                    len(reads),
                    self.window_seconds / 60,
                    self._wait(reads, now),
                )
                return False
            if locked:
                self._save([*reads, now])
            return True

    def seconds_until_available(self) -> float:
        """Seconds until a read would be allowed (0.0 when one is allowed now)."""
        now = self._clock()
        return self._wait(self._load(now), now)

    def used(self) -> int:
        """Reads counted in the current window."""
        return len(self._load(self._clock()))

    def _wait(self, reads: list[float], now: float) -> float:
        if len(reads) < self.limit:
            return 0.0
        # The oldest read that must drop out of the window for one more to fit.
        frees_at = reads[len(reads) - self.limit] + self.window_seconds
        return max(0.0, frees_at - now)

    def describe_refusal(self, wait: float) -> str:
        """A sentence for a person: why no read happens now, and when the next one can."""
        minutes = max(1, round(wait / 60))
        return (
            f"claude-tray has read the usage {self.limit} times in the last hour, the most "
            f"it allows itself (the service's own budget is small and shared with Claude "
            f"Code); the next read is possible in about {minutes} min."
        )
