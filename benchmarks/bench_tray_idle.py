"""Benchmark: the running tray app, per tray backend: start time, idle memory, CPU, wake-ups.

Run from the repository root:

    python benchmarks/bench_tray_idle.py [--seconds 60] [--backend all|xorg|sni]

What it does, all with real processes:

0. import stages: a child Python on a private Xvfb prints its resident memory
   after Tk, Pillow, pystray, the documents, the config, reading a first
   document (pydantic with its validators, in trees that still use it), the
   core and the app modules (where the memory above Tk + pystray + Pillow goes);
1. xorg (Xvfb + trayer, if trayer is installed): runs the app once so the usage
   cache holds 42 %, then starts it again with the emulator at 60 % and times
   how long until the tray shows the cached 42 (from the screenshot), waits for
   the fresh 60, and measures over an idle window between polls (interval 60
   min): resident memory, CPU and wake-ups (context switches of all its
   threads); then clicks the icon and reads the memory with the popup built
   and shown;
2. sni (Xvfb + a private session bus + xfce4-panel's Status Tray, if
   xfce4-panel and dbus-daemon are installed): the same app on the
   StatusNotifierItem backend: time until its item is registered, the same
   idle figures, and the memory after Activate opened the popup;
3. reads the app's `sys.modules` (the `CLAUDE_TRAY_DEBUG_MODULES_FILE` hook)
   and checks that Playwright is absent.

Goals (issue 12): < 40 MB resident on the xorg and SNI backends, no wake-ups
between polls, first icon with cached numbers < 0.5 s after start. Exits 1
only if Playwright is loaded in the tray process (a design error); the other
figures are printed for the report (the machine may be noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402
from PIL import Image, ImageChops, ImageStat  # noqa: E402

from claude_tray.config import Thresholds  # noqa: E402
from claude_tray.emulator import Emulator  # noqa: E402
from claude_tray.icon import render_icon  # noqa: E402
from claude_tray.paths import AppPaths  # noqa: E402
from tests.support.child import stop_app  # noqa: E402
from tests.support.desktop import SessionBus, XfcePanel, start_session_bus  # noqa: E402
from tests.support.display import start_xvfb  # noqa: E402
from tests.support.gui import (  # noqa: E402
    IconWindow,
    TrayHost,
    app_env,
    find_icon,
    icon_windows,
    popup_window,
    start_app,
    store_session,
    tray_host,
    wait_for,
    write_config,
)

GOAL_RSS_MB = 40.0
GOAL_START_SECONDS = 0.5
ITEM = "org.kde.StatusNotifierItem"

#: The import stages, run in a child on a display (prints "stage MB" lines).
STAGES = r"""
import os, sys
def rss():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
def stage(name):
    print(f"{name} {rss():.1f}", flush=True)
