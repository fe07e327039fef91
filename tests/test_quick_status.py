"""The quick `status --max-age` path agrees with the full one (issue 12).

It reads our own cache with `documents.from_json_data` instead of pydantic and
three settings with `quick_status.read_settings` instead of the config
loader; these tests hold both to the full path's answers.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_tray.config import Config, parse_config
from claude_tray.documents import (
    ErrorDocument,
    Pace,
    UsageDocument,
    dump_document,
    from_json_data,
    load_document,
)
from claude_tray.errors import ErrorCode
from claude_tray.paths import AppPaths
from claude_tray.quick_status import fresh_cache, quick_status, read_settings
from claude_tray.text_format import status_text, waybar_payload
from claude_tray.usage_parser import parse_usage_body
from tests.support.usage_cases import ALL_CASES

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def _with_pace(doc: UsageDocument) -> UsageDocument:
    import dataclasses

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


toml_value = (
    st.sampled_from(["auto", "web", "claude-code", "highest", "session", "weekly", "x"])
    | st.booleans()
    | st.integers(-5, 1200)
    | st.floats(-5, 1200, allow_nan=False)
)
thresholds_table = st.dictionaries(
    st.sampled_from(["moderate", "warning", "critical", "other"]), toml_value, max_size=3
)
config_tables = st.fixed_dictionaries(
    {},
    optional={
        "source": toml_value,
        "icon_limit": toml_value,
        "thresholds": thresholds_table | toml_value,
        "interval_minutes": toml_value,
    },
)


def _toml(table: dict[str, Any]) -> str:
    import tomli_w

    return tomli_w.dumps(table)


@settings(max_examples=300, deadline=None)
@given(config_tables)
def test_settings_agree_with_the_config_loader(table: dict[str, Any]) -> None:
    """Where the quick reader answers, it answers what the full loader does; else it defers."""
    text = _toml(table)
    quick = read_settings(text)
    loaded = parse_config(text)
    ours = [p for p in loaded.problems if p.split("'")[1:2] != ["interval_minutes"]]
    if quick is None:
        assert ours, "the quick reader deferred, so the full loader must have a complaint"
        return
    config = loaded.config
    assert (quick.source, quick.icon_limit) == (config.source, config.icon_limit)
    got = quick.thresholds
    want = config.thresholds
    assert (got.moderate, got.warning, got.critical) == (
        want.moderate,
        want.warning,
        want.critical,
    )


def test_missing_or_broken_config() -> None:
    assert read_settings(None) is not None
    assert read_settings("source = [") is None


def _cache(tmp_path: Path, doc: UsageDocument) -> AppPaths:
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tmp_path)})
    paths.usage_cache_file.parent.mkdir(parents=True, exist_ok=True)
    paths.usage_cache_file.write_text(dump_document(doc) + "\n")
    return paths


def test_fresh_cache_rules(tmp_path: Path) -> None:
    doc = _with_pace(parse_usage_body(ALL_CASES[0].body, source="web", now=NOW))
    paths = _cache(tmp_path, doc)
    assert fresh_cache(paths, 600, "auto", NOW + timedelta(minutes=5)) == doc
    assert fresh_cache(paths, 600, "web", NOW + timedelta(minutes=5)) == doc
    assert fresh_cache(paths, 600, "claude-code", NOW) is None  # another source
    assert fresh_cache(paths, 600, "auto", NOW + timedelta(minutes=11)) is None  # too old
    assert fresh_cache(paths, 600, "auto", NOW - timedelta(minutes=5)) is None  # from the future
    paths.usage_cache_file.write_text('{"schema_version": 1')
    assert fresh_cache(paths, 600, "auto", NOW) is None


def test_quick_output_is_the_full_paths_output(tmp_path: Path) -> None:
    """json, waybar and text: the same functions on the same document as the full path."""
    doc = _with_pace(parse_usage_body(ALL_CASES[-1].body, source="web"))
    doc = dataclasses_replace_notices(doc)
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


def dataclasses_replace_notices(doc: UsageDocument) -> UsageDocument:
    import dataclasses

    return dataclasses.replace(doc, notices=[])  # the cache never keeps notices
