"""Run a real `python -m MODULE` child of this repository and read its one JSON document.

Shared by the command-line, scraper and browser helpers (and the benchmarks' stop).
This module must not mock a process: every helper runs or signals a real child.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def run_module(
    module: str,
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    stdin: str | None,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m MODULE ARGS` in the repository to the end, output captured as UTF-8.

    A `stdin` string is fed on a pipe; None gives the child /dev/null.
    """
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env=dict(env),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def start_module(module: str, args: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """`python -m MODULE ARGS` in the repository as a running child.

    stdin is /dev/null; stdout and stderr are captured on pipes as UTF-8.
    """
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def stop_app(process: subprocess.Popen[bytes], term_wait: float, kill_wait: float) -> None:
    """SIGTERM (the app quits cleanly on it); a kill when it is still there after `term_wait`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(term_wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(kill_wait)


def one_document(stdout: str) -> dict[str, Any]:
    """The single JSON document a child printed (blank lines aside)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one document, got {len(lines)} lines"
    document = json.loads(lines[0])
    assert isinstance(document, dict)
    return document
