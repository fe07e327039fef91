"""`claude-tray doctor`: each check in-process, and the real command against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray.config import Config, LoadedConfig, load_config
from claude_tray.doctor import (
    Check,
    check_browser,
    check_claude_code,
    check_config,
    check_folders,
    check_playwright,
    check_reachable,
    check_scraper,
    check_web_session,
    format_table,
    judge_sources,
    probe_url,
)
from claude_tray.emulator import Emulator
from claude_tray.paths import AppPaths
from claude_tray.runner import ScraperRunner
from claude_tray.scraper.session_store import WebSession, save_session
from tests.support.cli import (
    REPO,
    TEST_BROWSER,
    assert_secret_absent,
    child_env,
    emulator_env,
    fake_oauth_token,
    fake_session_key,
    run_cli,
    store_session,
    write_claude_code_credentials,
)
from tests.support.cli import emulator as emulator  # fixture
from tests.support.cli import restore_logging as restore_logging  # autouse fixture

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=timezone.utc)


def _row_text(row: Check) -> str:
    return f"{row.name} {row.verdict} {row.result} {row.fix}"


# ---------------------------------------------------------------- the table


def test_table_has_three_columns_and_redacts() -> None:
    """The table shows check, result and what to do, and never a key-shaped value."""
    key = fake_session_key()
    rows = [
        Check("Python", "ok", "3.11 at /usr/bin/python3"),
        Check("Web session", "problem", f"odd value {key}", "Run `claude-tray login`."),
    ]
    table = format_table(rows, width=100)
    assert_secret_absent(key, table)
    assert "[redacted]" in table
    header = table.splitlines()[0]
    assert header.split() == ["CHECK", "STATUS", "RESULT"]
    assert "PROBLEM" in table
    assert table.splitlines()[-1] == "1 problem: fix the rows marked PROBLEM."
    assert "problem(s)" not in table
    two = [*rows, Check("Browser", "problem", "none", "sudo apt install chromium")]
    assert format_table(two).splitlines()[-1] == "2 problems: fix the rows marked PROBLEM."
    assert "All fine." in format_table(rows[:1])


@pytest.mark.posix_only
def test_table_fits_80_columns_with_one_line_fixes() -> None:
    """At 80 columns no line is longer, a long result stays in its column, each fix is one line."""
    home = "/home/someone"
    rows = [
        Check("Python", "ok", f"3.11.7 at {home}/.local/pipx/venvs/claude-tray/bin/python3"),
        Check(
            "Claude Code",
            "problem",
            "The login file could not be read because it is not valid JSON; it was left "
            f"as it is at {home}/.claude/.credentials.json",
            "claude, then /login",
        ),
        Check("Config", "problem", "interval_minutes: not a number", f"edit {home}/" + "x" * 90),
    ]
    table = format_table(rows, width=80, home=home)
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines), table
    result_column = lines[0].index("RESULT")
    body = lines[1:-2]
    for line in body:  # a row's first line, or a line that sits in the result column
        assert line[0] != " " or not line[:result_column].strip(), (line, table)
        assert line[result_column - 1] == " " and line[result_column] != " ", (line, table)
    fixes = [line[result_column:] for line in body if line[result_column:].startswith("fix: ")]
    assert fixes == ["fix: claude, then /login", fixes[1]]
    assert fixes[1].startswith("fix: edit ~/xxx") and "..." in fixes[1]
    assert "~/.claude/.credentials.json" in table  # the home folder as ~, the path whole
    assert home not in table
    assert "fix:" not in lines[1] + lines[2]  # an ok row has no fix line


def test_a_check_that_breaks_becomes_a_problem_row() -> None:
    """A check that raises is reported as a problem row; the doctor goes on."""
    from claude_tray.doctor import _guarded

    def broken() -> Check:
        raise RuntimeError("disk on fire")

    row = _guarded("Folders", broken, lambda row: row)
    assert row.verdict == "problem"
    assert "disk on fire" in row.result
    assert "bug" in row.fix


# ---------------------------------------------------------------- browser


@pytest.mark.posix_only
def test_no_browser_anywhere_says_what_to_install(tmp_path: Path) -> None:
    """On a machine without any browser the fix names the package to install."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {"PATH": str(empty), "HOME": str(tmp_path)}
    row = check_browser(Config(), env, system="linux", root=tmp_path)
    assert row.verdict == "problem"
    assert "sudo apt install chromium" in row.fix
    assert "CLAUDE_TRAY_BROWSER" in row.result or "No Chrome" in row.result
    assert "claude-tray install-browser" in row.result


