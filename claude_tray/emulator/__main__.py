"""`python -m claude_tray.emulator`: run the local claude.ai until interrupted.

Prints one line saying where it listens (never a key or token); with
`--info-file` writes the base URL, session key and OAuth token as JSON with
mode 0600 for the program under test. This module must not accept secrets in
its arguments and must not listen on anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from claude_tray.emulator.emulator import Emulator
from claude_tray.emulator.scenarios import DESCRIPTIONS, SCENARIOS
from claude_tray.fileio import atomic_write_json


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m claude_tray.emulator",
        description="A local claude.ai look-alike on 127.0.0.1 for the demo and the tests.",
        epilog="scenarios:\n"
        + "\n".join(f"  {name:18} {DESCRIPTIONS[name]}" for name in SCENARIOS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--scenario", default="ok", choices=SCENARIOS, metavar="SCENARIO")
    parser.add_argument("--moving", action="store_true", help="usage climbs over time (demo)")
    parser.add_argument(
        "--info-file",
        type=Path,
        help="write base_url, session_key and oauth_token here as JSON (mode 0600)",
    )
    parser.add_argument("--verbose", action="store_true", help="one stderr line per request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        print("emulator: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    done = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        emulator = Emulator(args.scenario, port=args.port, moving=args.moving, verbose=args.verbose)
        emulator.start()
    except OSError as error:
        print(f"emulator: cannot listen on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    try:
        if args.info_file is not None:
            atomic_write_json(args.info_file, emulator.info())
        print(
            f"claude.ai emulator on {emulator.base_url} (scenario {args.scenario}"
            f"{', moving' if args.moving else ''}); Ctrl+C stops it",
            flush=True,
        )
        while not done.wait(1.0):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
