"""The few settings `status` reads before the full config exists, or None when unsure.

`status` starts its scraper child before it imports the config module (with
dataclasses, inspect and typing, about 10 ms, issue 12), and `status --max-age`
prints fresh cached numbers without it. Both read the settings they need here,
straight from config.toml with the standard library: the source, the icon's
limit and thresholds (for the printed words), and what the runner reads to start
a child (the interpreter, the browser, the time limits).

The answer is either exactly what `config.load_config` gives for each of these
settings, or None: a missing file is the defaults; a file that cannot be read or
is not TOML, or one of these settings with a value the full loader would refuse
(and replace by its default, with a complaint), gives None, and the caller takes
the full path, which says what is wrong. Settings not read here are not looked at:
the full loader checks each setting alone, so they cannot change these.
tests/test_quick_settings.py holds the two readers to each other.

This module must not import the config module, dataclasses, typing, logging or
pydantic, and must never log, write a file or start a process.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing's constant without importing typing (see above)
if TYPE_CHECKING:
    import os
    from typing import Final

_SOURCES: Final = ("auto", "web", "claude-code")
_ICON_LIMITS: Final = ("highest", "session", "weekly")
#: The defaults and bounds of `config.Thresholds` (the full loader's rules).
_THRESHOLD_DEFAULTS: Final = {"moderate": 50.0, "warning": 75.0, "critical": 90.0}
_THRESHOLD_MAX: Final = 1000.0


class QuickThresholds:
    """The three colour thresholds, as `text_format` reads them from `config.Thresholds`."""

    def __init__(
        self, moderate: float = 50.0, warning: float = 75.0, critical: float = 90.0
    ) -> None:
        self.moderate = moderate
        self.warning = warning
        self.critical = critical


class QuickSettings:
    """What `status` reads before the full config: `runner.RunnerSettings` and the
    output's settings, with `config.Config`'s names and defaults."""

    def __init__(
        self,
        source: str = "auto",
        icon_limit: str = "highest",
        thresholds: QuickThresholds | None = None,
        *,
        python_path: str | None = None,
        browser_path: str | None = None,
        poll_timeout_seconds: float = 60.0,
        login_timeout_seconds: float = 300.0,
    ) -> None:
        self.source = source
        self.icon_limit = icon_limit
        self.thresholds = thresholds or QuickThresholds()
        self.python_path = python_path
        self.browser_path = browser_path
        self.poll_timeout_seconds = poll_timeout_seconds
        self.login_timeout_seconds = login_timeout_seconds


def read_settings(text: str | None) -> QuickSettings | None:
    """The settings from the config file's text (None: no file); None when unsure."""
    if text is None:
        return QuickSettings()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return None
    source = raw.get("source", "auto")
    icon_limit = raw.get("icon_limit", "highest")
    if source not in _SOURCES or icon_limit not in _ICON_LIMITS:
        return None
    thresholds = _thresholds(raw.get("thresholds", {}))
    # The bounds and defaults of `config._RULES` and `config.Config`.
    poll_timeout = _number(raw.get("poll_timeout_seconds", 60.0), 5.0, 600.0)
    login_timeout = _number(raw.get("login_timeout_seconds", 300.0), 10.0, 3600.0)
    python_path = raw.get("python_path", "")
    browser_path = raw.get("browser_path", "")
    if thresholds is None or poll_timeout is None or login_timeout is None:
        return None
    if not isinstance(python_path, str) or not isinstance(browser_path, str):
        return None  # TOML has no null: anything but text is refused
    return QuickSettings(
        source=source,
        icon_limit=icon_limit,
        thresholds=thresholds,
        # Blank means "discover it", as `Config` makes it.
        python_path=python_path if python_path.strip() else None,
        browser_path=browser_path if browser_path.strip() else None,
        poll_timeout_seconds=poll_timeout,
        login_timeout_seconds=login_timeout,
    )


def settings_in(path: os.PathLike[str]) -> QuickSettings | None:
    """`read_settings` of the config file at `path`; None when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            text: str | None = handle.read()
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # the full loader says what is wrong with the file
    return read_settings(text)


def _number(value: object, low: float, high: float) -> float | None:
    """`value` as a float if the full loader keeps it (a number, not a boolean, in
    [low, high]; NaN is neither), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if low <= value <= high else None


def _thresholds(table: object) -> QuickThresholds | None:
    if not isinstance(table, dict) or set(table) - set(_THRESHOLD_DEFAULTS):
        return None
    values: dict[str, float] = {}
    for name, default in _THRESHOLD_DEFAULTS.items():
        value = _number(table.get(name, default), 0.0, _THRESHOLD_MAX)
        if value is None:
            return None
        values[name] = value
    if not values["moderate"] <= values["warning"] <= values["critical"]:
        return None
    return QuickThresholds(**values)