stage("python")
import tkinter
root = tkinter.Tk(); root.withdraw(); root.update()
stage("tk")
from PIL import Image, ImageDraw, ImageFont, ImageTk
stage("pillow")
import pystray
stage("pystray")
import claude_tray.documents as documents
stage("documents")
import claude_tray.config
stage("config")
# What the first poll's answer costs: a usage document read as the tray reads it
# (pydantic and its validators, where a tree still validates with pydantic).
documents.load_document(
    '{"schema_version":1,"status":"success","source":"web","usage_percent":42,'
    '"last_updated":"2026-12-01T12:00:00+00:00","limits":[{"id":"session","kind":"session",'
    '"label":"Current session","percent":42,"resets_at":"2026-12-01T14:00:00+00:00"}]}'
)
stage("first document read")
import claude_tray.core
stage("core")
import claude_tray.app
stage("app")
"""


@dataclass
class Idle:
    rss_mb: float
    cpu_percent: float
    cpu_seconds: float
    wakeups: int
    seconds: float
    threads: int
    #: (context switches over the window, thread id, thread name), most first.
    per_thread: list[tuple[int, int, str]]


@dataclass
class Result:
    backend: str
    first_icon_s: float | None
    first_icon_what: str
    idle: Idle
    popup_rss_mb: float | None
    modules: list[str]


def _expected(percent: float, look: str, shown: Image.Image) -> Image.Image:
    # As the xorg icon shows it (tray/xorg.py): drawn for its slot, the window cut
    # to the icon's shape, so the panel shows in the corners.
    panel = shown.convert("RGB").getpixel((0, 0))
    rendered = render_icon(percent, look, Thresholds(), size=shown.size)
    image = Image.new("RGB", shown.size, panel)
    image.paste(rendered.convert("RGB"), mask=rendered.getchannel("A").point(_opaque))
    return image


def _opaque(alpha: int) -> int:
    return 255 if alpha >= 128 else 0


def _diff(a: Image.Image, b: Image.Image) -> float:
    return float(sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3)


def _shows(icon: IconWindow, percent: float, looks: tuple[str, ...]) -> bool:
    shot = icon.screenshot().convert("RGB")
    return any(_diff(shot, _expected(percent, look, shot)) < 6.0 for look in looks)


def _find_icon_quickly(host: TrayHost, timeout: float) -> IconWindow:
    """`find_icon` without its coarse steps (`xdotool search --sync` looks every 0.5 s,
    the docking is polled every 0.2 s), so the first icon is timed to about 20 ms."""
    found = wait_for(lambda: icon_windows(host), timeout, "the icon window", interval=0.01)
    icon = IconWindow(host, max(found, key=int))
    wait_for(icon.docked_geometry, timeout, "the icon to dock in the tray", interval=0.01)
    return icon


def _stop(process: subprocess.Popen[bytes]) -> None:
    stop_app(process, term_wait=15, kill_wait=15)


def _thread_switches(pid: int) -> dict[int, int]:
    """Context switches (voluntary + involuntary) of each thread, from /proc."""
    counts: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total = 0
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    total += int(line.split()[1])
            counts[int(task.name)] = total
    return counts


def _thread_names(modules_file: Path | None) -> dict[int, str]:
    """Thread names by kernel id, from the app's debug hook (`<modules file>.threads`)."""
    names: dict[int, str] = {}
    if modules_file is None:
        return names
    with contextlib.suppress(OSError):
        for line in Path(f"{modules_file}.threads").read_text().splitlines():
            tid, _, name = line.partition(" ")
            with contextlib.suppress(ValueError):
                names[int(tid)] = name
    return names


def measure_idle(pid: int, seconds: float, modules_file: Path | None = None) -> Idle:
    """Memory at the end, CPU and context switches (wake-ups) over `seconds` of idling,
    in total and per thread (named from the app's debug hook where it wrote them)."""
    proc = psutil.Process(pid)
    cpu_before = proc.cpu_times()
    threads_before = _thread_switches(pid)
    started = time.monotonic()
    time.sleep(seconds)
    window = time.monotonic() - started
    cpu_after = proc.cpu_times()
    threads_after = _thread_switches(pid)
    names = _thread_names(modules_file)
    names.setdefault(pid, "MainThread")
    per_thread = sorted(
        (
            (count - threads_before.get(tid, 0), tid, names.get(tid, "(not a Python thread)"))
            for tid, count in threads_after.items()
        ),
        reverse=True,
    )
    cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    # All threads: /proc/PID/status (psutil's num_ctx_switches) counts the main thread only.
    wakeups = sum(count for count, _tid, _name in per_thread)
    return Idle(
        rss_mb=proc.memory_info().rss / (1024 * 1024),
        cpu_percent=100.0 * cpu / window,
        cpu_seconds=cpu,
        wakeups=wakeups,
        seconds=window,
        threads=proc.num_threads(),
        per_thread=per_thread,
    )


def _rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss / (1024 * 1024))


def _slow_python(folder: Path) -> Path:
    # The scraper runs through a Python that starts 1.5 s late, so the cached
    # numbers stay up long enough to be seen even when a poll takes 0.2 s.
    path = folder / "slow-python"
    path.write_text(f'#!/bin/sh\nsleep 1.5\nexec "{sys.executable}" "$@"\n')
    path.chmod(0o755)
    return path


