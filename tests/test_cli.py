"""`claude-tray` as a real command: every subcommand as a child process against the emulator."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from tests.support.cli import (
    REPO,
    TEST_BROWSER,
    assert_secret_absent,
    child_env,
    emulator_env,
    fake_session_key,
    run_cli,
    store_session,
    write_claude_code_credentials,
)
from tests.support.cli import emulator as emulator  # fixture
from tests.support.cli import restore_logging as restore_logging  # autouse fixture
from tests.support.display import XvfbDisplay
from tests.support.display import xvfb as xvfb  # fixture
from tests.support.private import assert_private

USAGE_KEYS = {
    "schema_version",
    "status",
    "source",
    "usage_percent",
    "tokens_used",
    "tokens_limit",
    "tokens_remaining",
    "reset_time",
    "last_updated",
    "limits",
    "extra_usage",
    "account",
}
ERROR_KEYS = {"schema_version", "status", "error", "message", "retry_after"}
# `pace` is interface.md's optional per-limit forecast, added by the parent from the history.
LIMIT_KEYS = {"id", "kind", "label", "percent", "resets_at", "pace"}
EXTRA_KEYS = {"enabled", "used", "limit", "currency", "percent"}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The CLAUDE_TRAY_HOME of the child processes of one test."""
    return tmp_path / "home"


def _secret_free(done: subprocess.CompletedProcess[str], home: Path, *secrets: str) -> None:
    """No secret in the command's output, nor in any log or cache file it wrote."""
    texts = [done.stdout, done.stderr]
    for folder in (home / "logs", home / "cache"):
        if folder.exists():
            texts.extend(
                p.read_text(errors="replace") for p in sorted(folder.rglob("*")) if p.is_file()
            )
    joined = "\n".join(texts)
    for secret in secrets:
        assert_secret_absent(secret, joined)


def _pin_usage(emulator: Emulator, session: float = 42.0) -> None:
    emulator.set_usage(
        session=session,
        weekly=18.0,
        scoped={"Fable": 3.0},
        extra_enabled=True,
        extra_used=47.52,
        extra_limit=100.0,
        currency="USD",
    )


# ---------------------------------------------------------------- arguments, version, paths


def test_version(home: Path) -> None:
    """--version prints the version and exits 0."""
    from claude_tray import __version__

    done = run_cli(["--version"], child_env(home))
    assert done.returncode == 0
    assert done.stdout.strip() == f"claude-tray {__version__}"


def test_paths_prints_each_folder_and_creates_nothing(home: Path) -> None:
    """`paths` names the config, data, cache and log folders and creates none of them."""
    done = run_cli(["paths"], child_env(home))
    assert done.returncode == 0
    lines = dict(line.split(":", 1) for line in done.stdout.splitlines())
    for name, folder in (
        ("config", "config"),
        ("data", "data"),
        ("cache", "cache"),
        ("logs", "logs"),
    ):
        assert lines[name].strip() == str(home / folder)
    assert not home.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["status", "--source", "carrier-pigeon"],
        ["status", "--format", "xml"],
        ["status", "--json", "--format", "waybar"],
        ["status", "--nonsense"],
        ["login", "--session-key"],
        ["--no-such-flag"],
    ],
)
def test_bad_arguments_exit_2(home: Path, args: list[str]) -> None:
    """Bad arguments exit 2 with a usage message and touch no file."""
    done = run_cli(args, child_env(home))
    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert done.stdout == ""
    assert not home.exists()


def test_help_lists_the_commands_but_not_the_scraper(home: Path) -> None:
    """--help shows every public command; the internal `scraper` command stays hidden."""
    done = run_cli(["--help"], child_env(home))
    assert done.returncode == 0
    for command in ("run", "demo", "status", "login", "logout", "check-session", "doctor", "paths"):
        assert command in done.stdout
    assert "scraper" not in done.stdout


