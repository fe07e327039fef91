"""Starts a sleeping grandchild, prints a good document and exits, leaving the grandchild."""

import subprocess
import sys

from _common import GOOD, emit, record

marker = next((arg for arg in sys.argv if arg.startswith("fake-marker-")), "fake-marker-none")
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", marker])
record(f"grandchild-{child.pid}")
emit(GOOD)
