"""Helpers for the lifeline tests: the processes of one run, found by its home folder.

A run (the tray, `claude-tray status`, a login) and everything it starts
(the scraper child, Playwright's driver, Chromium) carry the run's private
`CLAUDE_TRAY_HOME` in their command line (Chromium's profile folder) or their
environment (everything started through the runner). Zombies do not count:
they are dead, and whoever adopted them reaps them.

This module must not signal anything but what a test passes it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

from tests.support.child import start_module


def processes_of_run(home: Path) -> list[str]:
    """'pid: command line' of each living process whose command line or environment
    names `home` (this test process excluded)."""
    marker = str(home)
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if process.pid == os.getpid() or process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmdline = " ".join(process.info["cmdline"] or ())
            if marker in cmdline or process.environ().get("CLAUDE_TRAY_HOME") == marker:
                found.append(f"{process.pid}: {cmdline}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def gone_within(home: Path, limit: float) -> tuple[bool, float, list[str]]:
    """Wait (up to `limit` seconds) until no process of the run is left.

    Returns (all gone, seconds it took, what was left at the end), so a test
    checks the outcome and the time apart.
    """
    started = time.monotonic()
    left = processes_of_run(home)
    while left and time.monotonic() - started < limit:
        time.sleep(0.1)
        left = processes_of_run(home)
    return not left, time.monotonic() - started, left


def start_cli(args: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """`python -m claude_tray ARGS` as a real child (stdin /dev/null, output captured)."""
    return start_module("claude_tray", args, env)


def kill_run(home: Path) -> None:
    """Clean-up for a failed test: SIGKILL whatever of the run is still there."""
    for line in processes_of_run(home):
        with contextlib.suppress(OSError):
            os.kill(int(line.split(":", 1)[0]), 9)
