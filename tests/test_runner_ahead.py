"""A poll child started ahead of its go-ahead (`ScraperRunner.start`, issue 12).

The command line's `status` starts its child before it imports the core; the
child waits for its hand-off line, which the core writes only once the run lock
and the read budget are taken. Otherwise the child is ended having asked the
service nothing. Real children against the real emulator.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claude_tray import proctree
from claude_tray.config import Config
from claude_tray.core import Core
from claude_tray.documents import ErrorDocument, UsageDocument
from claude_tray.emulator import Emulator
from claude_tray.errors import ErrorCode
from claude_tray.events import Event
from claude_tray.paths import AppPaths
from claude_tray.read_budget import ReadBudget
from claude_tray.runner import ScraperRunner, StartedChild, poll_args
from claude_tray.state import Status
from tests.support.child import REPO
from tests.support.cli import (
    child_env,
    emulator,
    emulator_env,
    restore_logging,
    run_cli,
    store_session,
)
from tests.support.core import wait_until

__all__ = ["emulator", "restore_logging"]

pytestmark = pytest.mark.timeout(120)


def _setup(tmp_path: Path, emulator: Emulator) -> tuple[AppPaths, ScraperRunner, Core]:
    home = tmp_path / "home"
    store_session(home, emulator)
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    runner = ScraperRunner(paths, Config(), env=emulator_env(home, emulator))
    assert runner.handshake() is None  # cached from here on, as on every run after the first
    core = Core(paths, Config(), queue.Queue[Event](), runner=runner)
    emulator.clear_requests()
    return paths, runner, core


def _start(runner: ScraperRunner) -> tuple[StartedChild, int]:
    ahead = runner.start("poll", poll_args(Config()))
    assert ahead is not None
    return ahead, ahead.pid


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_started_child_answers_the_poll(
    tmp_path: Path, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """It asks nothing until its hand-off; the poll then runs in it (no second child)."""
    _paths, runner, core = _setup(tmp_path, emulator)
    caplog.set_level("INFO", logger="claude_tray")
    try:
        ahead, pid = _start(runner)
        time.sleep(0.5)  # long enough for it to have asked, had it not waited
        assert emulator.requests == []
        document = core.poll_usage_blocking(started=ahead)
    finally:
        core.shutdown()
    assert isinstance(document, UsageDocument)
    assert emulator.count("/api/organizations/") > 0
    assert _gone(pid)
    said = [record.getMessage() for record in caplog.records]
    assert sum(line.startswith("running scraper started ahead: ") for line in said) == 1
    assert not any(line.startswith("running scraper: ") for line in said)


def test_a_refused_read_ends_the_waiting_child_without_a_request(
    tmp_path: Path, emulator: Emulator
) -> None:
    paths, runner, core = _setup(tmp_path, emulator)
    budget = ReadBudget.for_paths(paths)
    while budget.try_take():
        pass
    try:
        ahead, pid = _start(runner)
        document = core.poll_usage_blocking(started=ahead)
    finally:
        core.shutdown()
    assert isinstance(document, ErrorDocument) and document.error is ErrorCode.RATE_LIMITED
    assert _gone(pid)
    assert emulator.requests == []


def test_a_busy_run_lock_ends_the_waiting_child_without_a_request(
    tmp_path: Path, emulator: Emulator
) -> None:
    paths, runner, core = _setup(tmp_path, emulator)
    used = ReadBudget.for_paths(paths).used()
    assert core.state.try_begin(Status.REFRESHING)  # another run holds the lock
    try:
        ahead, pid = _start(runner)
        document = core.poll_usage_blocking(started=ahead)
    finally:
        core.state.end()
        core.shutdown()
    assert isinstance(document, ErrorDocument) and document.error is ErrorCode.BUSY
    assert _gone(pid)
    assert emulator.requests == []
    assert ReadBudget.for_paths(paths).used() == used  # no read was counted either


def test_a_child_for_other_arguments_is_not_used(tmp_path: Path, emulator: Emulator) -> None:
    """The poll runs as asked, in a new child; the one started ahead is ended unused."""
    _paths, runner, core = _setup(tmp_path, emulator)
    ahead = runner.start("poll", ["--source", "claude-code"])
    assert ahead is not None
    pid = ahead.pid
    try:
        document = core.poll_usage_blocking(started=ahead)
    finally:
        core.shutdown()
    assert isinstance(document, UsageDocument) and document.source == "web"
    assert _gone(pid)


def _started_elsewhere(
    paths: AppPaths, emulator: Emulator, home: Path, config: Config
) -> tuple[StartedChild, int]:
    """A child started ahead by a runner with `config` (the command line's quick settings)."""
    other = ScraperRunner(paths, config, env=emulator_env(home, emulator))
    ahead = other.start("poll", poll_args(config, debug=False))
    assert ahead is not None
    return ahead, ahead.pid


@pytest.mark.parametrize(
    ("config", "what"),
    [
        (Config(poll_timeout_seconds=30.0), "time limit"),
        (Config(browser_path="/opt/another/chromium"), "environment"),
    ],
    ids=["time-limit", "environment"],
)
def test_a_child_started_with_other_settings_is_not_used(
    tmp_path: Path,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    config: Config,
    what: str,
) -> None:
    """Same arguments, but another time limit or another environment than the core's
    own settings give (a quick reader that disagrees, a file edited in between): the
    waiting child is ended without asking, the poll runs in a child of the core's."""
    paths, _runner, core = _setup(tmp_path, emulator)
    ahead, pid = _started_elsewhere(paths, emulator, tmp_path / "home", config)
    caplog.set_level("INFO", logger="claude_tray")
    try:
        document = core.poll_usage_blocking(started=ahead)
    finally:
        core.shutdown()
    assert isinstance(document, UsageDocument) and document.source == "web"
    assert _gone(pid)
    said = [record.getMessage() for record in caplog.records]
    assert f"the scraper started ahead differs in its {what}; ending it" in said
    assert sum(line.startswith("running scraper: ") for line in said) == 1


def test_start_logs_nothing_when_it_cannot_start_ahead(
    tmp_path: Path, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a known handshake `start` gives None and says nothing: the command line
    starts its child before its logging is set up (a record would reach stderr)."""
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    runner = ScraperRunner(paths, Config(), env=emulator_env(home, emulator))
    caplog.set_level("DEBUG")
    assert runner.start("poll", poll_args(Config(), debug=False)) is None
    assert caplog.records == []


@pytest.mark.posix_only
def test_a_child_that_cannot_start_ahead_is_left_to_run_which_says_why(
    tmp_path: Path, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The handshake is known good, but the interpreter can no longer be executed
    (its mode changed, its mtime did not): `start` says nothing, `run` says why."""
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    config = Config(python_path=str(python))
    runner = ScraperRunner(paths, config, env=emulator_env(home, emulator))
    assert runner.handshake() is None
    python.chmod(0o644)
    caplog.set_level("DEBUG")
    assert runner.start("poll", poll_args(config, debug=False)) is None
    assert caplog.records == []
    document = runner.run("poll", poll_args(config, debug=False))
    assert isinstance(document, ErrorDocument) and document.error is ErrorCode.PYTHON_MISSING
    assert any(r.getMessage().startswith("could not start ") for r in caplog.records)


@pytest.mark.parametrize("setting", ["python_path", "browser_path"])
def test_start_raises_nothing_for_a_setting_it_cannot_use(
    tmp_path: Path, emulator: Emulator, caplog: pytest.LogCaptureFixture, setting: str
) -> None:
    """A NUL in a path makes `os.stat` or `Popen` raise ValueError: `start` gives None
    and says nothing (its caller may have no log yet); `run` meets it again."""
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    env = emulator_env(home, emulator)
    assert ScraperRunner(paths, Config(), env=env).handshake() is None  # Popen is reached
    config = Config(**{setting: f"{sys.executable}\x00x"})
    runner = ScraperRunner(paths, config, env=env)
    caplog.set_level("DEBUG")
    assert runner.start("poll", poll_args(config, debug=False)) is None
    assert caplog.records == []
    with pytest.raises(ValueError, match="null"):
        runner.run("poll", poll_args(config, debug=False))


def test_no_child_starts_ahead_before_the_handshake_is_known(
    tmp_path: Path, emulator: Emulator
) -> None:
    home = tmp_path / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    runner = ScraperRunner(paths, Config(), env=emulator_env(home, emulator))
    assert runner.start("poll", poll_args(Config())) is None
    assert not paths.handshake_cache_file.exists()  # the handshake is left to `run`


def test_status_without_a_handshake_yet_says_nothing_extra(
    tmp_path: Path, emulator: Emulator
) -> None:
    """The first `status` of an install has no handshake cache: it starts no child ahead
    (the handshake is `run`'s), logs nothing before its logging is set up (a record would
    reach logging's last-resort handler on stderr) and prints only the document."""
    home = tmp_path / "home"
    store_session(home, emulator)
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    assert not paths.handshake_cache_file.exists()
    done = run_cli(["status", "--json"], emulator_env(home, emulator))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "success"
    assert done.stderr == ""
    assert paths.handshake_cache_file.exists()  # made by the run, after the logging setup
    said = paths.log_file.read_text(encoding="utf-8")
    assert "scraper handshake ok" in said and "started ahead" not in said


@pytest.mark.parametrize("setting", ["python_path", "browser_path"])
def test_a_failure_to_start_ahead_is_logged_not_dumped_on_stderr(
    tmp_path: Path, setting: str
) -> None:
    """A setting `start` cannot use (a NUL in a path: `os.stat` and `Popen` raise
    ValueError, not OSError) raised before the logging was set up: logging's last
    resort printed the traceback on stderr and the log, which the message points to,
    was not even written. The child is started by the full path instead, which
    logs what went wrong where the message says."""
    home = tmp_path / "home"
    env = child_env(home)
    if setting == "browser_path":  # `start` reaches Popen only with a known handshake
        assert run_cli(["status", "--json"], env).returncode == 1  # no session: no matter
        assert AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)}).handshake_cache_file.exists()
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        f'{setting} = "{sys.executable}\\u0000x"\n', encoding="utf-8"
    )
    done = run_cli(["status", "--json"], env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert json.loads(done.stdout)["status"] == "error"
    said = (home / "logs" / "claude-tray.log").read_text(encoding="utf-8")
    assert "ValueError: embedded null byte" in said


_INTERRUPTED_BEFORE_THE_CORE = """
import signal, sys, time
from claude_tray import cli

# Ctrl+C as a terminal delivers it: a test run started in the background by a
# non-interactive shell (as CI may be) hands its children SIGINT ignored, and
# Python then installs no KeyboardInterrupt handler (the command rightly stays).
signal.signal(signal.SIGINT, signal.default_int_handler)

def _stalled(*args, **kwargs):
    print("WAITING", flush=True)
    time.sleep(60)  # Ctrl+C arrives here: the child was started, the core has not taken it

cli._blocking_with_last = _stalled
sys.exit(cli.main(["status", "--json"]))
"""


@pytest.mark.skipif(not proctree.supported(), reason="finds the child through /proc")
def test_ctrl_c_while_the_child_waits_ends_it(tmp_path: Path, emulator: Emulator) -> None:
    home = tmp_path / "home"
    store_session(home, emulator)
    env = emulator_env(home, emulator)
    env["PYTHONPATH"] = str(REPO)
    warm = subprocess.run(
        [sys.executable, "-m", "claude_tray", "status", "--json"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert json.loads(warm.stdout)["status"] == "success"  # the handshake is cached now
    emulator.clear_requests()
    parent = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_BEFORE_THE_CORE],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "WAITING"
        children = proctree.descendants(parent.pid)
        assert len(children) == 1
        parent.send_signal(signal.SIGINT)
        code = parent.wait(timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    assert code == 130
    assert wait_until(lambda: not proctree.alive(children[0]), timeout=10)
    assert emulator.requests == []


def _maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/maps")
def test_the_waiting_child_has_loaded_its_http_client(tmp_path: Path, emulator: Emulator) -> None:
    """While it waits for its hand-off, the child loads its HTTP client (http.client
    brings the `_ssl` extension, which shows in its memory map) and asks nothing."""
    _paths, runner, core = _setup(tmp_path, emulator)
    core.shutdown()
    ahead, pid = _start(runner)
    try:
        assert wait_until(lambda: "/_ssl." in _maps(pid), timeout=30)
        assert not _gone(pid)  # still waiting
    finally:
        ahead.close()
    assert _gone(pid)
    assert emulator.requests == []
