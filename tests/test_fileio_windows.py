"""Windows: a file another program holds open (a virus scanner, an indexer) is replaced
once it lets go; held for good, the write fails naming the file (issue 10, item 5)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from claude_tray.fileio import atomic_write

# Windows sharing rules (POSIX renames over open files): deselected off Windows (tests/conftest.py).
pytestmark = pytest.mark.windows_only


def hold_open(path: Path, seconds: float) -> threading.Thread:
    """Open `path` the way most programs do on Windows (no FILE_SHARE_DELETE, so a rename
    over it fails) and close it after `seconds`."""
    ready = threading.Event()

    def holder() -> None:
        with open(path, "rb"):
            ready.set()
            time.sleep(seconds)

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    ready.wait(10)
    return thread


def test_a_briefly_held_file_is_replaced_after_a_retry(tmp_path: Path) -> None:
    target = tmp_path / "cache.json"
    atomic_write(target, "old")
    holder = hold_open(target, 0.3)
    atomic_write(target, "new")
    holder.join(10)
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]  # no temporary left


def test_a_file_held_for_good_fails_naming_it_and_keeps_the_old_bytes(tmp_path: Path) -> None:
    target = tmp_path / "cache.json"
    atomic_write(target, "old")
    holder = hold_open(target, 4.0)
    started = time.monotonic()
    with pytest.raises(OSError) as raised:
        atomic_write(target, "new")
    waited = time.monotonic() - started
    holder.join(10)
    assert raised.value.filename == str(target)
    assert 0.5 < waited < 3.5  # it did try again, briefly
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]
