"""The README's recommended install: Debian's own Python and apt's pipx install the checkout.

`pipx install` of a copy of the checkout (pip fetches the dependencies from
the package index) into a temporary PIPX_HOME and PIPX_BIN_DIR, then the
installed `claude-tray` prints its version and reads the emulator through its
own scraper child. Nothing of the developer's venv or the checkout is on the
path of the installed command.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import claude_tray
from claude_tray.emulator import Emulator
from tests.support.child import REPO

pytestmark = pytest.mark.slow

SYSTEM_PYTHON = Path("/usr/bin/python3")
PIPX = shutil.which("pipx", path="/usr/bin")
TIMEOUT = 600  # pip downloads Playwright (about 40 MB) on a shared machine

#: What `pipx install` needs from the checkout; the rest (venvs, builds, CI caches such as
#: the Wine stage's .ci-cache) stays out.
_SOURCES = ("pyproject.toml", "README.md", "claude_tray")


def _require_pipx() -> str:
    if PIPX is None or not SYSTEM_PYTHON.exists():
        message = "apt's pipx and /usr/bin/python3 are needed (apt install pipx python3-venv)"
        if os.environ.get("CLAUDE_TRAY_REQUIRE_REAL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return PIPX


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `claude-tray` command of a fresh pipx install of this checkout."""
    pipx = _require_pipx()
    base = tmp_path_factory.mktemp("pipx")
    source = base / "claude-tray-src"
    source.mkdir()
    for name in _SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(REPO / name, source / name)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "PIPX_", "CLAUDE_TRAY_"))
    }
    env.update(
        PIPX_HOME=str(base / "home"),
        PIPX_BIN_DIR=str(base / "bin"),
        PIPX_MAN_DIR=str(base / "man"),
        # The pyenv shims must not decide which Python pipx uses.
        PATH="/usr/local/bin:/usr/bin:/bin",
    )
    done = subprocess.run(
        [pipx, "install", "--python", str(SYSTEM_PYTHON), str(source)],
        env=env,
        cwd=base,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    command = base / "bin" / "claude-tray"
    assert command.exists(), done.stdout
    yield command


def _env(home: Path, emulator: Emulator) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "CLAUDE_TRAY_", "VIRTUAL_ENV"))
    }
    env.update(
        CLAUDE_TRAY_HOME=str(home),
        CLAUDE_TRAY_BASE_URL=emulator.base_url,
        CLAUDE_TRAY_API_URL=emulator.base_url,
        CLAUDE_CONFIG_DIR=str(home / "no-claude-code"),
        PATH="/usr/local/bin:/usr/bin:/bin",
    )
    return env


def _run(
    command: Path, args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(command), *args],
        env=env,
        cwd=command.parent,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_pipx_install_runs_on_debians_python(installed: Path, tmp_path: Path) -> None:
    """The installed command runs on /usr/bin/python3 and prints the checkout's version."""
    with Emulator("ok") as emulator:
        done = _run(installed, ["--version"], _env(tmp_path / "home", emulator))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"claude-tray {claude_tray.__version__}"
    # pipx's venv is made from Debian's Python, not the pyenv one running the tests.
    config = (installed.resolve().parent.parent / "pyvenv.cfg").read_text()
    assert "home = /usr/bin" in config


def test_pipx_install_reads_the_emulator(installed: Path, tmp_path: Path) -> None:
    """`status --json` of the installed command polls the emulator through its own child."""
    with Emulator("ok") as emulator:
        emulator.set_usage(session=23.0, weekly=61.0, scoped={"Fable": 4.0})
        env = _env(tmp_path / "home", emulator)
        login = _run(installed, ["login", "--session-key", "-"], env, stdin=emulator.session_key)
        assert login.returncode == 0, login.stdout + login.stderr
        before = emulator.count("/api/organizations")
        done = _run(installed, ["status", "--json", "--source", "web"], env)
        assert done.returncode == 0, done.stdout + done.stderr
        document = json.loads(done.stdout)
        assert emulator.count("/api/organizations") > before
    assert document["status"] == "success"
    assert {limit["id"]: limit["percent"] for limit in document["limits"]} == {
        "session": 23.0,
        "weekly_all": 61.0,
        "weekly_fable": 4.0,
    }
    assert emulator.session_key not in done.stdout + done.stderr + login.stdout + login.stderr
