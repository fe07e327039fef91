"""Start at login: the XDG entry through the real command, the Run value and the plist by seams.

Linux runs `claude-tray autostart on|status|off` as child processes with
XDG_CONFIG_HOME in a temporary folder and starts the command the entry names.
Windows' Run key is a dictionary behind the `RunKey` seam (the real registry
write is tested under Wine where that stage exists); macOS writes its plist
into a temporary home.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

import claude_tray
from claude_tray.autostart import (
    MARKER_KEY,
    RUN_KEY_PATH,
    MacAutostart,
    WindowsAutostart,
    XdgAutostart,
    desktop_exec,
    for_platform,
    launch_agent_plist,
    launch_command,
    parse_desktop_exec,
    read_desktop_keys,
    status_text,
)
from claude_tray.desktop_entry import icon_paths, install, launcher_path, uninstall
from tests.support.cli import child_env, run_cli
from tests.support.cli import restore_logging as restore_logging  # autouse fixture


def _env(tmp_path: Path) -> dict[str, str]:
    return child_env(tmp_path / "home", {"XDG_CONFIG_HOME": str(tmp_path / "xdg-config")})


def _entry(tmp_path: Path) -> Path:
    return tmp_path / "xdg-config" / "autostart" / "claude-tray.desktop"


# ---------------------------------------------------------------- Linux, the real command


@pytest.mark.posix_only
def test_autostart_on_status_off_through_the_command(tmp_path: Path) -> None:
    """on writes one entry starting this venv's claude-tray; status says so; off removes it."""
    env = _env(tmp_path)
    entry = _entry(tmp_path)
    assert run_cli(["autostart", "status"], env).returncode == 1
    on = run_cli(["autostart", "on"], env)
    assert on.returncode == 0, on.stderr
    keys = read_desktop_keys(entry.read_text())
    # The test's child runs the venv's python; its claude-tray script sits next to it.
    script = Path(os.path.abspath(sys.executable)).with_name("claude-tray")
    assert keys["Exec"] == f"{script} run"
    assert keys[MARKER_KEY] == "true"
    assert keys["Type"] == "Application" and keys["Icon"] == "claude-tray"
    first = entry.read_bytes()

    again = run_cli(["autostart", "on"], env)
    assert again.returncode == 0
    assert sorted(p.name for p in entry.parent.iterdir()) == ["claude-tray.desktop"]
    assert entry.read_bytes() == first

    status = run_cli(["autostart", "status"], env)
    assert status.returncode == 0
    assert status.stdout.startswith("On: ") and str(script) in status.stdout

    off = run_cli(["autostart", "off"], env)
    assert off.returncode == 0, off.stderr
    assert not entry.exists()
    assert run_cli(["autostart", "status"], env).returncode == 1
    nothing = run_cli(["autostart", "off"], env)
    assert nothing.returncode == 0 and "nothing to remove" in nothing.stdout


