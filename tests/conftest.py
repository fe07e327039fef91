"""Fixtures every test module may use.

Each area keeps its own helpers in `tests/support/`; this file only wires the
shared ones. Every test runs with `CLAUDE_TRAY_HOME` pointing at a fresh
temporary folder, so no test touches the real user's files.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray.paths import AppPaths

# Autouse for every test, not only the modules that import it: a test that set up
# the app's logging in-process left its handlers on the root logger, and a later
# test counting or rotating log handlers then met them (order-dependent failures).
from tests.support.cli import restore_logging as restore_logging


@pytest.fixture(autouse=True)
def tray_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private CLAUDE_TRAY_HOME for the test, and no real Claude Code login."""
    home = tmp_path / "tray-home"
    monkeypatch.setenv("CLAUDE_TRAY_HOME", str(home))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    for name in ("CLAUDE_TRAY_BASE_URL", "CLAUDE_TRAY_API_URL", "CLAUDE_TRAY_PYTHON"):
        monkeypatch.delenv(name, raising=False)
    yield home


#: The name of the core's worker thread (claude_tray.worker.Worker's default).
WORKER_THREAD_NAME = "claude-tray-worker"
#: How long a worker thread may take to end after its test (a child being stopped).
WORKER_END_GRACE_SECONDS = 10.0


@pytest.fixture(autouse=True)
def no_worker_outlives_its_test() -> Iterator[None]:
    """A core's worker thread started by a test ends with it.

    A worker left running keeps polling into the next tests: with a test's instant
    sleeper it spun, writing a log line per turn into whatever log the next test
    was rotating (a CI run failed on a rotated log file that vanished under it).
    Cores made by the test helpers (`tests.support.core.track_core`) are shut down
    here; any other worker still alive after a grace fails the test that started it.
    """
    before = {thread.ident for thread in threading.enumerate()}
    yield
    support = sys.modules.get("tests.support.core")
    if support is not None:
        support.shut_down_tracked_cores()
    deadline = time.monotonic() + WORKER_END_GRACE_SECONDS
    while True:
        left = [
            thread
            for thread in threading.enumerate()
            if thread.name == WORKER_THREAD_NAME
            and thread.ident not in before
            and thread.is_alive()
        ]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    if left:
        pytest.fail(
            f"{len(left)} core worker thread(s) started by this test still run after it: "
            "shut the core down (Core.shutdown) or make it with tests.support.core.track_core",
            pytrace=False,
        )


@pytest.fixture
def app_paths(tray_home: Path) -> AppPaths:
    """The AppPaths of the test's private home, folders created."""
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tray_home)})
    paths.ensure()
    return paths


# Tests that need a real browser or a real display must run in CI: a skip there
# hides exactly the breakage they exist to catch. `.ci/run` sets this variable.
REQUIRE_REAL = os.environ.get("CLAUDE_TRAY_REQUIRE_REAL") == "1"
REAL_MARKERS = ("browser", "display", "wine")
#: Set by .ci/windows.sh: where its Wine prefix and Windows python are.
WINE_ROOT = os.environ.get("CLAUDE_TRAY_WINE_ROOT", "")


def _meant_for_another_platform(item: pytest.Item) -> bool:
    """A test of another platform's behaviour: `wine` tests outside the Windows stage
    (which sets CLAUDE_TRAY_WINE_ROOT), `windows_only` ones off Windows, `posix_only`
    ones on Windows (their Windows counterpart says so)."""
    if item.get_closest_marker("wine") and not WINE_ROOT:
        return True
    if item.get_closest_marker("windows_only") and sys.platform != "win32":
        return True
    return bool(item.get_closest_marker("posix_only")) and sys.platform == "win32"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of another platform are deselected, not skipped: a run's summary then shows
    no skips at all, so a skip there always means something was missing."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (dropped if _meant_for_another_platform(item) else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CLAUDE_TRAY_REQUIRE_REAL=1, a skipped browser or display test is a failure."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not (REQUIRE_REAL and report.skipped):
        return
    needs = [name for name in REAL_MARKERS if item.get_closest_marker(name)]
    if needs:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} needs a real {' and '.join(needs)} and was skipped "
            f"({reason}); CI does not accept that skip."
        )


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """After a test's fixtures are gone, collect garbage here, on the main thread,
    and from then on only here.

    A Tk interpreter left in a reference cycle must be freed on the thread that
    made it: if the collector happens to run on another thread (a worker, a
    server thread of a later test), freeing it there aborts the whole pytest
    process ("Fatal Python error: Aborted" while "Garbage-collecting"). A collect
    after each test was not enough: a CI rehearsal aborted in the middle of a popup
    test when a worker thread's allocation set off an automatic collection. So once
    Tk is loaded, automatic collection is off and this hook is the only collector
    (reference counting still frees everything that is not in a cycle at once).
    """
    yield
    if "tkinter" in sys.modules:
        gc.collect()
        gc.disable()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that starts with Tk already loaded runs without automatic collection
    (see pytest_runtest_teardown: only the main thread may free Tk objects)."""
    if "tkinter" in sys.modules:
        gc.disable()
