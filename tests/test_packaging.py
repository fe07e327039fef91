"""The PyInstaller builds: the frozen executable runs the app's commands and the scraper.

Builds each flavour once per session into a temporary folder (one-folder
about 20 s, one-file about 40 s here), then runs the real executables as
child processes against the emulator on 127.0.0.1: `--version`, `status`
(which starts the executable itself as its scraper child), `doctor`, the tray
on Xvfb in trayer and a clean quit with no process left; for the one-file
build, its unpack folder is gone after a normal exit and after SIGTERM; the
one-folder build is packed into a `.tar.gz` whose checksum file `sha256sum`
accepts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import claude_tray
from claude_tray.emulator import Emulator
from claude_tray.icon import LEVEL_COLOURS

ROOT = Path(__file__).resolve().parent.parent


def _load_build() -> ModuleType:
    """packaging/build.py (loaded by path: `packaging` is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "claude_tray_build", ROOT / "packaging" / "build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: its dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pytestmark = pytest.mark.slow

TIMEOUT = 180  # seconds per child; generous for a shared two-core machine


def _require_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        message = "PyInstaller is not installed (pip install -e '.[build]')"
        # CI (.ci/run) requires the real thing; a developer without the extra may skip.
        if os.environ.get("CLAUDE_TRAY_REQUIRE_REAL") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def build_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dist/work folder for both flavours (they share PyInstaller's analysis cache)."""
    return tmp_path_factory.mktemp("pyinstaller")


@pytest.fixture(scope="module")
def frozen_exe(build_folder: Path) -> Path:
    """The one-folder `claude-tray` executable, built once for this module."""
    _require_pyinstaller()
    exe: Path = _load_build().build(build_folder / "dist", build_folder / "work")
    return exe


@pytest.fixture(scope="module")
def frozen_onefile(build_folder: Path) -> Path:
    """The one-file `claude-tray` executable, built once for this module."""
    _require_pyinstaller()
    exe: Path = _load_build().build(build_folder / "dist", build_folder / "work", onefile=True)
    return exe


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator with pinned usage values."""
    with Emulator("ok") as emu:
        emu.set_usage(session=37.0, weekly=12.0, scoped={"Fable": 4.0})
        yield emu


def _env(tray_home: Path, emulator: Emulator | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["CLAUDE_TRAY_HOME"] = str(tray_home)
    if emulator is not None:
        env["CLAUDE_TRAY_BASE_URL"] = emulator.base_url
        env["CLAUDE_TRAY_API_URL"] = emulator.base_url
    env.update(extra)
    return env


def _run(
    exe: Path, args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    # cwd outside the checkout, so nothing can come from the source tree.
    return subprocess.run(
        [str(exe), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=exe.parent,
        timeout=TIMEOUT,
        check=False,
    )


def _login(exe: Path, env: dict[str, str], emulator: Emulator) -> None:
    result = _run(exe, ["scraper", "login", "--session-key-stdin"], env, stdin=emulator.session_key)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["logged_in"] is True


def test_frozen_version(frozen_exe: Path, tray_home: Path) -> None:
    """`<exe> --version` prints the package version and exits 0."""
    result = _run(frozen_exe, ["--version"], _env(tray_home))
    assert result.returncode == 0
    assert claude_tray.__version__ in result.stdout


def test_frozen_scraper_poll_reads_the_emulator(
    frozen_exe: Path, tray_home: Path, emulator: Emulator
) -> None:
    """`<exe> scraper poll` prints exactly one usage document with the emulator's numbers."""
    env = _env(tray_home, emulator)
    _login(frozen_exe, env, emulator)
    result = _run(frozen_exe, ["scraper", "poll", "--source", "web"], env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # raises if there is more than one document
    assert document["status"] == "success"
    percents = {limit["id"]: limit["percent"] for limit in document["limits"]}
    assert percents["session"] == 37.0
    assert percents["weekly_all"] == 12.0
    assert percents["weekly_fable"] == 4.0
    assert emulator.session_key not in result.stdout + result.stderr
    assert emulator.count("/api/organizations") >= 1


def test_frozen_scraper_without_session_prints_an_error_document(
    frozen_exe: Path, tray_home: Path, emulator: Emulator
) -> None:
    """Without a stored session the frozen scraper exits 1 with a no_session document."""
    result = _run(frozen_exe, ["scraper", "poll", "--source", "web"], _env(tray_home, emulator))
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"] == "no_session"


def test_frozen_status_runs_its_own_scraper_child(
    frozen_exe: Path, tray_home: Path, emulator: Emulator
) -> None:
    """`<exe> status --format waybar` starts the executable itself as the scraper child."""
    env = _env(tray_home, emulator)
    _login(frozen_exe, env, emulator)
    before = emulator.count("/api/organizations")
    result = _run(frozen_exe, ["status", "--source", "web", "--format", "waybar"], env)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"text", "tooltip", "class", "percentage"}
    assert (payload["text"], payload["percentage"], payload["class"]) == ("37%", 37, "normal")
    assert emulator.count("/api/organizations") > before


@pytest.mark.browser
def test_frozen_scraper_browser_path(frozen_exe: Path, tray_home: Path, emulator: Emulator) -> None:
    """The frozen scraper drives the system Chromium through the bundled Playwright driver."""
    env = _env(tray_home, emulator, CLAUDE_TRAY_BROWSER="/usr/bin/chromium")
    _login(frozen_exe, env, emulator)
    result = _run(frozen_exe, ["scraper", "poll", "--source", "web", "--force-browser"], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["usage_percent"] == 37.0
    # Only a browser loads the site's page before calling the API from inside it.
    assert any(not path.startswith("/api/") for _method, path, _status in emulator.requests)


@pytest.mark.display
def test_frozen_app_shows_the_usage_in_a_real_tray(
    frozen_exe: Path, tray_home: Path, emulator: Emulator, tmp_path: Path
) -> None:
    """The frozen app docks in trayer on Xvfb and its icon turns critical red for 95 %."""
    from tests.support.gui import (
        RunningApp,
        app_env,
        colour_distance,
        fill_colour,
        find_icon,
        save_artifact,
        tray_host,
        wait_for,
    )

    emulator.set_usage(session=95.0)
    _login(frozen_exe, _env(tray_home, emulator), emulator)
    with tray_host() as host:
        env = app_env(host, tray_home, emulator.base_url)
        env.pop("PYTHONPATH", None)  # nothing may come from the checkout
        log_path = tmp_path / "frozen-app.log"
        with open(log_path, "wb") as out:
            process = subprocess.Popen(
                [str(frozen_exe), "run"],
                env=env,
                cwd=frozen_exe.parent,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        app = RunningApp(process, host, log_path)
        try:
            icon = find_icon(host, timeout=120)

            def red_icon() -> object:
                shot = icon.screenshot()
                critical = LEVEL_COLOURS["critical"]
                return shot if colour_distance(fill_colour(shot), critical) < 30 else None

            try:
                wait_for(red_icon, 120, "the frozen app's icon to show 95 % in red")
            except AssertionError as exc:
                log_file = tray_home / "logs" / "claude-tray.log"
                log = log_file.read_text(errors="replace") if log_file.exists() else ""
                fill = fill_colour(icon.screenshot())
                raise AssertionError(f"{exc}; icon fill {fill}; app log:\n{log[-3000:]}") from None
            finally:
                save_artifact(icon.screenshot(), tmp_path, "frozen_app_icon")
            assert app.alive(), app.output()
            # Quit (SIGTERM, as a session logout sends): exit 0, no process of the tree left.
            import psutil

            tree = psutil.Process(process.pid).children(recursive=True)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0, app.output()
            _gone, alive = psutil.wait_procs(tree, timeout=10)
            assert alive == [], [p.pid for p in alive]
        finally:
            app.stop()


def _unpack_folders(tmp: Path) -> list[str]:
    """The one-file build's unpack folders (`_MEI…`) in its private temporary folder."""
    return sorted(path.name for path in tmp.iterdir() if path.name.startswith("_MEI"))


def test_frozen_status_json_and_doctor(
    frozen_exe: Path, tray_home: Path, emulator: Emulator
) -> None:
    """`status --json` prints the emulator's numbers (read by its own child); `doctor` runs."""
    env = _env(tray_home, emulator, CLAUDE_TRAY_BROWSER="/usr/bin/chromium")
    _login(frozen_exe, env, emulator)
    result = _run(frozen_exe, ["status", "--json", "--source", "web"], env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "success" and document["usage_percent"] == 37.0
    doctor = _run(frozen_exe, ["doctor"], {**env, "COLUMNS": "120"})
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "frozen build" in doctor.stdout  # the Python row of a frozen app
    assert "PROBLEM" not in doctor.stdout
    for row in ("Tk (popup)", "Scraper", "Playwright", "Browser", "Web session"):
        assert row in doctor.stdout
    assert emulator.session_key not in result.stdout + doctor.stdout + doctor.stderr


def test_one_folder_build_is_packed_with_a_checksum(frozen_exe: Path, build_folder: Path) -> None:
    """The .tar.gz holds the folder and the icon; its .sha256 file passes `sha256sum -c`."""
    build = _load_build()
    packed = build.archive(frozen_exe, build_folder / "dist")
    assert (
        packed.path.name == f"claude-tray-{claude_tray.__version__}-{build.platform_tag()}.tar.gz"
    )
    check = subprocess.run(
        ["sha256sum", "-c", packed.checksum_file.name],
        cwd=packed.path.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    top = packed.path.name.removesuffix(".tar.gz")
    with tarfile.open(packed.path) as archive:
        members = {member.name: member for member in archive.getmembers()}
    executable = members[f"{top}/claude-tray/claude-tray"]
    assert executable.mode & 0o111, "the executable lost its exec bit"
    assert f"{top}/claude-tray.png" in members
    # Playwright's driver (Node) is bundled, with its exec bit.
    nodes = [m for name, m in members.items() if name.endswith("playwright/driver/node")]
    assert nodes and nodes[0].mode & 0o111
    # Compressed for download: well under the 100 MB goal's order of magnitude.
    assert packed.path.stat().st_size < 150 * 1024 * 1024


def test_onefile_runs_its_child_and_leaves_no_unpack_folder(
    frozen_onefile: Path, tray_home: Path, emulator: Emulator, tmp_path: Path
) -> None:
    """`--version` and `status --json` (with its scraper child) leave TMPDIR empty."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = _env(tray_home, emulator, TMPDIR=str(tmp))
    version = _run(frozen_onefile, ["--version"], env)
    assert version.returncode == 0 and claude_tray.__version__ in version.stdout
    assert _unpack_folders(tmp) == []
    _login(frozen_onefile, env, emulator)
    result = _run(frozen_onefile, ["status", "--json", "--source", "web"], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["usage_percent"] == 37.0
    assert _unpack_folders(tmp) == []


@pytest.mark.display
def test_onefile_sigterm_during_a_poll_ends_everything_and_removes_the_unpack_folder(
    frozen_onefile: Path, tray_home: Path, emulator: Emulator, tmp_path: Path
) -> None:
    """SIGTERM to the one-file app while its scraper child hangs: exit 0, no process left,
    and the `_MEI` unpack folder removed."""
    import psutil

    from tests.support.gui import app_env, find_icon, tray_host, wait_for

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    _login(frozen_onefile, _env(tray_home, emulator), emulator)
    emulator.set_scenario("hang")
    with tray_host() as host:
        env = app_env(host, tray_home, emulator.base_url, extra={"TMPDIR": str(tmp)})
        env.pop("PYTHONPATH", None)
        log_path = tmp_path / "onefile-app.log"
        with open(log_path, "wb") as out:
            process = subprocess.Popen(
                [str(frozen_onefile), "run"],
                env=env,
                cwd=frozen_onefile.parent,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            find_icon(host, timeout=120)
            assert len(_unpack_folders(tmp)) == 1

            def scraper_child() -> list[psutil.Process]:
                found = []
                for proc in psutil.Process(process.pid).children(recursive=True):
                    try:
                        if "scraper" in proc.cmdline():
                            found.append(proc)
                    except psutil.Error:
                        continue
                return found

            wait_for(scraper_child, 60, "the scraper child stuck in the hanging poll")
            tree = psutil.Process(process.pid).children(recursive=True)
            assert len(tree) >= 2  # the unpacked app and its scraper child
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0, log_path.read_text(errors="replace")
            _gone, alive = psutil.wait_procs(tree, timeout=10)
            assert alive == [], [p.pid for p in alive]
            deadline = time.monotonic() + 10
            while _unpack_folders(tmp) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _unpack_folders(tmp) == []
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def test_frozen_install_browser_uses_the_bundled_driver(
    frozen_exe: Path, tray_home: Path, tmp_path: Path
) -> None:
    """`<exe> install-browser --force` runs the driver inside the build; with no download
    server reachable (as here) it ends with the clear message, exit 1."""
    env = _env(tray_home, PLAYWRIGHT_BROWSERS_PATH=str(tmp_path / "ms-playwright"))
    result = _run(frozen_exe, ["install-browser", "--force"], env)
    assert result.returncode == 1, result.stdout + result.stderr
    # The driver's own output (its stack trace names its files) comes from the bundle.
    assert "Downloading Chrome" in result.stdout or "Downloading Chromium" in result.stdout
    assert str(frozen_exe.parent) in result.stdout
    assert "Could not download Chromium: this machine cannot reach" in result.stderr
    assert "Traceback" not in result.stderr


def test_frozen_autostart_entry_starts_the_frozen_executable(
    frozen_exe: Path, tray_home: Path, tmp_path: Path
) -> None:
    """`<exe> autostart on` writes an XDG entry whose Exec is this executable; off removes it."""
    from claude_tray.autostart import parse_desktop_exec, read_desktop_keys

    env = _env(tray_home, XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / "claude-tray.desktop"
    on = _run(frozen_exe, ["autostart", "on"], env)
    assert on.returncode == 0, on.stderr
    argv = parse_desktop_exec(read_desktop_keys(entry.read_text())["Exec"])
    assert argv == [str(frozen_exe), "run"]
    assert _run(frozen_exe, ["autostart", "status"], env).returncode == 0
    assert _run(frozen_exe, ["autostart", "off"], env).returncode == 0
    assert not entry.exists()
