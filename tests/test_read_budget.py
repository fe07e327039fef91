"""The read budget: at most N usage reads an hour from all claude-tray processes together.

Real processes count together through the real file lock; the core refuses a
refresh beyond the budget and says so; `status` respects it too (issue 7, item 8).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claude_tray.config import Config
from claude_tray.core import Core
from claude_tray.documents import Limit, UsageDocument
from claude_tray.emulator import Emulator
from claude_tray.events import Event, RefreshFailed, RefreshRequested
from claude_tray.paths import AppPaths
from claude_tray.read_budget import ReadBudget
from tests.support.cli import emulator, emulator_env, restore_logging, run_cli, store_session
from tests.support.core import FakeClock, ScriptedRunner, wait_until

__all__ = ["emulator", "restore_logging"]

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[1]


def good() -> UsageDocument:
    return UsageDocument.build(
        source="web", limits=[Limit(id="session", kind="session", label="Session", percent=9.0)]
    )


def fill(paths: AppPaths, reads: int, *, ago: float = 60.0) -> None:
    """Record `reads` reads made `ago` seconds ago, as other processes would have."""
    budget = ReadBudget.for_paths(paths, clock=lambda: time.time() - ago)
    for _ in range(reads):
        assert budget.try_take()


def test_the_window_slides_and_says_when_the_next_read_frees() -> None:
    """Within the hour only `limit` reads; the oldest leaving the window frees one."""
    clock = FakeClock(start=1_800_000_000.0)
    path = Path(os.environ["CLAUDE_TRAY_HOME"]) / "budget" / "reads.json"
    budget = ReadBudget(path, limit=3, clock=clock)
    for _ in range(3):
        assert budget.try_take()
        clock.advance(100)
    clock.advance(300)
    assert not budget.try_take()
    assert budget.used() == 3
    assert budget.seconds_until_available() == pytest.approx(3000)
    clock.advance(3000)
    assert budget.seconds_until_available() == 0.0
    assert budget.try_take()
    assert not budget.try_take()
    assert "3 times in the last hour" in budget.describe_refusal(120)


def test_several_processes_together_never_exceed_the_budget(tmp_path: Path) -> None:
    """Eight real processes taking reads at once are granted exactly the limit, no more."""
    path = tmp_path / "data" / "read_budget.json"
    code = (
        "import sys; from pathlib import Path; from claude_tray.read_budget import ReadBudget;"
        f"b = ReadBudget(Path({str(path)!r}), limit=20);"
        "print(sum(b.try_take() for _ in range(5)))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    children = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(8)
    ]
    granted = 0
    for child in children:
        out, _ = child.communicate(timeout=60)
        assert child.returncode == 0
        granted += int(out.strip())
    assert granted == 20
    assert len(json.loads(path.read_text())["reads"]) == 20


def test_counting_a_read_does_not_wait_for_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count is written before every poll child starts, without an fsync (issue 12);
    an empty file, which a power cut may then leave behind, counts as no reads."""
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    path = tmp_path / "read_budget.json"
    budget = ReadBudget(path, limit=2)
    assert budget.try_take()
    assert synced == []
    assert len(json.loads(path.read_text(encoding="utf-8"))["reads"]) == 1
    path.write_text("", encoding="utf-8")
    assert budget.try_take() and budget.try_take()
    assert not budget.try_take()


def test_an_unwritable_budget_allows_the_read(tmp_path: Path) -> None:
    """A budget folder that cannot be written (here: a file in the way) fails open."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    budget = ReadBudget(blocker / "read_budget.json", limit=1)
    assert budget.try_take() and budget.try_take()


def test_a_manual_refresh_beyond_the_budget_is_refused_and_said(app_paths: AppPaths) -> None:
    """The popup hears why a refresh did not happen; no child starts, no error is recorded."""
    fill(app_paths, 20)
    runner = ScriptedRunner([good()])
    events: queue.Queue[Event] = queue.Queue()
    core = Core(app_paths, Config(), events, runner=runner)
    try:
        assert core.refresh_now()
        seen: list[Event] = []

        def refused() -> bool:
            while not events.empty():
                seen.append(events.get_nowait())
            return any(isinstance(e, RefreshRequested) and not e.accepted for e in seen)

        assert wait_until(refused)
        refusal = next(e for e in seen if isinstance(e, RefreshRequested) and not e.accepted)
        assert isinstance(refusal, RefreshRequested)
        assert "Read limit" in refusal.message and "min" in refusal.message
        assert runner.commands() == []
        assert not any(isinstance(e, RefreshFailed) for e in seen)
        assert core.state.snapshot().last_error is None
    finally:
        core.shutdown()


def test_scheduled_polls_wait_for_the_budget(app_paths: AppPaths) -> None:
    """A scheduled poll refused by the budget starts no child and waits for a free read."""
    fill(app_paths, 20, ago=3000)  # the oldest frees in about 10 minutes
    runner = ScriptedRunner([good()])
    core = Core(app_paths, Config(interval_minutes=5), queue.Queue(), runner=runner)
    core.worker.start_polling()
    assert core.worker.step()
    assert runner.commands() == []
    wait = core.worker.seconds_until_poll()
    assert wait is not None and 500 < wait <= 600


def test_status_respects_the_budget(tmp_path: Path, emulator: Emulator) -> None:
    """`status` with the budget used up asks nobody; waybar still prints its line, exit 0."""
    home = tmp_path / "home"
    store_session(home, emulator)
    fill(AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)}), 20)
    emulator.clear_requests()
    done = run_cli(["status", "--json"], emulator_env(home, emulator))
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["error"] == "rate_limited"
    assert "20 times in the last hour" in document["message"]
    bar = run_cli(["status", "--format", "waybar"], emulator_env(home, emulator))
    assert bar.returncode == 0
    assert json.loads(bar.stdout)["class"] == "error"
    assert emulator.requests == []


def test_the_demo_is_not_held_to_the_service_budget() -> None:
    """The demo polls its local emulator every 15 s: its budget leaves room for all of them."""
    from claude_tray.demo import DEMO_INTERVAL_MINUTES, DEMO_READS_PER_HOUR

    assert DEMO_READS_PER_HOUR >= 2 * 60 / DEMO_INTERVAL_MINUTES
