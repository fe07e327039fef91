"""When two `resets_at` times name the same limit window, and when one is older.

The feed's merge rule, the pace's current window and the sparklines' breaks all
ask this; one tolerance for all three keeps them agreeing on what a window is.

Pure arithmetic on datetimes: this module must not import anything of the
package, read files or look at the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

#: Two readings whose resets_at differ by less than this are of the same window. A
#: new window starts after the old one reset, so its reset is at least 5 hours later;
#: the service's own times wobble by a second or so.
SAME_WINDOW = timedelta(minutes=10)


def same_window(a: datetime | None, b: datetime | None) -> bool:
    """Whether two resets_at belong to one window (unknown ones only match each other)."""
    if a is None or b is None:
        return a is b
    return abs(a - b) < SAME_WINDOW


def is_older_window(candidate: datetime | None, recorded: datetime | None) -> bool:
    """True when `candidate` is the reset of a window that ended before `recorded`'s."""
    if candidate is None or recorded is None:
        return False
    return recorded - candidate >= SAME_WINDOW
