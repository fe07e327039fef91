"""Prints 8 MB to stdout (never a document), then exits 0."""

import sys

block = "x" * 65536
for _ in range(128):
    sys.stdout.write(block)
sys.stdout.flush()
