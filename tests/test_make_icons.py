"""packaging/make_icons.py: deterministic icon files, the same as the committed `icons/`.

The script runs twice as a real child process into two temporary folders;
every file must be byte-for-byte the same both times and the same as the
file committed in `icons/` (so the committed icons are what the drawing code
makes today).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.support.child import REPO

SCRIPT = REPO / "packaging" / "make_icons.py"


def _make(folder: Path) -> dict[str, bytes]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder)],
        cwd=folder.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.posix_only
def test_two_runs_give_the_same_bytes_as_the_committed_icons(tmp_path: Path) -> None:
    """Same bytes twice, and the same as icons/ in the checkout."""
    first = _make(tmp_path / "one")
    second = _make(tmp_path / "two")
    assert first == second
    names = set(first)
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        assert f"claude-tray-{size}.png" in names
    assert {"claude-tray.png", "claude-tray.ico", "claude-tray.icns"} <= names
    for name, data in first.items():
        committed = REPO / "icons" / name
        assert committed.read_bytes() == data, f"icons/{name} is stale: run make_icons.py"


def test_each_png_has_its_size_and_the_ico_has_every_size(tmp_path: Path) -> None:
    """A PNG per theme size, and one .ico carrying 16 to 256 px."""
    _make(tmp_path / "icons")
    for size in (16, 48, 256, 512):
        with Image.open(tmp_path / "icons" / f"claude-tray-{size}.png") as image:
            assert image.size == (size, size) and image.mode == "RGBA"
    with Image.open(tmp_path / "icons" / "claude-tray.ico") as ico:
        assert {(16, 16), (32, 32), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(tmp_path / "icons" / "claude-tray.icns") as icns:
        assert icns.size[0] >= 256
