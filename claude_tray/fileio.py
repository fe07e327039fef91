"""Atomic, private file writes.

Every file the app writes goes through `atomic_write`: a temporary file in the
same folder, flushed and fsynced, then `os.replace`, so a crash never leaves a
half-written session, config or cache (a file whose loss costs nothing may skip
the fsync: `durable=False`). When the write fails (a full disk, a
read-only home, a file held by another program) the old file is untouched,
the temporary file is removed, and the `OSError` raised names the file that
was being written (not the temporary one); `write_problem` turns it into a
sentence for a person. This module must not know what the files mean, and
must not decide what a caller does about a failed write.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import time
from pathlib import Path

TYPE_CHECKING = False  # typing's constant without importing typing (the runner imports us)
if TYPE_CHECKING:
    from typing import Any

PRIVATE = 0o600
PRIVATE_DIR = 0o700
#: Windows: waits between tries of a rename a scanner blocks (about 1 s in all).
REPLACE_RETRY_DELAYS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4)


def make_private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if missing; a new last folder is 0700.

    Folders that hold sessions, logs and cached numbers are for the user alone;
    an existing folder's mode is left as the user set it.
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    return path


def _replace(source: str, target: Path) -> None:
    """Move the finished temporary file over the target in one step.

    The one place that renames: on Windows a virus scanner or an indexer can
    hold the target open for a moment, and `os.replace` then fails with
    PermissionError (ERROR_ACCESS_DENIED or ERROR_SHARING_VIOLATION); it is tried
    again for about a second before the error counts. Elsewhere a PermissionError is
    a real permission problem: no retry.
    """
    if sys.platform != "win32":
        os.replace(source, target)
        return
    for delay in REPLACE_RETRY_DELAYS:
        try:
            os.replace(source, target)
            return
        except PermissionError:
            time.sleep(delay)
    os.replace(source, target)  # the last try: its error is the caller's


def atomic_write(
    path: Path, data: str | bytes, *, mode: int = PRIVATE, durable: bool = True
) -> None:
    """Replace `path` with `data` in one step; the file gets `mode` (0600 by default).

    Raises `OSError` naming `path` when the write fails; `path` is then as it was.
    `durable=False` does not wait for the disk (no fsync, 1-10 ms): the file is
    still never seen half-written, but a power cut may leave it empty or old.
    Only for files whose loss costs nothing.
    """
    # Imported here: tempfile pulls in random (~3 ms) and a poll that writes
    # nothing should not pay for it (issue 12).
    import tempfile

    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp_name: str | None = None
    try:
        make_private_dir(path.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        if hasattr(os, "fchmod"):  # Windows has no POSIX modes
            # Set before any byte is written, so a secret is never readable by others.
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        _replace(tmp_name, path)
        tmp_name = None
        with contextlib.suppress(OSError):
            path.chmod(mode)
    except OSError as exc:
        if exc.filename == str(path) or exc.errno is None:
            raise
        # The caller asked to write `path`: name it, not the temporary file.
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def atomic_write_json(path: Path, value: Any, *, mode: int = PRIVATE) -> None:
    """Write `value` as indented JSON, atomically."""
    atomic_write(path, json.dumps(value, indent=2, sort_keys=True) + "\n", mode=mode)


def write_problem(what: str, exc: OSError, path: Path | None = None) -> str:
    """A sentence for a person: `what` could not be saved to the file, why, and what to do.

    `what` is a noun phrase ("The usage numbers", "The new claude.ai session key").
    """
    where = path if path is not None else (exc.filename or "its file")
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        why, advice = "the disk is full", "Free some disk space; claude-tray tries again."
    elif code == errno.EROFS:
        why = "the folder is on a read-only file system"
        advice = (
            "Make it writable, or point CLAUDE_TRAY_HOME to a writable folder "
            "(`claude-tray paths` shows the folders)."
        )
    elif code in (errno.EACCES, errno.EPERM) and sys.platform == "win32":
        why = "another program (often a virus scanner or a backup tool) holds the file"
        advice = "claude-tray tries again at the next refresh."
    elif code in (errno.EACCES, errno.EPERM):
        why = "permission denied"
        advice = "Check that the folder and the file belong to you and are writable."
    else:
        why = exc.strerror or type(exc).__name__
        advice = "Check the disk and the folder; claude-tray tries again."
    return f"{what} could not be saved to {where} ({why}). {advice}"


def read_json(path: Path) -> Any:
    """Read a JSON file; raises OSError or ValueError (json.JSONDecodeError) on failure."""
    return json.loads(path.read_text(encoding="utf-8"))
