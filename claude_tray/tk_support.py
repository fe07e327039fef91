"""Whether Tk is there for the popup, and which system package to install when it is not.

Debian, Ubuntu and Fedora ship Python's `tkinter` as a separate package, so a
fresh venv or pipx install on those systems has no Tk and the tray app cannot
start. This module names the exact package for the running system (read from
`/etc/os-release`), for the app's start-up error and for `claude-tray doctor`.

It must not open a window or need a display, and must not import `tkinter`
itself: `tk_problem` loads only `_tkinter` (the Tk library), never a `Tk()`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

OS_RELEASE = Path("/etc/os-release")

#: (distribution id from os-release, install command) most specific first; an id
#: also matches through ID_LIKE (Linux Mint is "ubuntu debian", Rocky is "rhel fedora").
_LINUX_PACKAGES: tuple[tuple[str, str], ...] = (
    ("debian", "sudo apt install python3-tk"),
    ("ubuntu", "sudo apt install python3-tk"),
    ("fedora", "sudo dnf install python3-tkinter"),
    ("rhel", "sudo dnf install python3-tkinter"),
    ("centos", "sudo dnf install python3-tkinter"),
    ("arch", "sudo pacman -S tk"),
    ("opensuse", "sudo zypper install python3-tk"),
    ("suse", "sudo zypper install python3-tk"),
    ("alpine", "sudo apk add python3-tkinter"),
)

_GENERIC_LINUX = (
    "install your distribution's Tk package for Python "
    "(Debian/Ubuntu: sudo apt install python3-tk; Fedora: sudo dnf install python3-tkinter; "
    "Arch: sudo pacman -S tk)"
)


def _os_release_ids(text: str) -> list[str]:
    """ID, then every ID_LIKE entry, from the text of an os-release file."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    ids = [values.get("ID", "")]
    ids.extend(values.get("ID_LIKE", "").split())
    return [item.lower() for item in ids if item]


def read_os_release(path: Path = OS_RELEASE) -> str:
    """The os-release text, or "" where there is none (not Linux, a minimal container)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def tk_install_command(system: str | None = None, os_release: str | None = None) -> str:
    """What to run (or do) to get Tk for Python on this system."""
    system = sys.platform if system is None else system
    if system.startswith("linux"):
        ids = _os_release_ids(read_os_release() if os_release is None else os_release)
        for distro in ids:
            for known, command in _LINUX_PACKAGES:
                if distro == known or distro.startswith(known + "-"):
                    return command
        return _GENERIC_LINUX
    if system == "darwin":
        minor = f"{sys.version_info.major}.{sys.version_info.minor}"
        return (
            f"with Homebrew's Python: brew install python-tk@{minor}; or use the "
            "python.org installer, which includes Tk"
        )
    return "reinstall Python from python.org with the option 'tcl/tk and IDLE' ticked"


@dataclass(frozen=True)
class TkProblem:
    """Why Tk cannot be used, and what to install."""

    reason: str
    fix: str

    def message(self) -> str:
        """One paragraph for a person (the app's start-up error)."""
        return (
            f"The tray app needs Tk for Python, which is missing here ({self.reason}). "
            f"To fix it: {self.fix}. Then start claude-tray again. "
            "(`claude-tray status` works without it.)"
        )


def problem_for(
    exc: ImportError, system: str | None = None, os_release: str | None = None
) -> TkProblem | None:
    """A TkProblem when `exc` is a failed import of Tk; None for any other ImportError."""
    name = exc.name or ""
    text = str(exc)
    if name.split(".")[0] not in ("tkinter", "_tkinter") and "tkinter" not in text:
        return None
    return TkProblem(text, tk_install_command(system, os_release))


def tk_problem() -> TkProblem | None:
    """None when Tk for Python is present and its library loads; else the problem and the fix.

    Looks for the `tkinter` package and loads `_tkinter` (the C part that links
    the Tk library) without importing `tkinter` itself, so the command line never
    pulls in the GUI toolkit (tests/test_layers.py).
    """
    import importlib.util

    try:
        if importlib.util.find_spec("tkinter") is None:
            raise ModuleNotFoundError("No module named 'tkinter'", name="tkinter")
        import _tkinter  # noqa: F401  - only whether the Tk library loads
    except ImportError as exc:
        return problem_for(exc) or TkProblem(str(exc), tk_install_command())
    return None


def tk_version() -> str:
    """Tk's version, once `tk_problem()` said it loads."""
    import _tkinter

    return str(_tkinter.TK_VERSION)
