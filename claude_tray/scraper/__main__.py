"""`python -m claude_tray.scraper`: the scraper child (see `main.py`); it must do nothing else."""

import gc

from claude_tray.scraper.main import main

code = main()
# The document is out and this process is about to end: everything it still holds
# goes with it. Frozen, the interpreter's exit no longer walks every imported
# module's objects with the cyclic collector (about 7 ms of a 60 ms poll, issue 12);
# the exit still runs atexit (logging's flush) and closes the files.
gc.freeze()
raise SystemExit(code)
