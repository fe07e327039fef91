"""Atomic, private file writes.

Every file the app writes goes through `atomic_write`: a temporary file in the
same folder, flushed and fsynced, then `os.replace`, so a crash never leaves a
half-written session, config or cache. This module must not know what the
files mean.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

PRIVATE = 0o600
PRIVATE_DIR = 0o700


def make_private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if missing; a new last folder is 0700.

    Folders that hold sessions, logs and cached numbers are for the user alone;
    an existing folder's mode is left as the user set it.
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    return path


def atomic_write(path: Path, data: str | bytes, *, mode: int = PRIVATE) -> None:
    """Replace `path` with `data` in one step; the file gets `mode` (0600 by default)."""
    make_private_dir(path.parent)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # Windows has no POSIX modes
            # Set before any byte is written, so a secret is never readable by others.
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        with contextlib.suppress(OSError):
            path.chmod(mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def atomic_write_json(path: Path, value: Any, *, mode: int = PRIVATE) -> None:
    """Write `value` as indented JSON, atomically."""
    atomic_write(path, json.dumps(value, indent=2, sort_keys=True) + "\n", mode=mode)


def read_json(path: Path) -> Any:
    """Read a JSON file; raises OSError or ValueError (json.JSONDecodeError) on failure."""
    return json.loads(path.read_text(encoding="utf-8"))
