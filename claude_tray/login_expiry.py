"""A warning a few days before the stored claude.ai login ends, once per login.

The scraper child stores when the `sessionKey` cookie ends when the service
says so (its Max-Age or Expires, `WebSession.key_expires_at`); `check` reads
that back and, inside the last `WARN_AHEAD`, returns the words for a
notification with the Log in action, once: a small file in the data folder
remembers which expiry was already announced.

This module must not log or return the session key, must not write the
session file, and must not raise (a file it cannot read means no warning).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from claude_tray.fileio import atomic_write_json, read_json
from claude_tray.paths import AppPaths
from claude_tray.text_format import format_clock, format_countdown

log = logging.getLogger(__name__)

#: How long before the end the warning comes.
WARN_AHEAD = timedelta(days=3)


@dataclass(frozen=True)
class ExpiryWarning:
    expires_at: datetime
    title: str
    body: str


def _marker(paths: AppPaths) -> Path:
    """Which expiry was announced last (so each is announced once)."""
    return paths.data_dir / "login_expiry_warned.json"


def stored_expiry(paths: AppPaths) -> datetime | None:
    """When the stored web session's key ends, if the service said; None otherwise."""
    from claude_tray.scraper.session_store import load_session

    try:
        session = load_session(paths)
    except Exception:  # unreadable: the poll will say so; no warning from here
        return None
    return None if session is None or session.invalid else session.key_expires_at


def warning_for(expires_at: datetime, now: datetime) -> ExpiryWarning | None:
    """The words, when `expires_at` is within the warning window (and not past)."""
    left = expires_at - now
    if not timedelta(0) < left <= WARN_AHEAD:
        return None
    return ExpiryWarning(
        expires_at,
        f"Your claude.ai login ends in {format_countdown(expires_at, now)}",
        f"Log in again before {format_clock(expires_at, now)} so the numbers keep coming.",
    )


def check(paths: AppPaths, now: datetime) -> ExpiryWarning | None:
    """The warning to show now, or None; each expiry is announced only once."""
    expires_at = stored_expiry(paths)
    if expires_at is None:
        return None
    warning = warning_for(expires_at, now)
    if warning is None:
        return None
    marker = _marker(paths)
    try:
        seen = read_json(marker)
    except (OSError, ValueError):
        seen = None
    stamp = expires_at.isoformat()
    if isinstance(seen, dict) and seen.get("expires_at") == stamp:
        return None
    try:
        atomic_write_json(marker, {"expires_at": stamp})
    except OSError as exc:  # then it may be said again after a restart; no harm
        log.warning("could not note that the login expiry was announced: %s", exc)
    log.info("the stored claude.ai login ends at %s; warning once", stamp)
    return warning
