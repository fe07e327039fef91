"""One time budget for a whole scraper run: each stage takes what is left of it.

The runner gives the child its time limit in `CLAUDE_TRAY_TIME_BUDGET`
(seconds, a little less than the runner's own limit, so the child can still
print why it stopped). Each stage (waiting for the lock, an HTTP request,
starting the browser, loading the page, waiting out a challenge) asks
`cap(its own limit)` and gets the smaller of the two, so a slow stage ends
with its own message ("claude.ai did not answer within 12 s") instead of the
runner's "the scraper did not answer within 60 s". Without the variable
(the scraper run by hand) every stage keeps its own limit.

This module must not do I/O, and must not import anything from the package
but the error codes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from claude_tray.errors import ClaudeTrayError, ErrorCode

ENV_BUDGET = "CLAUDE_TRAY_TIME_BUDGET"
#: A stage never gets less than this: a zero time-out means "no limit" to some APIs.
MIN_STAGE_SECONDS = 0.2

_total: float | None = None
_deadline: float | None = None


def start(env: Mapping[str, str], *, now: float | None = None) -> None:
    """Start the clock on the budget the runner gave (none when the variable is missing)."""
    global _total, _deadline
    try:
        seconds = float(env.get(ENV_BUDGET, ""))
    except ValueError:
        seconds = 0.0
    if seconds > 0:
        _total = seconds
        _deadline = (time.monotonic() if now is None else now) + seconds
    else:
        _total = _deadline = None


def total() -> float | None:
    return _total


def remaining() -> float | None:
    """Seconds left of the budget (may be negative), or None without a budget."""
    return None if _deadline is None else _deadline - time.monotonic()


def cap(seconds: float, stage: str) -> float:
    """The time `stage` may take: its own `seconds`, or what is left if that is less.

    Raises `timeout` naming the stage when nothing is left.
    """
    left = remaining()
    if left is None:
        return seconds
    if left < MIN_STAGE_SECONDS:
        raise exhausted(stage)
    return min(seconds, left)


def exhausted(stage: str) -> ClaudeTrayError:
    return ClaudeTrayError(
        ErrorCode.TIMEOUT,
        f"The refresh used its whole time limit ({_total or 0:g} seconds) before {stage}. "
        "claude-tray will try again later.",
    )


def within(effective: float, own: float) -> str:
    """'within 12 seconds', naming the budget when it is what cut the stage's `own` limit."""
    if _total is not None and effective < own:
        return f"within {effective:.0f} seconds (what was left of the {_total:g} s time limit)"
    return f"within {effective:g} seconds"
