"""No scraper child, and nothing it started, outlives a time-out (portable: Linux and Windows).

The fake scraper starts a grandchild outside its process group (as Playwright
starts Chromium) that ignores SIGTERM; both write a heartbeat file. After the
runner's time-out neither heartbeat may move. Runs under Wine's Windows
Python too (issue 10 item 4: the Job object), so it uses no process table.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray.documents import ErrorDocument
from claude_tray.errors import ErrorCode
from claude_tray.paths import AppPaths
from tests.support.core import fake_runner, read_runs, wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def reap_grandchildren(tray_home: Path) -> Iterator[None]:
    """Ends what a failing test left behind (the grandchild pids are in the run record)."""
    yield
    for run in read_runs(tray_home):
        if run.event.startswith("grandchild-"):
            with contextlib.suppress(OSError):
                os.kill(int(run.event.split("-")[1]), getattr(signal, "SIGKILL", signal.SIGTERM))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _still_beating(path: Path, seconds: float = 1.5) -> bool:
    before = _size(path)
    time.sleep(seconds)
    return _size(path) != before


def test_timeout_ends_the_child_and_a_grandchild_outside_its_group(
    app_paths: AppPaths, tray_home: Path, reap_grandchildren: None
) -> None:
    """After the time-out neither the hanging child nor its detached grandchild is alive."""
    runner = fake_runner(app_paths, "hang_detached_grandchild", kill_grace=1.0)
    document = runner.run("poll", timeout=6)
    assert isinstance(document, ErrorDocument) and document.error is ErrorCode.TIMEOUT
    runs = [r.event for r in read_runs(tray_home)]
    assert "start" in runs and any(event.startswith("grandchild-") for event in runs), runs
    child_beat, grandchild_beat = tray_home / "child.beat", tray_home / "grandchild.beat"
    # Both were really running before the time-out.
    assert _size(child_beat) > 0 and _size(grandchild_beat) > 0
    assert wait_until(lambda: not _still_beating(child_beat, 0.5), timeout=10)
    assert not _still_beating(grandchild_beat), "the grandchild outlived the time-out"
    assert not _still_beating(child_beat), "the child outlived the time-out"
