"""Browser discovery: real fake executables in temporary folders, no mocks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.scraper import browser_discovery
from claude_tray.scraper.browser_discovery import (
    browser_environment,
    browser_version,
    find_browser,
)

REPO = Path(__file__).resolve().parents[1]


def make_exe(path: Path, version: str = "Chromium 1.2.3.4", *, executable: bool = True) -> Path:
    """A small shell script that answers `--version` like a browser."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{version}"\n', encoding="utf-8")
    path.chmod(0o755 if executable else 0o644)
    return path


def test_env_variable_wins(tmp_path: Path) -> None:
    """CLAUDE_TRAY_BROWSER is used before the configured path and installed browsers."""
    chosen = make_exe(tmp_path / "mine" / "chrome")
    configured = make_exe(tmp_path / "configured" / "chrome")
    make_exe(tmp_path / "root" / "usr/bin/chromium")
    env = {"CLAUDE_TRAY_BROWSER": str(chosen)}
    found = find_browser(env, configured=str(configured), system="linux", root=tmp_path / "root")
    assert found == chosen


def test_env_variable_missing_file_names_it(tmp_path: Path) -> None:
    """A CLAUDE_TRAY_BROWSER that does not exist is browser_missing naming the path."""
    missing = tmp_path / "nowhere" / "chrome"
    make_exe(tmp_path / "root" / "usr/bin/chromium")
    with pytest.raises(ClaudeTrayError) as caught:
        find_browser({"CLAUDE_TRAY_BROWSER": str(missing)}, system="linux", root=tmp_path / "root")
    assert caught.value.code is ErrorCode.BROWSER_MISSING
    assert str(missing) in caught.value.message
    assert "CLAUDE_TRAY_BROWSER" in caught.value.message


@pytest.mark.posix_only
def test_env_variable_not_executable(tmp_path: Path) -> None:
    """A CLAUDE_TRAY_BROWSER that is a plain file without the exec bit is browser_missing."""
    plain = make_exe(tmp_path / "chrome", executable=False)
    with pytest.raises(ClaudeTrayError) as caught:
        find_browser({"CLAUDE_TRAY_BROWSER": str(plain)}, system="linux", root=tmp_path)
    assert caught.value.code is ErrorCode.BROWSER_MISSING
    assert "not an executable" in caught.value.message


def test_env_variable_directory_is_not_a_browser(tmp_path: Path) -> None:
    """A CLAUDE_TRAY_BROWSER naming a folder is browser_missing, not a crash."""
    with pytest.raises(ClaudeTrayError) as caught:
        find_browser({"CLAUDE_TRAY_BROWSER": str(tmp_path)}, system="linux", root=tmp_path)
    assert caught.value.code is ErrorCode.BROWSER_MISSING


@pytest.mark.posix_only
def test_env_variable_command_name_found_on_path(tmp_path: Path) -> None:
    """A bare command name in CLAUDE_TRAY_BROWSER is looked up on PATH."""
    exe = make_exe(tmp_path / "bin" / "my-chromium")
    env = {"CLAUDE_TRAY_BROWSER": "my-chromium", "PATH": str(tmp_path / "bin")}
    assert find_browser(env, system="linux", root=tmp_path / "root") == exe


def test_configured_path_used_without_env(tmp_path: Path) -> None:
    """The configured browser_path is used when the environment names none."""
    configured = make_exe(tmp_path / "configured" / "chrome")
    make_exe(tmp_path / "root" / "usr/bin/chromium")
    found = find_browser({}, configured=str(configured), system="linux", root=tmp_path / "root")
    assert found == configured


def test_configured_path_missing(tmp_path: Path) -> None:
    """A configured browser_path that does not exist is browser_missing naming the setting."""
    with pytest.raises(ClaudeTrayError) as caught:
        find_browser({}, configured=str(tmp_path / "gone"), system="linux", root=tmp_path)
    assert caught.value.code is ErrorCode.BROWSER_MISSING
    assert "browser_path" in caught.value.message


def test_linux_prefers_real_chromium_binary(tmp_path: Path) -> None:
    """On Linux Debian's /usr/lib/chromium/chromium is preferred to the /usr/bin wrapper."""
    root = tmp_path / "root"
    make_exe(root / "usr/bin/chromium")
    real = make_exe(root / "usr/lib/chromium/chromium")
    assert find_browser({}, system="linux", root=root) == real


def test_linux_wrapper_when_alone(tmp_path: Path) -> None:
    """On Linux the /usr/bin/chromium wrapper is found when it is the only browser."""
    root = tmp_path / "root"
    wrapper = make_exe(root / "usr/bin/chromium")
    assert find_browser({}, system="linux", root=root) == wrapper


