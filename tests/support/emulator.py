"""Helpers for talking to the claude.ai emulator from tests, with plain urllib.

`fetch` makes one request and returns status, headers and body whatever the
status; `EmulatorProcess` runs `python -m claude_tray.emulator` as a real child
process and reads its info file. Any test module may import these. Nothing
here mocks the network, and nothing here prints a key or token.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OAUTH_BETA = "oauth-2025-04-20"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass
class Answer:
    """One HTTP answer: status, headers (a Message: case-insensitive, repeatable), body."""

    status: int
    headers: Message
    body: bytes
    set_cookies: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def cookie(self, name: str) -> str | None:
        """The value a Set-Cookie header gives `name`, or None."""
        for header in self.set_cookies:
            first = header.split(";", 1)[0]
            key, _, value = first.partition("=")
            if key.strip() == name:
                return value.strip()
        return None

    def cookie_attributes(self, name: str) -> list[str]:
        """The attributes (lower case) of the Set-Cookie header for `name`."""
        for header in self.set_cookies:
            parts = [part.strip() for part in header.split(";")]
            if parts[0].partition("=")[0] == name:
                return [part.lower() for part in parts[1:]]
        return []


def fetch(
    url: str,
    *,
    method: str = "GET",
    cookies: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    timeout: float = 10.0,
) -> Answer:
    """One request with urllib; HTTP errors are answers too (redirects are not followed)."""
    all_headers = dict(headers or {})
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Answer(
                response.status,
                response.headers,
                response.read(),
                response.headers.get_all("Set-Cookie") or [],
            )
    except urllib.error.HTTPError as error:
        body = error.read()
        return Answer(error.code, error.headers, body, error.headers.get_all("Set-Cookie") or [])


def oauth_headers(token: str) -> dict[str, str]:
    """The headers Claude Code's usage endpoint needs."""
    return {"Authorization": f"Bearer {token}", "anthropic-beta": OAUTH_BETA}


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child that imports claude_tray from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


class EmulatorProcess:
    """`python -m claude_tray.emulator` as a child process; use as a context manager.

    After start, `.info` holds the info file's JSON (base_url, session_key,
    oauth_token, chat_org_uuid, api_org_uuid).
    """

    def __init__(
        self,
        info_file: Path,
        *,
        scenario: str = "ok",
        moving: bool = False,
        port: int = 0,
        start_timeout: float = 30.0,
    ) -> None:
        self.info_file = info_file
        self.args = [
            sys.executable,
            "-m",
            "claude_tray.emulator",
            "--port",
            str(port),
            "--scenario",
            scenario,
            "--info-file",
            str(info_file),
        ]
        if moving:
            self.args.append("--moving")
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, str] = {}

    def start(self) -> EmulatorProcess:
        self.process = subprocess.Popen(
            self.args,
            cwd=REPO,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited early with {self.process.returncode}")
            if self.info_file.exists():
                try:
                    self.info = json.loads(self.info_file.read_text(encoding="utf-8"))
                    return self
                except ValueError:
                    pass  # not complete yet (it is written atomically, but be safe)
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("emulator did not write its info file in time")

    @property
    def base_url(self) -> str:
        return self.info["base_url"]

    def stop(self, timeout: float = 15.0) -> tuple[int | None, str, str]:
        """SIGTERM, wait, and return (exit code, stdout, stderr)."""
        process = self.process
        if process is None:
            return None, "", ""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        return process.returncode, out, err

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
