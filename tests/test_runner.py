"""The runner against real fake-scraper child processes: every outcome, no process left."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from claude_tray.config import Config
from claude_tray.documents import ErrorDocument, SessionDocument, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.paths import AppPaths
from claude_tray.runner import MAX_STDERR_BYTES, ScraperRunner, clean_environment
from tests.support.core import (
    FAKE_SCRAPERS,
    FAKE_SESSION_KEY,
    fake_runner,
    new_marker,
    pid_state,
    processes_with,
    read_runs,
    wait_until,
    zombie_children,
)

pytestmark = pytest.mark.timeout(120)


def assert_nothing_left(marker: str) -> None:
    """No live process carries `marker` and no child of ours is an unreaped zombie."""
    assert wait_until(lambda: not processes_with(marker), timeout=10), processes_with(marker)
    assert zombie_children() == []


def test_good_document_is_returned(app_paths: AppPaths) -> None:
    """A child that prints one usage document gives exactly that document."""
    marker = new_marker()
    document = fake_runner(app_paths, "good", marker=marker).run("poll")
    assert isinstance(document, UsageDocument)
    assert document.usage_percent == 37.0
    assert [limit.id for limit in document.limits] == ["session", "weekly_all"]
    assert_nothing_left(marker)


def test_work_while_the_child_runs_is_done_once_meanwhile(
    app_paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """`while_running` runs on the calling thread while the child lives (after its
    start, before its end); when it fails, that is logged and the answer still comes."""
    marker = new_marker()
    seen: list[tuple[bool, bool]] = []

    def meanwhile() -> None:
        on_caller = threading.current_thread() is threading.main_thread()
        seen.append((on_caller, bool(processes_with(marker))))
        raise RuntimeError("the meanwhile work broke")

    argv = [sys.executable, str(FAKE_SCRAPERS / "slow_good.py"), marker]
    runner = ScraperRunner(app_paths, Config(), scraper_argv=argv, while_running=meanwhile)
    document = runner.run("poll")
    assert isinstance(document, UsageDocument)
    assert seen == [(True, True)]
    assert "the work done while the scraper ran failed" in caplog.text
    events = [run.event for run in read_runs(app_paths.config_dir.parent)]
    assert events == ["start", "end"]  # the child was not cut short
    assert_nothing_left(marker)


def test_error_document_passes_through(app_paths: AppPaths) -> None:
    """An error document from the child keeps its code, message and retry_after."""
    document = fake_runner(app_paths, "error_doc").run("poll")
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.RATE_LIMITED
    assert document.retry_after == 0
    assert "rate limiting" in document.message


@pytest.mark.parametrize("script", ["garbage", "two_docs", "truncated"])
def test_output_that_is_not_one_document_is_invalid(app_paths: AppPaths, script: str) -> None:
    """Garbage, two documents or a cut-off document all end in invalid_output."""
    document = fake_runner(app_paths, script).run("poll")
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.INVALID_OUTPUT


def test_megabytes_of_stdout_are_invalid_and_capped(app_paths: AppPaths) -> None:
    """Eight megabytes on stdout do not block the runner and end in invalid_output."""
    marker = new_marker()
    document = fake_runner(app_paths, "megabytes", marker=marker).run("poll", timeout=60)
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.INVALID_OUTPUT
    assert "more than" in document.message
    assert_nothing_left(marker)


def test_stderr_flood_does_not_block_the_document(
    app_paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """Sixteen megabytes on stderr are drained; the document after them still arrives."""
    caplog.set_level(logging.DEBUG, logger="claude_tray.runner")
    document = fake_runner(app_paths, "stderr_flood").run("poll", timeout=60)
    assert isinstance(document, UsageDocument)
    logged = [r.getMessage() for r in caplog.records if "stderr" in r.getMessage()]
    assert logged, "the stderr tail is logged at debug level"
    assert all(len(message) < MAX_STDERR_BYTES + 1000 for message in logged)


def test_no_stdout_is_a_crash_with_stderr_only_in_the_log(
    app_paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """No stdout is scraper_crashed; the stderr tail goes to the log (redacted), not the message."""
    caplog.set_level(logging.DEBUG, logger="claude_tray.runner")
    document = fake_runner(app_paths, "nothing").run("poll")
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.SCRAPER_CRASHED
    assert "exited with code 1" in document.message
    assert "RuntimeError" not in document.message
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError: the fake scraper died" in text
    assert "sk-ant-sid01-FAKE" not in text
    assert "[redacted]" in text


def test_silent_exit_zero_is_a_crash(app_paths: AppPaths) -> None:
    """A child that exits 0 without a word is scraper_crashed too."""
    document = fake_runner(app_paths, "silent_exit0").run("poll")
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.SCRAPER_CRASHED


def test_document_with_mismatched_exit_code_counts(
    app_paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """A good document with a non-zero exit is still the answer; the mismatch is logged."""
    caplog.set_level(logging.INFO, logger="claude_tray.runner")
    document = fake_runner(app_paths, "exit_nonzero").run("poll")
    assert isinstance(document, UsageDocument)
    assert "exited 3" in caplog.text


@pytest.mark.parametrize("script", ["hang", "hang_ignore_term"])
def test_hang_ends_in_timeout_and_the_child_is_gone(app_paths: AppPaths, script: str) -> None:
    """A child that never answers is ended at the time limit (SIGKILL if it ignores SIGTERM)."""
    marker = new_marker()
    started = time.monotonic()
    document = fake_runner(app_paths, script, marker=marker).run("poll", timeout=3)
    elapsed = time.monotonic() - started
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.TIMEOUT
    assert elapsed < 30
    assert [r.event for r in read_runs(app_paths.config_dir.parent)] == ["start"]
    assert_nothing_left(marker)


def test_hang_with_grandchild_ends_both(app_paths: AppPaths) -> None:
    """On time-out the whole group goes: the hanging child and the grandchild it started."""
    marker = new_marker()
    document = fake_runner(app_paths, "hang_grandchild", marker=marker).run("poll", timeout=4)
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.TIMEOUT
    runs = read_runs(app_paths.config_dir.parent)
    grandchild = next(int(r.event.split("-")[1]) for r in runs if r.event.startswith("grandchild"))
    assert_nothing_left(marker)
    # Reaped, not a zombie re-parented to a PID 1 that never reaps.
    assert wait_until(lambda: pid_state(grandchild) is None, timeout=10), pid_state(grandchild)


def test_grandchild_left_after_a_normal_exit_is_ended(app_paths: AppPaths) -> None:
    """A scraper that exits but leaves a process behind gets its leftover ended and reaped."""
    marker = new_marker()
    document = fake_runner(app_paths, "leave_grandchild", marker=marker).run("poll")
    assert isinstance(document, UsageDocument)
    runs = read_runs(app_paths.config_dir.parent)
    grandchild = next(int(r.event.split("-")[1]) for r in runs if r.event.startswith("grandchild"))
    assert_nothing_left(marker)
    assert wait_until(lambda: pid_state(grandchild) is None, timeout=10)


def test_cancel_ends_a_login_early(app_paths: AppPaths) -> None:
    """Setting `cancel` ends a running login child at once with login_cancelled."""
    marker = new_marker()
    cancel = threading.Event()
    runner = fake_runner(app_paths, "hang", marker=marker)
    timer = threading.Timer(1.0, cancel.set)
    timer.start()
    started = time.monotonic()
    document = runner.run("login", ["--timeout", "300"], cancel=cancel)
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.LOGIN_CANCELLED
    assert time.monotonic() - started < 60
    assert_nothing_left(marker)


def test_session_key_goes_over_stdin_never_argv(
    app_paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """The session key reaches the child on stdin; argv and the log never hold it."""
    caplog.set_level(logging.DEBUG)
    document = fake_runner(app_paths, "stdin_echo").run(
        "login", ["--session-key-stdin"], stdin=FAKE_SESSION_KEY
    )
    assert isinstance(document, SessionDocument)
    seen = json.loads(document.message)
    assert seen["length"] == len(FAKE_SESSION_KEY)
    assert seen["in_argv"] is False
    assert seen["argv"][-2:] == ["login", "--session-key-stdin"]
    assert FAKE_SESSION_KEY not in caplog.text


def test_environment_is_cleaned(app_paths: AppPaths, tmp_path: Path) -> None:
    """The child sees the variables it needs and none of the rest (PYTHON* of the user dropped)."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONSTARTUP": str(tmp_path / "startup.py"),
            "PYTHONHOME": "/nowhere",
            "SOME_TOKEN": "sk-ant-oat01-FAKEfakeFAKEfake0123456789-env",
            "CLAUDE_TRAY_BASE_URL": "http://127.0.0.1:9",
            "LC_TIME": "C",
            "XDG_DATA_HOME": str(tmp_path / "xdg"),
            "HTTPS_PROXY": "http://127.0.0.1:3128",
        }
    )
    config = Config(browser_path="/opt/some/chromium")
    runner = ScraperRunner(
        app_paths,
        config,
        env=env,
        scraper_argv=[sys.executable, str(Path(__file__).parent / "fake_scrapers/env_dump.py")],
    )
    document = runner.run("check-session")
    assert isinstance(document, SessionDocument)
    seen = json.loads(document.message)
    child_env = seen["env"]
    for dropped in ("PYTHONSTARTUP", "PYTHONHOME", "SOME_TOKEN"):
        assert dropped not in child_env
    assert child_env["CLAUDE_TRAY_BASE_URL"] == "http://127.0.0.1:9"
    assert child_env["LC_TIME"] == "C"
    assert child_env["XDG_DATA_HOME"] == str(tmp_path / "xdg")
    assert child_env["HTTPS_PROXY"] == "http://127.0.0.1:3128"
    assert child_env["PATH"] == os.environ["PATH"]
    assert child_env["CLAUDE_TRAY_BROWSER"] == "/opt/some/chromium"
    assert child_env["PYTHONIOENCODING"] == "utf-8"
    assert child_env["PYTHONPATH"] == str(Path(__file__).resolve().parent.parent)
    assert seen["cwd"] == str(app_paths.cache_dir)


