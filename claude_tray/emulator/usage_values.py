"""The numbers behind the emulator's usage answers, pinned or moving over time.

`UsageValues` is what `Emulator.set_usage` pins; `moving_values` derives the
demo's climbing numbers from it and the time since the emulator started. Pure
functions of their arguments: this module must not read the clock, hold state
or know about HTTP or body shapes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

#: Length of one demo "session" in moving mode: the session percentage climbs
#: from MOVING_LOW to MOVING_HIGH over this many seconds, then the window resets.
#: 150 s gives about 6.7 points every 10 s, so a tray polling every 15 s
#: visibly changes and crosses 50/75/90 within a little over two minutes.
MOVING_CYCLE_SECONDS: Final = 150.0
MOVING_LOW: Final = 3.0
MOVING_HIGH: Final = 103.0  # the service's percentages can exceed 100
#: Where the session starts when the demo starts, so the very first polls differ
#: and the session (not the lower weekly number) is the headline right away.
MOVING_START: Final = 20.0


def _frozen(mapping: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class UsageValues:
    """Percentages (0–100 scale, may exceed 100) and money (major units) to report.

    `None` for `session` or `weekly` means the service has no such window
    (`null` in the body, no row in `limits[]`).
    """

    session: float | None
    weekly: float | None
    session_resets_at: datetime | None
    weekly_resets_at: datetime | None
    #: Weekly per-model limits: display name -> percent.
    scoped: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    extra_enabled: bool = True
    extra_used: float | None = None
    extra_limit: float | None = None
    currency: str | None = "USD"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scoped", _frozen(self.scoped))

    @classmethod
    def initial(cls, started: datetime) -> UsageValues:
        """The emulator's own starting numbers; reset times fixed relative to `started`."""
        return cls(
            session=27.0,
            weekly=14.5,
            session_resets_at=_whole_second(started + timedelta(hours=2, minutes=47)),
            weekly_resets_at=_whole_second(started + timedelta(days=4, hours=9)),
            scoped={"Fable": 8.0},
            extra_enabled=True,
            extra_used=8.45,
            extra_limit=25.0,
            currency="USD",
        )

    def with_changes(self, **changes: object) -> UsageValues:
        """A copy with the given fields replaced (names as in the dataclass)."""
        return replace(self, **changes)  # type: ignore[arg-type]  # checked by dataclasses


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def moving_values(
    base: UsageValues,
    *,
    started: datetime,
    now: datetime,
    cycle_seconds: float = MOVING_CYCLE_SECONDS,
) -> UsageValues:
    """`base` moved forward to `now` for the demo.

    The session climbs linearly from MOVING_LOW to MOVING_HIGH within each
    cycle and resets at the cycle's end (its `resets_at` is that end); the
    weekly and per-model numbers creep up by a little per cycle and wrap at
    100; extra usage grows slowly up to its limit.
    """
    elapsed = max(0.0, (now - started).total_seconds())
    head_start = (MOVING_START - MOVING_LOW) / (MOVING_HIGH - MOVING_LOW)
    cycles = elapsed / cycle_seconds + head_start
    done = math.floor(cycles)
    phase = cycles - done
    session = round(MOVING_LOW + (MOVING_HIGH - MOVING_LOW) * phase, 1)
    session_resets_at = started + timedelta(seconds=(done + 1 - head_start) * cycle_seconds)
    moved = cycles - head_start
    weekly = None if base.weekly is None else round((base.weekly + 1.5 * moved) % 100.0, 1)
    scoped = {name: round((value + 0.5 * moved) % 100.0, 1) for name, value in base.scoped.items()}
    extra_used = base.extra_used
    if extra_used is not None:
        extra_used = round(extra_used + 0.35 * moved, 2)
        if base.extra_limit is not None:
            extra_used = min(extra_used, base.extra_limit)
    return base.with_changes(
        session=session,
        session_resets_at=session_resets_at,
        weekly=weekly,
        scoped=scoped,
        extra_used=extra_used,
    )
