"""What the quick paths import (issue 12): real child processes, the modules they ended with.

The scraper child's poll over plain HTTP must not import pydantic (nor, started
by hand, what only the app's lifeline uses: signals, ctypes, the process tree), nor must
`claude-tray status` (it checks the config and the child's document with the
stdlib readers); `status` must not load the tray, Tk, Pillow, pystray or the
emulator. The tray app's own run is checked by test_gui_tray (no Playwright,
no pydantic after its first poll). Each test runs the real program in a
child with an exit hook that prints `sys.modules`; nothing here measures time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from tests.support.child import REPO
from tests.support.scraper import scraper_env, store_session

#: Runs a module as `python -m` would, then lists every module loaded, on stderr, with
#: how many objects the collector was told to leave alone at the end (`gc.freeze`) and
#: whether it was on then; also the modules loaded when it started its first child (an
#: audit hook on subprocess.Popen).
_WITH_MODULE_LIST = """
import atexit, gc, runpy, sys
atexit.register(lambda: sys.stderr.write(
    "\\nMODULES " + json.dumps(sorted(sys.modules))
    + "\\nFROZEN %d %s\\n" % (gc.get_freeze_count(), "on" if gc.isenabled() else "off")
))
def at_spawn(event, args, said=[]):
    if event == "subprocess.Popen" and not said:
        said.append(True)
        sys.stderr.write("\\nSPAWN " + json.dumps(sorted(sys.modules)) + "\\n")
sys.addaudithook(at_spawn)
import json
sys.argv = [sys.argv[1], *sys.argv[2:]]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""

HEAVY_FOR_STATUS = ("tkinter", "PIL", "pystray", "Xlib", "claude_tray.emulator", "claude_tray.tray")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator("ok") as emu:
        yield emu


def loaded_modules(module: str, args: list[str], env: dict[str, str]) -> tuple[int, set[str]]:
    code, modules, _at_spawn = loaded_modules_and_at_spawn(module, args, env)
    return code, modules


def loaded_modules_and_at_spawn(
    module: str, args: list[str], env: dict[str, str]
) -> tuple[int, set[str], set[str] | None]:
    """The exit code, the modules loaded at the end, and those loaded when the first
    child started (None: it started none)."""
    done = _run_listing(module, args, env)
    marker = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    assert marker, done.stderr[-2000:]
    spawn = [line for line in done.stderr.splitlines() if line.startswith("SPAWN ")]
    at_spawn = set(json.loads(spawn[0][len("SPAWN ") :])) if spawn else None
    return done.returncode, set(json.loads(marker[-1][len("MODULES ") :])), at_spawn


def exit_facts(
    module: str, args: list[str], env: dict[str, str]
) -> tuple[int, set[str], int, bool]:
    """The exit code, the modules loaded at the end, how many objects were frozen then,
    and whether the cyclic collector was on."""
    done = _run_listing(module, args, env)
    lines = done.stderr.splitlines()
    marker = [line for line in lines if line.startswith("MODULES ")]
    collector = [line.split() for line in lines if line.startswith("FROZEN ")]
    assert marker and collector, done.stderr[-2000:]
    modules = set(json.loads(marker[-1][len("MODULES ") :]))
    _, frozen, state = collector[-1]
    return done.returncode, modules, int(frozen), state == "on"


def _run_listing(
    module: str, args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITH_MODULE_LIST, module, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _top(modules: set[str], names: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == n or m.startswith(n + ".") for n in names)}


def test_scraper_poll_over_http_never_imports_pydantic(emulator: Emulator) -> None:
    """The child builds and prints its document with plain json; pydantic stays in the parent."""
    store_session(emulator.session_key)
    code, modules = loaded_modules(
        "claude_tray.scraper", ["poll", "--source", "web"], scraper_env(base_url=emulator.base_url)
    )
    assert code == 0
    assert "claude_tray.usage_parser" in modules  # it did read usage
    assert _top(modules, ("pydantic", "pydantic_core", "playwright", "asyncio")) == set()
    assert _top(modules, HEAVY_FOR_STATUS) == set()
    # The app's rotating log handler is the app's (tempfile and hashlib come with urllib).
    assert _top(modules, ("logging.handlers",)) == set()


