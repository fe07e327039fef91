"""The PyInstaller one-dir build: the frozen executable runs the app's commands and the scraper.

Builds once per session into a temporary folder (about a minute on a busy
machine), then runs the real executable as child processes against the
emulator on 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import claude_tray
from claude_tray.emulator import Emulator
from claude_tray.icon import LEVEL_COLOURS

ROOT = Path(__file__).resolve().parent.parent


def _load_build() -> Callable[[Path, Path], Path]:
    """packaging/build.py's `build` (loaded by path: `packaging` is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "claude_tray_build", ROOT / "packaging" / "build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build  # type: ignore[no-any-return]


pytestmark = pytest.mark.slow

TIMEOUT = 180  # seconds per child; generous for a shared two-core machine


@pytest.fixture(scope="module")
def frozen_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The frozen `claude-tray` executable, built once for this module."""
    if importlib.util.find_spec("PyInstaller") is None:
        message = "PyInstaller is not installed (pip install -e '.[build]')"
        # CI (.ci/run) requires the real thing; a developer without the extra may skip.
        if os.environ.get("CLAUDE_TRAY_REQUIRE_REAL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("pyinstaller")
    return _load_build()(folder / "dist", folder / "work")


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
        finally:
            app.stop()
