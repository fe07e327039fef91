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


@pytest.mark.posix_only  # a /bin/sh script stands in for a broken Python
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


def test_a_claude_tray_folder_where_the_tray_started_is_not_what_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m` puts its cwd first on sys.path: the child must not run a stray copy."""
    db = tmp_path / "data" / "h.sqlite3"
    assert history.add(db, _rows(NOW), source="web")
    stray = tmp_path / "somewhere"
    (stray / "claude_tray").mkdir(parents=True)
    (stray / "claude_tray" / "__init__.py").write_text("")
    (stray / "claude_tray" / "history_child.py").write_text(
        'print(\'{"rows": [[0, "stray", "session", 99.0, null]]}\')\n'
    )
    monkeypatch.chdir(stray)
    monkeypatch.setenv("PYTHONPATH", str(stray))  # a user's own, dropped as for the scraper
    assert ChildHistory().query(db) == history.query(db)


def test_a_child_in_another_encoding_costs_no_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What the child logs (here a path with 'é') reaches the log whatever its locale says."""
    newer = tmp_path / "dossier-é" / "newer.sqlite3"
    newer.parent.mkdir()
    with sqlite3.connect(newer) as connection:
        connection.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")
    monkeypatch.setenv("PYTHONIOENCODING", "latin-1")
    caplog.set_level(logging.WARNING)
    assert ChildHistory().query(newer) == []
    said = [r.getMessage() for r in caplog.records if r.name == "claude_tray.history"]
    assert said and "dossier-é" in said[0], said


@pytest.mark.posix_only
def test_an_unchanged_database_is_not_read_again(tmp_path: Path) -> None:
    """The feed's refreshes ask for the same rows again and again: one child answers them."""
    db = tmp_path / "h.sqlite3"
    assert history.add(db, _rows(NOW - timedelta(hours=2)), source="web")
    runs = tmp_path / "runs"
    counting = tmp_path / "counting-python"
    counting.write_text(f'#!/bin/sh\necho run >> "{runs}"\nexec "{sys.executable}" "$@"\n')
    counting.chmod(0o755)
    store = ChildHistory(str(counting))

    def children() -> int:
        return len(runs.read_text().splitlines()) if runs.exists() else 0

    week = NOW - timedelta(days=8)
    first = store.query(db, since=week)
    store.query(db, since=week)  # one more child at most: the first one's close may checkpoint
    settled = children()
    assert settled <= 2
    later = NOW - timedelta(hours=1, minutes=59)
    assert store.query(db, since=week) == first
    assert store.query(db, since=later) == history.query(db, since=later)  # a later cut: kept
    assert children() == settled
    assert store.query(db) == history.query(db)  # an earlier cut (none): read again
    assert children() == settled + 1
    assert history.add(db, _rows(NOW), source="statusline")  # another process writes
    assert store.query(db) == history.query(db)
    assert len(store.query(db)) == 4
    assert children() >= settled + 2
