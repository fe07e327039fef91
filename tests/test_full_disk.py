"""A full disk or a read-only data folder loses nothing (issue 7, item 6).

Real processes and real file systems: `CLAUDE_TRAY_HOME` on a 64 KiB tmpfs
that is then filled up, and a data folder bind-mounted read-only; the real
`claude-tray status` and its real scraper child talk to the emulator, which
rotates the session key on every answer. Mounting needs root (CI runs as
root); elsewhere these tests skip, and under CLAUDE_TRAY_REQUIRE_REAL they fail.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from tests.support.cli import (
    all_text_under,
    emulator,
    emulator_env,
    restore_logging,
    run_cli,
    store_session,
)

__all__ = ["emulator", "restore_logging"]

pytestmark = pytest.mark.timeout(180)


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True, timeout=30)


def _require_mount(probe: Path) -> None:
    """Skip (or fail under CLAUDE_TRAY_REQUIRE_REAL) where this process cannot mount."""
    probe.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
    except (OSError, subprocess.CalledProcessError) as exc:
        message = f"mounting a tmpfs needs root ({exc})"
        if os.environ.get("CLAUDE_TRAY_REQUIRE_REAL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    _umount(probe)


@pytest.fixture
def tiny_home(tmp_path: Path) -> Iterator[Path]:
    """A CLAUDE_TRAY_HOME on its own 64 KiB tmpfs, unmounted afterwards."""
    _require_mount(tmp_path / "probe")
    home = tmp_path / "home"
    home.mkdir()
    _mount("-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(home))
    try:
        yield home
    finally:
        _umount(home)


def fill_up(folder: Path) -> Path:
    """Write a filler file until the file system says it is full; returns the filler."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 1024)
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0")
    # Proof that it is full: a new file with content cannot be written.
    with pytest.raises(OSError) as raised, open(folder / "probe.bin", "wb", buffering=0) as probe:
        probe.write(b"\0" * 8192)
    assert raised.value.errno == errno.ENOSPC
    with contextlib.suppress(OSError):
        (folder / "probe.bin").unlink()
    return filler


def _session(home: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((home / "data" / "web_session.json").read_text())
    return data


def _check_rotation_kept_the_numbers(home: Path, emu: Emulator, why: str) -> None:
    before = (home / "data" / "web_session.json").read_bytes()
    old_key = _session(home)["sessionKey"]
    emu.set_scenario("rotate")
    done = run_cli(["status", "--json", "--source", "web"], emulator_env(home, emu))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["status"] == "success" and document["limits"]
    notices = document.get("notices")
    assert isinstance(notices, list) and notices
    assert "web_session.json" in notices[0] and why in notices[0]
    # The person reads it too, with the file and the reason; nothing is called a bug.
    assert "web_session.json" in done.stderr and why in done.stderr
    assert "internal error" not in done.stderr.lower()
    assert "Traceback" not in done.stderr
    # The old session file survived whole; no temporary file was left behind.
    assert (home / "data" / "web_session.json").read_bytes() == before
    assert _session(home)["sessionKey"] == old_key
    assert not list((home / "data").glob(".web_session.json.*"))
    # The log names the file too (the log's last page still had room).
    logged = all_text_under(home / "logs").splitlines()
    assert any("web_session.json" in line and why in line for line in logged)


def test_full_disk_status_prints_the_usage_and_names_the_file(
    tiny_home: Path, emulator: Emulator
) -> None:
    """On a full disk a rotated key cannot be saved: the usage is printed, exit 0, file named."""
    store_session(tiny_home, emulator)
    first = run_cli(["status", "--json", "--source", "web"], emulator_env(tiny_home, emulator))
    assert first.returncode == 0, first.stderr
    fill_up(tiny_home)
    _check_rotation_kept_the_numbers(tiny_home, emulator, "the disk is full")


def test_read_only_data_folder_status_prints_the_usage(tmp_path: Path, emulator: Emulator) -> None:
    """With the data folder read-only, `status` still prints the numbers and says why."""
    _require_mount(tmp_path / "probe")
    home = tmp_path / "home"
    store_session(home, emulator)
    data = home / "data"
    _mount("--bind", str(data), str(data))
    try:
        _mount("-o", "remount,bind,ro", str(data))
        with pytest.raises(OSError) as raised:
            (data / "probe").write_text("x")
        assert raised.value.errno == errno.EROFS
        _check_rotation_kept_the_numbers(home, emulator, "read-only")
    finally:
        _umount(data)


def test_full_disk_the_tray_shows_the_numbers_and_says_which_file(
    tiny_home: Path, emulator: Emulator
) -> None:
    """The tray's core on a full disk: fresh numbers, the rotation notice, and SaveFailed
    naming the cache file, with the reason and what to do."""
    import queue

    from claude_tray.config import Config
    from claude_tray.core import Core
    from claude_tray.events import Event, RefreshFailed, SaveFailed, UsageUpdated
    from claude_tray.paths import AppPaths
    from claude_tray.runner import ScraperRunner

    store_session(tiny_home, emulator)
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tiny_home)})
    env = {**emulator_env(tiny_home, emulator)}
    config = Config(source="web")
    events: queue.Queue[Event] = queue.Queue()
    core = Core(paths, config, events, runner=ScraperRunner(paths, config, env=env))
    try:
        fill_up(tiny_home)
        emulator.set_scenario("rotate")
        seen: list[Event] = []
        assert core.refresh_now()
        while not any(isinstance(e, (SaveFailed, RefreshFailed)) for e in seen):
            seen.append(events.get(timeout=60))
    finally:
        core.shutdown(timeout=5)
    assert not any(isinstance(e, RefreshFailed) for e in seen), seen
    updated = [e for e in seen if isinstance(e, UsageUpdated) and not e.stale]
    assert len(updated) == 1 and updated[0].document.limits
    assert "web_session.json" in " ".join(updated[0].document.notices)
    failed = next(e for e in seen if isinstance(e, SaveFailed))
    assert isinstance(failed, SaveFailed)
    assert failed.path.endswith("last_usage.json")
    assert "last_usage.json" in failed.message and "disk is full" in failed.message
    assert "Free some disk space" in failed.message
    assert core.state.snapshot().usage == updated[0].document


def test_full_disk_with_full_logs_gives_one_clear_line_not_tracebacks(
    tiny_home: Path, emulator: Emulator
) -> None:
    """When even the log files cannot grow, `status` prints the usage, exit 0, and says once
    that the log cannot be written, instead of logging's traceback for every line."""
    store_session(tiny_home, emulator)
    first = run_cli(["status", "--json", "--source", "web"], emulator_env(tiny_home, emulator))
    assert first.returncode == 0, first.stderr
    fill_up(tiny_home)
    for log_file in (tiny_home / "logs").glob("*.log"):
        with open(log_file, "ab", buffering=0) as handle, contextlib.suppress(OSError):
            while True:  # use up the room left in the log's last page too
                handle.write(b"#")
    done = run_cli(["status", "--json", "--source", "web"], emulator_env(tiny_home, emulator))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "success"
    assert "Logging error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("cannot write the log file") == 1
    assert "claude-tray.log" in done.stderr
    # The cache could not be saved either, and the person is told which file.
    assert "last_usage.json" in done.stderr and "disk is full" in done.stderr