def import_stages() -> list[tuple[str, float]]:
    display = start_xvfb()
    try:
        env = {
            **display_env(display.name),
            "PYTHONPATH": str(REPO),
            "PYSTRAY_BACKEND": "xorg",
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
        }
        done = subprocess.run(
            [sys.executable, "-c", STAGES],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        display.stop()
    stages = []
    for line in done.stdout.splitlines():
        name, _, value = line.rpartition(" ")
        stages.append((name, float(value)))
    return stages


def display_env(name: str) -> dict[str, str]:
    import os

    # Without PYTHONDONTWRITEBYTECODE: the tray reads the .pyc files an install has.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLAUDE_", "PYSTRAY_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["DISPLAY"] = name
    env.pop("WAYLAND_DISPLAY", None)
    return env


def fill_history(home: Path, days: float) -> None:
    """`days` of readings every 5 minutes for the limits the emulator reports, as a
    tray that has run that long has stored (the pace and the sparklines read 8 days)."""
    if days <= 0:
        return
    from datetime import datetime, timedelta, timezone

    from claude_tray import history

    now = datetime.now(timezone.utc)
    count = int(days * 288)
    rows = [
        # Rising by 0.03 points a reading, as a steady user's limits do.
        history.NewRow(limit, 5.0 + (count - i) * 0.03, now + timedelta(hours=1), at)
        for i in range(1, count)
        for at in [now - timedelta(minutes=5 * i)]
        for limit in ("session", "weekly_all", "weekly_fable")
    ]
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    history.add(paths.history_file, rows, source="web", now=now)


def measure_xorg(seconds: float, history_days: float = 0.0) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-tray-") as tmp, tray_host() as host:
        tmp_path = Path(tmp)
        home = tmp_path / "home"
        modules_file = tmp_path / "modules.txt"
        with Emulator() as emulator:
            emulator.set_usage(session=42.0, weekly=18.0, scoped={"Fable": 3.0})
            env = app_env(
                host,
                home,
                emulator.base_url,
                extra={"CLAUDE_TRAY_DEBUG_MODULES_FILE": str(modules_file)},
            )
            # As display_env does for SNI: the first start writes the .pyc files an
            # install has, and the measured start reads them (compiling from source,
            # it idled about 0.8 MB higher).
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            store_session(env, emulator.session_key)
            write_config(home, interval_minutes=60)
            fill_history(home, history_days)

            # 1. Fill the cache with 42 % (and, on a fresh tree, write the .pyc files).
            first = start_app(host, env, tmp_path / "first.log")
            icon = find_icon(host, 120)
            wait_for(lambda: _shows(icon, 42.0, ("normal",)), 120, "first poll")
            _stop(first.process)
            wait_for(lambda: not icon_windows(host), 30, "the first icon to go")

            # 2. Time to cached numbers; the service now says 60 %.
            emulator.set_usage(session=60.0)
            started = time.monotonic()
            app = start_app(
                host,
                {**env, "CLAUDE_TRAY_PYTHON": str(_slow_python(tmp_path))},
                tmp_path / "app.log",
            )
            try:
                icon = _find_icon_quickly(host, 120)
                cached_looks = ("stale", "refreshing", "normal")
                wait_for(
                    lambda: _shows(icon, 42.0, cached_looks),
                    120,
                    "cached numbers",
                    interval=0.02,
                )
                to_cached = time.monotonic() - started
                wait_for(lambda: _shows(icon, 60.0, ("normal",)), 120, "fresh numbers")

                # 3. Idle between polls, then the popup.
                time.sleep(5.0)
                idle = measure_idle(app.pid, seconds, modules_file)
                x, y = icon.geometry().centre
                host.xdotool("mousemove", str(x), str(y), "click", "1")
                wait_for(lambda: popup_window(host) is not None, 30, "the popup")
                time.sleep(1.0)
                popup_rss = _rss_mb(app.pid)
                modules = modules_file.read_text().split()
            finally:
                _stop(app.process)
    return Result("xorg", to_cached, "cached numbers drawn", idle, popup_rss, modules)


@contextlib.contextmanager
def xfce_desktop(root: Path) -> Iterator[tuple[str, SessionBus]]:
    display = start_xvfb()
    bus = start_session_bus(root / "desktop")
    panel = XfcePanel(display.name, bus)
    try:
        panel.start()
        yield display.name, bus
    finally:
        with contextlib.suppress(Exception):
            panel.stop()
        bus.stop()
        display.stop()


def _item_of(bus: SessionBus, pid: int) -> Callable[[], str | None]:
    def find() -> str | None:
        for entry in bus.registered_items():
            name = str(entry).split("/", 1)[0]
            if name.endswith(f"-{pid}-1"):
                return name
        return None

    return find


def measure_sni(seconds: float, history_days: float = 0.0) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-tray-sni-") as tmp:
        tmp_path = Path(tmp)
        home = tmp_path / "home"
        modules_file = tmp_path / "modules.txt"
        with xfce_desktop(tmp_path) as (display, bus), Emulator() as emulator:
            emulator.set_usage(session=42.0, weekly=18.0)
            env = display_env(display)
            env.update(
                DBUS_SESSION_BUS_ADDRESS=bus.address,
                XDG_CURRENT_DESKTOP="XFCE",
                PYSTRAY_BACKEND="sni",
                CLAUDE_TRAY_HOME=str(home),
                CLAUDE_TRAY_BASE_URL=emulator.base_url,
                CLAUDE_TRAY_API_URL=emulator.base_url,
                CLAUDE_CONFIG_DIR=str(home / "no-claude-code"),
                CLAUDE_TRAY_DEBUG_MODULES_FILE=str(modules_file),
                PYTHONPATH=str(REPO),
                PYTHONUNBUFFERED="1",
            )
            store_session(env, emulator.session_key)
            write_config(home, interval_minutes=60)
            fill_history(home, history_days)
            log = tmp_path / "app.log"
            started = time.monotonic()
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "claude_tray", "run"],
                    env={**env, "CLAUDE_TRAY_PYTHON": str(_slow_python(tmp_path))},
                    cwd=REPO,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            try:
                item = _item_of(bus, process.pid)
                wait_for(lambda: item() is not None, 60, "the SNI item", interval=0.02)
                registered = time.monotonic() - started
                # The slow Python delays the first poll by 1.5 s; let it finish.
                time.sleep(8.0)
                idle = measure_idle(process.pid, seconds, modules_file)
                name = item()
                assert name is not None
                bus.call(name, "/StatusNotifierItem", ITEM, "Activate", "ii", (0, 0))
                time.sleep(2.0)
                popup_rss = _rss_mb(process.pid)
                modules = modules_file.read_text().split() if modules_file.exists() else []
            finally:
                _stop(process)
    return Result("sni", registered, "item registered", idle, popup_rss, modules)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window (default 60)")
    parser.add_argument("--backend", choices=("all", "xorg", "sni"), default="all")
    parser.add_argument(
        "--history-days",
        type=float,
        default=0.0,
        help="start with this many days of stored readings (default 0: a new home)",
    )
    args = parser.parse_args()

    print("import stages (resident memory of a fresh Python, MB):")
    previous = 0.0
    for name, value in import_stages():
        print(f"  {name:<22} {value:6.1f}  (+{value - previous:4.1f})")
        previous = value

    results: list[Result] = []
    if args.backend in ("all", "xorg"):
        if shutil.which("trayer"):
            results.append(measure_xorg(args.seconds, args.history_days))
        else:
            print("xorg: skipped (no trayer)")
    if args.backend in ("all", "sni"):
        if shutil.which("xfce4-panel") and shutil.which("dbus-daemon"):
            results.append(measure_sni(args.seconds, args.history_days))
        else:
            print("sni: skipped (no xfce4-panel or dbus-daemon)")

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    failed = False
    for result in results:
        idle = result.idle
        playwright = [m for m in result.modules if m.split(".")[0] == "playwright"]
        failed = failed or bool(playwright)
        print(f"tray app, {result.backend} backend (emulator, interval 60 min):")
        if result.first_icon_s is not None:
            quick = result.first_icon_s < GOAL_START_SECONDS
            print(
                f"  start to {result.first_icon_what:<22}: {result.first_icon_s:6.2f} s   "
                f"goal < {GOAL_START_SECONDS} s  {verdict(quick)}"
            )
        print(
            f"  resident memory (idle)          : {idle.rss_mb:6.1f} MB  goal < "
            f"{GOAL_RSS_MB:.0f} MB  {verdict(idle.rss_mb < GOAL_RSS_MB)}"
        )
        if result.popup_rss_mb is not None:
            print(f"  resident memory (popup shown)   : {result.popup_rss_mb:6.1f} MB")
        print(
            f"  CPU over {idle.seconds:4.0f} s idle           : {idle.cpu_percent:6.3f} %   "
            f"({idle.cpu_seconds:.3f} CPU s)"
        )
        print(
            f"  wake-ups over the idle window   : {idle.wakeups:6d}     goal 0  "
            f"{verdict(idle.wakeups == 0)}"
        )
        print(f"  threads                         : {idle.threads}")
        for count, tid, name in idle.per_thread:
            print(f"    {count:6d} wake-ups  thread {tid} {name}")
        print(f"  modules loaded                  : {len(result.modules)}")
        print(f"  playwright imported             : {'YES' if playwright else 'no'}")
        pydantic = any(m.split(".")[0] == "pydantic" for m in result.modules)
        print(f"  pydantic imported               : {'yes' if pydantic else 'no'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