def test_clean_environment_keeps_frozen_build_variables_only_when_frozen() -> None:
    """PyInstaller's _PYI_ variables pass only for a frozen build's child."""
    source = {"_PYI_APPLICATION_HOME_DIR": "/tmp/x", "HOME": "/root", "LD_PRELOAD": "evil.so"}
    assert clean_environment(source) == {"HOME": "/root"}
    assert clean_environment(source, frozen=True) == {
        "HOME": "/root",
        "_PYI_APPLICATION_HOME_DIR": "/tmp/x",
    }


def test_interpreter_choice(app_paths: AppPaths, tmp_path: Path) -> None:
    """CLAUDE_TRAY_PYTHON beats the setting, the setting sys.executable; frozen runs itself."""
    config = Config(python_path="/opt/py/bin/python3")
    assert ScraperRunner(
        app_paths, config, env={"CLAUDE_TRAY_PYTHON": "/x/python"}
    ).interpreter_argv() == [
        "/x/python",
        "-m",
        "claude_tray.scraper",
    ]
    assert ScraperRunner(app_paths, config, env={}).interpreter_argv()[0] == "/opt/py/bin/python3"
    assert ScraperRunner(app_paths, Config(), env={}).interpreter_argv()[0] == sys.executable
    assert ScraperRunner(app_paths, config, env={}, frozen=True).interpreter_argv() == [
        sys.executable,
        "scraper",
    ]


