"""Prints nothing to stdout, a traceback-like text (with a key-shaped secret) to stderr, exits 1."""

import sys

sys.stderr.write("Traceback (most recent call last):\n")
sys.stderr.write("  cookie sessionKey=sk-ant-sid01-FAKEfakeFAKEfake0123456789-stderrleak\n")
sys.stderr.write("RuntimeError: the fake scraper died\n")
sys.exit(1)
