"""`python -m claude_tray.scraper`: the scraper child (see `main.py`); it must do nothing else."""

import gc

# The child runs one command and exits; on the fast path (one HTTP request, about
# 60 ms) most of its time goes on loading modules that then live until the exit, and
# the cyclic collector would walk them again and again while they load (about 3 ms,
# issue 12). So it is off here; the browser path, which runs for seconds or minutes,
# turns it back on where Playwright starts (browser_transport.launch_context).
gc.disable()

from claude_tray.scraper.main import main  # noqa: E402 (after the collector is off)

code = main()
# The document is out and this process is about to end: everything it still holds
# goes with it. Frozen, the interpreter's exit no longer walks every imported
# module's objects with the cyclic collector (about 7 ms of a 60 ms poll, issue 12);
# the exit still runs atexit (logging's flush) and closes the files.
gc.freeze()
raise SystemExit(code)
