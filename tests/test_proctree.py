"""The processes below a process, found from /proc (claude_tray/proctree.py), on real children."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claude_tray import proctree
from tests.support.child import REPO

pytestmark = [
    pytest.mark.posix_only,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

#: A child that starts a grandchild, prints both pids, and waits for its stdin to close.
_PARENT = (
    "import subprocess, sys\n"
    "grandchild = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.read()'],\n"
    "                              stdin=subprocess.PIPE)\n"
    "print(grandchild.pid, flush=True)\n"
    "sys.stdin.read()\n"
    "grandchild.stdin.close()\n"
    "grandchild.wait()\n"
)


def test_descendants_are_the_children_and_theirs_parents_first() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        grandchild = int(child.stdout.readline())
        assert [process.pid for process in proctree.descendants(child.pid)] == [grandchild]
        # Below this test process too (with whatever else it runs), the parent first.
        found = [process.pid for process in proctree.descendants(os.getpid())]
        assert child.pid in found and grandchild in found
        assert found.index(child.pid) < found.index(grandchild)
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(30)
        child.stdout.close()
    deadline = time.monotonic() + 30
    while _pids_below_me() & {child.pid, grandchild} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _pids_below_me() & {child.pid, grandchild} == set()
    assert proctree.descendants(child.pid) == []  # gone: nothing below it either


def _pids_below_me() -> set[int]:
    return {process.pid for process in proctree.descendants(os.getpid())}


@pytest.mark.skipif(
    not Path(f"/proc/self/task/{os.getpid()}/children").exists(),
    reason="this kernel lists no children in /proc (CONFIG_PROC_CHILDREN): proctree scans",
)
def test_a_process_without_children_is_answered_without_reading_every_process() -> None:
    """The scraper child asks this at the end of every run: without a child of its own the
    kernel's list of its children says so, and the rest of /proc is never read."""
    code = (
        "import json, os, sys\n"
        "scans = []\n"
        "sys.addaudithook(lambda event, args: scans.append(str(args[0]))"
        " if event == 'os.scandir' else None)\n"
        "from claude_tray import proctree\n"
        "print(json.dumps([proctree.descendants(os.getpid()), scans]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found, scans = json.loads(done.stdout)
    assert found == []
    assert scans == []
