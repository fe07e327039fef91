"""What the parent process adds to a poll's usage document before anyone sees it.

After every successful poll (the tray's worker and `claude-tray status`), the
core hands the scraper's document to `Enricher.after_poll`, which stores the
readings in the history. The scraper child never does any of this: it only
reads the service.

This module must not start processes, touch the network or import Tk; it must
never raise to the core (a broken history or feed file costs the extras, never
the numbers).
"""

from __future__ import annotations

import logging
from datetime import datetime

from claude_tray import history
from claude_tray.documents import UsageDocument
from claude_tray.paths import AppPaths

log = logging.getLogger(__name__)


class Enricher:
    """Records each poll in the history."""

    def __init__(self, paths: AppPaths, *, retention_days: int = history.DEFAULT_RETENTION_DAYS):
        self._paths = paths
        self.retention_days = retention_days

    def record(self, document: UsageDocument, now: datetime | None = None) -> None:
        """One history row per limit of a fresh poll."""
        rows = [
            history.NewRow(limit.id, limit.percent, limit.resets_at, document.last_updated)
            for limit in document.limits
        ]
        try:
            history.add(
                self._paths.history_file,
                rows,
                source=document.source,
                retention_days=self.retention_days,
                now=now,
            )
        except Exception:  # the history is an extra; the numbers must still show
            log.exception("could not store the readings in the history")

    def after_poll(self, document: UsageDocument) -> UsageDocument:
        """The document as the tray and `status` show it, after storing its readings."""
        self.record(document)
        return document