def test_linux_chrome_before_chromium_and_edge(tmp_path: Path) -> None:
    """Google Chrome is preferred to Chromium and Edge when several are installed."""
    root = tmp_path / "root"
    make_exe(root / "usr/lib/chromium/chromium")
    make_exe(root / "opt/microsoft/msedge/msedge")
    chrome = make_exe(root / "opt/google/chrome/chrome")
    assert find_browser({}, system="linux", root=root) == chrome


def test_linux_edge_alone(tmp_path: Path) -> None:
    """Microsoft Edge is found on Linux when it is the only browser."""
    root = tmp_path / "root"
    edge = make_exe(root / "usr/bin/microsoft-edge")
    assert find_browser({}, system="linux", root=root) == edge


def test_linux_user_flatpak(tmp_path: Path) -> None:
    """A per-user Flatpak Chromium export under HOME is found."""
    home = tmp_path / "home"
    exported = make_exe(home / ".local/share/flatpak/exports/bin/org.chromium.Chromium")
    assert find_browser({"HOME": str(home)}, system="linux", root=tmp_path / "root") == exported


def test_windows_locations(tmp_path: Path) -> None:
    """On Windows Chrome in Program Files is preferred to Edge, env names matched without case."""
    program_files = tmp_path / "Program Files"
    program_files_x86 = tmp_path / "Program Files (x86)"
    edge = make_exe(program_files_x86 / "Microsoft/Edge/Application/msedge.exe")
    env = {"ProgramFiles(x86)": str(program_files_x86), "ProgramFiles": str(program_files)}
    assert find_browser(env, system="win32") == edge
    chrome = make_exe(program_files / "Google/Chrome/Application/chrome.exe")
    assert find_browser(env, system="win32") == chrome


def test_windows_per_user_chrome(tmp_path: Path) -> None:
    """On Windows a per-user Chrome in LOCALAPPDATA is found."""
    local = tmp_path / "AppData" / "Local"
    chrome = make_exe(local / "Google/Chrome/Application/chrome.exe")
    assert find_browser({"LOCALAPPDATA": str(local)}, system="win32") == chrome


def test_macos_applications(tmp_path: Path) -> None:
    """On macOS Chromium in /Applications is found, and Chrome preferred to it."""
    root = tmp_path / "root"
    chromium = make_exe(root / "Applications/Chromium.app/Contents/MacOS/Chromium")
    assert find_browser({}, system="darwin", root=root) == chromium
    home = tmp_path / "home"
    chrome = make_exe(home / "Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
    assert find_browser({"HOME": str(home)}, system="darwin", root=root) == chrome


def test_macos_app_bundle_in_env(tmp_path: Path) -> None:
    """A macOS .app folder in CLAUDE_TRAY_BROWSER means the executable inside it."""
    inner = make_exe(tmp_path / "Chromium.app/Contents/MacOS/Chromium")
    env = {"CLAUDE_TRAY_BROWSER": str(tmp_path / "Chromium.app")}
    assert find_browser(env, system="darwin", root=tmp_path) == inner


@pytest.mark.posix_only
def test_path_search(tmp_path: Path) -> None:
    """A browser on PATH is found when no well-known location has one."""
    exe = make_exe(tmp_path / "bin" / "chromium-browser")
    env = {"PATH": os.pathsep.join([str(tmp_path / "empty"), str(tmp_path / "bin")])}
    assert find_browser(env, system="linux", root=tmp_path / "root") == exe


def test_installed_before_path(tmp_path: Path) -> None:
    """A well-known install location wins over a browser that is only on PATH."""
    root = tmp_path / "root"
    installed = make_exe(root / "usr/bin/google-chrome")
    make_exe(tmp_path / "bin" / "chromium")
    assert find_browser({"PATH": str(tmp_path / "bin")}, system="linux", root=root) == installed


def test_playwright_cache_newest_revision(tmp_path: Path) -> None:
    """Playwright's cache is searched last, newest Chromium revision first, both layouts."""
    cache = tmp_path / "pw"
    make_exe(cache / "chromium-1100/chrome-linux/chrome")
    newest = make_exe(cache / "chromium-1200/chrome-linux64/chrome")
    make_exe(cache / "chromium_headless_shell-1300/chrome-linux/headless_shell")
    env = {"PLAYWRIGHT_BROWSERS_PATH": str(cache)}
    assert find_browser(env, system="linux", root=tmp_path / "root") == newest


def test_playwright_default_cache_folders(tmp_path: Path) -> None:
    """Playwright's default cache folder is found per platform without PLAYWRIGHT_BROWSERS_PATH."""
    home = tmp_path / "home"
    linux = make_exe(home / ".cache/ms-playwright/chromium-1/chrome-linux64/chrome")
    assert find_browser({"HOME": str(home)}, system="linux", root=tmp_path / "r") == linux
    mac = make_exe(
        home / "Library/Caches/ms-playwright/chromium-2/chrome-mac-arm64/"
        "Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing"
    )
    assert find_browser({"HOME": str(home)}, system="darwin", root=tmp_path / "r") == mac
    local = tmp_path / "Local"
    win = make_exe(local / "ms-playwright/chromium-3/chrome-win64/chrome.exe")
    assert find_browser({"LOCALAPPDATA": str(local)}, system="win32") == win


def test_user_browser_before_playwright(tmp_path: Path) -> None:
    """The user's installed browser is preferred to a Playwright download."""
    root = tmp_path / "root"
    installed = make_exe(root / "usr/bin/chromium")
    make_exe(tmp_path / "pw/chromium-1200/chrome-linux64/chrome")
    env = {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")}
    assert find_browser(env, system="linux", root=root) == installed


@pytest.mark.posix_only
def test_non_executable_candidates_skipped(tmp_path: Path) -> None:
    """A well-known path holding a file without the exec bit is not chosen."""
    root = tmp_path / "root"
    make_exe(root / "opt/google/chrome/chrome", executable=False)
    chromium = make_exe(root / "usr/bin/chromium")
    assert find_browser({}, system="linux", root=root) == chromium


@pytest.mark.parametrize("system", ["linux", "darwin", "win32"])
def test_nothing_found_says_how_to_fix(tmp_path: Path, system: str) -> None:
    """With no browser anywhere the error is browser_missing and says how to fix it."""
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path), "LOCALAPPDATA": str(tmp_path)}
    with pytest.raises(ClaudeTrayError) as caught:
        find_browser(env, system=system, root=tmp_path)
    assert caught.value.code is ErrorCode.BROWSER_MISSING
    assert "apt install chromium" in caught.value.message
    assert "CLAUDE_TRAY_BROWSER" in caught.value.message
    # What the login screen shows then offers the download (issue 13).
    assert "claude-tray install-browser" in caught.value.message


