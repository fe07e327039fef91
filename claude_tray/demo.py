"""`claude-tray demo`: the real tray app against the built-in claude.ai emulator.

The emulator runs in this process with usage that moves (a session climbs from
a few percent past 100 % in a couple of minutes, then resets), the app polls it
every few seconds, so the icon visibly changes within a minute. Everything the
demo stores lives in its own home (`<cache>/demo`), so the user's real session,
settings and cached numbers are never read or touched; the scraper children
find that home, and the emulator, through `CLAUDE_TRAY_HOME` and
`CLAUDE_TRAY_BASE_URL` / `CLAUDE_TRAY_API_URL`.

This module must NOT talk to anything but 127.0.0.1 and must NOT write outside
the demo home.
"""

from __future__ import annotations

import logging
import os
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


def demo_config(config: Config) -> Config:
    """The user's settings, reading the web source often."""
    # model_copy skips validation: the 15 s interval is below the file's 1 min floor.
    return config.model_copy(update={"source": "web", "interval_minutes": DEMO_INTERVAL_MINUTES})


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
    claude_code_dir = home / "claude-code"  # empty: the real Claude Code login is not read
    claude_code_dir.mkdir(parents=True, exist_ok=True)
    with Emulator(moving=True) as emulator:
        values = {
            "CLAUDE_TRAY_HOME": str(home),
            "CLAUDE_TRAY_BASE_URL": emulator.base_url,
            "CLAUDE_TRAY_API_URL": emulator.base_url,
            "CLAUDE_CONFIG_DIR": str(claude_code_dir),
        }
        with _environment(values):
            log.info("demo: emulator at %s, home %s", emulator.base_url, home)
            yield DemoSetup(
                demo_paths, demo_config(config), emulator.base_url, emulator.session_key
            )


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

    with demo_environment(paths, config) as setup:
        options = StartOptions(
            on_started=_log_in_and_poll(setup.session_key),
            label=DEMO_LABEL,
            # Every 15 s from a local emulator: the service's read budget does not apply.
            reads_per_hour=DEMO_READS_PER_HOUR,
        )
        return start_app(setup.paths, setup.config, options)


__all__ = ["DEMO_INTERVAL_MINUTES", "DemoSetup", "demo_environment", "demo_home", "run_demo"]
