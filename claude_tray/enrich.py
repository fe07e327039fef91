"""What the parent process adds to a poll's usage document before anyone sees it.

After every successful poll (the tray's worker and `claude-tray status`), the
core hands the scraper's document to `Enricher.after_poll`, which

1. stores the poll's readings in the history;
2. merges the status-line feed (`feed`): for the session and weekly limits, a
   feed reading replaces the polled one when it is of a later window, or of the
   same window and read later; a feed reading of an older window never does
   (an idle Claude Code repeats the numbers of the last window it saw);
3. adds each limit's `pace` from the history, and keeps each limit's sparkline
   (`limit_extras`, which does both from the rows).

`refresh` does 2 and 3 again for the numbers already shown, when the feed file
changed between polls. The scraper child never does any of this.

`feed`, `history` and `limit_extras` are imported in the methods that use them: a
one-shot `status` makes its Enricher before it starts its child and uses it
only after, and loads them while the child runs (`core`, issue 12).

This module must not start processes itself (the tray's `store` is a
`history_child.ChildHistory`, which does), touch the network or import Tk; it must
never raise to the core (a broken history or feed file costs the extras, never
the numbers).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from claude_tray import trend
from claude_tray.documents import Limit, UsageDocument

if TYPE_CHECKING:
    from claude_tray.feed import Reading
    from claude_tray.history_child import HistoryStore
    from claude_tray.paths import AppPaths

log = logging.getLogger(__name__)

#: While the feed is fresh, the service is polled at most this often (for the limits
#: the feed does not carry: scoped weekly limits, extra usage).
FEED_POLL_SECONDS = 30 * 60


@dataclass(frozen=True)
class Enriched:
    document: UsageDocument
    live: bool  # some of its numbers are live from Claude Code's status line
    live_until: datetime | None = None  # when they stop counting as live


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Enricher:
    """History, feed merge and pace, for one data folder."""

    def __init__(self, paths: AppPaths, *, retention_days: int):
        self._paths = paths
        #: Where the history's reads and writes run: None for `history` in this process
        #: (imported when first used), or the tray's `history_child.ChildHistory`
        #: (keeps SQLite out of the tray).
        self.store: HistoryStore | None = None
        self.retention_days = retention_days
        self._feed_mtime: float | None = None
        # The worker (after a poll) and the UI thread (check_feed) both refresh.
        self._lock = threading.Lock()
        self.live = False
        #: While `live`: when the feed's newest merged reading stops counting as fresh.
        self.live_until: datetime | None = None
        #: The sparklines of the numbers last enriched (the popup draws them).
        self.trends: tuple[trend.Trend, ...] = ()

    def preload(self) -> None:
        """Import what `after_poll` will need (the core calls it while a poll's child runs)."""
        from claude_tray import feed, limit_extras  # noqa: F401

        self._history().preload()

    # -- 1. history -----------------------------------------------------------------

    def _history(self) -> HistoryStore:
        if self.store is None:
            from claude_tray import history

            self.store = history
        return self.store

    def record(self, document: UsageDocument, now: datetime | None = None) -> None:
        """One history row per limit of a fresh poll."""
        from claude_tray import history

        rows = [
            history.NewRow(limit.id, limit.percent, limit.resets_at, document.last_updated)
            for limit in document.limits
        ]
        try:
            self._history().add(
                self._paths.history_file,
                rows,
                source=document.source,
                retention_days=self.retention_days,
                now=now,
            )
        except Exception:  # the history is an extra; the numbers must still show
            log.exception("could not store the readings in the history")

    # -- 2. the feed ------------------------------------------------------------------

    def _feed(self) -> dict[str, Reading]:
        from claude_tray import feed

        path = self._paths.statusline_feed_file
        try:
            self._feed_mtime = path.stat().st_mtime
        except OSError:
            self._feed_mtime = None
            return {}
        return feed.load(path)

    def feed_changed(self) -> bool:
        """Whether the feed file changed since it was last read (a cheap stat)."""
        try:
            mtime: float | None = self._paths.statusline_feed_file.stat().st_mtime
        except OSError:
            mtime = None
        return mtime != self._feed_mtime

    def went_quiet(self, now: datetime | None = None) -> bool:
        """True when the numbers shown as live are no longer fresh (Claude Code is idle)."""
        return self.live and self.live_until is not None and (now or _utc_now()) >= self.live_until

    @staticmethod
    def merge(document: UsageDocument, readings: dict[str, Reading], now: datetime) -> Enriched:
        """The document with the newer of each limit's polled and fed readings."""
        from claude_tray import feed

        polled_at = document.last_updated
        limits: list[Limit] = []
        live = False
        live_until: datetime | None = None
        for limit in document.limits:
            reading = readings.get(limit.id)
            ours = feed.Reading(limit.id, limit.percent, limit.resets_at, polled_at)
            if reading is not None and reading != ours and feed.newer(reading, ours, now):
                limit = dataclasses.replace(
                    limit,
                    percent=reading.percent,
                    resets_at=reading.resets_at or limit.resets_at,
                )
                if now - reading.read_at < feed.FRESH_FOR:
                    live = True
                    until = reading.read_at + feed.FRESH_FOR
                    live_until = until if live_until is None else max(live_until, until)
            limits.append(limit)
        if limits == list(document.limits):
            return Enriched(document, False)
        return Enriched(document.with_limits(limits), live, live_until)

    # -- 3. pace ------------------------------------------------------------------------

    def with_pace(self, document: UsageDocument, now: datetime) -> UsageDocument:
        """Each limit with its `pace` from the history (None where it is not known).

        `limit_extras.for_limits` works out the paces and the sparklines, here or,
        for the tray, in its history child (which then sends back only those).
        """
        from claude_tray import limit_extras

        wanted = limit_extras.wanted_of(document.limits)
        try:
            found = self._history().extras(self._paths.history_file, wanted, now=now)
        except Exception:
            log.exception("could not read the history for the pace")
            found = limit_extras.for_limits([], wanted, now)
        self.trends = tuple(extras.trend for extras in found)
        limits = [
            dataclasses.replace(limit, pace=extras.pace)
            for limit, extras in zip(document.limits, found, strict=True)
        ]
        return dataclasses.replace(document, limits=limits)

    # -- together ---------------------------------------------------------------------------

    def after_poll(self, document: UsageDocument, now: datetime | None = None) -> UsageDocument:
        """The document as the tray and `status` show it, after storing its readings."""
        self.record(document)
        return self.refresh(document, now)

    def refresh(self, document: UsageDocument, now: datetime | None = None) -> UsageDocument:
        """Merge the feed and work out the pace again for numbers already shown."""
        at = now or _utc_now()
        with self._lock:
            try:
                enriched = self.merge(document, self._feed(), at)
                self.live = enriched.live
                self.live_until = enriched.live_until
                return self.with_pace(enriched.document, at)
            except Exception:  # an extra must never cost the numbers
                log.exception("could not add the feed or the pace to the numbers")
                return document
