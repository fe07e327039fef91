"""`claude-tray install-browser`: the real bundled driver, which cannot download here.

The build machines reach no download server but the package registries, so
the real `node cli.js install chromium` fails; the test checks the sentence
the user then reads (and that the driver's own progress was shown). The
success path runs a stand-in installer to check that progress is streamed and
the browser found afterwards is named.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from claude_tray.scraper.browser_install import explain_failure, install_chromium
from tests.support.cli import TEST_BROWSER, child_env, run_cli
from tests.support.cli import restore_logging as restore_logging  # autouse fixture

pytestmark = pytest.mark.slow


def test_no_download_possible_says_why_and_what_to_do(tmp_path: Path) -> None:
    """The real driver fails to reach its server: exit 1, one clear sentence, no trace."""
    cache = tmp_path / "ms-playwright"
    env = child_env(tmp_path / "home", {"PLAYWRIGHT_BROWSERS_PATH": str(cache)})
    done = run_cli(["install-browser", "--force"], env, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    # The driver's own progress lines reach the user as they come.
    assert "Downloading Chromium" in done.stdout or "Downloading Chrome" in done.stdout
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("Could not download Chromium: this machine cannot reach ")
    assert "cdn.playwright.dev" in message or "playwright" in message
    assert "sudo apt install chromium" in message
    assert "CLAUDE_TRAY_BROWSER" in message
    assert "Traceback" not in done.stderr
    # Nothing was installed in Playwright's cache.
    assert not any(path.name.startswith("chromium-") for path in cache.glob("*"))


def test_with_a_browser_present_nothing_is_installed(tmp_path: Path) -> None:
    """A found browser is named and nothing is downloaded (exit 0)."""
    env = child_env(tmp_path / "home", {"CLAUDE_TRAY_BROWSER": TEST_BROWSER})
    done = run_cli(["install-browser"], env)
    assert done.returncode == 0, done.stderr
    assert "A browser is already there" in done.stdout
    assert TEST_BROWSER in done.stdout
    assert "Downloading" not in done.stdout


def test_progress_is_streamed_and_the_result_named(tmp_path: Path) -> None:
    """A stand-in installer's output reaches `progress` byte for byte (CR updates kept)."""
    progress = io.BytesIO()
    script = "import sys; sys.stdout.write('|##   | 40%\\r|#####| 100%\\n'); sys.stdout.flush()"
    result = install_chromium(
        {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        progress=progress,
        command=[sys.executable, "-c", script],
    )
    assert progress.getvalue() == b"|##   | 40%\r|#####| 100%\n"
    # This machine has Debian's Chromium, which discovery finds after the "install".
    assert result.ok, result.message
    assert result.message.startswith("Chromium is installed: ")


def test_a_failing_installer_is_explained() -> None:
    """A non-network failure quotes the installer's first error line."""
    result = install_chromium(
        {}, command=[sys.executable, "-c", "print('Error: disk full'); exit(3)"]
    )
    assert not result.ok
    assert result.message.startswith("Could not install Chromium: Error: disk full.")
    assert "exited with code 7" in explain_failure("", 7)
    refused = explain_failure("connect ECONNREFUSED 10.0.0.1:443 https://cdn.example.test/x", 1)
    assert "cannot reach" in refused and "cdn.example.test" in refused
