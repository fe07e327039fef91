"""doctor's Privacy row: POSIX modes where they exist, the profile's ACL on Windows."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from claude_tray.doctor import check_privacy
from claude_tray.fileio import atomic_write
from claude_tray.paths import AppPaths


def test_windows_data_inside_the_profile_is_private_by_its_permissions(
    app_paths: AppPaths, tmp_path: Path
) -> None:
    row = check_privacy(app_paths, platform="win32", env={"USERPROFILE": str(tmp_path)})
    assert (row.verdict, row.result) == ("ok", "in your profile, private to you by its permissions")


def test_windows_data_outside_the_profile_is_a_note(app_paths: AppPaths, tmp_path: Path) -> None:
    elsewhere = tmp_path / "someone-else"
    elsewhere.mkdir()
    row = check_privacy(app_paths, platform="win32", env={"USERPROFILE": str(elsewhere)})
    assert row.verdict == "note"
    assert "outside your profile" in row.result
    assert row.fix == "set CLAUDE_TRAY_HOME inside your profile"


@pytest.mark.posix_only
def test_posix_files_others_can_read_are_a_problem_with_the_chmod(app_paths: AppPaths) -> None:
    atomic_write(app_paths.session_file, "{}")
    assert check_privacy(app_paths, platform="linux").verdict == "ok"
    os.chmod(app_paths.session_file, 0o644)
    row = check_privacy(app_paths, platform="linux")
    assert row.verdict == "problem"
    assert str(app_paths.session_file) in row.result
    assert row.fix == f"chmod go= {app_paths.session_file}"


def test_this_platforms_row_is_ok_for_the_apps_own_files(app_paths: AppPaths) -> None:
    """The files the app writes pass its own check here (under Windows: in the profile,
    where the tests' temporary folder is)."""
    atomic_write(app_paths.session_file, "{}")
    atomic_write(app_paths.usage_cache_file, "{}")
    row = check_privacy(app_paths, platform=sys.platform)
    assert row.verdict == "ok", row
