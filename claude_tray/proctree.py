"""The processes a process started, found and ended by pid (Linux: from /proc).

Chromium under Playwright runs in its own process group (Playwright starts it
detached), so ending the scraper child's group does not reach it; walking the
parent links does. Each process is remembered with its start time, so a pid
the kernel has handed to a new process meanwhile is never signalled.

On other systems `descendants` returns nothing: Windows puts the whole tree in
a Job object (`jobobject.py`), and on macOS the child's own lifeline (stdin)
and its process group are what ends the tree.

This module must not start processes (no `ps`), must not import anything
from the rest of the package, and must never signal a pid it did not just
see as a descendant with the same start time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

_PROC = Path("/proc")


class ProcessId:
    """A pid, and when it started (clock ticks since boot), so it cannot be confused.

    A plain class, not a dataclass: the runner imports this module, and `status`
    starts its child before dataclasses (with inspect, ~6 ms) is loaded (issue 12).
    """

    __slots__ = ("pid", "started")

    def __init__(self, pid: int, started: int) -> None:
        self.pid = pid
        self.started = started

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProcessId):
            return NotImplemented
        return (self.pid, self.started) == (other.pid, other.started)

    def __hash__(self) -> int:
        return hash((self.pid, self.started))

    def __repr__(self) -> str:
        return f"ProcessId(pid={self.pid}, started={self.started})"


def _stat(pid: int | str) -> tuple[int, int] | None:
    """(parent pid, start time) of `pid` from /proc/PID/stat, or None if gone/unreadable."""
    try:
        data = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or ')'.
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return int(fields[1]), int(fields[19])  # fields 4 and 22 of proc(5)
    except (IndexError, ValueError):
        return None


def supported() -> bool:
    return sys.platform.startswith("linux") and _PROC.is_dir()


def _has_no_children(pid: int) -> bool:
    """True when the kernel says `pid` has no child at all (/proc/PID/task/*/children);
    False when it has one, or when the kernel does not keep that list."""
    try:
        for task in os.listdir(_PROC / str(pid) / "task"):
            if (_PROC / str(pid) / "task" / task / "children").read_bytes().strip():
                return False
    except OSError:
        return False
    return True


def descendants(pid: int) -> list[ProcessId]:
    """Every living process below `pid` (children, grandchildren, …), parents first."""
    if not supported():
        return []
    if _has_no_children(pid):
        # Nothing below it: no need to read every process on the system (a few ms,
        # more on a busy desktop) at the end of each scraper child (issue 12).
        return []
    children: dict[int, list[ProcessId]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir(_PROC):
            if not entry.name.isdigit():
                continue
            stat = _stat(entry.name)
            if stat is not None:
                children.setdefault(stat[0], []).append(ProcessId(int(entry.name), stat[1]))
    found: list[ProcessId] = []
    todo = [pid]
    seen = {pid}
    while todo:
        for child in children.get(todo.pop(0), []):
            if child.pid not in seen:
                seen.add(child.pid)
                found.append(child)
                todo.append(child.pid)
    return found


def group_alive(pgid: int) -> bool:
    """True while a process of group `pgid` lives; zombies do not count (they are dead,
    and whoever adopted them reaps them: in a container that can take seconds)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(_PROC):
            if not entry.name.isdigit():
                continue
            try:
                data = (_PROC / entry.name / "stat").read_bytes()
            except OSError:
                continue
            fields = data[data.rfind(b")") + 2 :].split()
            if (
                len(fields) > 2
                and fields[2] == str(pgid).encode()
                and fields[0] not in (b"Z", b"X")
            ):
                return True
    return False


def alive(process: ProcessId) -> bool:
    """True while this very process (same pid, same start time) exists and is not a zombie."""
    try:
        state = (_PROC / str(process.pid) / "stat").read_bytes()
    except OSError:
        return False
    stat = _stat(process.pid)
    if stat is None or stat[1] != process.started:
        return False
    return state[state.rfind(b")") + 2 : state.rfind(b")") + 3] not in (b"Z", b"X")


def send(processes: list[ProcessId], signum: int) -> None:
    """Send `signum` to each process still alive as itself."""
    for process in processes:
        if alive(process):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(process.pid, signum)


def end(processes: list[ProcessId], grace: float) -> bool:
    """SIGTERM each, wait up to `grace` seconds, SIGKILL what is left; True if all ended."""
    send(processes, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(p) for p in processes):
        if time.monotonic() >= deadline:
            send(processes, signal.SIGKILL)
            break
        time.sleep(0.02)
    deadline = time.monotonic() + 2.0
    while any(alive(p) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not any(alive(p) for p in processes)
