"""Writes 16 MB to stderr before printing one good document."""

import sys

from _common import GOOD, emit

line = "noise " * 100 + "\n"
for _ in range(16 * 1024 * 1024 // len(line)):
    sys.stderr.write(line)
sys.stderr.flush()
emit(GOOD)
