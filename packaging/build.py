"""Build the standalone one-dir app with PyInstaller: `python packaging/build.py`.

Options: `--dist DIR` (default `dist/`), `--work DIR` (default `build/`),
`--clean` (drop PyInstaller's cache first). Prints the path of the executable.
Needs `pip install pyinstaller` (the `build` extra). This script only builds;
it must not install anything or touch files outside the two folders.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "claude-tray.spec"


def executable_path(dist: Path) -> Path:
    """Where the build puts the `claude-tray` executable inside `dist`."""
    name = "claude-tray.exe" if sys.platform == "win32" else "claude-tray"
    return dist / "claude-tray" / name


def build_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for PyInstaller."""
    env = dict(os.environ if base is None else base)
    # pystray's PyInstaller hook imports pystray; without a display that raises
    # DisplayNameError (not ImportError). The dummy backend imports cleanly and
    # every backend is still bundled (platform.md).
    env["PYSTRAY_BACKEND"] = "dummy"
    # The spec imports nothing of ours, but the analysis must find the checkout.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def build(dist: Path, work: Path, *, clean: bool = False) -> Path:
    """Run PyInstaller on the spec; return the executable's path (raises on failure)."""
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
    ]
    if clean:
        command.append("--clean")
    subprocess.run(command, check=True, cwd=ROOT, env=build_environment())
    exe = executable_path(dist)
    if not exe.is_file():
        raise FileNotFoundError(f"PyInstaller finished but {exe} is missing")
    return exe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--clean", action="store_true")
    args = parser.parse_args(argv)
    try:
        exe = build(args.dist.resolve(), args.work.resolve(), clean=args.clean)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(exe)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