def test_scraper_poll_by_hand_loads_no_lifeline_machinery(emulator: Emulator) -> None:
    """Started without the app's lifeline, the child loads no signals, ctypes or process
    tree: only a tied child uses them (tests/test_scraper_lifeline.py checks that one).
    The cyclic collector stays off for the whole poll (it would walk the modules as they
    load), and once the document is out the objects are frozen: the interpreter's exit
    does not walk them either."""
    store_session(emulator.session_key)
    code, modules, frozen, collecting = exit_facts(
        "claude_tray.scraper", ["poll", "--source", "web"], scraper_env(base_url=emulator.base_url)
    )
    assert code == 0
    assert _top(modules, ("ctypes", "signal", "claude_tray.proctree")) == set()
    assert "claude_tray.scraper.lifeline" in modules  # it did look for the lifeline
    assert frozen > 1000  # every module's objects, not a handful
    assert not collecting


def test_status_loads_no_tray_tk_pillow_or_emulator(emulator: Emulator, tmp_path: Path) -> None:
    """`claude-tray status --json` runs core, runner and one child; nothing of the GUI."""
    from tests.support.cli import emulator_env
    from tests.support.cli import store_session as cli_store_session

    home = tmp_path / "home"
    cli_store_session(home, emulator)
    env = emulator_env(home, emulator)
    code, modules = loaded_modules("claude_tray", ["status", "--json"], env)
    assert code == 0
    assert "claude_tray.runner" in modules
    assert _top(modules, HEAVY_FOR_STATUS) == set()
    # The config and the child's document are checked without pydantic (issue 12).
    assert _top(modules, ("pydantic", "pydantic_core")) == set()


#: What `status` needs only for its child's answer (storing it: history, feed, pace).
AFTER_THE_CHILD = (
    "sqlite3",
    "claude_tray.history",
    "claude_tray.feed",
    "claude_tray.pace",
    "claude_tray.adaptive",
)


def test_status_starts_its_child_before_loading_what_only_the_answer_needs(
    emulator: Emulator, tmp_path: Path
) -> None:
    """`status --json` starts its child before it loads the core, the documents, the
    history, feed and pace (the core loads them while the child runs) and without
    ctypes (the Windows job object, the worker's boot alarm and the child's lifeline
    tie need it, not this parent on Linux); a one-shot command with room in its log
    and no config file saved, it never needs logging.handlers or tomllib (issue 12:
    milliseconds before its child starts)."""
    from tests.support.cli import emulator_env, run_cli
    from tests.support.cli import store_session as cli_store_session

    home = tmp_path / "home"
    cli_store_session(home, emulator)
    env = emulator_env(home, emulator)
    assert run_cli(["status", "--json"], env).returncode == 0  # the handshake is cached now
    code, modules, at_spawn = loaded_modules_and_at_spawn("claude_tray", ["status", "--json"], env)
    assert code == 0
    assert at_spawn is not None and "claude_tray.runner" in at_spawn
    assert _top(at_spawn, AFTER_THE_CHILD) == set()
    # The child is started before the core and the documents are imported: it waits
    # for its hand-off line meanwhile (the settings' dataclasses are loaded by then).
    assert (
        _top(at_spawn, ("claude_tray.core", "claude_tray.documents", "claude_tray.enrich")) == set()
    )
    if sys.platform.startswith("linux"):
        assert "ctypes" not in at_spawn
    assert set(AFTER_THE_CHILD) <= modules  # and they were used after it
    assert _top(modules, ("logging.handlers", "tomllib")) == set()
    assert (home / "logs" / "claude-tray.log").stat().st_size > 0  # it did log


#: What `status`'s parent must not have imported when it starts its child (issue 12):
#: the child is started from `quick_settings`, before the config and logging are set up.
BEFORE_THE_CONFIG = ("claude_tray.config", "claude_tray.logsetup", "dataclasses", "logging")