def test_importing_the_command_line_is_cheap(home: Path) -> None:
    """`--version` imports neither pydantic nor any GUI toolkit nor Playwright."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "claude_tray", "--version"],
        env=child_env(home),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "claude_tray.cli" in imported
    heavy = {"pydantic", "tkinter", "pystray", "PIL", "playwright", "claude_tray.config"}
    assert not heavy & imported


def test_hidden_scraper_command_forwards_to_the_scraper(home: Path, emulator: Emulator) -> None:
    """`claude-tray scraper poll` runs the scraper program (what a frozen build's children do)."""
    env = emulator_env(home, emulator)
    done = run_cli(["scraper", "poll"], env)
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"] == "no_session"
    key = store_session(home, emulator)
    done = run_cli(["scraper", "poll", "--source", "web"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["source"] == "web"
    _secret_free(done, home, key)


# ---------------------------------------------------------------- status


def test_status_json_is_the_usage_document(home: Path, emulator: Emulator) -> None:
    """`status --json` prints the usage document of interface.md, field for field."""
    _pin_usage(emulator)
    key = store_session(home, emulator)
    done = run_cli(["status", "--json"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1
    doc = json.loads(done.stdout)
    assert set(doc) == USAGE_KEYS
    assert doc["schema_version"] == 1
    assert doc["status"] == "success"
    assert doc["source"] == "web"
    assert doc["usage_percent"] == 42.0
    assert doc["tokens_used"] is None and doc["tokens_limit"] is None
    assert doc["tokens_remaining"] is None
    assert ISO_UTC.match(doc["last_updated"])
    assert [limit["id"] for limit in doc["limits"]] == ["session", "weekly_all", "weekly_fable"]
    assert [limit["kind"] for limit in doc["limits"]] == ["session", "weekly", "weekly_scoped"]
    assert [limit["percent"] for limit in doc["limits"]] == [42.0, 18.0, 3.0]
    for limit in doc["limits"]:
        assert set(limit) == LIMIT_KEYS
        assert limit["pace"] is None  # one reading of this window: the pace is unknown
        assert limit["resets_at"] is None or ISO_UTC.match(limit["resets_at"])
    assert doc["reset_time"] == doc["limits"][0]["resets_at"]
    assert set(doc["extra_usage"]) == EXTRA_KEYS
    assert doc["extra_usage"]["enabled"] is True
    assert doc["extra_usage"]["used"] == pytest.approx(47.52)
    assert doc["extra_usage"]["limit"] == pytest.approx(100.0)
    assert doc["extra_usage"]["currency"] == "USD"
    _secret_free(done, home, key)


def test_status_format_json_equals_json_flag(home: Path, emulator: Emulator) -> None:
    """`--format json` prints the same document as `--json`."""
    _pin_usage(emulator)
    store_session(home, emulator)
    done = run_cli(["status", "--format", "json"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == USAGE_KEYS


@pytest.mark.parametrize(
    ("session", "klass"), [(42.0, "normal"), (80.0, "warning"), (95.0, "critical")]
)
def test_status_waybar_is_one_valid_line(
    home: Path, emulator: Emulator, session: float, klass: str
) -> None:
    """`--format waybar` prints exactly one JSON line with text, tooltip, class and percentage."""
    _pin_usage(emulator, session)
    key = store_session(home, emulator)
    done = run_cli(["status", "--format", "waybar"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    payload = json.loads(lines[0])
    assert set(payload) == {"text", "tooltip", "class", "percentage"}
    assert payload["text"] == f"{int(session)}%"
    assert payload["percentage"] == int(session)
    assert isinstance(payload["percentage"], int)
    assert payload["class"] == klass
    assert isinstance(payload["tooltip"], str) and payload["tooltip"]
    _secret_free(done, home, key)


def test_status_waybar_error_class(home: Path, emulator: Emulator) -> None:
    """Without a session, the Waybar line says "login" with class `login`; the exit code is 0.

    interface.md: Waybar hides a module whose command fails, which would hide the
    error look too (issue 7).
    """
    done = run_cli(["status", "--format", "waybar"], emulator_env(home, emulator))
    assert done.returncode == 0
    payload = json.loads(done.stdout)
    assert (payload["text"], payload["class"]) == ("login", "login")
    assert set(payload) == {"text", "tooltip", "class", "percentage"}


def test_status_text_is_readable(home: Path, emulator: Emulator) -> None:
    """The text format has one line per limit with percent, extra usage and the update time."""
    _pin_usage(emulator)
    key = store_session(home, emulator)
    done = run_cli(["status"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "Current session" in text and "42%" in text
    assert "Weekly, all models" in text and "18%" in text
    assert "Fable" in text and "3%" in text
    assert "Extra usage" in text and "47.52" in text
    assert "Source:" in text
    assert not text.lstrip().startswith("{")
    _secret_free(done, home, key)


def test_status_errors_exit_1_with_the_error_document(home: Path, emulator: Emulator) -> None:
    """An expired session gives the error document with --json, a sentence otherwise; exit 1."""
    key = store_session(home, emulator)
    emulator.set_scenario("session_expired")
    env = emulator_env(home, emulator)
    done = run_cli(["status", "--json"], env)
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert set(doc) == ERROR_KEYS
    assert doc["error"] == "session_expired"
    done = run_cli(["status"], env)
    assert done.returncode == 1
    assert "claude-tray login" in done.stderr
    assert done.stdout == ""
    _secret_free(done, home, key)


def test_status_text_error_still_shows_the_last_numbers(home: Path, emulator: Emulator) -> None:
    """When a poll fails, the text output says why and still shows the last good numbers."""
    _pin_usage(emulator, 61.0)
    store_session(home, emulator)
    env = emulator_env(home, emulator)
    assert run_cli(["status", "--json"], env).returncode == 0
    emulator.set_scenario("server_error")
    done = run_cli(["status"], env)
    assert done.returncode == 1
    assert "server_error" in done.stderr
    assert "The last numbers" in done.stderr
    assert "61%" in done.stderr
    json_done = run_cli(["status", "--json"], env)
    assert json.loads(json_done.stdout)["error"] == "server_error"


def test_status_without_a_session(home: Path, emulator: Emulator) -> None:
    """With nothing stored, status says no_session and exits 1."""
    done = run_cli(["status", "--json"], emulator_env(home, emulator))
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"] == "no_session"


def test_status_from_claude_code(home: Path, emulator: Emulator, tmp_path: Path) -> None:
    """`--source claude-code` reads Claude Code's login and never writes its file."""
    _pin_usage(emulator)
    config_dir = tmp_path / "claude-code"
    credentials = write_claude_code_credentials(config_dir, emulator.oauth_token, expires_in=3600)
    before = credentials.read_bytes()
    env = emulator_env(home, emulator, CLAUDE_CONFIG_DIR=str(config_dir))
    done = run_cli(["status", "--json", "--source", "claude-code"], env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["source"] == "claude-code"
    assert doc["usage_percent"] == 42.0
    assert credentials.read_bytes() == before
    _secret_free(done, home, emulator.oauth_token)


def test_missing_interpreter_is_python_missing(home: Path, emulator: Emulator) -> None:
    """CLAUDE_TRAY_PYTHON pointing nowhere gives python_missing and exit 1."""
    env = emulator_env(home, emulator, CLAUDE_TRAY_PYTHON="/nonexistent")
    done = run_cli(["status", "--json"], env)
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["error"] == "python_missing"
    assert "/nonexistent" in doc["message"]


# ---------------------------------------------------------------- login, logout, check-session


@pytest.mark.browser
@pytest.mark.display
def test_login_in_a_browser_window(home: Path, xvfb: XvfbDisplay) -> None:
    """`login` without a key opens Chromium on the login page and stores the session it gets."""
    with Emulator("login_auto") as emulator:
        env = emulator_env(home, emulator, CLAUDE_TRAY_BROWSER=TEST_BROWSER)
        env["DISPLAY"] = xvfb.name
        done = run_cli(["login"], env, timeout=240)
        assert done.returncode == 0, done.stderr
        assert "Opening a browser window" in done.stderr
        assert done.stdout.strip()
        stored = json.loads((home / "data" / "web_session.json").read_text())["sessionKey"]
        assert emulator.is_session_key_valid(stored)
        emulator.set_scenario("ok")
        after = run_cli(["status", "--json"], env)
        assert after.returncode == 0, after.stderr
        _secret_free(done, home, stored)
        _secret_free(after, home, stored)


def test_login_with_a_good_key_on_stdin(home: Path, emulator: Emulator) -> None:
    """`login --session-key -` with a good key stores it privately and exits 0."""
    key = emulator.session_key
    env = emulator_env(home, emulator)
    done = run_cli(["login", "--session-key", "-"], env, stdin=key + "\n")
    assert done.returncode == 0, done.stderr
    session_file = home / "data" / "web_session.json"
    stored_ok = json.loads(session_file.read_text())["sessionKey"] == key
    assert stored_ok  # compared apart so a failure never prints the key
    assert_private(session_file)
    assert done.stdout.strip()
    _secret_free(done, home, key)
    assert run_cli(["check-session"], env).returncode == 0


def test_login_with_a_bad_key_stores_nothing(home: Path, emulator: Emulator) -> None:
    """A bad key exits 1 and stores nothing."""
    bad = fake_session_key()
    done = run_cli(["login", "--session-key", "-"], emulator_env(home, emulator), stdin=bad)
    assert done.returncode == 1
    assert "did not accept this session key" in done.stderr
    assert "Nothing was changed" in done.stderr
    assert not (home / "data" / "web_session.json").exists()
    _secret_free(done, home, bad)


def test_login_with_a_bad_key_keeps_the_old_session(home: Path, emulator: Emulator) -> None:
    """A bad key leaves a good stored session exactly as it was."""
    good = store_session(home, emulator)
    session_file = home / "data" / "web_session.json"
    before = session_file.read_bytes()
    bad = fake_session_key()
    env = emulator_env(home, emulator)
    done = run_cli(["login", "--session-key", "-"], env, stdin=bad)
    assert done.returncode == 1
    assert session_file.read_bytes() == before
    _secret_free(done, home, good, bad)
    assert run_cli(["check-session"], env).returncode == 0


def test_login_key_in_arguments_works_and_warns(home: Path, emulator: Emulator) -> None:
    """A key given in argv is accepted (handed to the scraper on stdin) with a warning."""
    key = emulator.session_key
    done = run_cli(["login", "--session-key", key], emulator_env(home, emulator))
    # `done.args` holds the key: read the fields apart so a failure never prints it.
    code, stdout, stderr = done.returncode, done.stdout, done.stderr
    assert code == 0, stderr
    assert "process list" in stderr
    assert_secret_absent(key, stdout + stderr)
    stored_ok = json.loads((home / "data" / "web_session.json").read_text())["sessionKey"] == key
    assert stored_ok


def test_login_with_empty_stdin_changes_nothing(home: Path, emulator: Emulator) -> None:
    """`--session-key -` with nothing on stdin exits 1 and stores nothing."""
    done = run_cli(["login", "--session-key", "-"], emulator_env(home, emulator), stdin="\n")
    assert done.returncode == 1
    assert "no session key" in done.stderr
    assert not (home / "data" / "web_session.json").exists()
    assert emulator.count("/api") == 0


def test_logout_then_check_session(home: Path, emulator: Emulator) -> None:
    """check-session is 0 with a session, logout removes it (exit 0), then check-session is 1."""
    key = store_session(home, emulator)
    env = emulator_env(home, emulator)
    done = run_cli(["check-session"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    done = run_cli(["logout"], env)
    assert done.returncode == 0, done.stderr
    assert not (home / "data" / "web_session.json").exists()
    done = run_cli(["check-session"], env)
    assert done.returncode == 1
    _secret_free(done, home, key)


def test_check_session_with_an_expired_session(home: Path, emulator: Emulator) -> None:
    """A session the service rejects is not usable: exit 1."""
    store_session(home, emulator)
    emulator.set_scenario("session_expired")
    assert run_cli(["check-session"], emulator_env(home, emulator)).returncode == 1


# ---------------------------------------------------------------- config problems


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("interval_minutes = [oops\n", "not valid TOML"),
        ('interval_minutes = "soon"\nsource = 3\n', "'interval_minutes' ignored"),
        ("favourite_colour = 'green'\n[thresholds]\nshade = 2\n", "unknown setting"),
    ],
)
def test_bad_config_is_reported_and_status_still_works(
    home: Path, emulator: Emulator, text: str, said: str
) -> None:
    """A broken or partly wrong config: status works, the problem is on stderr, the file stays."""
    _pin_usage(emulator)
    store_session(home, emulator)
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    raw = config.read_bytes()
    mtime = config.stat().st_mtime_ns
    done = run_cli(["status", "--json"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["usage_percent"] == 42.0
    assert said in done.stderr
    assert str(config) in done.stderr
    assert config.read_bytes() == raw
    assert config.stat().st_mtime_ns == mtime
    log = (home / "logs" / "claude-tray.log").read_text()
    assert said in log


def test_debug_logs_to_stderr_redacted(home: Path, emulator: Emulator) -> None:
    """--debug shows log lines (with thread names) on stderr, never the key."""
    key = store_session(home, emulator)
    done = run_cli(["--debug", "status", "--json"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    assert "[MainThread]" in done.stderr
    assert "DEBUG" in done.stderr
    json.loads(done.stdout)  # stdout still holds only the document
    _secret_free(done, home, key)
    after = run_cli(["status", "--json", "--debug"], emulator_env(home, emulator))
    assert "DEBUG" in after.stderr


def test_log_file_names_threads_and_is_private(home: Path, emulator: Emulator) -> None:
    """A status run leaves a private log file whose lines name their thread."""
    store_session(home, emulator)
    run_cli(["status"], emulator_env(home, emulator))
    log_file = home / "logs" / "claude-tray.log"
    assert_private(log_file)
    lines = [line for line in log_file.read_text().splitlines() if line.strip()]
    assert lines
    stamp = lines[0].split(" ", 2)
    datetime.fromisoformat(f"{stamp[0]} {stamp[1].split(',')[0]}")
    assert all(re.search(r"\[[^\]]+\]", line) for line in lines if line[:4].isdigit())


@pytest.mark.parametrize("args", [[], ["run"], ["demo"], ["--debug"]])
@pytest.mark.posix_only
def test_tray_commands_without_a_display_say_so(home: Path, args: list[str]) -> None:
    """`claude-tray`, `run` and `demo` start the tray app; without a display: exit 1, a sentence."""
    env = child_env(home)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    done = run_cli(args, env, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip()
    assert (home / "logs" / "claude-tray.log").exists()


#: Runs `claude-tray ARGS` in-process, then says at the very end of the interpreter
#: (its atexit handler is the first registered, so it runs last) whether the objects
#: were frozen out of the last garbage collection.
_REPORT_FREEZE = (
    "import atexit, gc, sys\n"
    "atexit.register(lambda: print('FROZEN', gc.get_freeze_count() > 0))\n"
    "from claude_tray.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_one_shot_commands_end_without_the_last_collection(tmp_path: Path) -> None:
    """Every command but run/demo skips the interpreter's last garbage collection (issue 12),
    also those that never set up logging: `paths` and the cached `status --max-age`."""
    from claude_tray.documents import UsageDocument, dump_document
    from claude_tray.paths import AppPaths

    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    paths.usage_cache_file.parent.mkdir(parents=True)
    fresh = UsageDocument.build(source="web", limits=[])
    paths.usage_cache_file.write_text(dump_document(fresh) + "\n", encoding="utf-8")
    for args in (["paths"], ["status", "--json", "--max-age", "600"]):
        done = subprocess.run(
            [sys.executable, "-c", _REPORT_FREEZE, *args],
            cwd=REPO,
            env=child_env(home),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "FROZEN True", (args, done.stdout)
    assert not paths.log_file.exists()  # status took the quick path
