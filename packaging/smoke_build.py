"""Smoke-run a built app against the emulator: `python packaging/smoke_build.py EXE [--wine]`.

Runs the executable as a child process (through Wine with `--wine`, for the
Windows build made under CI's Wine stage): `--version`, `login --session-key -`
(the key on stdin), `status --json --source web` (the app runs itself as its
scraper child and must print the emulator's numbers), and `autostart
on|status|off`. Prints one line per step with its time; exits 1 at the first
step that fails. The emulator runs in this process on 127.0.0.1. This script
must not change anything outside its temporary home (and, for `autostart`,
the one entry it removes again).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from claude_tray import __version__  # noqa: E402
from claude_tray.emulator import Emulator  # noqa: E402

WINE = "/usr/lib/wine/wine64"


def _windows_path(path: Path) -> str:
    """Wine's name for a Linux path (its Z: drive is /)."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


class Smoke:
    def __init__(self, exe: Path, wine: bool, env: dict[str, str]) -> None:
        self.argv = [WINE, _windows_path(exe)] if wine else [str(exe)]
        self.env = env

    def run(self, args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(
            [*self.argv, *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            errors="replace",  # Wine's console output is not always UTF-8
            timeout=300,
            check=False,
        )
        print(f"{' '.join(args):<32} rc={done.returncode} {time.monotonic() - started:5.1f} s")
        return done


def _fail(step: str, done: subprocess.CompletedProcess[str]) -> int:
    print(f"FAILED: {step}\nstdout: {done.stdout[-1500:]}\nstderr: {done.stderr[-1500:]}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("exe", type=Path)
    parser.add_argument("--wine", action="store_true", help="run it through wine64")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="smoke-build-") as tmp, Emulator("ok") as emu:
        emu.set_usage(session=37.0, weekly=12.0, scoped={"Fable": 4.0})
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CLAUDE_"))}
        env.update(
            CLAUDE_TRAY_HOME=_windows_path(home) if args.wine else str(home),
            CLAUDE_TRAY_BASE_URL=emu.base_url,
            CLAUDE_TRAY_API_URL=emu.base_url,
            CLAUDE_CONFIG_DIR=str(Path(tmp) / "no-claude-code"),
            XDG_CONFIG_HOME=str(Path(tmp) / "xdg"),
        )
        smoke = Smoke(args.exe, args.wine, env)
        done = smoke.run(["--version"])
        if done.returncode != 0 or __version__ not in done.stdout:
            return _fail("--version", done)
        done = smoke.run(["login", "--session-key", "-"], stdin=emu.session_key)
        if done.returncode != 0:
            return _fail("login", done)
        before = emu.count("/api/organizations")
        done = smoke.run(["status", "--json", "--source", "web"])
        if done.returncode != 0:
            return _fail("status --json", done)
        document = json.loads(done.stdout)
        percents = {limit["id"]: limit["percent"] for limit in document["limits"]}
        if percents != {"session": 37.0, "weekly_all": 12.0, "weekly_fable": 4.0}:
            return _fail(f"status --json numbers {percents}", done)
        if emu.count("/api/organizations") <= before:
            return _fail("status --json did not reach the emulator", done)
        if emu.session_key in done.stdout + done.stderr:
            return _fail("the session key appeared in the output", done)
        for action, code in (("on", 0), ("status", 0), ("off", 0), ("status", 1)):
            done = smoke.run(["autostart", action])
            if done.returncode != code:
                return _fail(f"autostart {action} (expected exit {code})", done)
            if action == "on":
                print(f"  {done.stdout.strip()}")
    print("smoke: all steps passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