@pytest.mark.parametrize(
    ("config", "debug"),
    [(None, False), ('source = "web"\npoll_timeout_seconds = 45\ninterval_minutes = 7\n', True)],
    ids=["no-config-file", "config-file-and-debug"],
)
def test_status_starts_its_child_before_the_config_and_logging(
    emulator: Emulator, tmp_path: Path, config: str | None, debug: bool
) -> None:
    """`status --json` starts its child before it imports the config module, logging,
    dataclasses and typing (but for the typing that the standard library's TOML
    reader imports when there is a file to read); the core takes that child (the
    full config agrees), and `--debug` reaches it as before."""
    from tests.support.cli import emulator_env, run_cli
    from tests.support.cli import store_session as cli_store_session

    home = tmp_path / "home"
    cli_store_session(home, emulator)
    env = emulator_env(home, emulator)
    if config is not None:
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "config.toml").write_text(config, encoding="utf-8")
    assert run_cli(["status", "--json"], env).returncode == 0  # the handshake is cached now
    args = ["status", "--json", *(["--debug"] if debug else [])]
    code, modules, at_spawn = loaded_modules_and_at_spawn("claude_tray", args, env)
    assert code == 0
    assert at_spawn is not None and "claude_tray.quick_settings" in at_spawn
    assert _top(at_spawn, BEFORE_THE_CONFIG) == set()
    assert ("tomllib" in at_spawn) is (config is not None)  # it read the file, if any
    if config is None:
        assert "typing" not in at_spawn
    assert set(BEFORE_THE_CONFIG) <= modules  # and they were loaded after it
    said = (home / "logs" / "claude-tray.log").read_text(encoding="utf-8").splitlines()
    taken = [line for line in said if "running scraper started ahead: " in line]
    assert len(taken) == 1, said[-20:]
    want = "--source web --debug (time limit 45 s)" if debug else "--source auto (time limit 60 s)"
    assert taken[0].endswith(want), taken
    assert not any("started ahead differs" in line for line in said)


def test_status_max_age_with_fresh_numbers_loads_no_pydantic(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The cached path prints the tray's numbers without pydantic, the core or a child."""
    from tests.support.cli import emulator_env, run_cli
    from tests.support.cli import store_session as cli_store_session

    home = tmp_path / "home"
    cli_store_session(home, emulator)
    env = emulator_env(home, emulator)
    assert run_cli(["status", "--json"], env).returncode == 0  # fills the cache
    polls = emulator.count("/api/organizations/")
    for fmt in ("json", "waybar", "text"):
        code, modules = loaded_modules(
            "claude_tray", ["status", "--format", fmt, "--max-age", "600"], env
        )
        assert code == 0
        assert _top(modules, ("pydantic", "pydantic_core", "claude_tray.core")) == set()
        assert "claude_tray.quick_status" in modules
        # Nothing is logged on this path, so logging (with traceback, threading…) stays out.
        assert _top(modules, ("logging", "threading")) == set()
        # Nor is the whole command line's parser built (quick_arguments reads `status`).
        assert _top(modules, ("argparse", "gettext", "shutil")) == set()
        if fmt == "json":
            # The cache is checked against quick_status's copy of its JSON shape: no
            # documents module, whose dataclasses and typing cost more than the rest.
            assert _top(modules, ("claude_tray.documents", "dataclasses", "typing")) == set()
    assert emulator.count("/api/organizations/") == polls  # no child asked the service
    # Too old for --max-age 0: the full path polls again.
    code, modules = loaded_modules("claude_tray", ["status", "--json", "--max-age", "0"], env)
    assert code == 0 and "claude_tray.core" in modules
    assert emulator.count("/api/organizations/") > polls


def test_the_tray_app_does_not_load_rare_path_modules() -> None:
    """Opening a URL (webbrowser) and macOS's LaunchAgent (plistlib) load on use only."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, claude_tray.app; print(json.dumps(sorted(sys.modules)))",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout))
    assert "claude_tray.app" in modules
    assert _top(modules, ("webbrowser", "plistlib", "playwright", "claude_tray.emulator")) == set()


def test_the_cache_loads_without_pydantic(tmp_path: Path) -> None:
    """The tray's first icon shows cached numbers read by the strict reader, not pydantic."""
    from claude_tray.documents import dump_document
    from claude_tray.paths import AppPaths
    from claude_tray.usage_parser import parse_usage_body
    from tests.support.usage_cases import ALL_CASES

    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tmp_path)})
    paths.usage_cache_file.parent.mkdir(parents=True)
    document = parse_usage_body(ALL_CASES[0].body, source="web")
    paths.usage_cache_file.write_text(dump_document(document) + "\n")
    code = (
        "from claude_tray.paths import AppPaths; from claude_tray.state import AppState;"
        "import sys;"
        "doc = AppState(AppPaths.from_env()).load_cache();"
        "print(doc is not None, 'pydantic' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**scraper_env(), "CLAUDE_TRAY_HOME": str(tmp_path)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split() == ["True", "False"], done.stderr[-2000:]
