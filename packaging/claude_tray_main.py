"""The frozen build's entry point: the `claude-tray` command, scraper included.

`<exe> scraper poll …` reaches the scraper through the command line's hidden
`scraper` command. Plain imports only: PyInstaller follows `import` statements,
not `__import__` strings (platform.md). This file must hold nothing else.
"""

from claude_tray.cli import main

raise SystemExit(main())
