"""Records its start and end in the run record, takes a little while, prints a good document."""

import time

from _common import GOOD, emit, record

record("start")
time.sleep(0.15)
record("end")
emit(GOOD)
