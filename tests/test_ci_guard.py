"""The guard that turns skipped browser/display tests into failures in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_pytest_on(tmp_path: Path, require_real: bool) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_skips.py"
    test.write_text(
        "import pytest\n"
        "@pytest.mark.browser\n"
        "def test_needs_browser():\n"
        "    pytest.skip('no chromium here')\n"
        "def test_plain():\n"
        "    pytest.skip('fine to skip')\n"
    )
    env = {**os.environ, "CLAUDE_TRAY_REQUIRE_REAL": "1" if require_real else "0"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(REPO),
         "-c", str(REPO / "pyproject.toml"), "--confcutdir", str(REPO / "tests"),
         "-p", "tests.conftest", str(test)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_skipped_browser_test_fails_when_real_parts_required(tmp_path: Path) -> None:
    """Under CLAUDE_TRAY_REQUIRE_REAL=1 a skipped @browser test fails the run, a plain skip not."""
    result = run_pytest_on(tmp_path, require_real=True)
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout and "1 skipped" in result.stdout
    assert "CI does not accept that skip" in result.stdout


def test_skips_allowed_outside_ci(tmp_path: Path) -> None:
    """Without the variable, skips stay skips (a developer without Chromium can still run tests)."""
    result = run_pytest_on(tmp_path, require_real=False)
    assert result.returncode == 0, result.stdout
    assert "2 skipped" in result.stdout
