"""When the tray's icon or tooltip will next change by itself, with no new event.

Between polls the icon shows the same numbers; only the passing of time can
change what it shows: the numbers turn stale (older than two intervals), the
"updated 5 min ago" of a stale or failed reading moves on, and a reset named
by its weekday ("resets Thu 10:00") becomes "today" at local midnight. The app
sets one Tk timer for the earliest of these moments instead of re-evaluating
the icon every minute (issue 12: no wake-ups between polls).

It errs on the early side: an extra look that finds nothing changed costs one
wake-up; a missed moment would leave the icon wrong until the next event.
Whatever else changes the view (a poll, the feed, a login) arrives as an event
and the app looks again then.

This module must not read files or the clock itself (the caller passes `now`),
and must not know about Tk or the tray.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from datetime import time as clock_time
from typing import Any

from claude_tray.text_format import is_stale


def _age_changes_at(updated: datetime, now: datetime) -> datetime:
    """The next moment `text_format.format_age(updated, now)` reads differently."""
    seconds = (now - updated).total_seconds()
    if seconds < 60:
        return updated + timedelta(seconds=60)
    minutes = int(seconds // 60)
    if minutes < 60:
        return updated + timedelta(minutes=minutes + 1)
    hours = minutes // 60
    if hours < 48:
        return updated + timedelta(hours=hours + 1)
    return updated + timedelta(days=hours // 24 + 1)


def _next_local_midnight(now: datetime, tz: tzinfo | None) -> datetime:
    local = now.astimezone(tz)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, clock_time(0), tzinfo=local.tzinfo)


def next_change(
    snapshot: Any, now: datetime, *, interval_minutes: float, tz: tzinfo | None = None
) -> datetime | None:
    """The earliest moment after `now` at which the view of `snapshot` may change by
    itself, or None when nothing in it depends on the time.

    `snapshot` is a `state.StateSnapshot` (or anything with `usage`,
    `usage_stale`, `last_error`); `now` is aware.
    """
    usage = getattr(snapshot, "usage", None)
    if usage is None or usage.last_updated is None:
        return None  # "no data yet", an error, logged out: no time in the text
    updated = usage.last_updated
    moments: list[datetime] = []
    stale_at = updated + timedelta(minutes=2 * interval_minutes)
    fresh = not is_stale(usage, from_cache=False, now=now, interval_minutes=interval_minutes)
    # The stale look (from just after two intervals), and from then on the age it names.
    if fresh:
        moments.append(stale_at + timedelta(microseconds=1))
    if (
        not fresh
        or getattr(snapshot, "usage_stale", False)
        or getattr(snapshot, "last_error", None) is not None
    ):
        moments.append(_age_changes_at(updated, now))
    if any(limit.resets_at is not None for limit in usage.limits):
        moments.append(_next_local_midnight(now, tz))
    later = [moment for moment in moments if moment > now]
    return min(later) if later else None
