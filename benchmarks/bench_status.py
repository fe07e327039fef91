"""Benchmark: `claude-tray status --json` as a whole process against the emulator.

Run from the repository root:  python benchmarks/bench_status.py [--runs 15]

What it does, all with real processes:
1. starts the emulator on 127.0.0.1 and a private CLAUDE_TRAY_HOME, and stores
   the emulator's session key through the scraper's own login;
2. runs `claude-tray status --json` once to warm up (the runner's handshake is
   cached after the first run, as it is for a user);
3. runs, interleaved in the same loop, a bare `python -c pass`, the full
   `python -m claude_tray status --json` (command line -> core -> runner ->
   scraper child -> HTTP fast path), and for the breakdown the scraper child
   alone (`python -m claude_tray.scraper poll`);
4. prints the medians and the difference: the cost claude-tray adds over
   starting Python.

Goal: status median under 0.6 s through the fast path. Exits 1 if a status
run fails (not a usage document), never because of the timing (the machine
may be noisy).
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
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from claude_tray.emulator import Emulator  # noqa: E402

GOAL_SECONDS = 0.6


def _env(home: Path, emulator: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_TRAY_")}
    env.update(
        CLAUDE_TRAY_HOME=str(home),
        CLAUDE_CONFIG_DIR=str(home / "no-claude-code"),
        CLAUDE_TRAY_BASE_URL=emulator.base_url,
        CLAUDE_TRAY_API_URL=emulator.base_url,
        PYTHONPATH=str(REPO),
    )
    return env


def _timed(argv: Sequence[str], env: dict[str, str], stdin: str = "") -> tuple[float, str, int]:
    started = time.perf_counter()
    done = subprocess.run(
        list(argv),
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return time.perf_counter() - started, done.stdout, done.returncode


def _is_usage(stdout: str) -> bool:
    try:
        return bool(json.loads(stdout).get("status") == "success")
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args(argv)

    python = sys.executable
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "claude-tray status --json": [python, "-m", "claude_tray", "status", "--json"],
        "scraper poll (child alone)": [python, "-m", "claude_tray.scraper", "poll"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    failures = 0
    with Emulator("ok") as emulator, tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp) / "home", emulator)
        login = [python, "-m", "claude_tray.scraper", "login", "--session-key-stdin"]
        _seconds, out, code = _timed(login, env, stdin=emulator.session_key + "\n")
        if code != 0:
            print(f"could not store the session: {out}", file=sys.stderr)
            return 1
        _seconds, out, code = _timed(commands["claude-tray status --json"], env)  # warm-up
        if code != 0 or not _is_usage(out):
            print(f"status failed during warm-up: {out[:300]}", file=sys.stderr)
            return 1
        budget = Path(tmp) / "home" / "data" / "read_budget.json"
        for _ in range(args.runs):
            for name, command in commands.items():
                # The read budget (20 an hour) protects the real service; against the
                # emulator it would refuse run 20 onwards, so it starts afresh each run.
                budget.unlink(missing_ok=True)
                seconds, out, code = _timed(command, env)
                times[name].append(seconds)
                if name != "python -c pass" and (code != 0 or not _is_usage(out)):
                    failures += 1
        requests = emulator.count("/api/organizations")

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"runs per command: {args.runs} (interleaved); emulator usage requests: {requests}")
    for name, values in times.items():
        print(
            f"  {name:<28} median {medians[name]:.3f} s"
            f"  (min {min(values):.3f}, max {max(values):.3f})"
        )
    status = medians["claude-tray status --json"]
    bare = medians["python -c pass"]
    child = medians["scraper poll (child alone)"]
    print(f"  claude-tray adds over bare Python: {status - bare:+.3f} s")
    print(f"  of which the parent (cli, core, runner) costs about {status - child:+.3f} s")
    verdict = "met" if status < GOAL_SECONDS else "NOT met"
    print(f"goal: status median < {GOAL_SECONDS:.1f} s -> {verdict} ({status:.3f} s)")
    if failures:
        print(f"{failures} run(s) did not print a usage document", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
