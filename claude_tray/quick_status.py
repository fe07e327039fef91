"""`claude-tray status --max-age` when the cached numbers are fresh: no pydantic, no core.

A status bar runs `status --max-age N` every few seconds; printing numbers the
tray already read must cost little more than starting Python (issue 12). This
path reads the usage cache (our own file, written after validation) and the
three settings the output needs, straight from the files, with the standard
library only. Whenever anything is not plainly fine (no cache, too old, another
source, a setting it cannot read for sure, an odd cache file), it answers None
and the full `status` path runs instead, with its validation, its messages and
its logs.

This module must not import pydantic, the core, the config module, Tk or
Pillow, and must never write a file or start a process.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

from claude_tray.documents import UsageDocument, dump_document, load_document
from claude_tray.paths import AppPaths

_SOURCES: Final = ("auto", "web", "claude-code")
_ICON_LIMITS: Final = ("highest", "session", "weekly")
#: The defaults and bounds of `config.Thresholds` (the full loader's rules).
_THRESHOLD_DEFAULTS: Final = {"moderate": 50.0, "warning": 75.0, "critical": 90.0}
_THRESHOLD_MAX: Final = 1000.0


@dataclass(frozen=True)
class QuickThresholds:
    """The three colour thresholds, as `text_format` reads them from `config.Thresholds`."""

    moderate: float = 50.0
    warning: float = 75.0
    critical: float = 90.0


@dataclass(frozen=True)
class QuickSettings:
    source: str = "auto"
    icon_limit: str = "highest"
    thresholds: QuickThresholds = QuickThresholds()


def read_settings(text: str | None) -> QuickSettings | None:
    """The settings `status` needs from the config file's text; None when unsure.

    A missing file is the defaults. A file that is not TOML, or one of these
    three settings with a value the full loader would refuse, gives None: the
    full path then says what is wrong. Other settings are not looked at.
    """
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
    if thresholds is None:
        return None
    return QuickSettings(source=source, icon_limit=icon_limit, thresholds=thresholds)


def _thresholds(table: object) -> QuickThresholds | None:
    if not isinstance(table, dict) or set(table) - set(_THRESHOLD_DEFAULTS):
        return None
    values: dict[str, float] = {}
    for name, default in _THRESHOLD_DEFAULTS.items():
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if not (math.isfinite(value) and 0 <= value <= _THRESHOLD_MAX):
            return None
        values[name] = float(value)
    if not values["moderate"] <= values["warning"] <= values["critical"]:
        return None
    return QuickThresholds(**values)


def _read(path: os.PathLike[str]) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def fresh_cache(
    paths: AppPaths, max_age: float, source: str, now: datetime | None = None
) -> UsageDocument | None:
    """The cached usage document if it is younger than `max_age` s and from `source`."""
    try:
        text = _read(paths.usage_cache_file)
        if text is None:
            return None
        document = load_document(text)  # the strict reader state.load_cache uses too
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # the full path logs what is wrong with the file
    if not isinstance(document, UsageDocument):
        return None
    if source != "auto" and document.source != source:
        return None
    age = ((now or datetime.now(timezone.utc)) - document.last_updated).total_seconds()
    # A reading from the future (a clock set back) is not trusted as fresh.
    if not -60.0 <= age < max_age:
        return None
    return document


def quick_status(
    fmt: str, max_age: float, source: str | None, env: Mapping[str, str] | None = None
) -> str | None:
    """What `status --max-age` prints when the cache answers, else None (run the full path).

    `source` is `--source` (None: the config's). Only a good reading is
    printed here; anything else (an error, no numbers) is the full path's.
    """
    env = os.environ if env is None else env
    try:
        paths = AppPaths.from_env(env)
        settings = read_settings(_read(paths.config_file))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if settings is None:
        return None
    document = fresh_cache(paths, max_age, source or settings.source)
    if document is None:
        return None
    if fmt == "json":
        return dump_document(document)
    if fmt == "waybar":
        from claude_tray.text_format import waybar_payload

        payload: dict[str, Any] = waybar_payload(
            document, settings.thresholds, icon_limit=settings.icon_limit
        )
        return json.dumps(payload, separators=(", ", ": "))
    from claude_tray.text_format import status_text

    return status_text(document)
