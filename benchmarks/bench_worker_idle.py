"""Benchmark: CPU used by the polling worker while it idles between two polls.

Starts a real `Core` with a long interval, lets it run its first poll (a real
child process that prints a usage document), then measures for `--seconds`
(default 60) the CPU time of the whole process and of the worker thread, and
how often the worker woke up. Goal: no measurable CPU between polls.

Run: python benchmarks/bench_worker_idle.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

# Run from anywhere: the package is imported from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from claude_tray.config import Config
from claude_tray.core import Core
from claude_tray.events import Event, UsageUpdated
from claude_tray.paths import AppPaths
from claude_tray.runner import ScraperRunner
from claude_tray.worker import event_wait

DOCUMENT = {
    "schema_version": 1,
    "status": "success",
    "source": "web",
    "usage_percent": 12.0,
    "last_updated": "2031-01-01T00:00:00+00:00",
    "limits": [{"id": "session", "kind": "session", "label": "Session", "percent": 12.0}],
}


def thread_cpu(native_id: int) -> float:
    for thread in psutil.Process().threads():
        if thread.id == native_id:
            return float(thread.user_time + thread.system_time)
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    wakeups = 0

    def counting_wait(event: threading.Event, timeout: float | None) -> bool:
        nonlocal wakeups
        wakeups += 1
        return event_wait(event, timeout)

    with tempfile.TemporaryDirectory() as home:
        paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": home})
        paths.ensure()
        config = Config(interval_minutes=24 * 60)  # the next poll is a day away
        runner = ScraperRunner(
            paths,
            config,
            scraper_argv=[sys.executable, "-c", f"print({json.dumps(json.dumps(DOCUMENT))})"],
        )
        events: queue.Queue[Event] = queue.Queue()
        core = Core(paths, config, events, runner=runner, wait=counting_wait)
        core.start_polling()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the first poll's numbers
            event = events.get(timeout=60)
            if isinstance(event, UsageUpdated):
                break
        time.sleep(0.5)  # let the worker settle into its wait
        worker = core.worker.thread
        assert worker is not None and worker.native_id is not None
        wakeups_before = wakeups
        process_before = time.process_time()
        worker_before = thread_cpu(worker.native_id)
        wall_before = time.monotonic()
        time.sleep(args.seconds)
        wall = time.monotonic() - wall_before
        worker_cpu = thread_cpu(worker.native_id) - worker_before
        process_cpu = time.process_time() - process_before
        idle_wakeups = wakeups - wakeups_before
        started = time.monotonic()
        core.shutdown(timeout=2.0)
        shutdown = time.monotonic() - started

    print(f"idle period:            {wall:.1f} s (next poll due in about 24 h)")
    print(f"process CPU:            {process_cpu * 1000:.2f} ms ({process_cpu / wall * 100:.4f} %)")
    print(f"worker thread CPU:      {worker_cpu * 1000:.2f} ms")
    print(f"worker wake-ups:        {idle_wakeups}")
    print(f"shutdown took:          {shutdown * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
