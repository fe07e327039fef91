"""The real scraper child, tied by the app's lifeline, ends when its parent does.

What `claude_tray/scraper/lifeline.py` promises, checked on `python -m
claude_tray.scraper` itself (the browser tests check it with Chromium below):
end-of-file on stdin ends the child, SIGTERM ends it printing nothing, and on
Linux the kernel's parent-death signal ends it even while its stdin is still
open elsewhere (`PR_SET_PDEATHSIG`). The child waits for the hand-off line before it does anything,
so none of these needs a session or the emulator.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from claude_tray.scraper.lifeline import ENV_LIFELINE, ENV_PARENT_PID
from tests.support.child import REPO
from tests.support.scraper import scraper_env

# The tests watch the child through /proc (its caught signals, whether it runs).
pytestmark = [
    pytest.mark.posix_only,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

_CHILD = [sys.executable, "-m", "claude_tray.scraper", "poll", "--source", "web"]


def _tied_env(parent_pid: int) -> dict[str, str]:
    return scraper_env(extra={ENV_LIFELINE: "stdin", ENV_PARENT_PID: str(parent_pid)})


def _start_tied() -> subprocess.Popen[bytes]:
    """The scraper child as the runner starts it: tied to this process, every pipe ours."""
    return subprocess.Popen(
        _CHILD,
        cwd=REPO,
        env=_tied_env(os.getpid()),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_end_of_file_on_stdin_ends_the_tied_child_printing_nothing() -> None:
    child = _start_tied()
    out, err = child.communicate(b"", timeout=60)  # closes stdin before any hand-off
    assert child.returncode == 1
    assert out == b""
    assert b"the parent closed the lifeline" in err, err[-2000:]


def test_sigterm_ends_the_tied_child_printing_nothing() -> None:
    child = _start_tied()
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    try:
        assert _tied(child.pid)
        child.send_signal(signal.SIGTERM)
        # stdin stays open until the child is gone: its end-of-file would end it too.
        child.wait(60)
        out, err = child.stdout.read(), child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        child.stdin.close()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == 1
    assert out == b""
    assert f"signal {int(signal.SIGTERM)}".encode() in err, err[-2000:]


def test_the_tied_child_ends_with_its_parent_while_stdin_stays_open(tmp_path: Path) -> None:
    """The parent is SIGKILLed; this test keeps the child's stdin open, so only the
    kernel's parent-death signal can end it (well before the 30 s hand-off wait)."""
    read_end, write_end = os.pipe()
    err_file = tmp_path / "child.err"
    parent_code = (
        "import os, subprocess, sys, time\n"
        f"env = dict(os.environ, {ENV_PARENT_PID}=str(os.getpid()))\n"
        f"with open({str(err_file)!r}, 'wb') as err:\n"
        f"    child = subprocess.Popen(sys.argv[1:], stdin={read_end}, stderr=err, env=env,\n"
        f"                             stdout=subprocess.DEVNULL, pass_fds=({read_end},))\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code, *_CHILD],
        cwd=REPO,
        env=_tied_env(0),  # the real parent pid is set by the parent itself
        stdout=subprocess.PIPE,
        pass_fds=(read_end,),
        text=True,
    )
    os.close(read_end)
    child_pid = -1
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert _tied(child_pid)
        parent.kill()
        parent.wait(30)
        assert _gone(child_pid, 20), "the child outlived its parent"
    finally:
        os.close(write_end)
        if parent.poll() is None:
            parent.kill()
            parent.wait(30)
        if parent.stdout is not None:
            parent.stdout.close()
        _gone(child_pid, 20)
    assert f"signal {int(signal.SIGTERM)}".encode() in err_file.read_bytes()


def _tied(pid: int, limit: float = 60.0) -> bool:
    """True once every tie is made, while the child still runs: it catches SIGTERM and
    its lifeline thread runs (started last, after PR_SET_PDEATHSIG and the parent check)."""

    def ready() -> bool:
        return _catches_sigterm(pid) and _threads(pid) >= 2

    return _wait(lambda: ready() or not _alive(pid), limit) and _alive(pid)


def _threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def _catches_sigterm(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            caught = next(line for line in handle if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) & (1 << (int(signal.SIGTERM) - 1)))


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie does not count: it has ended)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2 : data.rfind(b")") + 3] not in (b"Z", b"X")


def _gone(pid: int, limit: float) -> bool:
    return pid < 0 or _wait(lambda: not _alive(pid), limit)


def _wait(condition: Callable[[], bool], limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
