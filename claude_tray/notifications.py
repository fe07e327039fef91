"""Which desktop notifications a new usage document deserves.

`ThresholdNotifier` remembers, per limit id, the highest threshold already
announced, and says something only when that changes:

- a limit crosses a threshold upward (defaults 75 % and 90 %): one
  notification, for the highest threshold crossed by this document;
- a limit that was at or above the highest threshold resets: its window
  rolled over (`resets_at` moved later by at least ten minutes, or the
  document was made after the old `resets_at`) and it is now below the
  highest threshold, or it simply fell below the lowest threshold.

Once per crossing: a limit hovering around a threshold (74.9, 75.1, 74.9, …)
is announced once, because the remembered level only drops after the percent
falls `HYSTERESIS` points below a threshold. The first document (given to
`prime`, or the first one given to `update`) is remembered silently, so a
restart with cached numbers does not announce levels already reached.

This module only decides; it must not show anything, do I/O or read the clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from claude_tray.documents import Limit, UsageDocument, to_utc
from claude_tray.text_format import format_percent, format_reset, short_label

#: Points below a threshold a limit must fall before crossing it again counts.
HYSTERESIS = 5.0
#: How far `resets_at` must move later to count as a new window (the service's
#: reset times jitter by fractions of a second between polls).
WINDOW_MOVE = timedelta(minutes=10)


@dataclass(frozen=True)
class Notification:
    """One message for the desktop (or the popup's banner)."""

    title: str
    body: str
    limit_id: str = ""
    kind: str = "threshold"  # "threshold" or "reset"


@dataclass
class _Seen:
    level: int  # how many thresholds are announced (0 = none)
    percent: float
    resets_at: datetime | None


class ThresholdNotifier:
    """Turns a stream of usage documents into threshold and reset notifications."""

    def __init__(self, thresholds: Iterable[float] = (75.0, 90.0)) -> None:
        self.thresholds: tuple[float, ...] = tuple(
            sorted({float(t) for t in thresholds if not math.isnan(float(t))})
        )
        self._seen: dict[str, _Seen] = {}
        self._primed = False

    @property
    def primed(self) -> bool:
        """Whether a first document has been remembered."""
        return self._primed

    def prime(self, doc: UsageDocument | None) -> None:
        """Remember a document's levels without announcing anything (e.g. the cached one)."""
        if doc is None:
            return
        for limit in doc.limits:
            if not math.isnan(limit.percent):
                self._seen[limit.id] = _Seen(
                    self._level(limit.percent), limit.percent, limit.resets_at
                )
        self._primed = True

    def update(self, doc: object) -> list[Notification]:
        """The notifications a new document deserves; anything but a usage document gives none."""
        if not isinstance(doc, UsageDocument):
            return []
        if not self._primed:
            self.prime(doc)
            return []
        out: list[Notification] = []
        for limit in doc.limits:
            if math.isnan(limit.percent):
                continue
            note = self._check(limit, doc.last_updated)
            if note is not None:
                out.append(note)
        return out

    # --- internals ---------------------------------------------------------------------

    def _level(self, percent: float) -> int:
        return sum(1 for t in self.thresholds if percent >= t)

    def _level_with_hysteresis(self, percent: float) -> int:
        return sum(1 for t in self.thresholds if percent >= t - HYSTERESIS)

    def _check(self, limit: Limit, now: datetime) -> Notification | None:
        percent = limit.percent
        seen = self._seen.get(limit.id)
        level = self._level(percent)
        if seen is None:  # a limit the service just started reporting
            self._seen[limit.id] = _Seen(0, percent, limit.resets_at)
            seen = self._seen[limit.id]

        note: Notification | None = None
        top = len(self.thresholds)
        if top and seen.level == top and self._was_reset(seen, limit, now):
            note = self._reset_note(limit, now)
            seen.level = level
        elif level > seen.level:
            note = self._threshold_note(limit, self.thresholds[level - 1], now)
            seen.level = level
        else:
            seen.level = min(seen.level, self._level_with_hysteresis(percent))
        seen.percent = percent
        seen.resets_at = limit.resets_at
        return note

    def _was_reset(self, seen: _Seen, limit: Limit, now: datetime) -> bool:
        percent = limit.percent
        if percent < self.thresholds[0]:
            return True
        if percent >= self.thresholds[-1] or seen.resets_at is None:
            return False
        old = to_utc(seen.resets_at)
        if to_utc(now) >= old:
            return True
        return limit.resets_at is not None and to_utc(limit.resets_at) >= old + WINDOW_MOVE

    @staticmethod
    def _threshold_note(limit: Limit, threshold: float, now: datetime) -> Notification:
        reset = format_reset(limit.resets_at, now)
        body = f"{limit.label} is at {format_percent(limit.percent)}"
        body += f"; {reset}." if reset else "."
        return Notification(
            title=f"Claude: {_limit_name(limit)} over {format_percent(threshold)}",
            body=body,
            limit_id=limit.id,
            kind="threshold",
        )

    @staticmethod
    def _reset_note(limit: Limit, now: datetime) -> Notification:
        return Notification(
            title=f"Claude: {_limit_name(limit)} has reset",
            body=f"{limit.label} is back to {format_percent(limit.percent)}.",
            limit_id=limit.id,
            kind="reset",
        )


def _limit_name(limit: Limit) -> str:
    """'session limit', 'weekly limit', 'weekly Fable limit': short enough for a title."""
    name = short_label(limit)
    if limit.kind == "session":
        return "session limit"
    if limit.kind == "weekly":
        return "weekly limit"
    if limit.kind == "weekly_scoped":
        return f"weekly {name} limit"
    return name