def test_missing_interpreter_is_python_missing(app_paths: AppPaths) -> None:
    """CLAUDE_TRAY_PYTHON=/nonexistent gives python_missing naming what was tried."""
    runner = ScraperRunner(
        app_paths, Config(), env={**os.environ, "CLAUDE_TRAY_PYTHON": "/nonexistent"}
    )
    document = runner.run("poll")
    assert isinstance(document, ErrorDocument)
    assert document.error is ErrorCode.PYTHON_MISSING
    assert "/nonexistent" in document.message
    assert "CLAUDE_TRAY_PYTHON" in document.message


@pytest.mark.posix_only
def test_interpreter_without_the_package_is_python_missing(
    app_paths: AppPaths, tmp_path: Path
) -> None:
    """An interpreter that runs but cannot import the scraper gives python_missing, not cached."""
    fake_python = tmp_path / "python-without-claude-tray"
    fake_python.write_text(
        "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'claude_tray'\" >&2\nexit 1\n"
    )
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IXUSR)
    runner = ScraperRunner(
        app_paths, Config(python_path=str(fake_python)), env={"PATH": os.environ["PATH"]}
    )
    problem = runner.handshake()
    assert problem is not None
    assert problem.error is ErrorCode.PYTHON_MISSING
    assert "No module named 'claude_tray'" in problem.message
    assert not app_paths.handshake_cache_file.exists()


