"""`claude-tray status --max-age` when the cached numbers are fresh: no core, no child.

A status bar runs `status --max-age N` every few seconds; printing numbers the
tray already read must cost little more than starting Python (issue 12). This
path reads the usage cache (our own file, written by `state.save_cache` with
`documents.dump_document`) and the three settings the output needs
(`quick_settings`), straight from the files, with the standard library only.
Whenever anything is not plainly fine (no cache, too old, another source, a
setting it cannot read for sure, a cache file that is not exactly what
`dump_document` writes), it answers None and the full `status` path runs
instead, with its validation, its messages and its logs.

For `--format json` it does not even import `documents`: its dataclasses (with
dataclasses, inspect and typing) take about 14 ms to import, more than the rest
of this path. The cache is checked against `_USAGE` below instead, a copy of
the documents' field names and JSON types in dump order that accepts only what
the full path reads back and prints as the same bytes; tests/test_quick_status.py
holds the copy to documents.py (a field it does not know makes the cache take the
full path: slower, never a different answer).

This module must not import pydantic, the core, the config module, Tk or
Pillow (nor, for json, documents, dataclasses or typing), and must never write
a file or start a process.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

from claude_tray.paths import AppPaths
from claude_tray.quick_settings import settings_in

TYPE_CHECKING = False  # typing's constant without importing typing (see above)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, Final

# ---------------------------------------------------------------- the cache file


def _float(value: object) -> bool:
    return type(value) is float  # dump_document writes 31.0, never 31 (nor true)


def _int(value: object) -> bool:
    return type(value) is int


def _str(value: object) -> bool:
    return type(value) is str


def _bool(value: object) -> bool:
    return type(value) is bool


def _time(value: object) -> bool:
    """A UTC time spelt exactly as dump_document spells one (`...T09:00:00+00:00`)."""
    if type(value) is not str:
        return False
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.utcoffset() == timedelta(0) and parsed.isoformat() == value


def _equal(expected: object) -> Callable[[object], bool]:
    return lambda value: type(value) is type(expected) and value == expected


def _one_of(*choices: str) -> Callable[[object], bool]:
    return lambda value: type(value) is str and value in choices


def _optional(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: value is None or check(value)


def _list_of(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: type(value) is list and all(check(item) for item in value)


def _object(shape: Mapping[str, Callable[[object], bool]]) -> Callable[[object], bool]:
    """Exactly these keys in this order (dump_document's), each value passing its check."""
    return lambda value: (
        type(value) is dict
        and list(value) == list(shape)
        and all(check(value[key]) for key, check in shape.items())
    )


#: documents.py's dataclasses as dump_document writes them (fields in order; a parent's
#: document always carries `pace`, null when unknown). `notices` is not here: the cache
#: never keeps them, and a cache with them takes the full path, which prints them.
_PACE: Final = {
    "elapsed_percent": _optional(_float),
    "projected_percent": _optional(_float),
    "runs_out_at": _optional(_time),
}
_LIMIT: Final = {
    "id": _str,
    "kind": _str,
    "label": _str,
    "percent": _float,
    "resets_at": _optional(_time),
    "pace": _optional(_object(_PACE)),
}
_EXTRA_USAGE: Final = {
    "enabled": _bool,
    "used": _optional(_float),
    "limit": _optional(_float),
    "currency": _optional(_str),
    "percent": _optional(_float),
}
_ACCOUNT: Final = {"organization": _optional(_str), "plan": _optional(_str)}
_USAGE: Final = {
    "schema_version": _equal(1),
    "status": _equal("success"),
    "source": _one_of("web", "claude-code"),
    "usage_percent": _optional(_float),
    "tokens_used": _optional(_int),
    "tokens_limit": _optional(_int),
    "tokens_remaining": _optional(_int),
    "reset_time": _optional(_time),
    "last_updated": _time,
    "limits": _list_of(_object(_LIMIT)),
    "extra_usage": _optional(_object(_EXTRA_USAGE)),
    "account": _optional(_object(_ACCOUNT)),
}
_is_usage: Final = _object(_USAGE)


def usage_json(line: str) -> dict[str, Any] | None:
    """The usage document in `line` as JSON data, if the line is exactly what
    dump_document writes for one; else None.

    For such a line `documents.load_document` succeeds and `dump_document` of its
    result gives the line back, byte for byte: that is what the full path prints.
    """
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not _is_usage(raw):
        return None
    # Byte for byte what dump_document writes (compact, its escaping): a file written
    # otherwise, e.g. edited by hand, takes the full path and its checks.
    if json.dumps(raw, separators=(",", ":"), ensure_ascii=False) != line:
        return None
    return raw  # type: ignore[no-any-return]


def _read(path: os.PathLike[str]) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def fresh_cache(
    paths: AppPaths, max_age: float, source: str, now: datetime | None = None
) -> str | None:
    """The cached usage document's JSON line if it is younger than `max_age` s and from
    `source`: exactly what `dump_document` of the full path's reading of it gives."""
    try:
        text = _read(paths.usage_cache_file)
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # the full path logs what is wrong with the file
    if text is None:
        return None
    line = text.removesuffix("\n")  # save_cache ends the file with one
    raw = usage_json(line)
    if raw is None:
        return None
    if source != "auto" and raw["source"] != source:
        return None
    last_updated = datetime.fromisoformat(raw["last_updated"])
    age = ((now or datetime.now(timezone.utc)) - last_updated).total_seconds()
    # A reading from the future (a clock set back) is not trusted as fresh.
    if not -60.0 <= age < max_age:
        return None
    return line


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
    except (OSError, ValueError):
        return None
    settings = settings_in(paths.config_file)
    if settings is None:
        return None
    line = fresh_cache(paths, max_age, source or settings.source)
    if line is None or fmt == "json":
        return line
    # Words need the documents themselves: read with the full path's strict reader.
    from claude_tray.documents import UsageDocument, load_document
    from claude_tray.text_format import status_text, waybar_payload

    try:
        document = load_document(line)
    except ValueError:
        return None
    if not isinstance(document, UsageDocument):
        return None
    if fmt == "waybar":
        payload = waybar_payload(document, settings.thresholds, icon_limit=settings.icon_limit)
        return json.dumps(payload, separators=(", ", ": "))
    return status_text(document)
