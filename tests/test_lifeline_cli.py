"""The command line's children end with it (issue 7 item 1): real CLI, scraper, Chromium.

- `claude-tray status` SIGKILLed while its poll hangs inside the browser: within
  5 s no process of the run is left (found by the run's home folder);
- `claude-tray login` sent SIGINT while its headed Chromium window is open on
  Xvfb: the window closes, exit 130 with "cancelled", nothing stored.

Each outcome is checked first; the time it took is checked apart, with a bound.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from claude_tray.paths import AppPaths
from claude_tray.scraper.session_store import WebSession, save_session
from tests.support.browser import browser_windows, scraper_env, wait_for_browser_window
from tests.support.cli import child_env
from tests.support.display import XvfbDisplay, xvfb_display
from tests.support.gui import wait_for
from tests.support.lifeline import gone_within, kill_run, processes_of_run, start_cli

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def display() -> Iterator[XvfbDisplay]:
    with xvfb_display() as running:
        yield running


@pytest.fixture
def run_home(tray_home: Path) -> Iterator[Path]:
    yield tray_home
    kill_run(tray_home)  # only matters when the test failed


def _cli_env(home: Path, base_url: str, **extra: str) -> dict[str, str]:
    env = child_env(home)
    env.update(scraper_env(home, base_url))  # the test Chromium, the private home
    env.pop("DISPLAY", None)
    env.update(extra)
    return env


def test_sigkill_of_status_during_a_poll_hung_in_the_browser_leaves_nothing(
    run_home: Path,
) -> None:
    """Before: the scraper child (its own session) and its Chromium lived on."""
    with Emulator("cloudflare") as emulator:
        paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(run_home)})
        paths.ensure()
        saved = datetime.now(timezone.utc) - timedelta(hours=1)
        save_session(paths, WebSession(session_key=emulator.session_key, saved_at=saved))
        status = start_cli(["status", "--json"], _cli_env(run_home, emulator.base_url))
        try:
            # The fast path is challenged; from then on the usage never answers, so
            # the browser path that follows hangs inside Chromium.
            wait_for(
                lambda: any(status == 403 for _m, _p, status in emulator.requests),
                60,
                "the challenge",
            )
            emulator.set_scenario("hang")
            profile = str(paths.browser_profile_dir)
            try:
                wait_for(
                    lambda: any(profile in line for line in processes_of_run(run_home)),
                    90,
                    "Chromium on the run's profile",
                )
            except AssertionError:
                status.kill()
                raise AssertionError(
                    f"no browser: {status.communicate(timeout=30)} {processes_of_run(run_home)}"
                ) from None
            time.sleep(1.0)  # the page is loaded and the usage fetch is held
            assert status.poll() is None, status.communicate()
            assert len(processes_of_run(run_home)) >= 3  # scraper, driver, Chromium
            os.kill(status.pid, signal.SIGKILL)
            status.wait(timeout=10)
            gone, took, left = gone_within(run_home, 30.0)
        finally:
            if status.poll() is None:
                status.kill()
            status.communicate(timeout=30)
    assert gone, f"left behind: {left}"
    assert took < 5.0, f"the run's processes took {took:.1f} s to go"


@pytest.mark.display
def test_sigint_to_login_closes_the_window_and_stores_nothing(
    display: XvfbDisplay, run_home: Path
) -> None:
    """Before: Ctrl+C ended the command but its scraper child and browser window stayed."""
    with Emulator("ok") as emulator:
        env = _cli_env(run_home, emulator.base_url, DISPLAY=display.name)
        login = start_cli(["login"], env)
        try:
            wait_for_browser_window(display.name)
            login.send_signal(signal.SIGINT)
            _out, err = login.communicate(timeout=60)
            gone, took, left = gone_within(run_home, 30.0)
        finally:
            if login.poll() is None:
                login.kill()
                login.communicate(timeout=30)
        assert login.returncode in (130, 1), err
        assert "cancelled" in err.lower(), err
        assert gone, f"left behind: {left}"
        assert browser_windows(display.name) == []
        paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(run_home)})
        assert not paths.session_file.exists()
        assert took < 5.0, f"the login's processes took {took:.1f} s to go"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_to_status_cancels_its_hung_poll(run_home: Path, signum: int) -> None:
    """The terminal closing (SIGHUP) or a kill (SIGTERM): the poll's child goes, exit 128+N."""
    with Emulator("hang") as emulator:
        paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(run_home)})
        paths.ensure()
        saved = datetime.now(timezone.utc) - timedelta(hours=1)
        save_session(paths, WebSession(session_key=emulator.session_key, saved_at=saved))
        status = start_cli(["status", "--source", "web"], _cli_env(run_home, emulator.base_url))
        try:
            wait_for(
                lambda: any("claude_tray.scraper" in line for line in processes_of_run(run_home)),
                60,
                "the poll's scraper child",
            )
            status.send_signal(signum)
            _out, err = status.communicate(timeout=30)
        finally:
            if status.poll() is None:
                status.kill()
                status.communicate(timeout=30)
        gone, _took, left = gone_within(run_home, 30.0)
    assert status.returncode == 128 + signum, err
    assert "cancelled" in err, err
    assert gone, f"left behind: {left}"