def test_handshake_success_is_cached_by_interpreter_and_mtime(app_paths: AppPaths) -> None:
    """The real interpreter passes the handshake; the result is cached until its mtime changes."""
    runner = ScraperRunner(app_paths, Config(), env=dict(os.environ))
    if runner.handshake() is not None:
        pytest.fail(f"the running interpreter cannot run the scraper: {runner.handshake()}")
    cached = json.loads(app_paths.handshake_cache_file.read_text())
    assert cached["ok"] is True
    assert cached["key"]["interpreter"] == sys.executable
    assert cached["key"]["mtime_ns"] == os.stat(sys.executable).st_mtime_ns
    # A new runner trusts the file: poison the cached key and the check runs again.
    cached["key"]["mtime_ns"] = 1
    app_paths.handshake_cache_file.write_text(json.dumps(cached))
    assert ScraperRunner(app_paths, Config(), env=dict(os.environ)).handshake() is None
    assert json.loads(app_paths.handshake_cache_file.read_text())["key"]["mtime_ns"] != 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_the_app_never_becomes_a_child_subreaper(app_paths: AppPaths) -> None:
    """Not even while a child runs (issue 7 item 1): as a subreaper the app adopted the
    user's own browser, opened by "Open usage page" during a poll, and left it a zombie."""
    import ctypes

    def subreaper_flag() -> int:
        value = ctypes.c_int(-1)
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.prctl(37, ctypes.byref(value), 0, 0, 0) == 0  # PR_GET_CHILD_SUBREAPER
        return value.value

    marker = new_marker()
    cancel = threading.Event()
    seen: list[int] = []

    def look_then_cancel() -> None:
        if wait_until(lambda: bool(processes_with(marker)), timeout=30):
            seen.append(subreaper_flag())
        cancel.set()

    looker = threading.Thread(target=look_then_cancel)
    looker.start()
    fake_runner(app_paths, "hang", marker=marker).run("poll", cancel=cancel)
    looker.join()
    assert seen == [0]
    assert subreaper_flag() == 0


def test_answer_then_hang_keeps_the_answer(app_paths: AppPaths) -> None:
    """A child that printed its document but then hangs is ended; its answer still counts."""
    marker = new_marker()
    document = fake_runner(app_paths, "answer_then_hang", marker=marker).run("poll", timeout=3)
    assert isinstance(document, UsageDocument)
    assert_nothing_left(marker)


@pytest.mark.posix_only
def test_the_exit_watch_wakes_when_the_child_exits_not_before() -> None:
    """On Linux the runner waits on a pidfd (no 50 ms sleeping steps); it fires on exit only."""
    import select
    import subprocess

    from claude_tray.runner import _exit_watch

    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        watch = _exit_watch(proc)
        if not sys.platform.startswith("linux"):
            assert watch is None  # elsewhere: Popen.wait with a timeout, as before
            return
        assert watch is not None
        try:
            assert select.select([watch], [], [], 0.2)[0] == []  # still running
            assert proc.stdin is not None
            proc.stdin.close()  # now it exits
            assert select.select([watch], [], [], 60)[0] == [watch]
            assert proc.wait(timeout=60) == 0
        finally:
            os.close(watch)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
