"""Atomic, private writes: the one way the app writes sessions, settings and caches."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from claude_tray.fileio import atomic_write, atomic_write_json, read_json


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.posix_only  # POSIX file modes
def test_new_file_and_folder_are_private(tmp_path: Path) -> None:
    """A written file is 0600 and a folder it creates is 0700, whatever the umask allows."""
    target = tmp_path / "new-folder" / "session.json"
    old_umask = os.umask(0o022)
    try:
        atomic_write(target, "secret")
    finally:
        os.umask(old_umask)
    assert target.read_text() == "secret"
    assert mode_of(target) == 0o600
    assert mode_of(target.parent) == 0o700


def test_replaces_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    """Writing again replaces the content in one step; no temporary file stays behind."""
    target = tmp_path / "config.toml"
    atomic_write(target, "a = 1\n" * 1000)
    atomic_write(target, b"b = 2\n")
    assert target.read_bytes() == b"b = 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_failed_replace_cleans_up_its_temporary(tmp_path: Path) -> None:
    """When the final replace fails (the target is a folder), no temporary file is left."""
    target = tmp_path / "last_usage.json"
    target.mkdir()
    (target / "keep").write_text("kept")
    with pytest.raises(OSError):
        atomic_write_json(target, {"usage_percent": 42.0})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last_usage.json"]
    assert (target / "keep").read_text() == "kept"


def test_json_round_trip(tmp_path: Path) -> None:
    """atomic_write_json and read_json agree."""
    target = tmp_path / "state.json"
    atomic_write_json(target, {"until": 1.5, "org": "x"})
    assert read_json(target) == {"until": 1.5, "org": "x"}


@pytest.mark.posix_only  # POSIX file modes
def test_mode_can_be_chosen(tmp_path: Path) -> None:
    """A caller may ask for another mode (e.g. a file meant to be shared)."""
    target = tmp_path / "shared.txt"
    atomic_write(target, "x", mode=0o644)
    assert mode_of(target) == 0o644
