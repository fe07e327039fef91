"""claude-tray: a tray icon that shows how much of your Claude plan limits is used.

This package must not import anything heavy at import time (no Tk, no pystray,
no Playwright): the command line and the scraper child import it first.
"""

__version__ = "0.1.0"
