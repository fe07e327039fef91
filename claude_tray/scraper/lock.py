"""One scraper run at a time across processes: an OS file lock on the lock file.

The tray's worker, `claude-tray status` in a terminal and a login may each start
a scraper child; two at once would poll twice (the usage budget is small) and
would open the same browser profile twice (Chromium refuses). The child takes
this lock for its whole run. The OS releases it when the process ends, however
it ends, so a crashed child never leaves a stale lock behind.

This module must not decide what a waiting caller reports; it only raises
`LockBusyError`.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.oslock import try_lock, unlock

log = logging.getLogger(__name__)

#: How long a second scraper waits for the first one before giving up.
DEFAULT_WAIT_SECONDS = 20.0
_POLL_INTERVAL = 0.05
#: Why a lock file may be impossible to create while polling still works.
_UNWRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC})


class LockBusyError(ClaudeTrayError):
    """Raised when another scraper process held the lock for the whole wait.

    Reported as `busy` (interface.md: another claude-tray process is using the
    stored session; retried soon), not `timeout`: nothing failed to answer.
    """

    def __init__(self, waited: float) -> None:
        super().__init__(
            ErrorCode.BUSY,
            f"Another claude-tray process was still using the session after {waited:g} "
            "seconds (a refresh or a login). It is tried again in a moment.",
        )


class ScraperLock:
    """A context manager holding the scraper lock; waits at most `wait` seconds."""

    def __init__(self, path: Path, *, wait: float = DEFAULT_WAIT_SECONDS) -> None:
        self.path = path
        self.wait = wait
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to `wait` seconds; raises `LockBusyError`."""
        try:
            handle = self._open()
        except OSError as exc:
            if exc.errno not in _UNWRITABLE:
                raise
            # A read-only or full data folder (issue 7): the numbers can still be
            # read; only this run's exclusion is lost, which the log says.
            log.warning("running without the scraper lock: %s (%s)", self.path, exc.strerror)
            return
        deadline = time.monotonic() + self.wait
        while not try_lock(handle):
            if time.monotonic() >= deadline:
                handle.close()
                raise LockBusyError(self.wait)
            time.sleep(_POLL_INTERVAL)
        try:  # who holds it, for a person looking at the file; not needed for locking
            # Written over the last holder's pid, padded to one width (a pid has at most
            # ten digits), instead of truncating first: on ext4 a truncation costs more
            # than all the rest of taking the lock (~0.7 ms of every poll, issue 12).
            handle.seek(0)
            handle.write(f"{os.getpid():<10}\n".encode())
            handle.flush()
        except OSError:
            pass
        self._handle = handle

    def _open(self) -> IO[bytes]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # private, as fileio
            # Never truncated on opening (no O_TRUNC: another process may hold it);
            # 0600 because the folder is private anyway and nothing needs to read it.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            return os.fdopen(fd, "r+b")
        except OSError:
            # On a read-only file system an existing lock file still locks (flock
            # and msvcrt.locking need no write access on Linux and Windows).
            fd = os.open(self.path, os.O_RDONLY)
            return os.fdopen(fd, "rb")

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            unlock(handle)
        finally:
            handle.close()

    def __enter__(self) -> ScraperLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
