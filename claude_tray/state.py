"""What the app knows right now: status, last numbers, last error, poll times.

`AppState` owns the run lock, a `threading.Lock` held while a scraper child
is alive. It is taken without waiting (`try_begin`): a second request while
one runs is told "already busy", never queued, so there is never a second
child. Everything else is guarded by a separate small lock and read through
`snapshot()`, an immutable copy safe to hand to any thread.

The last good usage document is saved to the cache folder (atomically) and
loaded at start, marked stale, so a restart shows numbers at once.

This module must not start processes, must not know about the schedule or the
UI, and must not put events anywhere: it tells its one listener (`on_status`)
when the status changes. The listener is called while the state's lock is
held, so two threads that change the status one after the other are heard in
that same order (issue 7: the popup showed "Pause" while the core was paused,
because a worker's older "idle" overtook the UI's newer "paused"). The
listener must therefore be quick and must never block or call back into the
state: the core's listener only does a non-blocking `queue.put`.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from claude_tray.documents import (
    ErrorDocument,
    UsageDocument,
    dump_document,
    load_document,
)
from claude_tray.events import Status
from claude_tray.fileio import atomic_write, write_problem
from claude_tray.paths import AppPaths

log = logging.getLogger(__name__)

#: Statuses that mean "a child is running"; set only while the run lock is held.
BUSY_STATUSES = frozenset({Status.REFRESHING, Status.LOGGING_IN})


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class StateSnapshot:
    """An immutable copy of the state at one moment."""

    status: Status
    usage: UsageDocument | None
    usage_stale: bool
    last_error: ErrorDocument | None
    last_poll_at: datetime | None
    next_poll_at: datetime | None
    paused: bool


class AppState:
    """The app's state, shared by the worker thread, the UI and the command line."""

    def __init__(
        self,
        paths: AppPaths | None = None,
        *,
        now: Callable[[], datetime] = utc_now,
        on_status: Callable[[Status], None] | None = None,
    ) -> None:
        self._paths = paths
        self._now = now
        self._on_status = on_status
        #: Held while a scraper child is alive; only ever taken with blocking=False.
        self._run_lock = threading.Lock()
        self._lock = threading.Lock()  # guards the fields below; never held for I/O
        self._status = Status.IDLE
        self._busy_status: Status | None = None
        self._usage: UsageDocument | None = None
        self._usage_stale = False
        self._last_error: ErrorDocument | None = None
        self._last_poll_at: datetime | None = None
        self._next_poll_at: datetime | None = None
        self._paused = False

    # -- the run lock -------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while a scraper child is (about to be) running."""
        return self._run_lock.locked()

    @property
    def busy_status(self) -> Status | None:
        """What the running child does (refreshing, logging in), or None when idle."""
        with self._lock:
            return self._busy_status

    def try_begin(self, status: Status) -> bool:
        """Take the run lock without waiting; False when another run holds it."""
        if status not in BUSY_STATUSES:
            raise ValueError(f"{status} is not a status of a running child")
        if not self._run_lock.acquire(blocking=False):
            return False
        with self._lock:
            self._busy_status = status
        self._set_status()
        return True

    def end(self) -> None:
        """Release the run lock taken by `try_begin`; the status goes back to rest."""
        with self._lock:
            self._busy_status = None
        self._run_lock.release()
        self._set_status()

    def _resting_status(self) -> Status:
        if self._busy_status is not None:
            return self._busy_status
        if self._paused:
            return Status.PAUSED
        if self._last_error is not None:
            return Status.ERROR
        return Status.IDLE

    def _set_status(self) -> None:
        with self._lock:
            new = self._resting_status()
            changed = new is not self._status
            self._status = new
            if changed and self._on_status is not None:
                # Under the lock: the order the listener hears is the order of the
                # changes (see the module docstring).
                try:
                    self._on_status(new)
                except Exception:  # a listener's bug must not break the caller
                    log.exception("the status listener failed")

    # -- results ------------------------------------------------------------

    def record_usage(self, document: UsageDocument) -> str | None:
        """A poll succeeded: new numbers, no error; the numbers go to the cache file.

        Returns why the cache file could not be written (a sentence naming the
        file), or None; the numbers are kept in memory either way.
        """
        with self._lock:
            self._usage = document
            self._usage_stale = False
            self._last_error = None
            self._last_poll_at = self._now()
        problem = self._save_cache(document)
        self._set_status()
        return problem

    def update_numbers(self, document: UsageDocument) -> None:
        """Newer numbers that did not come from a poll (Claude Code's status line).

        The last error and the poll times stay: they are about the service.
        """
        with self._lock:
            self._usage = document
            self._usage_stale = False
        self._save_cache(document)

    def record_error(self, document: ErrorDocument) -> None:
        """A poll failed: remember why; the last good numbers stay."""
        with self._lock:
            self._last_error = document
            self._last_poll_at = self._now()
        self._set_status()

    def clear_error(self) -> None:
        """Forget the last error (e.g. after a successful login)."""
        with self._lock:
            self._last_error = None
        self._set_status()

    def clear_usage(self) -> None:
        """Forget the numbers and the error, and delete the cache file (logout)."""
        with self._lock:
            self._usage = None
            self._usage_stale = False
            self._last_error = None
        if self._paths is not None:
            try:
                self._paths.usage_cache_file.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not delete the usage cache: %s", exc)
        self._set_status()

    def set_next_poll(self, at: datetime | None) -> None:
        with self._lock:
            self._next_poll_at = at

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused = paused
        self._set_status()

    def snapshot(self) -> StateSnapshot:
        """A consistent copy of everything, safe to read on any thread."""
        with self._lock:
            return StateSnapshot(
                status=self._status,
                usage=self._usage,
                usage_stale=self._usage_stale,
                last_error=self._last_error,
                last_poll_at=self._last_poll_at,
                next_poll_at=self._next_poll_at,
                paused=self._paused,
            )

    # -- the cache file -----------------------------------------------------

    def _save_cache(self, document: UsageDocument) -> str | None:
        if self._paths is None:
            return None
        path = self._paths.usage_cache_file
        # Notices belong to the moment of the poll, not to the numbers kept for later.
        kept = dataclasses.replace(document, notices=[]) if document.notices else document
        try:
            atomic_write(path, dump_document(kept) + "\n")
        except OSError as exc:  # a full disk loses the cache, never the numbers shown
            problem = write_problem("The latest usage numbers", exc, path)
            log.warning("%s", problem)
            return problem
        return None

    def load_cache(self) -> UsageDocument | None:
        """Load the last good document from the cache file, marked stale; None if none.

        A missing file is normal; a corrupt or foreign one is ignored with a log line.
        """
        if self._paths is None:
            return None
        path = self._paths.usage_cache_file
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("ignoring the usage cache %s: %s", path, exc)
            return None
        try:
            document = load_document(text)
        except ValueError as exc:
            log.warning("ignoring the usage cache %s: %s", path, exc)
            return None
        if not isinstance(document, UsageDocument):
            log.warning("ignoring the usage cache %s: it is not a usage document", path)
            return None
        with self._lock:
            if self._usage is not None:  # a fresh poll already won
                return None
            self._usage = document
            self._usage_stale = True
            self._last_poll_at = document.last_updated
        log.info("loaded the last numbers from %s (stale)", path)
        return document
