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
from typing import Any

import pytest

from claude_tray import history, limit_extras
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


#: The limits asked about: the session (its window ends in 2 hours) and the week.
WANTED = [
    limit_extras.Wanted("session", "session", 44.0, NOW + timedelta(hours=2)),
    limit_extras.Wanted("weekly_all", "weekly", 18.0, NOW + timedelta(days=3)),
]


def _no_history() -> list[limit_extras.Extras]:
    return limit_extras.for_limits([], WANTED, NOW)


def test_the_child_writes_and_reads_what_history_does_in_process(tmp_path: Path) -> None:
    ours, reference = tmp_path / "child.sqlite3", tmp_path / "here.sqlite3"
    child = ChildHistory()
    for hours in (30, 5, 0):
        at = NOW - timedelta(hours=hours)
        assert child.add(ours, _rows(at), source="web", now=NOW)
        assert history.add(reference, _rows(at), source="web", now=NOW)
    assert child.add(ours, _rows(NOW - timedelta(days=3)), source="web", retention_days=2)
    assert history.add(reference, _rows(NOW - timedelta(days=3)), source="web", retention_days=2)
    found = child.extras(ours, WANTED, now=NOW)
    assert found == history.extras(reference, WANTED, now=NOW)
    # The session's line spans 24 hours; the 3-day-old rows went with the 2-day retention.
    assert [e.trend.points for e in found] == [2, 3]
    assert child.extras(tmp_path / "none.sqlite3", WANTED, now=NOW) == _no_history()
    assert history.query(ours) == history.query(reference)


def test_the_process_asking_never_loads_sqlite3(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import datetime, timezone
        from pathlib import Path
        from claude_tray import history, limit_extras
        from claude_tray.history_child import ChildHistory
        now = datetime.now(timezone.utc)
        path = Path({str(tmp_path / "h.sqlite3")!r})
        store = ChildHistory()
        assert store.add(path, [history.NewRow("session", 7.0, None, now)], source="web")
        wanted = [limit_extras.Wanted("session", "session", 7.0, None)]
        assert store.extras(path, wanted, now=now)[0].trend.points == 1
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
    assert ChildHistory().extras(newer, WANTED, now=NOW) == _no_history()
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
        assert store.extras(db, WANTED, now=NOW) == _no_history()
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


def test_the_tray_side_gets_the_paces_without_building_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The week's rows stay in the child (their pages stayed with the tray, issue 12)."""
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tmp_path)})
    resets = NOW + timedelta(hours=2)
    # The session went up 15 points an hour: at 80 % it runs out before its reset.
    points = [(NOW - timedelta(hours=h), 80.0 - 15 * h) for h in (3, 2, 1)]
    week = NOW + timedelta(days=2)
    history.add(
        paths.history_file,
        [history.NewRow("session", p, resets, at) for at, p in points]
        + [history.NewRow("weekly_all", 10.0 + h, week, NOW - timedelta(hours=h)) for h in (9, 5)],
        source="web",
    )
    limits = [
        Limit(id="session", kind="session", label="Session", percent=80.0, resets_at=resets),
        Limit(id="weekly_all", kind="weekly", label="Week", percent=10.0, resets_at=week),
        Limit(id="weekly_opus", kind="weekly", label="Opus", percent=3.0, resets_at=None),
    ]
    document = UsageDocument(source="web", usage_percent=80.0, last_updated=NOW, limits=limits)
    built: list[tuple[object, ...]] = []

    class Counted(history.Row):
        def __init__(self, *args: Any) -> None:
            built.append(args)
            super().__init__(*args)

    monkeypatch.setattr(history, "Row", Counted)
    there = Enricher(paths, retention_days=90)
    there.store = ChildHistory()
    paced = there.with_pace(document, NOW)
    assert built == []
    here = Enricher(paths, retention_days=90)
    assert paced == here.with_pace(document, NOW)
    assert len(built) == 5  # in-process, the rows are built here (the probe sees them)
    assert there.trends == here.trends
    assert [t.points for t in there.trends] == [3, 2, 0]
    session_pace = paced.limits[0].pace
    assert session_pace is not None and session_pace.runs_out_at is not None
    assert session_pace.runs_out_at < resets


def test_a_claude_tray_folder_where_the_tray_started_is_not_what_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m` puts its cwd first on sys.path: the child must not run a stray copy."""
    db = tmp_path / "data" / "h.sqlite3"
    assert history.add(db, _rows(NOW), source="web")
    stray = tmp_path / "somewhere"
    (stray / "claude_tray").mkdir(parents=True)
    (stray / "claude_tray" / "__init__.py").write_text("")
    (stray / "claude_tray" / "history_child.py").write_text("print('{\"extras\": []}')\n")
    monkeypatch.chdir(stray)
    monkeypatch.setenv("PYTHONPATH", str(stray))  # a user's own, dropped as for the scraper
    assert ChildHistory().extras(db, WANTED, now=NOW) == history.extras(db, WANTED, now=NOW)


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
    assert ChildHistory().extras(newer, WANTED, now=NOW) == _no_history()
    said = [r.getMessage() for r in caplog.records if r.name == "claude_tray.history"]
    assert said and "dossier-é" in said[0], said
