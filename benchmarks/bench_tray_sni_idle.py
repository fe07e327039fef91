"""Benchmark: the idle tray on the StatusNotifierItem backend, side by side with xorg.

Run from the repository root:  python benchmarks/bench_tray_sni_idle.py [--seconds 60]

What it does, all with real processes: a private Xvfb, a private session bus and
xfce4-panel (its Status Tray hosts SNI items and docks XEmbed icons), the
emulator at 42 %; then two real apps at once, one with `PYSTRAY_BACKEND=xorg`,
one choosing by itself (SNI), each with its own home and a 60-minute interval.
Once both show their numbers and settled, it measures over the same idle window,
per app: resident memory, CPU, threads, and context switches per thread (read
from /proc/PID/task/*/status: a thread that never wakes has none).

Goals (issue 9): SNI RSS at most 3 MB above xorg's, CPU below 0.05 %, no
wake-ups between polls. Prints the figures; exits 1 when a goal is missed. It
must not use the user's display, session bus or claude.ai: everything runs on the
private Xvfb and bus, against the emulator.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from claude_tray.emulator import Emulator  # noqa: E402
from tests.support.gui import wait_for  # noqa: E402
from tests.test_gui_sni import App, Desktop, wait_for_percent  # noqa: E402

GOAL_RSS_ABOVE_XORG_MB = 3.0
GOAL_CPU_PERCENT = 0.05


def switches(pid: int) -> dict[int, int]:
    """Voluntary + involuntary context switches of each thread of `pid`."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        total = 0
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                total += int(line.split()[1])
        out[int(task.name)] = total
    return out


def thread_names(path: Path) -> dict[int, str]:
    """Kernel thread id -> Python thread name, from the app's debug file."""
    names = {}
    for line in path.read_text().splitlines():
        tid, _, name = line.partition(" ")
        names[int(tid)] = name
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window (default 60)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sni-") as tmp:
        root = Path(tmp)
        desktop = Desktop(root / "desktop")
        try:
            desktop.panel.start()
            with Emulator() as emulator:
                emulator.set_usage(session=42.0, weekly=18.0)
                sni = App(desktop, emulator, root / "sni", debug_file=root / "sni.modules")
                wait_for(sni.item, 60, "the SNI item")
                wait_for_percent(desktop, 42.0)
                xorg = App(
                    desktop,
                    emulator,
                    root / "xorg",
                    backend="xorg",
                    debug_file=root / "xorg.modules",
                )
                wait_for(lambda: "tray backend: xorg" in xorg.output(), 60, "the xorg app to start")
                time.sleep(8.0)  # both polled once and drew; the settle redraw is over
                apps = {"sni": sni, "xorg": xorg}
                procs = {name: psutil.Process(app.process.pid) for name, app in apps.items()}
                cpu0 = {name: proc.cpu_times() for name, proc in procs.items()}
                sw0 = {name: switches(proc.pid) for name, proc in procs.items()}
                t0 = time.monotonic()
                time.sleep(args.seconds)
                window = time.monotonic() - t0
                figures = {}
                for name, proc in procs.items():
                    cpu1 = proc.cpu_times()
                    used = (cpu1.user + cpu1.system) - (cpu0[name].user + cpu0[name].system)
                    sw1 = switches(proc.pid)
                    names = thread_names(root / f"{name}.modules.threads")
                    per_thread = {
                        names.get(tid, str(tid)): sw1[tid] - sw0[name].get(tid, 0)
                        for tid in sw1
                        if tid in sw0[name]
                    }
                    figures[name] = {
                        "rss_mb": proc.memory_info().rss / (1024 * 1024),
                        "cpu_percent": 100.0 * used / window,
                        "threads": proc.num_threads(),
                        "switches": per_thread,
                    }
                for app in apps.values():
                    app.stop()
        finally:
            desktop.stop()

    print(f"idle window: {window:.1f} s, both apps in one xfce4-panel (Status Tray)")
    print(f"{'backend':8} {'RSS MB':>8} {'CPU %':>7} {'threads':>8}  context switches per thread")
    for name, fig in figures.items():
        print(
            f"{name:8} {fig['rss_mb']:8.1f} {fig['cpu_percent']:7.3f} {fig['threads']:8d}  "
            f"{fig['switches']}"
        )
    above = figures["sni"]["rss_mb"] - figures["xorg"]["rss_mb"]
    print(f"SNI RSS minus xorg RSS: {above:+.1f} MB (goal <= {GOAL_RSS_ABOVE_XORG_MB:g})")
    ok = above <= GOAL_RSS_ABOVE_XORG_MB and figures["sni"]["cpu_percent"] < GOAL_CPU_PERCENT
    print("goals met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
