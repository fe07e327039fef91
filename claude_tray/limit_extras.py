"""Each limit's pace and sparkline from the history's rows: one pure function.

`Enricher.with_pace` gives every limit of a document its `pace` (`pace.compute`)
and the popup its sparkline (`trend.trend_for`), both from the last 8 days of
history rows. `for_limits` works them out from the rows, what it needs of the
limits (`Wanted`) and the time, and from nothing else. The one-shot commands
call it on rows they read in-process (`history.extras`); the tray's history
child calls it on its own read and sends back only its results, so the tray
never builds the ~7,000 rows of a week: their pages stayed with the long-running
tray after each read (~2-4 MB idle, issue 12).

`*_to_json` / `*_from_json` carry the request's limits and the results across
the child's pipe exactly (times as ISO 8601 text, floats as JSON numbers, which
Python writes and reads back bit for bit).

This module must not read or write files, look at the clock, log or start
processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from claude_tray import pace, trend
from claude_tray.documents import Pace

if TYPE_CHECKING:
    from claude_tray.documents import Limit
    from claude_tray.history import Row

#: How far back the history is read for the pace and the sparklines.
SPAN = timedelta(days=8)


class Wanted(NamedTuple):
    """What the pace and the sparkline need of one limit."""

    id: str
    kind: str
    percent: float
    resets_at: datetime | None


class Extras(NamedTuple):
    """One limit's pace (None where it is not known) and sparkline."""

    pace: Pace | None
    trend: trend.Trend


def wanted_of(limits: Iterable[Limit]) -> list[Wanted]:
    return [Wanted(limit.id, limit.kind, limit.percent, limit.resets_at) for limit in limits]


def for_limits(rows: Iterable[Row], wanted: Sequence[Wanted], now: datetime) -> list[Extras]:
    """Each wanted limit's pace and sparkline from the history rows read for it."""
    by_limit: dict[str, list[pace.Point]] = {}
    for row in rows:
        by_limit.setdefault(row.limit_id, []).append(pace.Point(row.at, row.percent, row.resets_at))
    found: list[Extras] = []
    for limit in wanted:
        points = by_limit.get(limit.id, [])
        result = pace.compute(
            points,
            percent=limit.percent,
            resets_at=limit.resets_at,
            length=pace.window_length(limit.kind, limit.id),
            now=now,
        )
        value = (
            None
            if result is None
            else Pace(
                elapsed_percent=result.elapsed_percent,
                projected_percent=result.projected_percent,
                runs_out_at=result.runs_out_at,
            )
        )
        line = trend.trend_for(
            limit.id, limit.kind, [(p.at, p.percent, p.resets_at) for p in points], now
        )
        found.append(Extras(value, line))
    return found


# -- across the history child's pipe --------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def wanted_to_json(wanted: Sequence[Wanted]) -> list[list[Any]]:
    return [[w.id, w.kind, w.percent, _iso(w.resets_at)] for w in wanted]


def wanted_from_json(data: Any) -> list[Wanted]:
    return [
        Wanted(str(id_), str(kind), float(percent), _time(resets_at))
        for id_, kind, percent, resets_at in data
    ]


def extras_to_json(found: Sequence[Extras]) -> list[dict[str, Any]]:
    return [
        {
            "pace": None
            if e.pace is None
            else [e.pace.elapsed_percent, e.pace.projected_percent, _iso(e.pace.runs_out_at)],
            "trend": [e.trend.limit_id, e.trend.start, e.trend.end, e.trend.segments],
        }
        for e in found
    ]


def extras_from_json(data: Any) -> list[Extras]:
    """The results as the child sent them; TypeError/ValueError/KeyError if they are not."""
    found: list[Extras] = []
    for item in data:
        value = None
        if item["pace"] is not None:
            elapsed, projected, runs_out_at = item["pace"]
            value = Pace(
                elapsed_percent=None if elapsed is None else float(elapsed),
                projected_percent=None if projected is None else float(projected),
                runs_out_at=_time(runs_out_at),
            )
        limit_id, start, end, segments = item["trend"]
        line = trend.Trend(
            str(limit_id),
            float(start),
            float(end),
            tuple(tuple((float(x), float(y)) for x, y in segment) for segment in segments),
        )
        found.append(Extras(value, line))
    return found
