"""Benchmark: how fast a scraper child and what it started go away (issue 7 item 1).

Run from the repository root:  python benchmarks/bench_lifeline.py [--runs 5]

What it measures, all with real processes and the in-process emulator:
1. `status --json` SIGKILLed while its poll hangs (emulator scenario `hang`, HTTP
   path): seconds from the SIGKILL until no process names the run's home folder
   (the scraper child notices its lifeline, stdin, at end-of-file or its
   PR_SET_PDEATHSIG, and exits);
2. the runner's time-out of a fake scraper that hangs with a grandchild outside
   its process group that ignores SIGTERM: seconds from the time-out until both
   are gone (the kill grace is 1 s, so about 1 s is expected);
3. the cost of the lifeline in a normal run: the wall time of `status --json`
   against the emulator (`ok`), to compare with bench_status.py's figures.

The figures are printed; it must not fail on a slow figure (the machine is
shared and noisy): the exit code is 1 only when something was left behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from claude_tray.config import Config  # noqa: E402
from claude_tray.emulator import Emulator  # noqa: E402
from claude_tray.paths import AppPaths  # noqa: E402
from claude_tray.scraper.session_store import WebSession, save_session  # noqa: E402
from tests.support.cli import child_env  # noqa: E402
from tests.support.core import fake_runner  # noqa: E402
from tests.support.lifeline import gone_within, processes_of_run, start_cli  # noqa: E402


def _home(emulator: Emulator) -> Path:
    home = Path(tempfile.mkdtemp(prefix="bench-lifeline-")) / "home"
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    paths.ensure()
    saved = datetime.now(timezone.utc) - timedelta(hours=1)
    save_session(paths, WebSession(session_key=emulator.session_key, saved_at=saved))
    return home


def sigkill_status(runs: int) -> tuple[list[float], bool]:
    times, clean = [], True
    with Emulator("hang") as emulator:
        for _ in range(runs):
            home = _home(emulator)
            env = child_env(home, {"CLAUDE_TRAY_BASE_URL": emulator.base_url})
            status = start_cli(["status", "--json", "--source", "web"], env)
            deadline = time.monotonic() + 30
            while not any("claude_tray.scraper" in p for p in processes_of_run(home)):
                if time.monotonic() > deadline:
                    raise SystemExit("no scraper child appeared")
                time.sleep(0.05)
            time.sleep(0.5)
            os.kill(status.pid, signal.SIGKILL)
            status.wait(10)
            status.communicate()
            gone, took, _left = gone_within(home, 30.0)
            clean = clean and gone
            times.append(took)
    return times, clean


def runner_timeout(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        home = Path(tempfile.mkdtemp(prefix="bench-lifeline-")) / "home"
        os.environ["CLAUDE_TRAY_HOME"] = str(home)
        paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
        paths.ensure()
        runner = fake_runner(paths, "hang_detached_grandchild", config=Config())
        started = time.monotonic()
        runner.run("poll", timeout=3.0)
        times.append(time.monotonic() - started - 3.0)
    return times


def normal_status(runs: int) -> list[float]:
    times = []
    with Emulator("ok") as emulator:
        home = _home(emulator)
        env = child_env(home, {"CLAUDE_TRAY_BASE_URL": emulator.base_url})
        for _ in range(runs):
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "claude_tray", "status", "--json", "--source", "web"],
                env=env,
                cwd=REPO,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=120,
                check=False,
            )
            times.append(time.monotonic() - started)
            if done.returncode != 0:
                raise SystemExit(f"status failed: {done.stderr[-500:]!r}")
    return times


def _show(name: str, values: list[float]) -> None:
    print(
        f"{name:<58} median {statistics.median(values):6.2f} s  "
        f"min {min(values):6.2f}  max {max(values):6.2f}  (n={len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    killed, clean = sigkill_status(runs)
    _show("status SIGKILLed during a hung poll: all gone after", killed)
    _show("runner time-out, detached grandchild ignoring SIGTERM: gone", runner_timeout(runs))
    _show("status --json (ok), wall time", normal_status(runs))
    if not clean:
        print("something of a run was left behind", file=sys.stderr)
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
