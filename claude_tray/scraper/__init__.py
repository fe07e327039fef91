"""The scraper: a child program that reads usage and prints one JSON document.

Run as `python -m claude_tray.scraper {check-session,login,poll}`. Nothing in
this package may import Tk or pystray; Playwright is imported only inside the
browser modules, and only when the browser is really needed.
"""
