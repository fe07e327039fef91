"""Benchmark: one `poll` as a whole child process, fast path against browser path.

Starts the claude.ai emulator in this process, stores a session in a temporary
CLAUDE_TRAY_HOME, then runs `python -m claude_tray.scraper poll` N times through
the fast path and M times with `--force-browser` (real Chromium), interleaved,
so both see the same machine load. Prints both medians, their ratio, the peak
RSS of the fast-path child (from `wait4`, per child) and a bare `python -c pass`
for reference.

Goals (issue 2): fast median < 0.25 s, at least 5x faster than the browser path,
fast child peak RSS < 60 MB.

    python benchmarks/bench_scraper.py [--runs 15] [--browser-runs 5]
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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from claude_tray.emulator import Emulator  # noqa: E402 - after the path fix above
from claude_tray.errors import ClaudeTrayError  # noqa: E402
from claude_tray.paths import AppPaths  # noqa: E402
from claude_tray.scraper.browser_discovery import find_browser  # noqa: E402
from claude_tray.scraper.session_store import WebSession, save_session  # noqa: E402


@dataclass
class Sample:
    seconds: float
    #: User + system CPU seconds of the child itself (less sensitive to machine load).
    cpu_seconds: float | None
    max_rss_mb: float | None
    ok: bool
    detail: str


def run_child(argv: list[str], env: dict[str, str]) -> Sample:
    """Run one child, timing it from start to reaped, with its own peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    rss: float | None = None
    cpu: float | None = None
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        # ru_maxrss is in KiB on Linux, bytes on macOS.
        rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        cpu = usage.ru_utime + usage.ru_stime
    else:  # pragma: no cover - Windows
        proc.wait()
    seconds = time.perf_counter() - started
    detail = out.decode("utf-8", errors="replace").strip()
    ok = proc.returncode == 0
    if ok:
        try:
            ok = json.loads(detail).get("status") == "success"
        except ValueError:
            ok = False
    return Sample(seconds, cpu, rss, ok, detail[:300])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fast-path polls (default 15)")
    parser.add_argument("--browser-runs", type=int, default=5, help="browser polls (default 5)")
    args = parser.parse_args()

    try:
        browser: Path | None = find_browser()
    except ClaudeTrayError as exc:
        browser = None
        print(f"browser path: skipped ({exc.message})")

    with tempfile.TemporaryDirectory(prefix="bench-scraper-") as home, Emulator("ok") as emu:
        paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": home})
        paths.ensure()
        save_session(
            paths,
            WebSession(
                session_key=emu.session_key,
                org_uuid=emu.chat_org_uuid,
                saved_at=datetime.now(timezone.utc),
            ),
        )
        env = {
            **os.environ,
            "CLAUDE_TRAY_HOME": home,
            "CLAUDE_TRAY_BASE_URL": emu.base_url,
            "PYTHONPATH": str(REPO_ROOT),
        }
        if browser is not None:
            env["CLAUDE_TRAY_BROWSER"] = str(browser)
        poll = [sys.executable, "-m", "claude_tray.scraper", "poll", "--source", "web"]
        bare = [sys.executable, "-c", "pass"]

        # Warm-up: compile .pyc files and fill the OS cache; not counted.
        run_child(poll, env)
        run_child(bare, env)

        fast: list[Sample] = []
        slow: list[Sample] = []
        base: list[Sample] = []
        every = max(1, args.runs // max(1, args.browser_runs))
        for index in range(args.runs):
            fast.append(run_child(poll, env))
            base.append(run_child(bare, env))
            if browser is not None and len(slow) < args.browser_runs and index % every == 0:
                slow.append(run_child([*poll, "--force-browser"], env))
        while browser is not None and len(slow) < args.browser_runs:
            slow.append(run_child([*poll, "--force-browser"], env))

    failed = [s for s in fast + slow if not s.ok]
    for sample in failed:
        print(f"FAILED run: {sample.detail}")

    fast_median = statistics.median(s.seconds for s in fast)
    bare_median = statistics.median(s.seconds for s in base)
    fast_rss = max((s.max_rss_mb or 0.0) for s in fast)
    print(
        f"fast path   : median {fast_median:.3f} s over {len(fast)} runs "
        f"(min {min(s.seconds for s in fast):.3f}, max {max(s.seconds for s in fast):.3f})"
    )
    fast_cpu = [s.cpu_seconds for s in fast if s.cpu_seconds is not None]
    if fast_cpu:
        print(f"fast child  : CPU median {statistics.median(fast_cpu):.3f} s (user + system)")
    print(f"fast child  : peak RSS {fast_rss:.1f} MB")
    print(f"python -c pass: median {bare_median:.3f} s (the interpreter's own start)")
    if hasattr(os, "getloadavg"):
        print(f"load average: {os.getloadavg()[0]:.2f} (figures above are wall-clock)")
    ok = fast_median < 0.25 and fast_rss < 60 and not failed
    if slow:
        slow_median = statistics.median(s.seconds for s in slow)
        ratio = slow_median / fast_median
        slow_rss = max((s.max_rss_mb or 0.0) for s in slow)
        print(
            f"browser path: median {slow_median:.3f} s over {len(slow)} runs "
            f"(python child peak RSS {slow_rss:.1f} MB, Chromium not included)"
        )
        print(f"ratio       : fast path is {ratio:.1f}x faster")
        ok = ok and ratio >= 5
    print(f"goals (fast < 0.25 s, >= 5x, < 60 MB): {'met' if ok else 'NOT met'}")
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
