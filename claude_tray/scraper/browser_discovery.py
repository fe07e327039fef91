"""Finding a Chromium-family browser for login and for the browser path.

Order: `CLAUDE_TRAY_BROWSER`, then the configured `browser_path`, then the
user's own Chrome, Chromium and Edge (well-known paths of the platform, then
`PATH`), then a Chromium that Playwright downloaded into its cache folder. The
user's own browser comes first because sites (Google login, Cloudflare) trust
it more than a fresh test build.

This module must NOT import Playwright: the doctor and the tray use it, and the
tray process never loads Playwright. It only looks at files and runs
`<browser> --version`; it never launches a browser window.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from claude_tray.errors import ClaudeTrayError, ErrorCode

ENV_VAR = "CLAUDE_TRAY_BROWSER"

#: Seconds `browser_version` waits for `<browser> --version`.
VERSION_TIMEOUT = 10.0

_HOW_TO_FIX = (
    "Install Google Chrome or Chromium (on Debian/Ubuntu: sudo apt install chromium), "
    "or run `claude-tray install-browser` to download Playwright's Chromium, "
    f"or set {ENV_VAR} (or browser_path in the settings) to a Chrome, Chromium or Edge "
    "executable."
)

# Fixed absolute paths per platform, most preferred first.
_LINUX_PATHS = (
    # Google Chrome: the real binary first, then the wrappers that start it.
    "/opt/google/chrome/chrome",
    "/usr/bin/google-chrome-stable",
    "/usr/bin/google-chrome",
    # Chromium: Debian's real binary before its /usr/bin wrapper script, which
    # reads /etc/chromium.d and prints noise (platform.md).
    "/usr/lib/chromium/chromium",
    "/usr/lib/chromium-browser/chromium-browser",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    # Microsoft Edge.
    "/opt/microsoft/msedge/msedge",
    "/usr/bin/microsoft-edge-stable",
    "/usr/bin/microsoft-edge",
    # Flatpak exports (system-wide); the per-user ones are added from HOME.
    "/var/lib/flatpak/exports/bin/com.google.Chrome",
    "/var/lib/flatpak/exports/bin/org.chromium.Chromium",
    "/var/lib/flatpak/exports/bin/com.microsoft.Edge",
)
_LINUX_USER_FLATPAK = ("com.google.Chrome", "org.chromium.Chromium", "com.microsoft.Edge")

_MAC_APPS = (
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Chromium.app/Contents/MacOS/Chromium",
    "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)

# (environment variable holding a folder, path below it) on Windows.
_WINDOWS_PATHS = (
    ("PROGRAMFILES", r"Google\Chrome\Application\chrome.exe"),
    ("PROGRAMFILES(X86)", r"Google\Chrome\Application\chrome.exe"),
    ("LOCALAPPDATA", r"Google\Chrome\Application\chrome.exe"),
    ("LOCALAPPDATA", r"Chromium\Application\chrome.exe"),
    ("PROGRAMFILES", r"Chromium\Application\chrome.exe"),
    ("PROGRAMFILES(X86)", r"Microsoft\Edge\Application\msedge.exe"),
    ("PROGRAMFILES", r"Microsoft\Edge\Application\msedge.exe"),
    ("LOCALAPPDATA", r"Microsoft\Edge\Application\msedge.exe"),
)

_PATH_NAMES = (
    "google-chrome-stable",
    "google-chrome",
    "chrome",
    "chromium",
    "chromium-browser",
    "microsoft-edge-stable",
    "microsoft-edge",
    "msedge",
)

# Where Playwright puts its Chromium inside `<cache>/chromium-<revision>/`,
# for current (Chrome for Testing) and older layouts.
_PLAYWRIGHT_LAYOUTS = {
    "linux": (
        ("chrome-linux64", "chrome"),
        ("chrome-linux-arm64", "chrome"),
        ("chrome-linux", "chrome"),
    ),
    "win32": (("chrome-win64", "chrome.exe"), ("chrome-win", "chrome.exe")),
    "darwin": (
        (
            "chrome-mac-arm64",
            "Google Chrome for Testing.app",
            "Contents",
            "MacOS",
            "Google Chrome for Testing",
        ),
        (
            "chrome-mac-x64",
            "Google Chrome for Testing.app",
            "Contents",
            "MacOS",
            "Google Chrome for Testing",
        ),
        ("chrome-mac", "Chromium.app", "Contents", "MacOS", "Chromium"),
    ),
}


def _platform_key(system: str) -> str:
    if system.startswith("win"):
        return "win32"
    if system == "darwin":
        return "darwin"
    return "linux"


def _getenv(env: Mapping[str, str], name: str) -> str | None:
    """An environment value, matching the name without case as Windows does."""
    value = env.get(name)
    if value is None:
        upper = name.upper()
        for key, candidate in env.items():
            if key.upper() == upper:
                value = candidate
                break
    return value or None


def _rooted(root: Path | None, absolute: str) -> Path:
    """`absolute` below `root` (a test's fake filesystem root), or as it is."""
    if root is None:
        return Path(absolute)
    return root / absolute.lstrip("/")


def is_executable(path: Path) -> bool:
    """True for an existing regular file the user may execute."""
    try:
        return path.is_file() and os.access(path, os.X_OK)
    except OSError:
        return False


def _app_bundle_binary(path: Path) -> Path:
    """For a macOS `Name.app` folder, the executable inside it; else `path`."""
    if path.suffix == ".app" and path.is_dir():
        return path / "Contents" / "MacOS" / path.stem
    return path


def _explicit(value: str, origin: str, env: Mapping[str, str]) -> Path:
    """The browser the user named (a path, or a command name found on PATH)."""
    expanded = os.path.expanduser(value.strip())
    if os.sep not in expanded and (os.altsep is None or os.altsep not in expanded):
        found = shutil.which(expanded, path=_getenv(env, "PATH") or "")
        if found:
            return Path(found)
    path = _app_bundle_binary(Path(expanded))
    if not path.exists():
        raise ClaudeTrayError(
            ErrorCode.BROWSER_MISSING,
            f"The browser set in {origin} ({value}) does not exist. Point it at a Chrome, "
            f"Chromium or Edge executable, or remove it to let claude-tray look for one.",
        )
    if not is_executable(path):
        raise ClaudeTrayError(
            ErrorCode.BROWSER_MISSING,
            f"The browser set in {origin} ({value}) is not an executable file. Point it at "
            f"a Chrome, Chromium or Edge executable.",
        )
    return path


def _installed_candidates(env: Mapping[str, str], system: str, root: Path | None) -> Iterator[Path]:
    """Well-known install locations of Chrome, Chromium and Edge, preferred first."""
    key = _platform_key(system)
    home = _getenv(env, "HOME")
    if key == "linux":
        for absolute in _LINUX_PATHS:
            yield _rooted(root, absolute)
        if home:
            for app in _LINUX_USER_FLATPAK:
                yield Path(home) / ".local/share/flatpak/exports/bin" / app
    elif key == "darwin":
        for app in _MAC_APPS:
            yield _rooted(root, "/Applications/" + app)
            if home:
                yield Path(home) / "Applications" / app
    else:
        for variable, below in _WINDOWS_PATHS:
            folder = _getenv(env, variable)
            if folder:
                yield Path(folder).joinpath(*below.split("\\"))


def _path_candidates(env: Mapping[str, str]) -> Iterator[Path]:
    """Chrome, Chromium or Edge found on the `PATH` of `env`."""
    search = _getenv(env, "PATH")
    if not search:
        return
    for name in _PATH_NAMES:
        found = shutil.which(name, path=search)
        if found:
            yield Path(found)


def playwright_cache_dirs(env: Mapping[str, str], system: str) -> list[Path]:
    """Where Playwright keeps downloaded browsers (without importing Playwright)."""
    dirs: list[Path] = []
    configured = _getenv(env, "PLAYWRIGHT_BROWSERS_PATH")
    if configured and configured != "0":  # "0" means inside the package; not looked at
        dirs.append(Path(os.path.expanduser(configured)))
    key = _platform_key(system)
    home = _getenv(env, "HOME")
    if key == "linux":
        xdg = _getenv(env, "XDG_CACHE_HOME")
        if xdg:
            dirs.append(Path(xdg) / "ms-playwright")
        elif home:
            dirs.append(Path(home) / ".cache" / "ms-playwright")
    elif key == "darwin":
        if home:
            dirs.append(Path(home) / "Library" / "Caches" / "ms-playwright")
    else:
        local = _getenv(env, "LOCALAPPDATA")
        if local:
            dirs.append(Path(local) / "ms-playwright")
    return dirs


def _revision(folder: Path) -> int:
    match = re.search(r"-(\d+)$", folder.name)
    return int(match.group(1)) if match else -1


def _playwright_candidates(env: Mapping[str, str], system: str) -> Iterator[Path]:
    """Chromium builds Playwright downloaded, newest revision first."""
    layouts = _PLAYWRIGHT_LAYOUTS[_platform_key(system)]
    for cache in playwright_cache_dirs(env, system):
        try:
            builds = [d for d in cache.iterdir() if d.is_dir() and d.name.startswith("chromium-")]
        except OSError:
            continue
        # Not the "chromium_headless_shell-*" builds: login needs a visible window.
        for build in sorted(builds, key=_revision, reverse=True):
            for layout in layouts:
                yield build.joinpath(*layout)


def find_browser(
    env: Mapping[str, str] | None = None,
    configured: str | os.PathLike[str] | None = None,
    *,
    system: str | None = None,
    root: Path | None = None,
) -> Path:
    """The Chromium-family browser to use, or `ClaudeTrayError(BROWSER_MISSING)`.

    `env` defaults to the process environment, `configured` is the setting
    `browser_path`. `system` (a `sys.platform` value) and `root` (a folder that
    stands in for `/`) let tests look for other platforms' browsers in a
    temporary folder.
    """
    env = os.environ if env is None else env
    system = sys.platform if system is None else system
    from_env = _getenv(env, ENV_VAR)
    if from_env:
        return _explicit(from_env, f"the environment variable {ENV_VAR}", env)
    if configured is not None and str(configured).strip():
        return _explicit(os.fspath(configured), "the setting browser_path", env)
    seen: set[Path] = set()
    for groups in (
        _installed_candidates(env, system, root),
        _path_candidates(env),
        _playwright_candidates(env, system),
    ):
        for candidate in groups:
            if candidate in seen:
                continue
            seen.add(candidate)
            if is_executable(candidate):
                return candidate
    raise ClaudeTrayError(
        ErrorCode.BROWSER_MISSING,
        f"No Chrome, Chromium or Edge browser was found. {_HOW_TO_FIX}",
    )


def browser_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment to start a system browser with.

    A frozen (PyInstaller) Linux build points `LD_LIBRARY_PATH` at its own
    bundled libraries, which break a system browser; PyInstaller keeps the
    user's original value in `LD_LIBRARY_PATH_ORIG` (platform.md).
    """
    result = dict(os.environ if env is None else env)
    if getattr(sys, "frozen", False) and sys.platform.startswith("linux"):
        original = result.pop("LD_LIBRARY_PATH_ORIG", None)
        if original:
            result["LD_LIBRARY_PATH"] = original
        else:
            result.pop("LD_LIBRARY_PATH", None)
    return result


def _windows_version(path: Path) -> str | None:
    """Chrome and Edge on Windows keep their files in a folder named by version.

    `chrome.exe --version` prints nothing on Windows and may open a window, so
    the version is read from the folder next to the executable instead.
    """
    versions: list[tuple[int, ...]] = []
    try:
        for entry in path.parent.iterdir():
            if entry.is_dir() and re.fullmatch(r"\d+(\.\d+){3}", entry.name):
                versions.append(tuple(int(part) for part in entry.name.split(".")))
    except OSError:
        return None
    if not versions:
        return None
    return ".".join(str(part) for part in max(versions))


def browser_version(path: Path, *, timeout: float = VERSION_TIMEOUT) -> str | None:
    """The browser's version line (e.g. "Chromium 156.0.8078.108"), or None.

    Never raises: a browser that cannot say its version is reported by the
    doctor, not a crash.
    """
    path = Path(path)
    if sys.platform.startswith("win"):
        return _windows_version(path)
    try:
        completed = subprocess.run(
            [os.fspath(path), "--version"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            env=browser_environment(),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    lines = [line.strip() for line in completed.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else None
