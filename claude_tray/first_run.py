"""The first start of the tray on this machine: welcome the user once, the right way.

The first poll decides. No web session and no Claude Code login (`no_session`):
the popup opens by itself with the ways to log in and the start-at-login
switch. Numbers read through Claude Code's login: the app says once where they
come from. Numbers from a web session: nothing to say. Either way a marker file
in the data folder records that the welcome happened, so it never repeats; an
error that decides nothing (network, timeout) leaves it pending.

This module only decides and keeps the marker; it must not touch the UI,
the network or any other file.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from claude_tray.errors import ErrorCode
from claude_tray.events import Event, RefreshFailed, UsageUpdated
from claude_tray.fileio import atomic_write_json

log = logging.getLogger(__name__)

MARKER_NAME = "first-run.json"


class Welcome(Enum):
    """What the app shows on the first start."""

    #: No login anywhere: open the popup with the ways to log in.
    LOG_IN = "log_in"
    #: Numbers came through Claude Code's login: say so.
    CLAUDE_CODE = "claude_code"


class FirstRun:
    """Decides the welcome from the first decisive event; remembers that it happened."""

    def __init__(self, data_dir: Path) -> None:
        self.marker = data_dir / MARKER_NAME
        self._pending = not self.marker.exists()

    @property
    def pending(self) -> bool:
        return self._pending

    def decide(self, event: Event) -> Welcome | None:
        """The welcome this event calls for (at most one, ever), or None."""
        if not self._pending:
            return None
        welcome: Welcome | None
        if isinstance(event, RefreshFailed) and event.code is ErrorCode.NO_SESSION:
            welcome = Welcome.LOG_IN
        elif isinstance(event, UsageUpdated) and not event.stale:
            welcome = Welcome.CLAUDE_CODE if event.document.source == "claude-code" else None
        else:
            return None  # not decisive yet: keep waiting for a poll that says something
        self._done(welcome)
        return welcome

    def _done(self, welcome: Welcome | None) -> None:
        self._pending = False
        try:
            atomic_write_json(
                self.marker,
                {
                    "welcomed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "welcome": welcome.value if welcome is not None else "none",
                },
            )
        except OSError as exc:  # the welcome then repeats at the next start; nothing is lost
            log.warning("could not record the first run in %s: %s", self.marker, exc)
