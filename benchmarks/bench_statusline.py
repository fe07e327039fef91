"""Benchmark: how long `claude-tray statusline` takes to record a reading.

Run from the repository root:  python benchmarks/bench_statusline.py [--runs 200]

What it measures, on a private CLAUDE_TRAY_HOME:
1. in process, `statusline.record` (feed file under its lock, atomic replace,
   and a history row in SQLite) for readings that change every call (the
   worst case: every call writes both), and for a repeated reading (the usual
   case while Claude Code renders: nothing to write);
2. as whole processes, `python -m claude_tray statusline` with Claude Code's
   JSON on stdin, next to a bare `python -c pass`, so the difference is what
   claude-tray adds to Claude Code's render.

Goal: recording well under 50 ms (median and 95th percentile). It must not fail
because of the timing (the machine is shared): it exits 1 only when a run prints
the wrong line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from claude_tray import feed, statusline  # noqa: E402
from claude_tray.paths import AppPaths  # noqa: E402

GOAL_MS = 50.0


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms, p95 {p95 * 1000:6.2f} ms"


def _in_process(home: Path, runs: int) -> tuple[list[float], list[float]]:
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    reset = datetime.now(timezone.utc) + timedelta(hours=3)
    week = reset + timedelta(days=3)
    changing: list[float] = []
    repeated: list[float] = []
    for index in range(runs):
        now = datetime.now(timezone.utc)
        readings = [
            feed.Reading("session", 10 + index * 0.01, reset, now),
            feed.Reading("weekly_all", 20 + index * 0.01, week, now),
        ]
        started = time.perf_counter()
        statusline.record(paths, readings, now)
        changing.append(time.perf_counter() - started)
        started = time.perf_counter()
        statusline.record(paths, readings, now)
        repeated.append(time.perf_counter() - started)
    return changing, repeated


def _process(home: Path, runs: int) -> tuple[list[float], list[float]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_TRAY_")}
    env.update(CLAUDE_TRAY_HOME=str(home), PYTHONPATH=str(REPO))
    reset = int((datetime.now(timezone.utc) + timedelta(hours=3)).timestamp())
    bare: list[float] = []
    ours: list[float] = []
    for index in range(runs):
        stdin = json.dumps(
            {
                "rate_limits": {
                    "five_hour": {"used_percentage": 40 + index % 7, "resets_at": reset},
                    "seven_day": {"used_percentage": 18, "resets_at": reset + 86400 * 3},
                }
            }
        )
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "claude_tray", "statusline"],
            env=env,
            cwd=REPO,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        ours.append(time.perf_counter() - started)
        if done.returncode != 0 or not done.stdout.startswith(f"5h {40 + index % 7}%"):
            print(f"a run printed {done.stdout!r} / {done.stderr!r}", file=sys.stderr)
            raise SystemExit(1)
    return bare, ours


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="in-process records (default 200)")
    parser.add_argument("--processes", type=int, default=20, help="whole-process runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-statusline-") as tmp:
        home = Path(tmp)
        changing, repeated = _in_process(home / "a", args.runs)
        print(f"record, changed reading (feed + history): {_ms(changing)}  ({args.runs} runs)")
        print(f"record, repeated reading (no write):     {_ms(repeated)}")
        bare, ours = _process(home / "b", args.processes)
        print(f"python -c pass:                          {_ms(bare)}  ({args.processes} runs)")
        print(f"python -m claude_tray statusline:        {_ms(ours)}")
        added = statistics.median(ours) - statistics.median(bare)
        print(f"claude-tray adds (median):               {added * 1000:6.2f} ms")
        print(f"goal: record under {GOAL_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
