"""A private Xvfb display for GUI tests.

`Xvfb -displayfd FD` picks a free display number itself and writes it to the
pipe, so tests that run in parallel (several helpers on one machine, or
pytest-xdist) never fight over `:99`. This module only starts and stops the
server; it must NOT start a tray host, a window manager or the app, and it must
not change `os.environ` (callers pass `display.name` to whatever needs it).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

DEFAULT_SCREEN = "1280x800x24"
START_TIMEOUT = 30.0  # generous: the machine is shared and Xvfb may start slowly under load


@dataclass
class XvfbDisplay:
    """A running Xvfb server; `name` is the DISPLAY value such as ":7"."""

    name: str
    process: subprocess.Popen[bytes]
    screen: str = DEFAULT_SCREEN
    _stopped: bool = field(default=False, repr=False)

    @property
    def number(self) -> int:
        """The display number without the colon."""
        return int(self.name.lstrip(":"))

    @property
    def size(self) -> tuple[int, int]:
        """Width and height of screen 0 in pixels."""
        width, height, _depth = self.screen.split("x")
        return int(width), int(height)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """A copy of `base` (default: os.environ) with DISPLAY set to this server."""
        result = dict(os.environ if base is None else base)
        result["DISPLAY"] = self.name
        return result

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server and wait for it; kill it if it does not go."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


def start_xvfb(screen: str = DEFAULT_SCREEN, timeout: float = START_TIMEOUT) -> XvfbDisplay:
    """Start Xvfb on a free display number and return once it accepts clients."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    # -noreset: by default an X server resets itself whenever its last client
    # disconnects, and drops any connection still in its handshake at that moment.
    # Before trayer is up, the only other clients are short-lived probes (the tray
    # selection check, xdotool, screenshots), so trayer's own connection could fall
    # into a reset: "cannot open display" and no tray host (7 of 150 host starts here
    # under load, both attempts in a row; 0 of 150 with -noreset).
    try:
        process = subprocess.Popen(
            [
                xvfb,
                "-displayfd",
                str(write_fd),
                "-noreset",
                "-screen",
                "0",
                screen,
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write_fd,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        os.close(write_fd)
    try:
        number = _read_display_number(read_fd, process, timeout)
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        os.close(read_fd)
    # Xvfb writes the number once it listens, so the display is usable now.
    return XvfbDisplay(name=f":{number}", process=process, screen=screen)


def _read_display_number(fd: int, process: subprocess.Popen[bytes], timeout: float) -> int:
    """Read the display number Xvfb writes (digits and a newline) to the pipe."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(f"Xvfb did not report a display within {timeout:.0f} s")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                break
            data += chunk
        elif process.poll() is not None:
            raise RuntimeError(f"Xvfb exited with {process.returncode} before it was ready")
    text = data.decode("ascii", "replace").strip()
    if not text.isdigit():
        raise RuntimeError(f"Xvfb reported an unexpected display {text!r}")
    return int(text)


@contextmanager
def xvfb_display(screen: str = DEFAULT_SCREEN) -> Iterator[XvfbDisplay]:
    """Context manager: a running Xvfb for the block, stopped afterwards."""
    display = start_xvfb(screen)
    try:
        yield display
    finally:
        display.stop()


@pytest.fixture(scope="session")
def xvfb() -> Iterator[XvfbDisplay]:
    """A private Xvfb for in-process Tk tests (import this fixture into the test module).

    Session-scoped because Tk 8.6 never closes an X connection before the
    process exits: a display stopped after one module kills the next module's
    Tk event loop on the broken connection.
    """
    with xvfb_display() as display:
        yield display
