"""The quick `status --max-age` path agrees with the full one (issue 12).

It reads our own cache against `quick_status`'s copy of the documents' JSON
shape instead of `documents.load_document` (its settings come from
`quick_settings`, held to the config loader in test_quick_settings.py); these
tests hold it to the full path's answers. (The strict reader itself is held to pydantic
in test_documents_reference.py.)
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_tray.config import Config
from claude_tray.documents import (
    Account,
    ErrorDocument,
    ExtraUsage,
    Limit,
    Pace,
    UsageDocument,
    dump_document,
    from_json_data,
    load_document,
)
from claude_tray.errors import ErrorCode
from claude_tray.paths import AppPaths
from claude_tray.quick_status import fresh_cache, quick_status, usage_json
from claude_tray.text_format import status_text, waybar_payload
from claude_tray.usage_parser import parse_usage_body
from tests.support.usage_cases import ALL_CASES

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def _with_pace(doc: UsageDocument) -> UsageDocument:
    limits = [
        dataclasses.replace(lim, pace=Pace(elapsed_percent=40.0, projected_percent=lim.percent))
        for lim in doc.limits
    ]
    return dataclasses.replace(doc, limits=limits, notices=["a notice"])


@pytest.mark.parametrize("case", ALL_CASES[::3], ids=lambda case: case.name)
def test_light_loader_reads_what_pydantic_reads(case: Any) -> None:
    """Our own JSON read back without pydantic is the same document, field for field."""
    doc = _with_pace(parse_usage_body(case.body, source="web", now=NOW))
    text = dump_document(doc)
    assert from_json_data(UsageDocument, json.loads(text)) == load_document(text) == doc


@pytest.mark.parametrize(
    ("change", "pydantic_too"),
    [
        ({"limits": "nope"}, True),
        ({"source": "elsewhere"}, True),
        ({"surprise": True}, True),
        ({"schema_version": 2}, True),
        # pydantic's lax mode converts these; the light loader is stricter, so such
        # a file simply takes the full path.
        ({"usage_percent": "42"}, False),
        ({"last_updated": 1700000000}, False),
        ({"limits": [{"id": "s", "kind": "session", "label": "x", "percent": True}]}, False),
        ({"extra_usage": {"enabled": "yes"}}, False),
    ],
)
def test_light_loader_is_at_least_as_strict_as_pydantic(
    change: dict[str, Any], pydantic_too: bool
) -> None:
    raw = json.loads(dump_document(parse_usage_body(ALL_CASES[0].body, source="web", now=NOW)))
    raw.update(change)
    with pytest.raises(ValueError):
        from_json_data(UsageDocument, raw)
    if pydantic_too:
        with pytest.raises(ValueError):
            load_document(json.dumps(raw))


def test_light_loader_reads_an_error_code() -> None:
    doc = ErrorDocument(error=ErrorCode.BUSY, message="m")
    assert from_json_data(ErrorDocument, json.loads(dump_document(doc))) == doc


def _cache(tmp_path: Path, doc: UsageDocument) -> AppPaths:
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tmp_path)})
    paths.usage_cache_file.parent.mkdir(parents=True, exist_ok=True)
    paths.usage_cache_file.write_text(dump_document(doc) + "\n")
    return paths


def _cacheable(doc: UsageDocument) -> UsageDocument:
    return dataclasses.replace(doc, notices=[])  # state.save_cache keeps no notices


def test_fresh_cache_rules(tmp_path: Path) -> None:
    doc = _cacheable(_with_pace(parse_usage_body(ALL_CASES[0].body, source="web", now=NOW)))
    paths = _cache(tmp_path, doc)
    line = dump_document(doc)
    assert fresh_cache(paths, 600, "auto", NOW + timedelta(minutes=5)) == line
    assert fresh_cache(paths, 600, "web", NOW + timedelta(minutes=5)) == line
    assert fresh_cache(paths, 600, "claude-code", NOW) is None  # another source
    assert fresh_cache(paths, 600, "auto", NOW + timedelta(minutes=11)) is None  # too old
    assert fresh_cache(paths, 600, "auto", NOW - timedelta(minutes=5)) is None  # from the future
    paths.usage_cache_file.write_text('{"schema_version": 1')
    assert fresh_cache(paths, 600, "auto", NOW) is None


def test_odd_caches_take_the_full_path(tmp_path: Path) -> None:
    """What the full path reads too, but would print otherwise or with more, is not ours."""
    doc = _cacheable(_with_pace(parse_usage_body(ALL_CASES[0].body, source="web", now=NOW)))
    paths = _cache(tmp_path, doc)
    later = NOW + timedelta(minutes=1)
    assert fresh_cache(paths, 600, "auto", later) is not None
    odd = {
        # indented by hand: the full path reads it and prints it compact
        "indented": json.dumps(json.loads(dump_document(doc)), indent=2),
        # an int where documents.py has a float: the full path prints 31.0
        "int percent": dump_document(doc).replace('"usage_percent":31.0', '"usage_percent":31'),
        # a time not in dump_document's spelling: the full path prints +00:00
        "Z time": dump_document(doc).replace("+00:00", "Z", 1),
    }
    for name, text in odd.items():
        paths.usage_cache_file.write_text(text + "\n")
        assert isinstance(load_document(text), UsageDocument), name  # the full path takes it…
        assert dump_document(load_document(text)) != text, name  # …and prints it otherwise
        assert fresh_cache(paths, 600, "auto", later) is None, name
    # Notices (state.save_cache never keeps them): the full path says them on stderr.
    paths.usage_cache_file.write_text(
        dump_document(dataclasses.replace(doc, notices=["a notice"])) + "\n"
    )
    assert fresh_cache(paths, 600, "auto", later) is None


def _every_field_set() -> UsageDocument:
    """A document with every optional part filled in, so that every field of every
    document class is in its JSON (checked below: a field added to documents.py and
    not set here fails that check)."""
    pace = Pace(elapsed_percent=40.0, projected_percent=80.5, runs_out_at=NOW)
    limit = Limit(
        id="session",
        kind="session",
        label="Current session",
        percent=42.5,
        resets_at=NOW,
        pace=pace,
    )
    return UsageDocument(
        source="web",
        usage_percent=42.5,
        tokens_used=1,
        tokens_limit=2,
        tokens_remaining=1,
        reset_time=NOW + timedelta(microseconds=250),
        last_updated=NOW,
        limits=[limit, dataclasses.replace(limit, id="weekly_all", kind="weekly", pace=None)],
        extra_usage=ExtraUsage(enabled=True, used=4.5, limit=20.0, currency="EUR", percent=22.5),
        account=Account(organization="Société Опус", plan="max"),
    )


def _unset_fields(value: object, where: str = "document") -> list[str]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found = []
        for item in dataclasses.fields(value):
            member = getattr(value, item.name)
            if item.name == "notices":
                continue  # never in the cache (state.save_cache)
            if member is None or member == []:
                found.append(f"{where}.{item.name}")
            found += _unset_fields(member, f"{where}.{item.name}")
        return found
    if isinstance(value, list) and value:
        return _unset_fields(value[0], where)  # the first of a list is the filled-in one
    return []


def test_the_quick_reader_knows_every_field_of_the_documents() -> None:
    """quick_status._USAGE copies documents.py's fields: a new field must be added there too
    (else every cache with it takes the full path, which is slow, not wrong)."""
    full = _every_field_set()
    assert _unset_fields(full) == [], "set the new field in _every_field_set"
    line = dump_document(full)
    assert usage_json(line) == json.loads(line), "add the new field to quick_status._USAGE"
    sparse = UsageDocument(source="claude-code", last_updated=NOW)
    assert usage_json(dump_document(sparse)) == json.loads(dump_document(sparse))


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_the_quick_reader_takes_every_parsed_document(case: Any) -> None:
    doc = _cacheable(_with_pace(parse_usage_body(case.body, source="web", now=NOW)))
    line = dump_document(doc)
    assert usage_json(line) == json.loads(line)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=4)
    | st.datetimes(timezones=st.none() | st.just(timezone.utc)).map(datetime.isoformat)
    | st.sampled_from(["web", "claude-code", "success", "2026-12-01T12:00:00Z"]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=4,
)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path inside decoded JSON."""
    found = [path]
    if isinstance(value, dict):
        for key, member in value.items():
            found += _places(member, (*path, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            found += _places(member, (*path, index))
    return found


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_what_the_quick_reader_takes_the_full_path_prints_the_same(data: st.DataObject) -> None:
    """Change one thing anywhere in a good cache: the quick reader either declines, or the
    full path's strict reader takes it and prints exactly the same line."""
    raw = json.loads(dump_document(_every_field_set()))
    path = data.draw(st.sampled_from(_places(raw)[1:]))
    parent = raw
    for step in path[:-1]:
        parent = parent[step]
    action = data.draw(st.sampled_from(["replace", "delete", "move to the end"]))
    if action == "replace":
        parent[path[-1]] = data.draw(json_values)
    elif isinstance(parent, dict):
        value = parent.pop(path[-1])
        if action == "move to the end":
            parent[path[-1]] = value
    else:
        parent.pop(path[-1])
    line = json.dumps(raw, separators=(",", ":"), ensure_ascii=False)
    if usage_json(line) is None:
        return
    document = load_document(line)
    assert isinstance(document, UsageDocument)
    assert dump_document(document) == line


def test_quick_output_is_the_full_paths_output(tmp_path: Path) -> None:
    """json, waybar and text: the same functions on the same document as the full path."""
    doc = _cacheable(_with_pace(parse_usage_body(ALL_CASES[-1].body, source="web")))
    _cache(tmp_path, doc)
    env = {"CLAUDE_TRAY_HOME": str(tmp_path)}
    config = Config()
    assert quick_status("json", 600, None, env) == dump_document(doc)
    waybar = waybar_payload(doc, config.thresholds, icon_limit=config.icon_limit)
    assert quick_status("waybar", 600, None, env) == json.dumps(waybar, separators=(", ", ": "))
    assert quick_status("text", 600, None, env) == status_text(doc)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text('source = "claude-code"\n')
    assert quick_status("json", 600, None, env) is None  # the cache is from the web