@pytest.mark.posix_only
def test_browser_variable_pointing_nowhere_is_named(tmp_path: Path) -> None:
    """A CLAUDE_TRAY_BROWSER that does not exist is named in the fix, with what to install."""
    env = {"CLAUDE_TRAY_BROWSER": "/nonexistent", "PATH": str(tmp_path), "HOME": str(tmp_path)}
    row = check_browser(Config(), env, system="linux", root=tmp_path)
    assert row.verdict == "problem"
    assert "/nonexistent" in row.result
    assert row.fix == "unset CLAUDE_TRAY_BROWSER; sudo apt install chromium"


@pytest.mark.posix_only
def test_browser_variable_pointing_nowhere_offers_the_found_one() -> None:
    """When another browser exists, the fix says to remove the setting to use it."""
    env = {**os.environ, "CLAUDE_TRAY_BROWSER": "/nonexistent"}
    row = check_browser(Config(), env)
    assert row.verdict == "problem"
    assert row.fix == "unset CLAUDE_TRAY_BROWSER"
    assert "Found instead: " in row.result and "chromium" in row.result


@pytest.mark.posix_only
def test_browser_found_reports_its_version() -> None:
    """Debian's Chromium is found and its version is shown."""
    row = check_browser(Config(), {**os.environ, "CLAUDE_TRAY_BROWSER": TEST_BROWSER})
    assert row.verdict == "ok", row
    assert "Chromium" in row.result
    assert TEST_BROWSER in row.result


@pytest.mark.posix_only
def test_configured_browser_path_pointing_nowhere(tmp_path: Path) -> None:
    """A wrong browser_path in the config is named in the fix."""
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    config = Config(browser_path="/opt/nothing/chrome")
    row = check_browser(config, env, system="linux", root=tmp_path)
    assert row.verdict == "problem"
    assert row.fix == "clear Settings > Browser; sudo apt install chromium"


# ---------------------------------------------------------------- sessions


def test_no_web_session_is_a_note(app_paths: AppPaths) -> None:
    """Nothing stored is reported with the login command, not as a crash."""
    row, usable = check_web_session(app_paths, NOW)
    assert (row.verdict, usable) == ("note", False)
    assert "claude-tray login" in row.fix


def test_stored_web_session_shows_its_age_not_its_key(app_paths: AppPaths) -> None:
    """A stored session shows its age and organization, never its key."""
    key = fake_session_key()
    session = WebSession(session_key=key, org_name="Acme", saved_at=NOW - timedelta(days=3))
    save_session(app_paths, session)
    row, usable = check_web_session(app_paths, NOW)
    assert (row.verdict, usable) == ("ok", True)
    assert "3 days" in row.result and "Acme" in row.result
    assert_secret_absent(key, _row_text(row))


def test_old_and_invalid_sessions(app_paths: AppPaths) -> None:
    """An old session is a note; one the service called invalid is a problem."""
    session = WebSession(session_key=fake_session_key(), saved_at=NOW - timedelta(days=27))
    save_session(app_paths, session)
    row, usable = check_web_session(app_paths, NOW)
    assert (row.verdict, usable) == ("note", True)
    assert "30 days" in row.result
    save_session(app_paths, replace(session, invalid=True, invalid_at=NOW))
    row, usable = check_web_session(app_paths, NOW)
    assert (row.verdict, usable) == ("problem", False)
    assert "claude-tray login" in row.fix


def test_corrupt_session_file_is_a_problem_and_kept(app_paths: AppPaths) -> None:
    """A corrupt session file is reported and left in place."""
    app_paths.session_file.write_text("{not json")
    row, usable = check_web_session(app_paths, NOW)
    assert (row.verdict, usable) == ("problem", False)
    assert app_paths.session_file.read_text() == "{not json"


def test_claude_code_login_states(tmp_path: Path) -> None:
    """Claude Code's login: absent is a note, valid is ok, expired a note; no token shown."""
    config_dir = tmp_path / "cc"
    env = {"CLAUDE_CONFIG_DIR": str(config_dir)}
    row, usable = check_claude_code(env, datetime.now(timezone.utc))
    assert (row.verdict, usable) == ("note", False)

    token = fake_oauth_token()
    path = write_claude_code_credentials(config_dir, token, expires_in=3 * 3600)
    before = path.read_bytes()
    row, usable = check_claude_code(env, datetime.now(timezone.utc))
    assert (row.verdict, usable) == ("ok", True)
    assert "valid for" in row.result and "plan max" in row.result
    assert_secret_absent(token, _row_text(row))

    write_claude_code_credentials(config_dir, token, expires_in=-7200)
    row, usable = check_claude_code(env, datetime.now(timezone.utc))
    assert (row.verdict, usable) == ("note", False)
    assert "expired" in row.result and row.fix.startswith("claude ")

    path.write_text("garbage")
    row, usable = check_claude_code(env, datetime.now(timezone.utc))
    assert (row.verdict, usable) == ("problem", False)
    assert path.read_text() == "garbage"
    assert before != path.read_bytes()  # only the test wrote it


