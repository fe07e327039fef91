"""`python -m claude_tray`: the same as the `claude-tray` command (it must do nothing else)."""

from claude_tray.cli import main

raise SystemExit(main())
