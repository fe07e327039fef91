"""Starts a grandchild that sleeps (like Chromium under Playwright), then hangs itself.

The grandchild carries the same marker argument as this script, so a test can
find it in the process table; it ignores SIGTERM to make the runner use SIGKILL.
"""

import subprocess
import sys
import time

from _common import record

marker = next((arg for arg in sys.argv if arg.startswith("fake-marker-")), "fake-marker-none")
child = subprocess.Popen(
    [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)",
        marker,
    ]
)
record(f"grandchild-{child.pid}")
record("start")
time.sleep(600)
