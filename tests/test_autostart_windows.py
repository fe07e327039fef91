"""Start at login on Windows, for real: the per-user Run key through `winreg`.

Runs under the Windows python of CI's Wine stage (.ci/windows/test-files.txt),
where `winreg` writes Wine's registry; `reg query` (Wine's reg.exe) reads the
value back from outside the Python process. On other platforms the Run key
is checked through its seam in tests/test_autostart.py, so this module is
skipped there.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from claude_tray.autostart import (
    RUN_KEY_PATH,
    RUN_VALUE_NAME,
    WindowsAutostart,
    WinregRunKey,
    launch_command,
    windows_command_line,
)
from tests.support.cli import child_env, run_cli
from tests.support.cli import restore_logging as restore_logging  # autouse fixture

# The real Run key exists only on Windows (or Wine): deselected off Windows (tests/conftest.py).
pytestmark = pytest.mark.windows_only


def _reg_query() -> str | None:
    """The value's data as `reg query` shows it, or None when there is no such value."""
    done = subprocess.run(
        ["reg", "query", f"HKCU\\{RUN_KEY_PATH}", "/v", RUN_VALUE_NAME],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        return None
    for line in done.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0] == RUN_VALUE_NAME:
            return parts[2].strip()
    return None


@pytest.fixture(autouse=True)
def no_value_left() -> Iterator[None]:
    """Start and end without our value (a failed test must not leave one for the next)."""
    WinregRunKey().delete(RUN_VALUE_NAME)
    yield
    WinregRunKey().delete(RUN_VALUE_NAME)


def test_real_run_key_on_status_off() -> None:
    """enable writes the quoted command; reg.exe sees it; disable removes exactly it."""
    key = WinregRunKey()
    key.set("claude-tray-test-other", "keep me")
    try:
        entry = WindowsAutostart(key)
        command = [r"C:\Program Files\claude-tray\claude-tray-tray.exe"]
        entry.enable(command)
        entry.enable(command)  # twice is one value
        assert _reg_query() == windows_command_line(command)
        assert entry.status(command).enabled
        assert entry.disable()
        assert _reg_query() is None
        assert key.get("claude-tray-test-other") == "keep me"
        assert not entry.disable()
    finally:
        key.delete("claude-tray-test-other")


def test_autostart_command_writes_this_installs_pythonw(tmp_path: object) -> None:
    """`claude-tray autostart on|status|off` as a child: the value starts this Python's
    pythonw (no console window) with `-m claude_tray run`, then is gone."""
    from pathlib import Path

    env = child_env(Path(str(tmp_path)) / "home")
    on = run_cli(["autostart", "on"], env)
    assert on.returncode == 0, on.stdout + on.stderr
    value = _reg_query()
    assert value == windows_command_line(launch_command())
    assert value is not None and "-m claude_tray run" in value
    assert run_cli(["autostart", "status"], env).returncode == 0
    off = run_cli(["autostart", "off"], env)
    assert off.returncode == 0, off.stderr
    assert _reg_query() is None
    assert run_cli(["autostart", "status"], env).returncode == 1
