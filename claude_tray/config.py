"""The user's settings: a TOML file in the config folder, checked setting by setting.

A broken or partly wrong file never stops the app: every setting that is wrong
falls back to its default and the loader says what it ignored. The loader never
writes; only `save_config` (an explicit "save settings") replaces the file,
atomically. The settings are stdlib dataclasses and their rules are written
out here (`_RULES`), so the tray and `status` start without pydantic (about
15 MB and 0.1 s of CPU, issue 12); the sentences are the ones pydantic used to
give. This module must not start processes, touch the UI, or import pydantic.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from claude_tray.fileio import atomic_write

SourceChoice = Literal["auto", "web", "claude-code"]
IconLimit = Literal["highest", "session", "weekly"]
PollMode = Literal["adaptive", "fixed"]

#: One setting's rule: None when the value is good, else the sentence saying why not.
Rule = Callable[[object], "str | None"]


@dataclass(frozen=True)
class _Number:
    """A number within [low, high]; `integer` refuses floats (and booleans always).

    Strict because a TOML file has real types: `interval_minutes = true` must not
    quietly become one minute, nor `"10"` ten.
    """

    low: int
    high: int
    integer: bool = False

    def __call__(self, value: object) -> str | None:
        if self.integer:
            if type(value) is not int:
                return "Input should be a valid integer"
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            return "Input should be a valid number"
        assert isinstance(value, (int, float))
        # `not <=` first: NaN fails both comparisons and is named by the upper bound.
        if not value <= self.high:
            return f"Input should be less than or equal to {self.high}"
        if not value >= self.low:
            return f"Input should be greater than or equal to {self.low}"
        return None


@dataclass(frozen=True)
class _Numbers:
    """A tuple of numbers, each within the bounds (TOML's array, made a tuple)."""

    each: _Number

    def __call__(self, value: object) -> str | None:
        if not isinstance(value, tuple):
            return "Input should be a valid tuple"
        return next((p for p in map(self.each, value) if p is not None), None)


def _choice(*choices: str) -> Rule:
    quoted = [repr(choice) for choice in choices]
    sentence = f"Input should be {', '.join(quoted[:-1])} or {quoted[-1]}"
    return lambda value: None if isinstance(value, str) and value in choices else sentence


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else "Input should be a valid boolean"


def _text_or_none(value: object) -> str | None:
    return None if value is None or isinstance(value, str) else "Input should be a valid string"


def _float_fields(instance: object, rules: dict[str, Rule]) -> None:
    # Frozen dataclasses: an int given for a float setting is stored as a float
    # once, at construction, so equality, the dialog and the saved file see 10.0.
    for name, rule in rules.items():
        value = getattr(instance, name)
        if isinstance(rule, _Number) and not rule.integer and type(value) is int:
            object.__setattr__(instance, name, float(value))
        elif isinstance(rule, _Numbers) and isinstance(value, tuple):
            floats = tuple(float(v) if type(v) is int else v for v in value)
            object.__setattr__(instance, name, floats)


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Where the icon's colour changes, in percent of a limit.

    Constructing one checks nothing: the file's rules are applied by
    `parse_config` and `problems_of` (the settings dialog).
    """

    moderate: float = 50.0
    warning: float = 75.0
    critical: float = 90.0

    def __post_init__(self) -> None:
        _float_fields(self, _THRESHOLD_RULES)


_THRESHOLD_RULES: dict[str, Rule] = {
    "moderate": _Number(0, 1000),
    "warning": _Number(0, 1000),
    "critical": _Number(0, 1000),
}
_UNORDERED = "Value error, thresholds must be ordered: moderate <= warning <= critical"


def _order_problem(thresholds: Thresholds) -> str | None:
    ordered = thresholds.moderate <= thresholds.warning <= thresholds.critical
    return None if ordered else _UNORDERED


@dataclass(frozen=True, kw_only=True)
class Config:
    """Every setting, with its default.

    Constructing one checks nothing (code that builds one is trusted: the demo
    keeps an interval of seconds below the file's 1-minute floor); the file's
    rules are applied by `parse_config`, and `problems_of` names what breaks them.
    """

    #: Minutes between automatic polls.
    interval_minutes: float = 5.0
    #: Which source to read: the web session, Claude Code's login, or whichever exists.
    source: SourceChoice = "auto"
    #: Which limit the icon shows.
    icon_limit: IconLimit = "highest"
    thresholds: Thresholds = field(default_factory=Thresholds)
    #: Notify when a limit crosses these percentages upward, and on reset after the last.
    notify_thresholds: tuple[float, ...] = (75.0, 90.0)
    notifications: bool = True
    #: A Chromium-family executable for login and the browser path (None: discover).
    browser_path: str | None = None
    #: The Python that runs the scraper in source installs (None: this interpreter).
    python_path: str | None = None
    #: Seconds a browser login may take before it ends with login_timeout.
    login_timeout_seconds: float = 300.0
    #: Seconds one poll may take before the runner ends the child.
    poll_timeout_seconds: float = 60.0
    #: "adaptive": the interval is the longest wait, shorter while usage moves or is near
    #: a threshold or a reset; "fixed": always the interval.
    poll_mode: PollMode = "adaptive"
    #: Colour the icon by the percent projected at the reset (the pace), not the percent used.
    icon_colour_follows_pace: bool = False
    #: Days of readings the local history keeps (`claude-tray history`, pace, sparklines).
    history_days: int = 90

    def __post_init__(self) -> None:
        _float_fields(self, _RULES)
        # An emptied field in the file or the settings dialog means "discover it".
        for name in ("browser_path", "python_path"):
            value = getattr(self, name)
            if isinstance(value, str) and not value.strip():
                object.__setattr__(self, name, None)


#: The file's rule for every setting but `thresholds` (a table, `_THRESHOLD_RULES`).
_RULES: dict[str, Rule] = {
    "interval_minutes": _Number(1, 24 * 60),
    "source": _choice("auto", "web", "claude-code"),
    "icon_limit": _choice("highest", "session", "weekly"),
    "notify_thresholds": _Numbers(_Number(0, 1000)),
    "notifications": _boolean,
    "browser_path": _text_or_none,
    "python_path": _text_or_none,
    "login_timeout_seconds": _Number(10, 3600),
    "poll_timeout_seconds": _Number(5, 600),
    "poll_mode": _choice("adaptive", "fixed"),
    "icon_colour_follows_pace": _boolean,
    "history_days": _Number(1, 3650, integer=True),
}
assert set(_RULES) | {"thresholds"} == {item.name for item in dataclasses.fields(Config)}


def problems_of(config: Config) -> list[str]:
    """What in `config` breaks the file's rules, one sentence each (empty: none)."""
    found = [_RULES[name](getattr(config, name)) for name in _RULES]
    found += [rule(getattr(config.thresholds, name)) for name, rule in _THRESHOLD_RULES.items()]
    problems = [problem for problem in found if problem is not None]
    order = _order_problem(config.thresholds)
    return problems if problems or order is None else [order]


@dataclass
class LoadedConfig:
    """A config and what was wrong with the file it came from."""

    config: Config
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


def _from_toml(value: Any) -> Any:
    """TOML arrays arrive as lists; the settings' sequences are tuples (one level is enough)."""
    return tuple(value) if isinstance(value, list) else value


def _thresholds_table(value: Any, problems: list[str]) -> Thresholds | None:
    """The thresholds from the valid sub-settings of `[thresholds]`; None drops the table."""
    if not isinstance(value, dict):
        problems.append("setting 'thresholds' ignored (it must be a table); using the default")
        return None
    kept: dict[str, Any] = {}
    for key, sub in value.items():
        name = f"thresholds.{key}"
        rule = _THRESHOLD_RULES.get(key)
        if rule is None:
            problems.append(f"unknown setting '{name}' ignored")
            continue
        problem = rule(sub)
        if problem is not None:
            problems.append(f"setting '{name}' ignored ({problem}); using the default")
            continue
        kept[key] = sub
    thresholds = Thresholds(**kept)
    problem = _order_problem(thresholds)
    if problem is not None:  # valid one by one, but not in order
        problems.append(f"setting 'thresholds' ignored ({problem}); using the defaults")
        return None
    return thresholds


def _drop_bad_fields(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Keep the fields that are valid on their own; name each one dropped."""
    kept: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "thresholds":
            table = _thresholds_table(value, problems)
            if table is not None:
                kept[key] = table
            continue
        rule = _RULES.get(key)
        if rule is None:
            problems.append(f"unknown setting '{key}' ignored")
            continue
        value = _from_toml(value)
        problem = rule(value)
        if problem is not None:
            problems.append(f"setting '{key}' ignored ({problem}); using the default")
            continue
        kept[key] = value
    return kept


def parse_config(text: str) -> LoadedConfig:
    """A config from TOML text; never raises, falls back per setting."""
    # Imported here: without a config file (nothing saved yet) no TOML is read,
    # and `status` starts its child a millisecond or two sooner (issue 12).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    problems: list[str] = []
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return LoadedConfig(Config(), [f"the file is not valid TOML ({exc}); using defaults"])
    except RecursionError:  # tomllib recurses into nested arrays and tables
        return LoadedConfig(Config(), ["the file is nested too deeply to read; using defaults"])
    # Every setting is checked alone and no rule spans two settings (the
    # thresholds' order is checked inside their table), so what is kept is valid.
    return LoadedConfig(Config(**_drop_bad_fields(raw, problems)), problems)


def load_config(path: Path) -> LoadedConfig:
    """Read the config file; a missing file is the defaults, without a problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadedConfig(Config(), [], path)
    except (OSError, UnicodeDecodeError) as exc:
        return LoadedConfig(Config(), [f"could not read {path} ({exc}); using defaults"], path)
    loaded = parse_config(text)
    loaded.path = path
    return loaded


def config_to_toml(config: Config) -> str:
    """TOML text for a config, settings that are None left out (TOML has no null)."""
    import tomli_w

    data = {key: value for key, value in dataclasses.asdict(config).items() if value is not None}
    return tomli_w.dumps(data)


def save_config(path: Path, config: Config) -> None:
    """Replace the config file atomically (only on an explicit save by the user)."""
    atomic_write(path, config_to_toml(config), mode=0o600)
