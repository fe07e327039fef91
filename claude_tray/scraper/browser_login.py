"""Logging in to claude.ai in a visible browser window.

Opens `<base>/login` in a headed Chromium with the persistent profile, then
polls the browser's cookies and the open pages' addresses until there is a
non-empty `sessionKey` cookie and a page outside `/login`. claude.ai is a
single-page app: the address changes without a page load, so this polls
instead of waiting for a navigation event (claude-service.md).

This module must NOT be imported by the tray process (it loads Playwright);
it must not store the session (the caller does) and must never log a cookie
value, only cookie names.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

from playwright.sync_api import BrowserContext, Error
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.scraper.browser_transport import (
    close_context,
    context_cookies,
    first_line,
    launch_context,
)

log = logging.getLogger(__name__)

#: How often cookies and addresses are checked.
POLL_INTERVAL_SECONDS = 0.5

#: Longest wait for the browser to start (within the login's own time limit).
LAUNCH_TIMEOUT_SECONDS = 60.0

SESSION_COOKIE = "sessionKey"


class _Closed:
    """Set by the browser's events when the user closed the window."""

    def __init__(self) -> None:
        self.value = False

    def set(self, *_: object) -> None:
        self.value = True


def _needs_display() -> bool:
    """True on Linux/BSD desktops without an X11 or Wayland display to open a window on."""
    if sys.platform.startswith(("win", "darwin")):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def is_logged_in_url(url: str, base_url: str) -> bool:
    """True for an address on the service's site that is not the login page."""
    page = urllib.parse.urlsplit(url)
    base = urllib.parse.urlsplit(base_url)
    if page.scheme not in ("http", "https") or not page.hostname or not base.hostname:
        return False
    same_site = page.hostname == base.hostname or page.hostname.endswith("." + base.hostname)
    if not same_site or (page.port != base.port and page.hostname == base.hostname):
        return False
    path = page.path or "/"
    return not (path == "/login" or path.startswith(("/login/", "/login?")))


def _describe(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


def _cancelled() -> ClaudeTrayError:
    return ClaudeTrayError(
        ErrorCode.LOGIN_CANCELLED,
        "The login window was closed before the login finished. "
        "Run the login again to connect your claude.ai account.",
    )


def _logged_in(context: BrowserContext, base_url: str) -> dict[str, str] | None:
    """The cookies once the user is logged in, else None."""
    cookies = context_cookies(context, base_url)
    if not cookies.get(SESSION_COOKIE):
        return None
    if not any(is_logged_in_url(page.url, base_url) for page in context.pages):
        return None
    return cookies


def _cookie_ends(context: BrowserContext, base_url: str) -> dict[str, datetime]:
    """When the site's cookies end, where the browser knows (expires > 0)."""
    out: dict[str, datetime] = {}
    with contextlib.suppress(Error):
        for cookie in context.cookies([base_url.rstrip("/") + "/"]):
            name, expires = cookie.get("name"), cookie.get("expires")
            if name and isinstance(expires, (int, float)) and expires > 0:
                with contextlib.suppress(OverflowError, OSError, ValueError):
                    out[str(name)] = datetime.fromtimestamp(float(expires), tz=timezone.utc)
    return out


def run_browser_login(
    base_url: str,
    profile_dir: Path,
    browser: Path,
    *,
    timeout: float,
    ends: dict[str, datetime] | None = None,
) -> dict[str, str]:
    """Let the user log in in a visible window; returns the site's cookies.

    `ends`, when given, is filled with when each of those cookies ends (the
    browser's `expires`; a cookie for the browser session only has none).

    Raises `ClaudeTrayError`: login_cancelled when the user closes the window,
    login_timeout after `timeout` seconds, browser_missing when no window can
    open, network_error when the login page cannot be reached.
    """
    base_url = base_url.rstrip("/")
    if _needs_display():
        raise ClaudeTrayError(
            ErrorCode.BROWSER_MISSING,
            "A browser window cannot open here: there is no graphical display (DISPLAY is not "
            "set). Log in with a session key instead (claude-tray login --session-key -).",
        )
    deadline = time.monotonic() + timeout
    playwright, context = launch_context(
        Path(profile_dir),
        Path(browser),
        headless=False,
        timeout=min(LAUNCH_TIMEOUT_SECONDS, max(timeout, 1.0)),
        # The page follows the window's size instead of a fixed 1280x720.
        no_viewport=True,
    )
    try:
        closed = _Closed()
        context.on("close", closed.set)
        if context.browser is not None:
            context.browser.on("disconnected", closed.set)
        # A login is for a new session: a stale `sessionKey` left in the profile by
        # an earlier login would otherwise count as "logged in" at once, if the
        # site sends a browser that holds one straight on from /login.
        context.clear_cookies(name=SESSION_COOKIE)
        page = context.pages[0] if context.pages else context.new_page()
        login_url = base_url + "/login"
        log.info("login: waiting for the user in the browser window (%s)", login_url)
        try:
            page.goto(login_url, wait_until="commit", timeout=max(1.0, timeout) * 1000)
        except PlaywrightTimeoutError:
            # A slow page: the user may still log in once it arrives.
            log.info("login: the login page is slow to load; still waiting")
        except Error as exc:
            # "Target page, context or browser has been closed": the window went
            # away while the page loaded, possibly before its close event arrived.
            if closed.value or not context.pages or "has been closed" in str(exc):
                raise _cancelled() from exc
            raise ClaudeTrayError(
                ErrorCode.NETWORK_ERROR,
                f"The login page {login_url} could not be opened ({first_line(exc)}). "
                "Check the internet connection and try again.",
            ) from exc
        while True:
            if closed.value or not context.pages:
                raise _cancelled()
            try:
                cookies = _logged_in(context, base_url)
            except Error as exc:  # the browser went away between two checks
                if closed.value or not context.pages:
                    raise _cancelled() from exc
                raise ClaudeTrayError(
                    ErrorCode.INTERNAL_ERROR,
                    f"The browser stopped during the login ({first_line(exc)}).",
                ) from exc
            if cookies is not None:
                log.info("login: logged in; cookies received: %s", ", ".join(sorted(cookies)))
                if ends is not None:
                    ends.update(_cookie_ends(context, base_url))
                return cookies
            if time.monotonic() >= deadline:
                raise ClaudeTrayError(
                    ErrorCode.LOGIN_TIMEOUT,
                    f"The login was not finished within {_describe(timeout)}. "
                    "Run the login again and finish it in the browser window.",
                )
            try:
                # Waits with Playwright's events flowing, and wakes at once when the
                # browser closes; a timeout is the normal "not yet".
                context.wait_for_event("close", timeout=POLL_INTERVAL_SECONDS * 1000)
                closed.set()
            except PlaywrightTimeoutError:
                pass
            except Error:
                closed.set()
    finally:
        close_context(playwright, context)
