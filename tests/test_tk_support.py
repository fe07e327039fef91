"""A missing tkinter is named with the exact system package, by the app and by `doctor`.

The distribution tables are checked with os-release texts; the real commands
run as child processes in which `import tkinter` fails the way it does on a
Debian venv without `python3-tk` (a `sitecustomize` on PYTHONPATH blocks it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from claude_tray.tk_support import problem_for, read_os_release, tk_install_command
from tests.support.child import REPO
from tests.support.cli import child_env, run_cli
from tests.support.cli import restore_logging as restore_logging  # autouse fixture

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
UBUNTU = "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=24.04\n"
MINT = 'ID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = "ID=fedora\nVERSION_ID=41\n"
ROCKY = 'ID="rocky"\nID_LIKE="rhel centos fedora"\n'
ARCH = "ID=arch\n"
TUMBLEWEED = 'ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n'


@pytest.mark.parametrize(
    ("os_release", "command"),
    [
        (DEBIAN, "sudo apt install python3-tk"),
        (UBUNTU, "sudo apt install python3-tk"),
        (MINT, "sudo apt install python3-tk"),
        (FEDORA, "sudo dnf install python3-tkinter"),
        (ROCKY, "sudo dnf install python3-tkinter"),
        (ARCH, "sudo pacman -S tk"),
        (TUMBLEWEED, "sudo zypper install python3-tk"),
    ],
)
def test_each_distribution_gets_its_package(os_release: str, command: str) -> None:
    """ID and ID_LIKE pick the distribution's own package name."""
    assert tk_install_command("linux", os_release) == command


def test_unknown_linux_lists_the_common_packages() -> None:
    """A distribution not in the table gets the usual names, not a guess."""
    text = tk_install_command("linux", "ID=plan9\n")
    assert "python3-tk" in text and "python3-tkinter" in text


def test_other_platforms_say_what_to_do() -> None:
    """macOS names Homebrew's python-tk; Windows the python.org installer's Tk option."""
    assert "brew install python-tk@" in tk_install_command("darwin")
    assert "tcl/tk" in tk_install_command("win32")


def test_only_a_tk_import_error_is_claimed() -> None:
    """Another missing module is not blamed on Tk."""
    tk_error = ModuleNotFoundError("No module named 'tkinter'", name="tkinter")
    problem = problem_for(tk_error, "linux", DEBIAN)
    assert problem is not None
    assert "sudo apt install python3-tk" in problem.message()
    assert problem_for(ModuleNotFoundError("No module named 'PIL'", name="PIL")) is None


def _without_tk(tmp_path: Path) -> dict[str, str]:
    """A child environment whose Python cannot import tkinter (as on a Debian venv)."""
    blocker = tmp_path / "no-tk"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "# As on Debian without python3-tk: the import fails with ModuleNotFoundError.\n"
        "class _NoTk:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('tkinter', '_tkinter'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _NoTk())\n"
    )
    env = child_env(tmp_path / "home")
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), str(REPO)])
    return env


def _expected_command() -> str:
    # This machine's own distribution decides the package (Debian in CI).
    return tk_install_command("linux", read_os_release())


@pytest.mark.posix_only
def test_the_app_names_the_package_when_tk_is_missing(tmp_path: Path) -> None:
    """`claude-tray run` without tkinter exits 1 and names the package to install."""
    done = run_cli(["run"], _without_tk(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "needs Tk for Python" in done.stderr
    assert _expected_command() in done.stderr
    assert "No module named 'tkinter'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.posix_only
def test_doctor_names_the_package_when_tk_is_missing(tmp_path: Path) -> None:
    """`claude-tray doctor` without tkinter has a Tk row marked PROBLEM with the package."""
    done = run_cli(["doctor"], _without_tk(tmp_path))
    assert done.returncode == 1
    row = done.stdout.split("Tk (popup)", 1)[1].split("Scraper", 1)[0]
    assert "PROBLEM" in row
    # The table wraps its columns: the package name is one word, the command may break.
    assert _expected_command().split()[-1] in [word.strip(".") for word in row.split()]


# Not in the Windows stage: under Wine the whole `doctor` child now and then does not
# finish (a CI rehearsal's run of this test passed its 120 s limit; 15 runs by hand under
# Wine took 1-2 s each), as test_doctor.py's did (.ci/windows/test-files.txt); the cause
# was not found. The Tk row's own check runs there: test_the_tk_row_is_ok_with_tk_s_version.
@pytest.mark.posix_only
def test_doctor_reports_tk_when_present(tmp_path: Path) -> None:
    """With tkinter importable the Tk row is ok and shows Tk's version."""
    done = run_cli(["doctor"], child_env(tmp_path / "home"))
    row = done.stdout.split("Tk (popup)", 1)[1].split("Scraper", 1)[0]
    assert "PROBLEM" not in row
    assert "Tk 8." in row


def test_the_tk_row_is_ok_with_tk_s_version() -> None:
    """The doctor's Tk row, in this process (every platform, the Windows stage too)."""
    import _tkinter

    from claude_tray.doctor import check_tk

    row = check_tk()
    assert row.verdict == "ok", row
    assert row.result == f"Tk {_tkinter.TK_VERSION}"