@pytest.mark.posix_only
def test_the_entry_starts_this_install(tmp_path: Path) -> None:
    """The entry's Exec command is a working claude-tray of this checkout's version."""
    env = _env(tmp_path)
    assert run_cli(["autostart", "on"], env).returncode == 0
    argv = parse_desktop_exec(read_desktop_keys(_entry(tmp_path).read_text())["Exec"])
    assert argv[-1] == "run"
    done = subprocess.run(
        [*argv[:-1], "--version"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"claude-tray {claude_tray.__version__}"


@pytest.mark.posix_only
def test_a_file_claude_tray_did_not_write_is_left_alone(tmp_path: Path) -> None:
    """A user's own claude-tray.desktop is neither overwritten by on nor removed by off."""
    env = _env(tmp_path)
    entry = _entry(tmp_path)
    entry.parent.mkdir(parents=True)
    own = "[Desktop Entry]\nType=Application\nName=mine\nExec=/opt/mine/claude-tray\n"
    entry.write_text(own)
    on = run_cli(["autostart", "on"], env)
    assert on.returncode == 1
    assert "was not written by claude-tray" in on.stderr
    off = run_cli(["autostart", "off"], env)
    assert off.returncode == 0 and "left alone" in off.stdout
    assert entry.read_text() == own
    assert run_cli(["autostart", "status"], env).returncode == 1


def test_status_sees_an_entry_switched_off_in_the_desktop_settings(tmp_path: Path) -> None:
    """GNOME's and the spec's ways to disable an entry without deleting it count as off."""
    xdg = XdgAutostart({"XDG_CONFIG_HOME": str(tmp_path)})
    command = ["/venv/bin/claude-tray", "run"]
    xdg.enable(command)
    assert xdg.status(command).enabled
    for switched_off in ("X-GNOME-Autostart-enabled=false", "Hidden=true"):
        xdg.enable(command)
        xdg.path.write_text(xdg.path.read_text() + switched_off + "\n")
        status = xdg.status(command)
        assert not status.enabled
        assert "switched off" in status_text(status)
    assert xdg.disable() and not xdg.path.exists()


def test_an_entry_of_another_install_is_named(tmp_path: Path) -> None:
    """An entry that starts a different install says so, and on points it at this one."""
    xdg = XdgAutostart({"XDG_CONFIG_HOME": str(tmp_path)})
    xdg.enable(["/old/venv/bin/claude-tray", "run"])
    status = xdg.status(["/new/venv/bin/claude-tray", "run"])
    assert status.enabled and status.other_install
    assert "another install" in status_text(status)
    xdg.enable(["/new/venv/bin/claude-tray", "run"])
    assert not xdg.status(["/new/venv/bin/claude-tray", "run"]).other_install


def test_xdg_config_home_unset_or_relative_means_dot_config(tmp_path: Path) -> None:
    """The XDG Base Directory rules: a relative XDG_CONFIG_HOME is ignored."""
    for env in ({"HOME": str(tmp_path)}, {"HOME": str(tmp_path), "XDG_CONFIG_HOME": "rel"}):
        assert XdgAutostart(env).path == tmp_path / ".config" / "autostart" / "claude-tray.desktop"


def test_exec_quoting_round_trips_awkward_paths() -> None:
    """Spaces, quotes, dollars and percent signs survive the Desktop Entry quoting."""
    command = ['/home/a b/my "venv"/bin/claude-tray', "run", "100%", "$HOME"]
    value = desktop_exec(command)
    assert "%%" in value
    assert parse_desktop_exec(value) == command
    assert desktop_exec(["/usr/bin/claude-tray", "run"]) == "/usr/bin/claude-tray run"


# ---------------------------------------------------------------- what the entry starts


@pytest.mark.posix_only
def test_launch_command_of_a_frozen_build_and_a_venv() -> None:
    """Frozen: the executable (windowed twin on Windows); a venv: its claude-tray script."""
    assert launch_command(
        frozen=True, executable="/opt/claude-tray/claude-tray", system="linux"
    ) == [
        "/opt/claude-tray/claude-tray",
        "run",
    ]
    windows_exe = r"C:\Program Files\claude-tray\claude-tray.exe"
    twin = r"C:\Program Files\claude-tray\claude-tray-tray.exe"
    assert launch_command(
        frozen=True, executable=windows_exe, system="win32", exists=lambda p: p == twin
    ) == [twin]
    assert launch_command(
        frozen=True, executable=windows_exe, system="win32", exists=lambda p: False
    ) == [windows_exe, "run"]
    venv_python = r"C:\Users\me\venv\Scripts\python.exe"
    pythonw = r"C:\Users\me\venv\Scripts\pythonw.exe"
    assert launch_command(
        frozen=False, executable=venv_python, system="win32", exists=lambda p: p == pythonw
    ) == [pythonw, "-m", "claude_tray", "run"]
    assert launch_command(
        frozen=False, executable="/v/bin/python", system="linux", exists=lambda p: False
    ) == ["/v/bin/python", "-m", "claude_tray", "run"]


# ---------------------------------------------------------------- Windows, through the seam


class DictRunKey:
    """The Run key as a dictionary: what the real key would hold."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> bool:
        return self.values.pop(name, None) is not None


def test_windows_run_value_on_status_off() -> None:
    """One quoted value named claude-tray; off deletes it and nothing else."""
    key = DictRunKey()
    key.values["OneDrive"] = r'"C:\Program Files\OneDrive\OneDrive.exe" /background'
    entry = for_platform("win32", {}, run_key=key)
    assert isinstance(entry, WindowsAutostart)
    command = [r"C:\Program Files\claude-tray\claude-tray-tray.exe"]
    where = entry.enable(command)
    assert where == f"HKCU\\{RUN_KEY_PATH}\\claude-tray"
    assert key.values["claude-tray"] == r'"C:\Program Files\claude-tray\claude-tray-tray.exe"'
    entry.enable(command)
    assert sorted(key.values) == ["OneDrive", "claude-tray"]
    assert entry.status(command).enabled
    assert entry.disable()
    assert sorted(key.values) == ["OneDrive"]
    assert not entry.status(command).enabled
    assert not entry.disable()


def test_windows_run_value_of_a_venv_install() -> None:
    """A venv install starts pythonw -m claude_tray run, each part quoted only where needed."""
    key = DictRunKey()
    entry = WindowsAutostart(key)
    entry.enable([r"C:\Users\Ann Lee\venv\Scripts\pythonw.exe", "-m", "claude_tray", "run"])
    assert key.values["claude-tray"] == (
        r'"C:\Users\Ann Lee\venv\Scripts\pythonw.exe" -m claude_tray run'
    )


# ---------------------------------------------------------------- macOS, through the seam


def test_macos_launch_agent_plist(tmp_path: Path) -> None:
    """A LaunchAgent that runs the app once at login; off removes exactly that file."""
    entry = for_platform("darwin", {"HOME": str(tmp_path)})
    assert isinstance(entry, MacAutostart)
    command = ["/Applications/claude-tray.app/Contents/MacOS/claude-tray", "run"]
    path = Path(entry.enable(command))
    assert path == tmp_path / "Library" / "LaunchAgents" / "io.github.claude-tray.plist"
    data = plistlib.loads(path.read_bytes())
    assert data == {
        "Label": "io.github.claude-tray",
        "ProgramArguments": command,
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    }
    assert path.read_bytes() == launch_agent_plist(command)
    assert entry.status(command).enabled
    (path.parent / "com.other.plist").write_bytes(b"keep")
    assert entry.disable()
    assert sorted(p.name for p in path.parent.iterdir()) == ["com.other.plist"]


# ---------------------------------------------------------------- the menu launcher


@pytest.mark.posix_only
def test_menu_launcher_with_icons_installs_and_uninstalls(tmp_path: Path) -> None:
    """The launcher and the hicolor icons appear, and uninstall removes exactly those."""
    env = child_env(tmp_path / "home", {"XDG_DATA_HOME": str(tmp_path / "data")})
    done = run_cli(["install-desktop-entry"], env)
    assert done.returncode == 0, done.stderr
    keys = read_desktop_keys(launcher_path(env).read_text())
    assert keys["Icon"] == "claude-tray" and keys["Exec"].endswith("claude-tray run")
    from PIL import Image

    for size, path in icon_paths(env).items():
        with Image.open(path) as image:
            assert image.size == (size, size)
    other = tmp_path / "data" / "applications" / "other.desktop"
    other.write_text("[Desktop Entry]\n")
    assert run_cli(["install-desktop-entry", "--uninstall"], env).returncode == 0
    remaining = sorted(
        str(p.relative_to(tmp_path / "data")) for p in (tmp_path / "data").rglob("*.*")
    )
    assert remaining == ["applications/other.desktop"]


def test_menu_launcher_functions(tmp_path: Path) -> None:
    """install returns what it wrote; uninstall of nothing removes nothing."""
    env = {"XDG_DATA_HOME": str(tmp_path)}
    written = install(env, ["/v/bin/claude-tray", "run"])
    assert len(written) == len(icon_paths(env)) + 1
    assert sorted(uninstall(env)) == sorted(written)
    assert uninstall(env) == []


def test_run_value_quoting_matches_the_c_runtime_rules() -> None:
    """Paths with spaces and trailing backslashes are quoted as Windows' parser reads them."""
    from claude_tray.autostart import windows_command_line

    for command in (
        [r"C:\Program Files\claude-tray\claude-tray.exe", "run"],
        ["C:\\dir with space\\", "plain"],
        ['a\\\\"b c', ""],
    ):
        assert windows_command_line(command) == subprocess.list2cmdline(command)
