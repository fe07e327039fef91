"""`claude-tray statusline`: the real command as a child process fed Claude Code's JSON.

Every case checks the three things Claude Code and the tray rely on: the line
printed, what was recorded (feed file and history), and exit 0 with no
traceback. The fixtures are written here, in the shape claude-service.md
describes.
"""

from __future__ import annotations

import json
import shlex
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from claude_tray import feed
from claude_tray.paths import AppPaths
from claude_tray.statusline import format_line, parse_readings
from tests.support.cli import child_env, run_cli
from tests.support.cli import restore_logging as restore_logging  # autouse fixture

NOW = datetime.now(timezone.utc).replace(microsecond=0)
SESSION_RESET = NOW + timedelta(hours=2, minutes=10)
WEEK_RESET = NOW + timedelta(days=3, hours=4)


def _payload(
    five: float | None = 42.3,
    seven: float | None = 18.0,
    *,
    five_reset: object = None,
    seven_reset: object = None,
) -> str:
    limits: dict[str, Any] = {}
    if five is not None:
        limits["five_hour"] = {
            "used_percentage": five,
            "resets_at": five_reset if five_reset is not None else _iso(SESSION_RESET),
        }
    if seven is not None:
        limits["seven_day"] = {
            "used_percentage": seven,
            "resets_at": seven_reset if seven_reset is not None else _iso(WEEK_RESET),
        }
    return json.dumps(
        {
            "session_id": "test-session",
            "model": {"id": "claude-test", "display_name": "Test"},
            "workspace": {"current_dir": "/tmp/project"},
            "rate_limits": limits,
        }
    )


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _run(home: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_cli(["statusline", *args], child_env(home), stdin=stdin, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def _feed(home: Path) -> dict[str, feed.Reading]:
    return feed.load(AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)}).statusline_feed_file)


def _history(home: Path) -> list[tuple[str, str, float, float | None]]:
    path = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)}).history_file
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT source, limit_id, percent, resets_at FROM readings ORDER BY id"
        ).fetchall()
    return [(str(a), str(b), float(c), None if d is None else float(d)) for a, b, c, d in rows]


def test_iso_timestamps_print_the_line_and_record_both_limits(home: Path) -> None:
    done = _run(home, _payload(42.3, 18.0))
    assert done.stdout == "5h 42% · 7d 18%\n"
    readings = _feed(home)
    assert readings["session"].percent == 42.3
    assert readings["session"].resets_at == SESSION_RESET
    assert readings["weekly_all"].resets_at == WEEK_RESET
    assert _history(home) == [
        ("statusline", "session", 42.3, SESSION_RESET.timestamp()),
        ("statusline", "weekly_all", 18.0, WEEK_RESET.timestamp()),
    ]


def test_unix_second_timestamps_are_read_the_same(home: Path) -> None:
    stdin = _payload(
        7.0, 61.5, five_reset=int(SESSION_RESET.timestamp()), seven_reset=WEEK_RESET.timestamp()
    )
    done = _run(home, stdin)
    assert done.stdout == "5h 7% · 7d 62%\n"
    readings = _feed(home)
    assert readings["session"].resets_at == SESSION_RESET
    assert readings["weekly_all"].resets_at == WEEK_RESET


@pytest.mark.parametrize(
    "stdin",
    [
        "",
        "not json at all {",
        "[1, 2, 3]",
        json.dumps({"model": {"id": "claude-test"}}),  # an API-key user: no rate_limits
        json.dumps({"rate_limits": None}),
        json.dumps({"rate_limits": {"five_hour": {"used_percentage": "lots"}}}),
        "\xff\xfe garbage",
    ],
    ids=["empty", "garbage", "array", "missing", "null", "bad-percent", "binary"],
)
def test_unreadable_input_prints_nothing_records_nothing_and_exits_0(
    home: Path, stdin: str
) -> None:
    done = _run(home, stdin)
    assert done.stdout == ""
    assert done.stderr == ""
    assert _feed(home) == {}
    assert _history(home) == []


def test_one_window_only_prints_that_one(home: Path) -> None:
    done = _run(home, _payload(55.0, None))
    assert done.stdout == "5h 55%\n"
    assert set(_feed(home)) == {"session"}


def test_an_older_windows_numbers_never_replace_a_newer_one(home: Path) -> None:
    """An idle Claude Code repeats the last window it saw: that reading is stale."""
    _run(home, _payload(12.0, 30.0))
    older_reset = SESSION_RESET - timedelta(hours=5)
    done = _run(home, _payload(97.0, 30.0, five_reset=_iso(older_reset)))
    assert done.stdout.startswith("5h 97%")  # Claude Code still shows what it was given
    assert _feed(home)["session"].percent == 12.0
    assert [row[2] for row in _history(home) if row[1] == "session"] == [12.0]


