"""Starts a grandchild outside its own process group (as Playwright starts Chromium), then hangs.

Portable (POSIX and Windows): the grandchild runs in a session of its own
(POSIX) or a new process group (Windows), ignores SIGTERM, and both append a
line to a heartbeat file every 0.1 s, so a test can see whether either still
lives without reading the process table. It must never print a document or
stop by itself: only the runner's time-out (or a kill) ends it, which is what the
tests measure.
"""

import os
import signal
import subprocess
import sys
import time

from _common import record

home = os.environ.get("CLAUDE_TRAY_HOME", ".")
beat_code = (
    "import os, signal, sys, time\n"
    "if hasattr(signal, 'SIGTERM'): signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "path = sys.argv[1]\n"
    "while True:\n"
    "    with open(path, 'a') as f: f.write('beat\\n')\n"
    "    time.sleep(0.1)\n"
)
argv = [sys.executable, "-c", beat_code, os.path.join(home, "grandchild.beat")]
if sys.platform == "win32":
    grandchild = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP
    )
else:
    grandchild = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
record(f"grandchild-{grandchild.pid}")
record("start")
if hasattr(signal, "SIGTERM"):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
while True:
    with open(os.path.join(home, "child.beat"), "a") as f:
        f.write("beat\n")
    time.sleep(0.1)