@pytest.mark.parametrize(
    ("source", "web_ok", "code_ok", "problem_rows"),
    [
        ("auto", False, False, ["Web session"]),
        ("auto", False, True, []),
        ("auto", True, False, []),
        ("web", False, True, ["Web session"]),
        ("claude-code", True, False, ["Claude Code"]),
        ("claude-code", False, True, []),
    ],
)
def test_the_chosen_source_must_be_usable(
    source: str, web_ok: bool, code_ok: bool, problem_rows: list[str]
) -> None:
    """Only a source the config would use, and that is unusable, makes a problem."""
    web = (Check("Web session", "ok" if web_ok else "note", "x"), web_ok)
    code = (Check("Claude Code", "ok" if code_ok else "note", "y"), code_ok)
    rows = judge_sources(source, web, code)
    assert [row.name for row in rows if row.verdict == "problem"] == problem_rows


# ---------------------------------------------------------------- config, folders, network


def test_config_problems_are_listed(app_paths: AppPaths) -> None:
    """Each ignored setting appears in the config row, with where to fix it."""
    app_paths.config_file.write_text('interval_minutes = "soon"\ncolour = 1\n')
    row = check_config(load_config(app_paths.config_file))
    assert row.verdict == "problem"
    assert "interval_minutes" in row.result and "colour" in row.result
    assert str(app_paths.config_file) in row.fix
    assert check_config(LoadedConfig(Config(), [], app_paths.config_file)).verdict == "ok"


def test_unwritable_folder_is_a_problem(tray_home: Path) -> None:
    """A log 'folder' that is a file is reported by name."""
    tray_home.mkdir(parents=True)
    (tray_home / "logs").write_text("not a folder")
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tray_home)})
    row = check_folders(paths)
    assert row.verdict == "problem"
    assert "logs" in row.result
    assert "config" not in row.result.split("cannot write")[1].split("(")[0]


def test_probe_reaches_the_emulator_and_not_a_closed_port(emulator: Emulator) -> None:
    """The probe reports the emulator's answer, and a refused connection as no answer."""
    probe = probe_url(emulator.base_url)
    assert probe.answered, probe.text
    assert not probe.challenged
    assert "HTTP 200" in probe.text
    assert emulator.count("/", method="GET") == 1
    probe = probe_url("http://127.0.0.1:9", timeout=3.0)
    assert not probe.answered
    assert "no answer" in probe.text
    row = check_reachable(
        "claude.ai", "CLAUDE_TRAY_BASE_URL", "http://127.0.0.1:9", configured=True
    )
    assert row.verdict == "problem"
    assert "CLAUDE_TRAY_BASE_URL" in row.fix


def test_cloudflare_challenge_is_a_note_not_a_failure() -> None:
    """A Cloudflare challenge on the address is explained as a note, not a problem."""
    with Emulator("cloudflare") as challenged:
        row = check_reachable("claude.ai", "CLAUDE_TRAY_BASE_URL", challenged.base_url)
    assert row.verdict == "note"
    assert "Cloudflare" in row.result
    assert "browser" in row.fix


# ---------------------------------------------------------------- interpreter and Playwright


def test_scraper_handshake_ok_and_missing_interpreter(app_paths: AppPaths) -> None:
    """The scraper row is ok for this Python and a problem for a missing one."""
    row = check_scraper(ScraperRunner(app_paths, Config()))
    assert row.verdict == "ok", row
    assert "claude_tray.scraper" in row.result
    missing = ScraperRunner(app_paths, Config(), env={"CLAUDE_TRAY_PYTHON": "/nonexistent"})
    row = check_scraper(missing)
    assert row.verdict == "problem"
    assert "/nonexistent" in row.result
    assert "CLAUDE_TRAY_PYTHON" in row.fix


def test_playwright_found_for_this_python_only(app_paths: AppPaths, tmp_path: Path) -> None:
    """Playwright is found for this interpreter; another interpreter is not guessed about."""
    row = check_playwright(ScraperRunner(app_paths, Config()))
    assert row.verdict == "ok", row
    other = tmp_path / "python3"
    other.symlink_to("/bin/true")
    row = check_playwright(
        ScraperRunner(app_paths, Config(), env={"CLAUDE_TRAY_PYTHON": str(other)})
    )
    assert row.verdict == "note"


