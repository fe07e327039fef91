"""Shared bits of the fake scrapers: documents with our own values, and the run record.

The fake scrapers stand in for `python -m claude_tray.scraper` in the runner's
tests. The runner hands them a cleaned environment, so they find their
folder through CLAUDE_TRAY_HOME, which the runner keeps. They must not import
claude_tray (it would slow every child down and hide import problems).
"""

from __future__ import annotations

import json
import os
import sys
import time

GOOD = {
    "schema_version": 1,
    "status": "success",
    "source": "web",
    "usage_percent": 37.0,
    "tokens_used": None,
    "tokens_limit": None,
    "tokens_remaining": None,
    "reset_time": "2031-03-04T05:06:00+00:00",
    "last_updated": "2031-03-04T01:02:03+00:00",
    "limits": [
        {
            "id": "session",
            "kind": "session",
            "label": "Current session",
            "percent": 37.0,
            "resets_at": "2031-03-04T05:06:00+00:00",
        },
        {
            "id": "weekly_all",
            "kind": "weekly",
            "label": "Weekly, all models",
            "percent": 11.0,
            "resets_at": None,
        },
    ],
    "extra_usage": None,
    "account": None,
}


def error(code: str, message: str, retry_after: float | None = None) -> dict[str, object]:
    return {
        "schema_version": 1,
        "status": "error",
        "error": code,
        "message": message,
        "retry_after": retry_after,
    }


def emit(document: object) -> None:
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()


def record(event: str) -> None:
    """Append one line `event pid time` to the run record (O_APPEND: lines never interleave)."""
    home = os.environ.get("CLAUDE_TRAY_HOME")
    if not home:
        return
    os.makedirs(home, exist_ok=True)
    fd = os.open(os.path.join(home, "fake-runs.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, f"{event} {os.getpid()} {time.time():.6f}\n".encode())
    finally:
        os.close(fd)


def command() -> str:
    """The scraper command the runner appended (poll, login, check-session)."""
    known = {"poll", "login", "check-session"}
    return next((arg for arg in sys.argv[1:] if arg in known), "")