@pytest.mark.posix_only
def test_browser_version_of_fake(tmp_path: Path) -> None:
    """browser_version returns the line the executable prints for --version."""
    exe = make_exe(tmp_path / "chrome", version="Google Chrome 131.0.6778.85")
    assert browser_version(exe) == "Google Chrome 131.0.6778.85"


def test_browser_version_failure_is_none(tmp_path: Path) -> None:
    """browser_version is None for a missing file, a failing program or one that hangs."""
    assert browser_version(tmp_path / "missing") is None
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    assert browser_version(failing) is None
    hanging = tmp_path / "hanging"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n", encoding="utf-8")
    hanging.chmod(0o755)
    assert browser_version(hanging, timeout=0.5) is None


@pytest.mark.browser
def test_browser_version_of_debian_chromium() -> None:
    """The machine's real Chromium is found and reports a Chromium version."""
    found = find_browser({"PATH": os.environ.get("PATH", "")})
    version = browser_version(found)
    assert version is not None and "Chromium" in version


def test_frozen_build_restores_library_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a frozen Linux build the browser gets the user's original LD_LIBRARY_PATH back."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    env = browser_environment({"LD_LIBRARY_PATH": "/bundle", "LD_LIBRARY_PATH_ORIG": "/orig"})
    assert env["LD_LIBRARY_PATH"] == "/orig"
    assert "LD_LIBRARY_PATH_ORIG" not in env
    env = browser_environment({"LD_LIBRARY_PATH": "/bundle"})
    assert "LD_LIBRARY_PATH" not in env


def test_not_frozen_keeps_environment() -> None:
    """Outside a frozen build the browser's environment is the caller's, unchanged."""
    assert browser_environment({"LD_LIBRARY_PATH": "/mine"}) == {"LD_LIBRARY_PATH": "/mine"}


def test_discovery_never_imports_playwright() -> None:
    """Importing and using browser discovery does not load Playwright (the tray imports it)."""
    code = (
        "import sys\n"
        "from claude_tray.scraper import browser_discovery as d\n"
        "try:\n    d.find_browser()\nexcept Exception:\n    pass\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'playwright')\n"
        "print(loaded)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout.strip() == "[]"
    assert browser_discovery.__name__ == "claude_tray.scraper.browser_discovery"
