"""`python -m claude_tray.scraper`: the scraper child program (see `main.py`)."""

from claude_tray.scraper.main import main

raise SystemExit(main())