def test_a_repeated_reading_adds_no_history_row_and_a_change_does(home: Path) -> None:
    _run(home, _payload(20.0, 30.0))
    _run(home, _payload(20.0, 30.0))
    _run(home, _payload(21.0, 30.0))
    assert [row[2] for row in _history(home) if row[1] == "session"] == [20.0, 21.0]
    assert [row[2] for row in _history(home) if row[1] == "weekly_all"] == [30.0]


@pytest.mark.posix_only
def test_a_chained_command_gets_the_same_stdin_and_its_output_comes_first(home: Path) -> None:
    script = "import sys, json; print('dir=' + json.load(sys.stdin)['workspace']['current_dir'])"
    chain = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    done = _run(home, _payload(42.0, 18.0), "--chain", chain)
    assert done.stdout == "dir=/tmp/project · 5h 42% · 7d 18%\n"


def test_a_failing_chained_command_still_leaves_our_line(home: Path) -> None:
    done = _run(home, _payload(42.0, 18.0), "--chain", "exit 3")
    assert done.stdout == "5h 42% · 7d 18%\n"


def test_an_unwritable_state_folder_still_prints_the_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "data").write_text("a file where the data folder should be")
    done = _run(home, _payload(42.0, 18.0))
    assert done.stdout == "5h 42% · 7d 18%\n"


# ---------------------------------------------------------------- in process


def test_parse_readings_takes_both_timestamp_forms_and_skips_nonsense() -> None:
    at = NOW
    raw = json.dumps(
        {
            "rate_limits": {
                "five_hour": {"used_percentage": 5, "resets_at": int(SESSION_RESET.timestamp())},
                "seven_day": {"used_percentage": float("nan"), "resets_at": 1},
            }
        }
    ).encode()
    readings = parse_readings(raw, at)
    assert [(r.limit_id, r.percent, r.resets_at) for r in readings] == [
        ("session", 5.0, SESSION_RESET)
    ]
    assert format_line(readings) == "5h 5%"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-20T15:00:00Z", datetime(2026, 3, 20, 15, tzinfo=timezone.utc)),
        ("2026-03-20T16:00:00+01:00", datetime(2026, 3, 20, 15, tzinfo=timezone.utc)),
        (1774018800, datetime(2026, 3, 20, 15, tzinfo=timezone.utc)),
        ("1774018800", datetime(2026, 3, 20, 15, tzinfo=timezone.utc)),
        (1774018800000, datetime(2026, 3, 20, 15, tzinfo=timezone.utc)),
        (True, None),
        ("soon", None),
        (None, None),
        (-1e20, None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    assert feed.parse_time(value) == expected


def test_merge_rule() -> None:
    def reading(resets: datetime | None, minutes_ago: float) -> feed.Reading:
        return feed.Reading("session", 1.0, resets, NOW - timedelta(minutes=minutes_ago))

    later_window = SESSION_RESET + timedelta(hours=5)
    assert feed.newer(reading(SESSION_RESET, 0), None, NOW)
    # Same window (a second's wobble in resets_at): the later reading wins.
    wobble = SESSION_RESET + timedelta(seconds=1)
    assert feed.newer(reading(wobble, 0), reading(SESSION_RESET, 5), NOW)
    assert not feed.newer(reading(wobble, 5), reading(SESSION_RESET, 0), NOW)
    # A later window wins even when read earlier; an older window never does.
    assert feed.newer(reading(later_window, 9), reading(SESSION_RESET, 0), NOW)
    assert not feed.newer(reading(SESSION_RESET, 0), reading(later_window, 9), NOW)
    # A window that has already reset is over.
    assert not feed.newer(reading(NOW - timedelta(hours=1), 0), None, NOW)


def test_the_render_path_imports_no_pydantic_tray_or_network(home: Path) -> None:
    """What Claude Code waits for on every render stays small (interface.md: no network)."""
    code = (
        "import sys\n"
        "from claude_tray.cli import main\n"
        "main(['statusline'])\n"
        "heavy = [m for m in ('pydantic', 'tkinter', 'pystray', 'playwright', 'PIL',"
        " 'urllib.request', 'http.client', 'socket', 'claude_tray.app',"
        " 'claude_tray.core', 'claude_tray.config')"
        " if m in sys.modules]\n"
        "print('heavy=' + ','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=_payload(42.0, 18.0),
        env=child_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "5h 42% · 7d 18%\nheavy=\n"
    assert _history(home)  # it did record, with all of that left out
