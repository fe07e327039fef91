"""The tray's history reads and writes, each done by a short child process.

Once a process has imported sqlite3, libsqlite3 and the module stay mapped for
the rest of its life: about 1.4 MB of the idle tray (issue 12), for a write and
an 8-day read that take milliseconds after a poll. So the long-running tray
hands each `history.add` and `history.extras` to a child
(`python -m claude_tray.history_child`) that makes exactly that call and exits.
The one-shot commands (`status`, `statusline`) call `history` in-process.

`history.extras` reads the last 8 days of rows (8 days of 5-minute readings of
3 limits are ~7,000) and works out each limit's pace and sparkline from them
(`limit_extras.for_limits`). The child sends back only those results: the rows,
built in the tray, left their pages with it after every read (~2-4 MB idle
after a week, issue 12).

What it costs instead: a child takes ~40 ms of CPU for a write and ~80 ms for
the pace and sparklines of a week's rows (in-process: ~1 and ~29 ms). A poll
makes one write and one read; a change of the status line's feed one read
(the feed is rewritten every 30 s while Claude Code runs; its answer depends on
the time, so an earlier one cannot be reused).

The child reads one JSON request on stdin and prints one JSON answer; what
`history` logs there (a database set aside, a locked one) comes back on its
stderr and goes to the tray's log. A child that cannot start, fails, outlives
its time limit or answers nonsense costs that one write or read, as a locked
database does: logged, never raised, the numbers still show.

This module must not import sqlite3 in the parent, nor start a child in a
frozen build (there is no Python to run `-m` with; `for_this_process` then
gives the in-process `history`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from claude_tray import history, limit_extras

log = logging.getLogger(__name__)

#: Seconds a child may take: a start, plus the busy timeout of each of the two opens
#: `history.connect` may try when another process holds the database.
TIME_LIMIT_SECONDS = 15.0


class HistoryStore(Protocol):
    """`history.add`, `extras` and `preload`: the module itself, or a `ChildHistory`."""

    def preload(self) -> None: ...

    def add(
        self,
        path: Path,
        rows: Iterable[history.NewRow],
        *,
        source: str,
        retention_days: float = ...,
        now: datetime | None = None,
    ) -> bool: ...

    def extras(
        self, path: Path, wanted: Sequence[limit_extras.Wanted], *, now: datetime
    ) -> list[limit_extras.Extras]: ...


def for_this_process() -> HistoryStore:
    """A `ChildHistory` on Linux from a Python install; elsewhere `history` itself
    (a frozen build has no Python of its own; Windows and macOS are not measured)."""
    if sys.platform.startswith("linux") and not getattr(sys, "frozen", False):
        return ChildHistory()
    return history


# Times cross the pipe as Unix seconds (UTC), as the database stores them.


def _ts_or_none(value: datetime | None) -> float | None:
    return None if value is None else history.timestamp_of(value)


def _dt_or_none(value: float | None) -> datetime | None:
    return None if value is None else history.time_of(value)


class ChildHistory:
    """`history.add` and `history.extras`, each run in a child of this interpreter."""

    def __init__(self, python: str | None = None) -> None:
        self._argv = [python or sys.executable, "-m", "claude_tray.history_child"]

    def preload(self) -> None:
        """Nothing to load here: the child imports sqlite3."""

    def add(
        self,
        path: Path,
        rows: Iterable[history.NewRow],
        *,
        source: str,
        retention_days: float = history.DEFAULT_RETENTION_DAYS,
        now: datetime | None = None,
    ) -> bool:
        request = {
            "call": "add",
            "path": str(path),
            "rows": [
                [r.limit_id, r.percent, _ts_or_none(r.resets_at), history.timestamp_of(r.at)]
                for r in rows
            ],
            "source": source,
            "retention_days": retention_days,
            "now": _ts_or_none(now),
        }
        answer = self._run(request)
        return bool(answer is not None and answer.get("stored"))

    def extras(
        self, path: Path, wanted: Sequence[limit_extras.Wanted], *, now: datetime
    ) -> list[limit_extras.Extras]:
        """`history.extras`: the child reads the rows and sends back only the results.

        When the child fails, the results from no history, as for a database that
        cannot be read: no pace and empty sparklines (the numbers still show).
        """
        request = {
            "call": "extras",
            "path": str(path),
            "wanted": limit_extras.wanted_to_json(wanted),
            "now": now.isoformat(),
        }
        answer = self._run(request)
        if answer is not None:
            try:
                found = limit_extras.extras_from_json(answer["extras"])
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("the history child's answer was not a pace (%s); no history", exc)
            else:
                if [e.trend.limit_id for e in found] == [w.id for w in wanted]:
                    return found
                log.warning("the history child answered for other limits; no history this time")
        return limit_extras.for_limits([], wanted, now)

    def _run(self, request: dict[str, Any]) -> dict[str, Any] | None:
        # Imported here so the child does not load the runner (the tray has it already).
        from claude_tray.fileio import make_private_dir
        from claude_tray.runner import python_child_environment

        # As for the scraper child: only the variables it needs (no user PYTHONPATH
        # that could bring another claude_tray), its text in UTF-8 whatever the locale.
        env = python_child_environment(os.environ)
        # `python -m` puts its cwd first on sys.path: the database's own (private)
        # folder, so a stray claude_tray folder where the tray was started is not ours.
        folder = Path(request["path"]).parent
        try:
            make_private_dir(folder)
            done = subprocess.run(
                self._argv,
                input=json.dumps(request),
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=env,
                cwd=folder,
                timeout=TIME_LIMIT_SECONDS,
                # 0 off Windows; there, no console window (tests/test_no_console_windows.py),
                # should the tray ever use this store there.
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("the history child did not run (%s); no history this time", exc)
            return None
        # What `history` logged in the child, under its own name as if it ran here.
        history_log = logging.getLogger(history.__name__)
        for line in done.stderr.splitlines():
            if line.strip():
                history_log.warning("%s", line)
        try:
            answer = json.loads(done.stdout) if done.returncode == 0 else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            log.warning("the history child failed (exit %s); no history this time", done.returncode)
            return None
        return answer


def main() -> int:
    """The child: one request from stdin, its answer on stdout, `history`'s log on stderr."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(message)s")
    request = json.loads(sys.stdin.read())
    path = Path(request["path"])
    if request["call"] == "add":
        rows = [
            history.NewRow(limit_id, percent, _dt_or_none(resets_at), history.time_of(at))
            for limit_id, percent, resets_at, at in request["rows"]
        ]
        stored = history.add(
            path,
            rows,
            source=request["source"],
            retention_days=request["retention_days"],
            now=_dt_or_none(request["now"]),
        )
        answer: dict[str, Any] = {"stored": stored}
    else:
        wanted = limit_extras.wanted_from_json(request["wanted"])
        found = history.extras(path, wanted, now=datetime.fromisoformat(request["now"]))
        answer = {"extras": limit_extras.extras_to_json(found)}
    sys.stdout.write(json.dumps(answer))  # dumps: the C encoder (dump is pure Python)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
