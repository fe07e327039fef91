"""One scraper run at a time across processes (the OS file lock in `lock.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from claude_tray.errors import ErrorCode
from claude_tray.scraper.lock import LockBusyError, ScraperLock
from tests.support.scraper import REPO_ROOT, run_scraper, scraper_env, store_session

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from claude_tray.scraper.lock import ScraperLock
    with ScraperLock(Path(sys.argv[1]), wait=5):
        print("held", flush=True)
        sys.stdin.readline()  # hold until the test closes stdin
    """
)


def _hold(path: Path) -> subprocess.Popen[str]:
    """A separate process that holds the lock until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.close()
    holder.wait(timeout=30)
    holder.stdout.close()


def test_lock_is_reentrant_after_release(tmp_path: Path) -> None:
    """The lock can be taken again once released."""
    path = tmp_path / "scraper.lock"
    with ScraperLock(path, wait=1):
        pass
    with ScraperLock(path, wait=1):
        pass


def test_the_file_names_its_holder_written_in_place(tmp_path: Path) -> None:
    """The holder's pid, for a person looking; each holder writes over the last one at
    one width, never truncating the file (on ext4 that costs ~0.7 ms of every poll).
    Read after each release: Windows does not let anyone read a locked byte."""
    path = tmp_path / "scraper.lock"
    path.write_bytes(b"4194304   \n")  # a long pid from an earlier holder
    holder = _hold(path)
    _release(holder)
    # (The line may end in \r\n on Windows: os.open without O_BINARY is text mode there.)
    assert path.read_bytes().rstrip(b"\r\n") == f"{holder.pid:<10}".encode()
    inode = path.stat().st_ino
    with ScraperLock(path, wait=1):
        pass
    assert path.read_bytes().rstrip(b"\r\n") == f"{os.getpid():<10}".encode()
    assert path.stat().st_ino == inode


def test_second_process_waits_then_gives_up(tmp_path: Path) -> None:
    """While another process holds the lock, taking it fails after the bounded wait."""
    path = tmp_path / "scraper.lock"
    holder = _hold(path)
    try:
        started = time.monotonic()
        with pytest.raises(LockBusyError) as caught:
            ScraperLock(path, wait=0.5).acquire()
        assert time.monotonic() - started >= 0.5
        assert caught.value.code is ErrorCode.BUSY
    finally:
        _release(holder)
    with ScraperLock(path, wait=5):  # free again once the holder is gone
        pass


def test_lock_freed_when_holder_dies(tmp_path: Path) -> None:
    """A killed holder never leaves a stale lock behind."""
    path = tmp_path / "scraper.lock"
    holder = _hold(path)
    holder.kill()
    _release(holder)  # reaps the killed holder and closes its pipes
    with ScraperLock(path, wait=5):
        pass


def test_busy_scraper_prints_a_busy_document() -> None:
    """A scraper child that cannot get the lock held by another process prints `busy`, exit 1.

    (issue 7 item 3: it was `timeout`, which read as "claude.ai did not answer".)
    """
    paths = store_session("sk-ant-sid01-LockTestFake0000aaaaBBBBccccDDDD_eeee-ffff")
    holder = _hold(paths.scraper_lock_file)
    try:
        run = run_scraper(
            ["poll", "--lock-wait", "0.5"], scraper_env(base_url="http://127.0.0.1:9")
        )
    finally:
        _release(holder)
    assert run.returncode == 1
    assert run.document["error"] == "busy"
    assert "Another claude-tray process" in run.document["message"]
