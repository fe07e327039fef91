"""The user's settings: a TOML file in the config folder, validated by pydantic.

A broken or partly wrong file never stops the app: every setting that is wrong
falls back to its default and the loader says what it ignored. The loader never
writes; only `save_config` (an explicit "save settings") replaces the file,
atomically. This module must not start processes or touch the UI.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from claude_tray.fileio import atomic_write

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SourceChoice = Literal["auto", "web", "claude-code"]
IconLimit = Literal["highest", "session", "weekly"]


class Thresholds(BaseModel):
    """Where the icon's colour changes, in percent of a limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    moderate: float = Field(50.0, ge=0, le=1000)
    warning: float = Field(75.0, ge=0, le=1000)
    critical: float = Field(90.0, ge=0, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.moderate <= self.warning <= self.critical:
            raise ValueError("thresholds must be ordered: moderate <= warning <= critical")
        return self


class Config(BaseModel):
    """Every setting, with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Minutes between automatic polls.
    interval_minutes: float = Field(5.0, ge=1, le=24 * 60)
    #: Which source to read: the web session, Claude Code's login, or whichever exists.
    source: SourceChoice = "auto"
    #: Which limit the icon shows.
    icon_limit: IconLimit = "highest"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    #: Notify when a limit crosses these percentages upward, and on reset after the last.
    notify_thresholds: tuple[Annotated[float, Field(ge=0, le=1000)], ...] = (75.0, 90.0)
    notifications: bool = True
    #: A Chromium-family executable for login and the browser path (None: discover).
    browser_path: str | None = None
    #: The Python that runs the scraper in source installs (None: this interpreter).
    python_path: str | None = None
    #: Seconds a browser login may take before it ends with login_timeout.
    login_timeout_seconds: float = Field(300.0, ge=10, le=3600)
    #: Seconds one poll may take before the runner ends the child.
    poll_timeout_seconds: float = Field(60.0, ge=5, le=600)
    #: "adaptive": the interval is the longest wait, shorter while usage moves or is near
    #: a threshold or a reset; "fixed": always the interval.
    poll_mode: Literal["adaptive", "fixed"] = "adaptive"
    #: Colour the icon by the percent projected at the reset (the pace), not the percent used.
    icon_colour_follows_pace: bool = False
    #: Days of readings the local history keeps (`claude-tray history`, pace, sparklines).
    history_days: int = Field(90, ge=1, le=3650)

    @field_validator("browser_path", "python_path")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        # An emptied field in the file or the settings dialog means "discover it".
        return None if value is None or not value.strip() else value


@dataclass
class LoadedConfig:
    """A config and what was wrong with the file it came from."""

    config: Config
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


def _reason(exc: ValidationError) -> str:
    return str(exc.errors()[0].get("msg", "invalid value"))


def _from_toml(value: Any) -> Any:
    """TOML arrays arrive as lists; the model's sequences are tuples (one level is enough)."""
    return tuple(value) if isinstance(value, list) else value


def _check_field(model: type[BaseModel], key: str, value: Any) -> None:
    """Validate one setting on its own, strictly; raises ValidationError.

    Strict because a TOML file has real types: `interval_minutes = true` must not
    quietly become one minute, nor `"10"` ten. Python callers (the settings
    dialog) keep pydantic's ordinary conversions.
    """
    field_info = model.model_fields[key]
    # cast: the annotation is only known at run time, which mypy cannot type.
    annotated = cast(Any, Annotated[field_info.annotation, field_info])
    TypeAdapter(annotated).validate_python(value, strict=True)


def _thresholds_table(value: Any, problems: list[str]) -> dict[str, Any] | None:
    """Keep the sub-settings of `[thresholds]` that are valid; None drops the table."""
    if not isinstance(value, dict):
        problems.append("setting 'thresholds' ignored (it must be a table); using the default")
        return None
    kept: dict[str, Any] = {}
    for key, sub in value.items():
        name = f"thresholds.{key}"
        if key not in Thresholds.model_fields:
            problems.append(f"unknown setting '{name}' ignored")
            continue
        try:
            _check_field(Thresholds, key, sub)
        except ValidationError as exc:
            problems.append(f"setting '{name}' ignored ({_reason(exc)}); using the default")
            continue
        kept[key] = sub
    try:
        Thresholds.model_validate(kept, strict=True)
    except ValidationError as exc:  # valid one by one, but not in order
        problems.append(f"setting 'thresholds' ignored ({_reason(exc)}); using the defaults")
        return None
    return kept


def _drop_bad_fields(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Keep the fields that validate on their own; name each one dropped."""
    kept: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in Config.model_fields:
            problems.append(f"unknown setting '{key}' ignored")
            continue
        if key == "thresholds":
            table = _thresholds_table(value, problems)
            if table is not None:
                kept[key] = table
            continue
        value = _from_toml(value)
        try:
            _check_field(Config, key, value)
        except ValidationError as exc:
            problems.append(f"setting '{key}' ignored ({_reason(exc)}); using the default")
            continue
        kept[key] = value
    return kept


def parse_config(text: str) -> LoadedConfig:
    """A config from TOML text; never raises, falls back per setting."""
    problems: list[str] = []
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return LoadedConfig(Config(), [f"the file is not valid TOML ({exc}); using defaults"])
    except RecursionError:  # tomllib recurses into nested arrays and tables
        return LoadedConfig(Config(), ["the file is nested too deeply to read; using defaults"])
    kept = _drop_bad_fields(raw, problems)
    try:
        config = Config.model_validate(kept, strict=True)
    except ValidationError as exc:  # fields valid alone but not together
        problems.append(f"settings ignored ({exc.error_count()} problems); using defaults")
        config = Config()
    return LoadedConfig(config, problems)


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

    data = config.model_dump(mode="json", exclude_none=True)
    return tomli_w.dumps(data)


def save_config(path: Path, config: Config) -> None:
    """Replace the config file atomically (only on an explicit save by the user)."""
    atomic_write(path, config_to_toml(config), mode=0o600)
