"""Exclusive OS locks on an open file: flock on POSIX, msvcrt on Windows.

The one place that knows how each platform locks a file, shared by the scraper
lock (one scraper run at a time), the read budget (one counter for all
processes) and the status-line feed (two Claude Code sessions writing at
once). The OS drops the lock when the process ends, however it ends.

This module must not open, create or close files, must not decide what a caller
does when a lock is held elsewhere, and only `lock` waits (as the OS does).
"""

from __future__ import annotations

import sys
from typing import IO


def try_lock(handle: IO[bytes]) -> bool:
    """Take an exclusive lock on `handle` at once; False when another holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def lock(handle: IO[bytes]) -> None:
    """Take an exclusive lock on `handle`, waiting while another holds it.

    POSIX waits as long as it takes; Windows' msvcrt tries for about 10 s, then
    raises `OSError`.
    """
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def unlock(handle: IO[bytes]) -> None:
    """Release the lock `try_lock` took; raises `OSError` if the OS refuses."""
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
