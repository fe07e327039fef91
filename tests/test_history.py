"""The usage history: real SQLite files, real concurrent writer processes, the real CLI.

Nothing is mocked: writers are separate Python processes hammering one
database, a corrupt file is real garbage bytes, and `history --json/--csv`
reads what real `status` polls of the moving emulator stored.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray import history
from claude_tray.emulator import Emulator
from claude_tray.paths import AppPaths
from tests.support.child import REPO
from tests.support.cli import child_env, emulator_env, run_cli, store_session
from tests.support.cli import restore_logging as restore_logging  # autouse fixture

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _row(limit_id: str, percent: float, at: datetime) -> history.NewRow:
    return history.NewRow(limit_id, percent, at + timedelta(hours=3), at)


def test_rows_come_back_oldest_first_with_their_fields(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    assert history.add(db, [_row("session", 20.0, NOW)], source="web", now=NOW)
    assert history.add(db, [_row("session", 10.0, NOW - timedelta(hours=1))], source="statusline")
    rows = history.query(db)
    assert [(r.percent, r.source) for r in rows] == [(10.0, "statusline"), (20.0, "web")]
    assert rows[1].at == NOW
    assert rows[1].resets_at == NOW + timedelta(hours=3)
    assert [r.percent for r in history.query(db, since=NOW - timedelta(minutes=5))] == [20.0]
    assert history.query(db, limit_id="weekly_all") == []
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_retention_drops_only_rows_older_than_it(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    old = [_row("session", 1.0, NOW - timedelta(days=d)) for d in (120, 91, 89, 2)]
    history.add(db, old, source="web", retention_days=365, now=NOW)
    assert len(history.query(db)) == 4
    history.add(db, [_row("session", 5.0, NOW)], source="web", now=NOW)  # default: 90 days
    ages = [round((NOW - r.at) / timedelta(days=1)) for r in history.query(db)]
    assert ages == [89, 2, 0]
    history.add(db, [_row("session", 6.0, NOW)], source="web", retention_days=1, now=NOW)
    assert [r.percent for r in history.query(db)] == [5.0, 6.0]


def test_several_writer_processes_at_once_lose_no_row(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    writers, rows_each = 4, 60
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import datetime, timezone
        from pathlib import Path
        from claude_tray import history
        name = sys.argv[1]
        failed = 0
        for i in range({rows_each}):
            now = datetime.now(timezone.utc)
            row = history.NewRow("session", float(i), None, now)
            failed += not history.add(Path({str(db)!r}), [row], source=name)
        print(failed)
        """
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, f"writer{n}"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0] * writers, outputs
    assert [out.strip() for out, _err in outputs] == ["0"] * writers, outputs
    rows = history.query(db)
    assert len(rows) == writers * rows_each
    for n in range(writers):
        mine = [r.percent for r in rows if r.source == f"writer{n}"]
        assert mine == [float(i) for i in range(rows_each)]  # in order, none lost
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_corrupt_database_is_set_aside_and_started_afresh(tmp_path: Path) -> None:
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    paths.ensure()
    garbage = b"this is not an SQLite database at all\n" * 200
    paths.history_file.write_bytes(garbage)
    env = child_env(home)

    listed = run_cli(["history", "--json"], env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == {"schema_version": 1, "readings": []}
    assert "Traceback" not in listed.stderr

    stdin = json.dumps(
        {"rate_limits": {"five_hour": {"used_percentage": 30, "resets_at": 4102444800}}}
    )
    done = run_cli(["statusline"], env, stdin=stdin, timeout=60)
    assert done.returncode == 0
    assert done.stdout == "5h 30%\n"
    assert done.stderr == ""  # said in the log, not on Claude Code's screen

    aside = sorted(paths.data_dir.glob("history.sqlite3.broken-*"))
    assert aside, sorted(p.name for p in paths.data_dir.iterdir())
    assert aside[0].read_bytes() == garbage  # kept, not deleted
    assert [r.percent for r in history.query(paths.history_file)] == [30.0]
    log = paths.log_file.read_text(encoding="utf-8")
    assert "set aside" in log
    assert "starting afresh" in log


def test_a_database_locked_by_another_process_loses_one_write_and_never_raises(
    tmp_path: Path,
) -> None:
    db = tmp_path / "h.sqlite3"
    history.add(db, [_row("session", 1.0, NOW)], source="web")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert not history.add(db, [_row("session", 2.0, NOW)], source="web")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert history.add(db, [_row("session", 3.0, NOW)], source="web")
    assert [r.percent for r in history.query(db)] == [1.0, 3.0]
    assert not list(tmp_path.glob("*.broken-*"))  # locked is not broken


def test_a_newer_schema_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")
    assert not history.add(db, [_row("session", 1.0, NOW)], source="web")
    assert db.exists()
    assert not list(tmp_path.glob("*.broken-*"))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("6h", 21600), ("7d", 604800), ("2w", 1209600), ("1h30m", 5400)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert history.parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "6", "h", "6x", "-6h"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        history.parse_duration(text)


def test_history_cli_against_the_moving_emulator(tmp_path: Path) -> None:
    """Real `status` polls of a moving emulator are stored; `history` prints them."""
    home = tmp_path / "home"
    with Emulator("ok", moving=True, cycle_seconds=60) as emulator:
        env = emulator_env(home, emulator)
        store_session(home, emulator)
        for _ in range(3):
            polled = run_cli(["status", "--json"], env, timeout=120)
            assert polled.returncode == 0, polled.stderr
    as_json = run_cli(["history", "--json"], env, timeout=60)
    assert as_json.returncode == 0, as_json.stderr
    readings = json.loads(as_json.stdout)["readings"]
    session = [r for r in readings if r["limit"] == "session"]
    assert len(session) == 3
    assert {r["source"] for r in readings} == {"web"}
    times = [r["time"] for r in readings]
    assert times == sorted(times)
    assert session[-1]["percent"] >= session[0]["percent"]
    assert set(readings[0]) == {"time", "source", "limit", "percent", "resets_at"}

    as_csv = run_cli(["history", "--csv", "--limit", "session", "--since", "1h"], env, timeout=60)
    assert as_csv.returncode == 0, as_csv.stderr
    table = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert table[0] == ["time", "source", "limit", "percent", "resets_at"]
    assert [float(row[3]) for row in table[1:]] == [r["percent"] for r in session]

    bad = run_cli(["history", "--since", "soon"], env, timeout=60)
    assert bad.returncode == 2
    assert "duration" in bad.stderr


def test_doctor_row_counts_readings_and_never_touches_a_broken_file(tmp_path: Path) -> None:
    from claude_tray.doctor import check_history

    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tmp_path / "home")})
    paths.ensure()
    assert check_history(paths, NOW).result == "no readings stored yet"
    assert not paths.history_file.exists()  # the doctor made no database
    history.add(paths.history_file, [_row("session", 1.0, NOW - timedelta(hours=2))], source="web")
    history.add(paths.history_file, [_row("session", 2.0, NOW)], source="web")
    row = check_history(paths, NOW)
    assert row.verdict == "ok"
    assert row.result.startswith("2 readings, the oldest ")
    for extra in ("-wal", "-shm"):
        Path(f"{paths.history_file}{extra}").unlink(missing_ok=True)
    paths.history_file.write_bytes(b"not a database" * 100)
    broken = check_history(paths, NOW)
    assert broken.verdict == "note"
    assert paths.history_file.read_bytes() == b"not a database" * 100  # left as it was
