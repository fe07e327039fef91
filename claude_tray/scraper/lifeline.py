"""The scraper child's lifeline: it ends, with everything it started, when its parent does.

The runner starts the child with `CLAUDE_TRAY_LIFELINE=stdin` and
`CLAUDE_TRAY_PARENT_PID`, writes one hand-off line on the child's stdin (the
session key, or an empty line) and keeps the pipe open for as long as it
wants the child. Here, at the child's start:

- a watcher thread reads the hand-off line, then waits for end-of-file: the
  parent closed the pipe, or died (the system closes its end whatever killed
  it: SIGKILL, a crash, `os._exit` of the quit watchdog, the end of the X
  session). Works on every system.
- on Linux, `PR_SET_PDEATHSIG` asks the kernel for SIGTERM when the parent
  goes; the parent pid is checked right after, because a parent that died
  before the call would never send it. (The signal comes when the parent
  *thread* that started us ends; the runner supervises from that thread until
  we are gone, so that is the same thing here.)
- on Linux the child is a child subreaper for its own descendants only: when
  Playwright's driver dies, the Chromium it started (in a process group of
  its own) is re-parented to this child rather than to init, so it is still
  found below us and ended. (The tray process itself no longer sets this
  flag: it adopted the user's own browser, opened by "Open usage page", and
  left it a zombie.)
- SIGTERM and SIGHUP (the runner's time-out or cancel, the parent's death)
  end the descendants (SIGTERM, then SIGKILL after a short grace) and exit at
  once, printing nothing: nobody reads the answer of a run that was given up,
  and a login ended this way stores nothing.

The main thread waits for the hand-off line before it starts anything, so on
Windows the runner has put the child in its Job object before any grandchild
exists.

This module must not print to stdout, must not log a secret (the hand-off
line is a session key), and must not import Playwright. What only a tied
child uses (signals, ctypes, the process tree) is imported when `install`
finds the lifeline asked for: a child started by hand does not pay for it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Mapping
from types import FrameType

ENV_LIFELINE = "CLAUDE_TRAY_LIFELINE"
ENV_PARENT_PID = "CLAUDE_TRAY_PARENT_PID"
#: How long the child waits for the hand-off line before it gives up on its parent.
HANDOFF_WAIT_SECONDS = 30.0
#: How long descendants get after SIGTERM before SIGKILL when the child ends them.
DESCENDANT_GRACE_SECONDS = 0.5

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

_handoff = threading.Event()
_handoff_line = ""
_dying = threading.Lock()
_active = False


def _stderr(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.write(2, f"scraper lifeline: {text}\n".encode())


def end_descendants() -> None:
    """End every process this child started (Chromium, Playwright's driver) that is left."""
    from claude_tray import proctree  # loaded by `install` already (see there)

    processes = proctree.descendants(os.getpid())
    if processes:
        proctree.end(processes, DESCENDANT_GRACE_SECONDS)


def die(reason: str) -> None:
    """End the descendants and exit now (code 1), whatever the main thread is doing."""
    if not _dying.acquire(blocking=False):
        return  # another thread is already on its way out
    _stderr(f"{reason}; ending")
    with contextlib.suppress(Exception):
        end_descendants()
    os._exit(1)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    die(f"signal {signum}")


def _watch_stdin() -> None:
    global _handoff_line
    buffer = b""
    try:
        while b"\n" not in buffer:
            chunk = os.read(0, 4096)
            if not chunk:
                break
            buffer += chunk
    except OSError:
        pass
    line, found, _rest = buffer.partition(b"\n")
    if found:
        _handoff_line = line.decode("utf-8", "replace")
        _handoff.set()
        try:
            while os.read(0, 4096):
                pass  # the parent writes nothing more; EOF is the signal
        except OSError:
            pass
    die("the parent closed the lifeline (stdin)")


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prctl(option: int, value: int) -> bool:
    import ctypes  # Linux only, and only for a tied child

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def install(env: Mapping[str, str]) -> bool:
    """Tie this process's life to its parent's, if the runner asked for it; True if so.

    Returns at once when the child was started by hand (no lifeline variable):
    then stdin is the user's and is read as before.
    """
    global _active
    if env.get(ENV_LIFELINE) != "stdin":
        return False
    # Only a tied child needs these; the process tree is loaded now so that
    # dying (from a signal handler, the watcher thread) never has to import.
    import signal

    from claude_tray import proctree  # noqa: F401

    _active = True
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, _on_signal)
    if sys.platform.startswith("linux"):
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        expected = env.get(ENV_PARENT_PID, "")
        if expected.isdigit() and os.getppid() != int(expected) and not _exists(int(expected)):
            # (A one-file frozen build has its bootloader between the app and this
            # process: then the parent pid differs while the app still lives, and
            # the stdin lifeline, shared through the bootloader, is what holds.)
            die("the parent was gone before the lifeline was tied")
    threading.Thread(target=_watch_stdin, name="lifeline", daemon=True).start()
    if not _handoff.wait(HANDOFF_WAIT_SECONDS):
        die("no hand-off from the parent")
    return True


def active() -> bool:
    return _active


def handoff_line() -> str:
    """The line the parent handed over on stdin (a session key, or empty)."""
    return _handoff_line
