"""Ignores SIGTERM and never answers, so only SIGKILL ends it."""

import signal
import time

from _common import record

signal.signal(signal.SIGTERM, signal.SIG_IGN)
record("start")
time.sleep(600)
