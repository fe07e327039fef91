"""A real window manager (openbox) on a test display, for popup tests under a WM.

linux-desktops.md section 8: openbox 3.6 on Xvfb sets `_NET_SUPPORTING_WM_CHECK`
within about 1.5 s. This module only starts and stops openbox; it must NOT
start Xvfb, a tray host or the app.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.display import XvfbDisplay

START_TIMEOUT = 20.0  # generous: a shared, loaded machine


def wm_running(display: XvfbDisplay) -> bool:
    """Whether some window manager has set `_NET_SUPPORTING_WM_CHECK` on the root."""
    done = subprocess.run(
        ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"],
        env=display.env(),
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return "window id #" in done.stdout


def _start(program: str, display: XvfbDisplay) -> subprocess.Popen[bytes] | str:
    """openbox once it manages the display, or why it did not (its exit and output)."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [program, "--sm-disable"],
            env=display.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not wm_running(display):
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=10)
                stderr.seek(0)
                tail = stderr.read()[-400:].decode("utf-8", "replace").strip()
                return f"exit {process.returncode}: {tail or '(no output)'}"
            time.sleep(0.1)
        return process


@contextmanager
def openbox(display: XvfbDisplay, attempts: int = 2) -> Iterator[subprocess.Popen[bytes]]:
    """openbox managing `display` for the block; stopped (and waited for) afterwards.

    Test equipment, not the product: an openbox that exits at start (seen once
    in about twenty starts on the shared machine) is started once more.
    """
    program = shutil.which("openbox")
    if program is None:
        raise RuntimeError("openbox is not installed (apt-get install openbox)")
    failures: list[str] = []
    process: subprocess.Popen[bytes] | None = None
    for _ in range(attempts):
        started = _start(program, display)
        if not isinstance(started, str):
            process = started
            break
        failures.append(started)
    if process is None:
        raise RuntimeError(f"openbox did not take {display.name}: {failures}")
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        # The root keeps the old check window id after openbox exits; remove it so
        # the next test (and the popup code) sees a display without a WM.
        subprocess.run(
            ["xprop", "-root", "-remove", "_NET_SUPPORTING_WM_CHECK"],
            env=display.env(),
            capture_output=True,
            timeout=10,
            check=False,
        )
