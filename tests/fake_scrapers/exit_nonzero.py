"""Prints a good document but exits 3 (the document still counts; the mismatch is logged)."""

import sys

from _common import GOOD, emit

emit(GOOD)
sys.exit(3)
