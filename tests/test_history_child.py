"""The tray's history child: real `python -m claude_tray.history_child` processes on real
SQLite files, compared with `history` called in-process (the reference)."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray import history
from claude_tray.documents import Limit, UsageDocument
from claude_tray.enrich import Enricher
from claude_tray.history_child import ChildHistory
from claude_tray.paths import AppPaths
from tests.support.child import REPO

NOW = datetime.now(timezone.utc).replace(microsecond=123456)


def _rows(at: datetime) -> list[history.NewRow]:
    return [
        history.NewRow("session", 42.5, at + timedelta(hours=2), at),
        history.NewRow("weekly_all", 18.0, None, at),
    ]


def test_the_child_writes_and_reads_what_history_does_in_process(tmp_path: Path) -> None:
    ours, reference = tmp_path / "child.sqlite3", tmp_path / "here.sqlite3"
    child = ChildHistory()
    for hours in (30, 5, 0):
        at = NOW - timedelta(hours=hours)
        assert child.add(ours, _rows(at), source="web", now=NOW)
        assert history.add(reference, _rows(at), source="web", now=NOW)
    assert child.add(ours, _rows(NOW - timedelta(days=3)), source="web", retention_days=2)
    assert history.add(reference, _rows(NOW - timedelta(days=3)), source="web", retention_days=2)
    since = NOW - timedelta(hours=6)
    assert child.query(ours) == history.query(reference)
    assert child.query(ours, since=since) == history.query(reference, since=since)
    assert child.query(ours, limit_id="session") == history.query(reference, limit_id="session")
    assert child.query(ours, since=since, limit_id="x") == []
    assert len(child.query(ours)) == 6  # the 3-day-old rows went with the 2-day retention
    assert child.query(tmp_path / "none.sqlite3") == []


def test_the_process_asking_never_loads_sqlite3(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import datetime, timezone
        from pathlib import Path
        from claude_tray import history
        from claude_tray.history_child import ChildHistory
        now = datetime.now(timezone.utc)
        path = Path({str(tmp_path / "h.sqlite3")!r})
        store = ChildHistory()
        assert store.add(path, [history.NewRow("session", 7.0, None, now)], source="web")
        assert [row.percent for row in store.query(path)] == [7.0]
        print(sorted(name for name in sys.modules if "sqlite" in name))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_what_history_logs_in_the_child_reaches_this_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as connection:
        connection.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")
    caplog.set_level(logging.WARNING)
    assert not ChildHistory().add(newer, _rows(NOW), source="web")
    assert ChildHistory().query(newer) == []
    said = [r for r in caplog.records if r.name == "claude_tray.history"]
    assert len(said) == 2 and all("is newer than this claude-tray knows" in r.message for r in said)


def test_a_child_that_fails_costs_that_call_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "h.sqlite3"
    assert history.add(db, _rows(NOW), source="web")
    nonsense = tmp_path / "nonsense-python"
    nonsense.write_text("#!/bin/sh\ncat >/dev/null\necho 'not json'\n")
    nonsense.chmod(0o755)
    caplog.set_level(logging.WARNING)
    for python in (str(tmp_path / "no-such-python"), str(nonsense)):
        store = ChildHistory(python)
        assert store.add(db, _rows(NOW), source="web") is False
        assert store.query(db) == []
    assert len(history.query(db)) == 2  # nothing lost, nothing added
    assert sum("history child" in r.message for r in caplog.records) == 4


def test_the_enricher_gives_the_same_pace_through_the_child(tmp_path: Path) -> None:
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tmp_path)})
    resets = NOW + timedelta(hours=2)
    # Three hours into a five-hour window, the session went up 10 points an hour.
    points = [(NOW - timedelta(hours=h), 50.0 - 10 * h) for h in (3, 2, 1)]
    history.add(
        paths.history_file,
        [history.NewRow("session", p, resets, at) for at, p in points],
        source="web",
    )
    session = Limit(id="session", kind="session", label="Session", percent=50.0, resets_at=resets)
    document = UsageDocument(source="web", usage_percent=50.0, last_updated=NOW, limits=[session])
    here, there = Enricher(paths, retention_days=90), Enricher(paths, retention_days=90)
    there.store = ChildHistory()
    paced = there.with_pace(document, NOW)
    assert paced == here.with_pace(document, NOW)
    assert paced.limits[0].pace is not None
    assert there.trends == here.trends
