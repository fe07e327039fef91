"""`python -m claude_tray.scraper`: the scraper child (see `main.py`); it must do nothing else."""

from claude_tray.scraper.main import main

raise SystemExit(main())
