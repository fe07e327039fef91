"""Never answers (sleeps far longer than any test's time limit)."""

import time

from _common import record

record("start")
time.sleep(600)
