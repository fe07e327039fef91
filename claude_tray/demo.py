"""`claude-tray demo`: the real tray app against the built-in claude.ai emulator.

The emulator runs in this process with usage that moves (a session climbs from
a few percent past 100 % in a couple of minutes, then resets), the app polls it
every few seconds, so the icon visibly changes within a minute. Everything the
demo stores lives in its own home (`<cache>/demo`): its session, cached numbers,
its log (the user's log gets not one line of it) and its settings, which the
next demo run starts from (the first run starts from the user's). The scraper
children find that home, and the emulator, through `CLAUDE_TRAY_HOME` and
`CLAUDE_TRAY_BASE_URL` / `CLAUDE_TRAY_API_URL`. Settings count the demo's
interval in seconds (`popup.settings.DEMO_SECONDS`); the real app keeps its
1–1440 minutes.

This module must NOT talk to anything but 127.0.0.1 and must NOT write outside
the demo home.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claude_tray.config import Config
from claude_tray.paths import AppPaths

log = logging.getLogger(__name__)

#: Minutes between polls in the demo (15 s; below the 1-minute floor of the
#: settings file on purpose, so the movement shows).
DEMO_INTERVAL_MINUTES = 0.25
DEMO_LABEL = "demo"
#: The demo's read budget: far above its 240 polls an hour (it reads 127.0.0.1 only).
DEMO_READS_PER_HOUR = 100_000

_ENV_KEYS = ("CLAUDE_TRAY_HOME", "CLAUDE_TRAY_BASE_URL", "CLAUDE_TRAY_API_URL", "CLAUDE_CONFIG_DIR")


def demo_home(paths: AppPaths) -> Path:
    """The demo's own CLAUDE_TRAY_HOME, inside the user's cache folder."""
    return paths.cache_dir / "demo"


def demo_config(config: Config, saved: Path | None = None) -> Config:
    """The demo's settings: those saved by an earlier demo run (`saved`), else the user's;
    reading the web source, every 15 s unless the demo's own settings say otherwise."""
    interval = DEMO_INTERVAL_MINUTES
    if saved is not None and saved.exists():
        config, interval = _saved_demo_config(saved, config)
    # A Config checks nothing when built: the 15 s interval is below the file's 1 min floor.
    return dataclasses.replace(config, source="web", interval_minutes=interval)


def _saved_demo_config(path: Path, fallback: Config) -> tuple[Config, float]:
    """The demo's own config file, and its interval even when below the file's 1-minute floor.

    The config loader refuses an interval under a minute (the real app's limit) and
    keeps the default; the demo saved its seconds there on purpose, so they are read
    back here from the file itself.
    """
    from claude_tray.config import load_config

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the same fallback as claude_tray.config
        import tomli as tomllib

    loaded = load_config(path)
    interval = DEMO_INTERVAL_MINUTES
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("interval_minutes")
    except (OSError, ValueError):
        return fallback, interval
    lowest, highest = DEMO_SECONDS_RANGE
    number = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    if number and lowest / 60 <= float(raw) <= highest / 60:
        interval = float(raw)
    return loaded.config, interval


#: The demo's interval limits in seconds (the same as popup.settings.DEMO_SECONDS).
DEMO_SECONDS_RANGE = (5, 3600)


@dataclass(frozen=True)
class DemoSetup:
    """What the app needs to run against the emulator."""

    paths: AppPaths
    config: Config
    base_url: str
    session_key: str


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def demo_environment(paths: AppPaths, config: Config) -> Iterator[DemoSetup]:
    """Start the moving emulator and point this process and its children at it."""
    from claude_tray.emulator import Emulator

    home = demo_home(paths)
    demo_paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(home)})
    demo_paths.ensure()
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    _log_into(demo_paths, debug)
    claude_code_dir = home / "claude-code"  # empty: the real Claude Code login is not read
    claude_code_dir.mkdir(parents=True, exist_ok=True)
    with Emulator(moving=True) as emulator:
        values = {
            "CLAUDE_TRAY_HOME": str(home),
            "CLAUDE_TRAY_BASE_URL": emulator.base_url,
            "CLAUDE_TRAY_API_URL": emulator.base_url,
            "CLAUDE_CONFIG_DIR": str(claude_code_dir),
        }
        try:
            with _environment(values):
                log.info("demo: emulator at %s, home %s", emulator.base_url, home)
                yield DemoSetup(
                    demo_paths,
                    demo_config(config, demo_paths.config_file),
                    emulator.base_url,
                    emulator.session_key,
                )
        finally:
            _log_into(paths, debug)  # the user's own log again


def _log_into(paths: AppPaths, debug: bool) -> None:
    """From here on, log to the log file of `paths` (with --debug, to stderr too)."""
    from claude_tray.logsetup import setup_logging

    setup_logging(paths, debug=debug)


def _log_in_and_poll(session_key: str) -> Any:
    def on_started(core: Any) -> bool:
        # The core's worker runs submitted commands before scheduled polls: the
        # login with the emulator's key (which refreshes when it succeeds) runs
        # first, then the app starts polling as usual.
        core.manual_login(session_key=session_key)
        return False

    return on_started


def run_demo(paths: AppPaths, config: Config) -> int:
    """Run the tray app against the emulator until Quit."""
    from claude_tray.app import StartOptions, start_app
    from claude_tray.popup.settings import DEMO_SECONDS

    with demo_environment(paths, config) as setup:
        options = StartOptions(
            on_started=_log_in_and_poll(setup.session_key),
            label=DEMO_LABEL,
            # Every 15 s from a local emulator: the service's read budget does not apply.
            reads_per_hour=DEMO_READS_PER_HOUR,
            interval_rule=DEMO_SECONDS,
        )
        return start_app(setup.paths, setup.config, options)


__all__ = ["DEMO_INTERVAL_MINUTES", "DemoSetup", "demo_environment", "demo_home", "run_demo"]
