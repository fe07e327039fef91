"""Benchmark: the standalone builds: build time, size, start to icon, `status --json`.

Run from the repository root:  python benchmarks/bench_build.py [--runs 3]

What it does, all with real processes:
1. builds the one-folder and the one-file app with packaging/build.py into a
   fresh temporary folder (cold: no PyInstaller cache), timing each, and
   packs each into its .tar.gz (timed separately);
2. reports the size on disk (folder / file) and compressed (the archive);
3. on a private Xvfb with trayer and the emulator (42 % used, a session
   stored), starts `run` from each build and from source `RUNS` times and
   times Popen until the icon window is docked in the tray, then quits it
   with SIGTERM;
4. times `status --json --source web` against the emulator `RUNS` times for
   each build and from source (`python -m claude_tray`), in the same run.

Goals (issue 13): compressed under 100 MB; start to icon under 1.5 s for the
one-folder build. The figures are printed (the machine is shared and noisy);
the exit code is 1 only when a build or a run fails.

It must not fail on a slow figure (the goals are printed, not asserted), and must
not reach claude.ai or the user's own data: every run gets CLAUDE_TRAY_HOME and
CLAUDE_CONFIG_DIR inside the temporary folder and the emulator's URLs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from claude_tray.emulator import Emulator  # noqa: E402
from tests.support.child import stop_app  # noqa: E402
from tests.support.gui import (  # noqa: E402
    ICON_CLASS,
    IconWindow,
    TrayHost,
    app_env,
    icon_windows,
    store_session,
    tray_host,
    wait_for,
)

MB = 1024 * 1024


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "claude_tray_build", REPO / "packaging" / "build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _stop(process: subprocess.Popen[bytes]) -> None:
    stop_app(process, term_wait=20, kill_wait=10)


def start_to_icon(host: TrayHost, argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds from starting `argv` until its icon window is docked in the tray."""
    wait_for(lambda: not icon_windows(host), 30, "the previous icon to go")
    started = time.monotonic()
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = started + 120
        while time.monotonic() < deadline:
            found = host.xdotool("search", "--classname", ICON_CLASS).split()
            if found and IconWindow(host, max(found, key=int)).docked_geometry() is not None:
                return time.monotonic() - started
            if process.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {process.returncode} before its icon")
            time.sleep(0.02)
        raise RuntimeError(f"no icon from {argv[0]} within 120 s")
    finally:
        _stop(process)


def status_seconds(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds for one `status --json --source web` (exit 0 required)."""
    started = time.monotonic()
    done = subprocess.run(
        [*argv, "status", "--json", "--source", "web"], env=env, cwd=cwd,
        capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"status failed: {done.stderr.decode(errors='replace')[-400:]}")
    return elapsed


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="runs per timing (default 3)")
    args = parser.parse_args()
    build = _build_module()

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        tmp_path = Path(tmp)
        dist, work = tmp_path / "dist", tmp_path / "work"
        rows: list[tuple[str, str]] = []
        exes: dict[str, Path] = {}
        for flavour, onefile in (("one-folder", False), ("one-file", True)):
            started = time.monotonic()
            exe: Path = build.build(dist, work, onefile=onefile)
            seconds = time.monotonic() - started
            exes[flavour] = exe
            started = time.monotonic()
            packed = build.archive(exe, dist, onefile=onefile)
            pack_seconds = time.monotonic() - started
            on_disk = _du(exe if onefile else exe.parent)
            size = packed.path.stat().st_size / MB
            rows += [
                (f"{flavour}: build time", f"{seconds:.1f} s (cold, fresh work folder)"),
                (f"{flavour}: size on disk", f"{on_disk / MB:.1f} MB"),
                (
                    f"{flavour}: compressed",
                    f"{size:.1f} MB {packed.path.name} (packed in {pack_seconds:.1f} s)",
                ),
            ]

        source = [sys.executable, "-m", "claude_tray"]
        commands = {
            "one-folder": [str(exes["one-folder"])],
            "one-file": [str(exes["one-file"])],
            "source": source,
        }
        with tray_host() as host, Emulator() as emulator:
            emulator.set_usage(session=42.0, weekly=18.0, scoped={"Fable": 3.0})
            env = app_env(host, tmp_path / "home", emulator.base_url)
            store_session(env, emulator.session_key)
            frozen_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
            for name, argv in commands.items():
                use_env = env if name == "source" else frozen_env
                cwd = REPO if name == "source" else tmp_path
                icon_times = [
                    start_to_icon(host, [*argv, "run"], use_env, cwd) for _ in range(args.runs)
                ]
                rows.append((f"{name}: start to icon", _median(icon_times)))
            for name, argv in commands.items():
                use_env = env if name == "source" else frozen_env
                cwd = REPO if name == "source" else tmp_path
                times = [status_seconds(argv, use_env, cwd) for _ in range(args.runs)]
                rows.append((f"{name}: status --json", _median(times)))

    width = max(len(name) for name, _ in rows)
    print(
        f"claude-tray builds on {os.uname().sysname} {os.uname().machine}, {os.cpu_count()} cores"
    )
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
