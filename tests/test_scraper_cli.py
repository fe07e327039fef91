"""The scraper program's outside: arguments, one document on stdout, exit codes, logs."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray import __version__
from claude_tray.emulator import Emulator
from claude_tray.scraper.main import build_parser
from tests.support.scraper import (
    FAKE_SESSION_KEY,
    REPO_ROOT,
    app_paths,
    assert_no_secrets,
    logged_text,
    run_scraper,
    scraper_env,
    session_bytes,
    store_session,
)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running emulator in the `ok` scenario."""
    with Emulator("ok") as emu:
        yield emu


def test_version_goes_to_stdout() -> None:
    """`--version` prints the package version and exits 0."""
    run = run_scraper(["--version"], scraper_env())
    assert run.returncode == 0
    assert run.stdout.strip() == __version__


@pytest.mark.parametrize(
    "args", [[], ["frobnicate"], ["poll", "--source", "nowhere"], ["poll", "--bogus"]]
)
def test_bad_arguments_give_one_error_document(args: list[str]) -> None:
    """Arguments the scraper does not understand give an error document and exit 1."""
    run = run_scraper(args, scraper_env())
    assert run.returncode == 1
    assert run.document["status"] == "error"
    assert run.document["error"] == "internal_error"
    assert "arguments" in run.document["message"]


def test_session_key_is_never_an_argument() -> None:
    """The parser has no option that takes a session key in argv."""
    parser = build_parser()
    with pytest.raises(Exception, match="unrecognized arguments"):
        parser.parse_args(["login", "--session-key", FAKE_SESSION_KEY])


def test_unexpected_failure_is_internal_error_without_traceback_on_stdout(tmp_path: Path) -> None:
    """A crash prints one `internal_error` document naming the log, and no traceback on stdout."""
    not_a_folder = tmp_path / "home-is-a-file"
    not_a_folder.write_text("x", encoding="utf-8")
    env = scraper_env(extra={"CLAUDE_TRAY_HOME": str(not_a_folder)})
    run = run_scraper(["poll"], env)
    assert run.returncode == 1
    assert run.document["error"] == "internal_error"
    assert "scraper.log" in run.document["message"]
    assert "Traceback" not in run.stdout
    assert "Traceback" in run.stderr


def test_debug_logs_go_to_stderr_and_the_log_file_only(emulator: Emulator) -> None:
    """With --debug, stdout still holds only the document; stderr and the log file are redacted."""
    store_session(emulator.session_key, org_uuid=emulator.chat_org_uuid)
    run = run_scraper(["poll", "--debug"], scraper_env(base_url=emulator.base_url))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["status"] == "success"
    assert "DEBUG" in run.stderr
    log_file = app_paths().scraper_log_file
    assert "GET /api/organizations" in log_file.read_text(encoding="utf-8")
    if sys.platform != "win32":
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert_no_secrets(logged_text(run), {emulator.session_key})


def test_browser_login_without_browser_is_browser_missing(emulator: Emulator) -> None:
    """`login` without a key and without a browser: `browser_missing`; the old session stays."""
    store_session(emulator.session_key)
    before = session_bytes()
    env = scraper_env(
        base_url=emulator.base_url, extra={"CLAUDE_TRAY_BROWSER": "/nonexistent/chromium"}
    )
    run = run_scraper(["login", "--timeout", "10"], env)
    assert run.returncode == 1
    assert run.document["error"] == "browser_missing"
    assert session_bytes() == before


_IMPORT_PROBE = """
import sys
from claude_tray.scraper.main import main
code = main(sys.argv[1:])
loaded = sorted({m.split('.')[0] for m in sys.modules} & {'playwright', 'tkinter', 'pystray'})
print('LOADED=' + ','.join(loaded), file=sys.stderr)
raise SystemExit(code)
"""


def test_fast_path_poll_never_imports_playwright_or_gui(emulator: Emulator) -> None:
    """A fast-path poll loads neither Playwright nor Tk nor pystray."""
    store_session(emulator.session_key, org_uuid=emulator.chat_org_uuid)
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, "poll"],
        env=scraper_env(base_url=emulator.base_url),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "success"
    assert "LOADED=\n" in result.stderr


def test_session_store_is_light() -> None:
    """The session store (imported by the tray's logout) loads neither pydantic nor Playwright."""
    probe = (
        "import sys, claude_tray.scraper.session_store; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'playwright'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
