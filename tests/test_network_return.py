"""A flaky network heals fast: after the network comes back the numbers follow soon,
with no more reads than the retry ladder allows (issue 7, item 4).

Real parts: the emulator's real HTTP server, which resets every connection
while "the network is down" (scenario `drop`), a real `Core` with its worker
thread and the real runner starting real scraper children. Only the length of
time is scaled (a test seam: a shorter ladder and a shorter outage, in the
same proportions as the real 30 s / 1 min / 2 min ladder and a one-minute
outage).
"""

from __future__ import annotations

import os
import queue
import time

import pytest

from claude_tray.config import Config
from claude_tray.core import Core
from claude_tray.documents import SessionDocument
from claude_tray.emulator import Emulator
from claude_tray.events import Event, RefreshFailed, UsageUpdated
from claude_tray.paths import AppPaths
from claude_tray.runner import ScraperRunner
from claude_tray.worker import RetryPolicy

pytestmark = pytest.mark.timeout(180)

#: Real ladder 30 s, 60 s, 120 s and a 60 s outage, at a third of the time (the
#: children's own run time does not scale: a third leaves it room on a loaded machine).
SCALE = 1 / 3
LADDER = (30.0 * SCALE, 60.0 * SCALE, 120.0 * SCALE)
OUTAGE = 60.0 * SCALE


def _next(events: queue.Queue[Event], kind: type, timeout: float) -> Event:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=0.2)
        except queue.Empty:
            continue
        if isinstance(event, kind):
            return event
    raise AssertionError(f"no {kind.__name__} within {timeout} s")


def test_numbers_are_back_within_a_minute_of_the_network_with_ladder_reads_only(
    app_paths: AppPaths,
) -> None:
    """Connections reset for a (scaled) minute: the polls climb the ladder, and the numbers
    are back within a (scaled) minute of the network's return, in at most 1 + 3 reads."""
    with Emulator("ok") as emulator:
        env = {
            **os.environ,
            "CLAUDE_TRAY_BASE_URL": emulator.base_url,
            "CLAUDE_TRAY_API_URL": emulator.base_url,
        }
        config = Config(source="web", interval_minutes=60)
        events: queue.Queue[Event] = queue.Queue()
        core = Core(
            app_paths,
            config,
            events,
            runner=ScraperRunner(app_paths, config, env=env),
            policy=RetryPolicy(ladder=LADDER),
        )
        try:
            login = core.login_blocking(emulator.session_key)
            assert isinstance(login, SessionDocument) and login.logged_in, login
            emulator.set_scenario("drop")
            emulator.clear_requests()
            down_since = time.monotonic()
            core.start_polling()
            failed = _next(events, RefreshFailed, timeout=60)
            assert isinstance(failed, RefreshFailed) and failed.code.value == "network_error"
            time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_since)))
            emulator.set_scenario("ok")
            back = time.monotonic()
            updated = _next(events, UsageUpdated, timeout=120)
            healed = time.monotonic() - back
        finally:
            core.shutdown(timeout=5)
    assert isinstance(updated, UsageUpdated) and updated.document.limits
    reads = emulator.requests
    dropped = [r for r in reads if r[2] == 0]
    answered = [r for r in reads if r[2] == 200]
    # At least one retry on the ladder while down, one read that worked, nothing more.
    assert len(dropped) >= 2, reads
    assert len(answered) == 1, reads
    assert len(reads) <= 1 + len(LADDER), reads
    # Timing, checked apart from the behaviour and generous: a (scaled) minute.
    assert healed <= 60.0 * SCALE, f"numbers came {healed:.1f} s after the network"
