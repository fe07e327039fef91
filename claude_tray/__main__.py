"""`python -m claude_tray`: the same as the `claude-tray` command."""

from claude_tray.cli import main

raise SystemExit(main())
