"""Prints one good document, then hangs instead of exiting (a browser that will not close)."""

import time

from _common import GOOD, emit

emit(GOOD)
time.sleep(600)
