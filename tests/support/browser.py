"""Helpers for the browser tests: Chromium's windows, the scraper child.

The private Xvfb comes from `tests.support.display` (`xvfb_display`), which
lets Xvfb choose a free display number so the browser tests never clash with
other tests (or other people) on one machine. Windows are found and closed
through python-xlib the way a window manager would (a WM_DELETE_WINDOW
message, what the close button sends).

This module must not change `os.environ` and must not mock anything: callers
pass `display.name` into the child's environment.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.child import REPO, run_module, start_module


def _test_browser() -> Path:
    """The Chromium the browser tests drive: CLAUDE_TRAY_TEST_BROWSER (set by CI), else
    Debian's real binary (platform.md), else its /usr/bin wrapper."""
    configured = os.environ.get("CLAUDE_TRAY_TEST_BROWSER")
    if configured:
        return Path(configured)
    real = Path("/usr/lib/chromium/chromium")
    return real if real.exists() else Path("/usr/bin/chromium")


DEBIAN_CHROMIUM = _test_browser()

#: Generous limit: the machine is shared by many test runs at once.
CHILD_TIMEOUT = 180.0


def chromium_profiles_running(profile_dir: Path) -> list[int]:
    """PIDs of Chromium processes that use `profile_dir` (left behind = a leak)."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if any(str(profile_dir) in part for part in cmdline):
            found.append(int(process.info["pid"]))
    return found


def browser_windows(display_name: str) -> list[int]:
    """IDs of the visible top-level Chromium windows on the display."""
    from Xlib import X
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display_name)
    try:
        found: list[int] = []
        for window in connection.screen().root.query_tree().children:
            try:
                wm_class = window.get_wm_class() or ()
                viewable = window.get_attributes().map_state == X.IsViewable
            except Exception:  # the window went away while we looked
                continue
            if viewable and any("chrom" in part.lower() for part in wm_class):
                found.append(int(window.id))
        return found
    finally:
        connection.close()


def wait_for_browser_window(display_name: str, timeout: float = 90.0) -> int:
    """The first visible Chromium window, waiting for it to appear."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        windows = browser_windows(display_name)
        if windows:
            return windows[0]
        time.sleep(0.25)
    raise AssertionError(f"no Chromium window appeared on {display_name} in {timeout:g} s")


def close_window(display_name: str, window_id: int) -> None:
    """Ask a window to close, as a window manager's close button does (WM_DELETE_WINDOW)."""
    from Xlib import X, protocol
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display_name)
    try:
        window = connection.create_resource_object("window", window_id)
        protocols = connection.intern_atom("WM_PROTOCOLS")
        delete = connection.intern_atom("WM_DELETE_WINDOW")
        event = protocol.event.ClientMessage(
            window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        window.send_event(event, event_mask=X.NoEventMask)
        connection.flush()
    finally:
        connection.close()


def screenshot(display_name: str, path: Path) -> Path:
    """A PNG of the whole virtual screen."""
    from PIL import ImageGrab

    image = ImageGrab.grab(xdisplay=display_name)
    image.save(path)
    return path


def scraper_env(
    home: Path, base_url: str, *, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a scraper child: private home, the emulator, Debian's Chromium."""
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "CLAUDE_TRAY_API_URL"):
        env.pop(name, None)
    env.update(
        {
            "CLAUDE_TRAY_HOME": str(home),
            "CLAUDE_TRAY_BASE_URL": base_url,
            "CLAUDE_TRAY_BROWSER": str(DEBIAN_CHROMIUM),
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def start_scraper(args: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """`python -m claude_tray.scraper ARGS` as a child, stdout and stderr captured."""
    return start_module("claude_tray.scraper", args, env)


def run_scraper(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    stdin: str | None = None,
    timeout: float = CHILD_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m claude_tray.scraper ARGS` to the end (no `stdin`: /dev/null)."""
    return run_module("claude_tray.scraper", args, env, stdin=stdin, timeout=timeout)


def logs_text(home: Path) -> str:
    """Every log file under the private home, concatenated."""
    texts = []
    for path in sorted(home.rglob("*.log*")):
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def expect(condition: bool, message: str) -> None:
    """Like `assert`, but a failure never shows the values compared (they may be secrets).

    pytest's assertion rewriting prints both sides of a failed `assert`, which
    would put a session key into the test output.
    """
    if not condition:
        raise AssertionError(message)


def assert_no_secrets(texts: Sequence[str], secrets: Sequence[str]) -> None:
    """No text contains a secret or anything shaped like a session key or token."""
    for index, text in enumerate(texts):
        for secret in secrets:
            if secret:
                expect(secret not in text, f"a secret value reached output #{index}")
        expect("sk-ant-sid" not in text, f"something shaped like a key reached output #{index}")
        expect("sk-ant-oat" not in text, f"something shaped like a token reached output #{index}")
