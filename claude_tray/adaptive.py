"""Adaptive polling: how long to wait after a good poll, from what the numbers are doing.

The interval setting is the *longest* wait. The wait is shorter while usage
moves, when a limit is close to a threshold the user is notified at, and around
a reset (so the fresh window shows promptly); it grows back towards the longest
wait while nothing changes. It is never under 60 s, never faster on average
than the read budget allows (so adaptive polling alone never runs into the
budget), and always jittered so several machines do not poll in step. Errors
are not handled here: the retry policy's back-off (429, blocked, the network
ladder) applies as before, and a fresh Claude Code feed still stretches the wait.

Pure arithmetic: this module must not read the clock, files or the network
(callers pass `now` and the random number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from claude_tray.documents import UsageDocument

#: Never poll more often than this.
MIN_SECONDS = 60.0
#: A limit this many points or less below a threshold is "near" it.
NEAR_THRESHOLD_POINTS = 5.0
#: A change of at least this many points between two polls is "moving".
MOVING_POINTS = 0.5
#: Each wait is scaled by a random factor in [1 - JITTER, 1 + JITTER].
JITTER = 0.1
#: After a reset, the first poll comes this long after it (the service needs a moment).
AFTER_RESET_SECONDS = 45.0


@dataclass(frozen=True)
class Decision:
    seconds: float
    why: str  # for the log: "moving", "near 75 %", "reset at 17:40", "idle x3", "steady"


def _moved(document: UsageDocument, previous: UsageDocument | None) -> bool:
    if previous is None:
        return False
    before = {limit.id: limit for limit in previous.limits}
    for limit in document.limits:
        old = before.get(limit.id)
        if old is None or abs(limit.percent - old.percent) >= MOVING_POINTS:
            return True
    return False


def unchanged(document: UsageDocument, previous: UsageDocument | None) -> bool:
    """True when the numbers are the same as in the previous good poll."""
    return previous is not None and not _moved(document, previous)


def _near_threshold(document: UsageDocument, thresholds: Sequence[float]) -> float | None:
    for limit in document.limits:
        for threshold in sorted(thresholds):
            if threshold - NEAR_THRESHOLD_POINTS <= limit.percent < threshold:
                return threshold
    return None


def next_wait(
    document: UsageDocument,
    previous: UsageDocument | None,
    *,
    longest: float,
    idle_polls: int,
    thresholds: Sequence[float],
    budget_reads: int,
    budget_window: float,
    now: datetime,
    rand: float,
) -> Decision:
    """Seconds until the next poll after the good poll `document`.

    `idle_polls` counts the good polls in a row (this one included) whose numbers
    did not change; `rand` is in [0, 1).
    """
    floor = max(MIN_SECONDS, budget_window / max(budget_reads, 1))
    floor = min(floor, longest)  # a longest wait under the floor is the user's choice
    if _moved(document, previous):
        seconds, why = longest / 3.0, "moving"
    elif idle_polls > 0:
        # Back towards the longest wait: half of it, then x1.5 per unchanged poll.
        seconds, why = min(longest, longest / 2.0 * 1.5**idle_polls), f"idle x{idle_polls}"
    else:
        seconds, why = longest / 2.0, "steady"
    near = _near_threshold(document, thresholds)
    if near is not None:
        seconds, why = min(seconds, longest / 4.0), f"near {near:g} %"
    seconds *= 1.0 - JITTER + 2.0 * JITTER * rand
    for limit in document.limits:
        if limit.resets_at is None:
            continue
        until = (limit.resets_at - now).total_seconds() + AFTER_RESET_SECONDS
        if 0 < until < seconds:
            seconds, why = until, f"reset of {limit.id}"
    return Decision(min(max(seconds, floor), longest), why)