def test_doctor_never_imports_playwright(tmp_path: Path) -> None:
    """Running every check leaves Playwright unimported in the app process."""
    code = (
        "import sys\n"
        "from claude_tray.config import Config, LoadedConfig\n"
        "from claude_tray.doctor import run_checks\n"
        "from claude_tray.paths import AppPaths\n"
        "rows = run_checks(AppPaths.from_env(), LoadedConfig(Config(), []))\n"
        "print(len(rows), sorted(m for m in sys.modules if m.startswith('playwright')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env(tmp_path / "home"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    count, modules = done.stdout.split(" ", 1)
    assert int(count) >= 8
    assert modules.strip() == "[]"


# ---------------------------------------------------------------- the real command


@pytest.mark.posix_only
def test_doctor_all_fine_against_the_emulator(tmp_path: Path, emulator: Emulator) -> None:
    """With a stored session, Chromium and the emulator, every row is fine and the exit is 0."""
    home = tmp_path / "home"
    key = store_session(home, emulator)
    env = emulator_env(home, emulator, CLAUDE_TRAY_BROWSER=TEST_BROWSER)
    done = run_cli(["doctor"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All fine." in done.stdout
    assert "PROBLEM" not in done.stdout
    for name in ("Python", "Scraper", "Playwright", "Browser", "Web session", "claude.ai"):
        assert name in done.stdout
    assert "Chromium" in done.stdout
    assert_secret_absent(key, done.stdout + done.stderr)
    assert_secret_absent(key, (home / "logs" / "claude-tray.log").read_text())


@pytest.mark.posix_only
def test_doctor_with_a_wrong_browser_variable(tmp_path: Path, emulator: Emulator) -> None:
    """A browser variable naming nothing: exit 1, the row names it and says to unset it."""
    home = tmp_path / "home"
    store_session(home, emulator)
    env = emulator_env(home, emulator, CLAUDE_TRAY_BROWSER="/nonexistent", COLUMNS="80")
    done = run_cli(["doctor"], env)
    assert done.returncode == 1, done.stdout
    browser_lines = done.stdout.split("Browser", 1)[1].split("Web session", 1)[0]
    assert "PROBLEM" in browser_lines
    assert "/nonexistent" in browser_lines
    assert "fix: unset CLAUDE_TRAY_BROWSER\n" in browser_lines
    assert done.stdout.splitlines()[-1] == "1 problem: fix the rows marked PROBLEM."
    assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout


def test_doctor_reports_a_broken_config_and_leaves_it(tmp_path: Path, emulator: Emulator) -> None:
    """A broken config makes the doctor exit 1 naming it; the file stays byte-identical."""
    home = tmp_path / "home"
    store_session(home, emulator)
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    raw = b"interval_minutes = [oops\n"
    config.write_bytes(raw)
    env = emulator_env(home, emulator, CLAUDE_TRAY_BROWSER=TEST_BROWSER)
    done = run_cli(["doctor"], env)
    assert done.returncode == 1
    assert "not valid TOML" in done.stdout
    assert config.read_bytes() == raw


def test_doctor_with_a_missing_interpreter(tmp_path: Path, emulator: Emulator) -> None:
    """CLAUDE_TRAY_PYTHON pointing nowhere is a scraper problem with the fix."""
    home = tmp_path / "home"
    env = emulator_env(home, emulator, CLAUDE_TRAY_PYTHON="/nonexistent")
    done = run_cli(["doctor"], env)
    assert done.returncode == 1
    scraper = done.stdout.split("Scraper", 1)[1].split("Playwright", 1)[0]
    assert "PROBLEM" in scraper
    assert "/nonexistent" in scraper


@pytest.mark.posix_only
def test_desktop_rows_without_display_or_bus_are_notes() -> None:
    """No display and no session bus: the desktop rows say so as notes, not problems."""
    from claude_tray.doctor import desktop_checks

    env = {"PATH": os.environ.get("PATH", ""), "XDG_CURRENT_DESKTOP": "GNOME"}
    saved = {
        k: os.environ.pop(k)
        for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")
        if k in os.environ
    }
    try:
        rows = {row.name: row for row in desktop_checks(env)}
    finally:
        os.environ.update(saved)
    assert list(rows) == ["Display", "Session bus", "Tray host", "Tray backend", "Notifications"]
    assert all(row.verdict != "problem" for row in rows.values())
    assert rows["Tray host"].fix == "enable GNOME's AppIndicator extension"
    assert rows["Tray backend"].result == "xorg"
