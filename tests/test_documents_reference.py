"""The parent's strict document reader agrees with pydantic's strict validation (issue 12).

The tray and the command line read every document a scraper child prints with
`documents.load_document`, i.e. `documents.from_json_data`, which needs no
pydantic at run time. pydantic's `TypeAdapter` over the same dataclasses,
strict and from JSON, is the reference here: over a corpus (documents from
the parser's hard cases, error and session documents, each broken field by
field in many ways) and over generated values, both accept or both reject,
and what both accept is the same document. Everything pydantic's lax mode
rejects (what the parent used before) is rejected too. The few places where
the strict reader is deliberately stricter than pydantic are listed in
`STRICTER` and tested on their own. This module must not change what it
compares: the documents are built by the real parser and the real `dump_document`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from claude_tray.documents import (
    Document,
    ErrorDocument,
    Pace,
    SessionDocument,
    document_kind,
    dump_document,
    from_json_data,
    load_document,
)
from claude_tray.errors import ErrorCode
from claude_tray.usage_parser import parse_usage_body
from tests.support.usage_cases import ALL_CASES

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)

_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(kind: type) -> TypeAdapter[Any]:
    if kind not in _ADAPTERS:
        _ADAPTERS[kind] = TypeAdapter(kind)
    return _ADAPTERS[kind]


def pydantic_reads(raw: dict[str, Any], *, strict: bool = True) -> Document | None:
    """The reference: pydantic over the same dataclasses; None when it rejects."""
    kind = document_kind(raw)
    try:
        if strict:
            return _adapter(kind).validate_json(json.dumps(raw), strict=True)  # type: ignore[no-any-return]
        return _adapter(kind).validate_python(raw)  # type: ignore[no-any-return]
    except (ValidationError, OverflowError):  # OverflowError: a time out of range in UTC
        return None


def ours(raw: dict[str, Any]) -> Document | None:
    try:
        return load_document(json.dumps(raw))
    except ValueError:
        return None


#: Values pydantic's strict mode takes that the reader refuses on purpose: a
#: string of digits as a time (pydantic reads a Unix timestamp), `true` or
#: `1.0` as `schema_version: 1` (pydantic compares the literal by equality, and
#: `true == 1.0 == 1` in Python), and an integer beyond any float where a float
#: belongs (strict pydantic makes it infinity, lax pydantic, the parent's reader
#: before, refused it). The child never writes these.
STRICTER: list[tuple[str, object]] = [
    ("last_updated", "1700000000"),
    ("last_updated", "1700000000.5"),
    ("schema_version", True),
    ("schema_version", 1.0),
    ("usage_percent", 10**400),
]


def _stricter(raw: dict[str, Any]) -> bool:
    """Whether `raw` holds one of the `STRICTER` values anywhere."""

    def walk(value: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(value, dict):
            for key, member in value.items():
                yield key, member
                yield from walk(member)
        elif isinstance(value, list):
            for member in value:
                yield from walk(member)

    for key, value in walk(raw):
        if key == "schema_version" and type(value) is not int and value == 1:
            return True
        if isinstance(value, str) and key in _TIME_KEYS and _is_number_text(value):
            return True
        if type(value) is int and abs(value) > sys.float_info.max:
            return True
    return False


_TIME_KEYS = {"last_updated", "reset_time", "resets_at", "runs_out_at"}


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def agree(raw: dict[str, Any]) -> None:
    """Both readers accept or both reject `raw`; accepted, they read the same document."""
    mine = ours(raw)
    lax = pydantic_reads(raw, strict=False)
    if lax is None:
        assert mine is None, f"pydantic (lax) rejects what the reader takes: {raw}"
    reference = pydantic_reads(raw)
    if reference is not None and mine is None and _stricter(raw):
        return  # deliberately stricter (STRICTER)
    assert (mine is None) == (reference is None), f"reader {mine!r}, pydantic {reference!r}: {raw}"
    if mine is not None:
        assert type(mine) is type(reference)
        assert reference is not None
        assert dump_document(mine) == dump_document(reference)
        if not _has_nan(raw):
            assert mine == reference


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(member) for member in value.values())
    if isinstance(value, list):
        return any(_has_nan(member) for member in value)
    return False


def _good_documents() -> list[dict[str, Any]]:
    documents: list[Document] = []
    for case in ALL_CASES[::2]:
        doc = parse_usage_body(case.body, source="web", now=NOW)
        paced = [
            dataclasses.replace(
                limit,
                pace=Pace(
                    elapsed_percent=40.0,
                    projected_percent=limit.percent,
                    runs_out_at=NOW + timedelta(hours=2),
                ),
            )
            for limit in doc.limits
        ]
        documents += [doc, dataclasses.replace(doc, limits=paced, notices=["a notice"])]
    documents += [
        ErrorDocument(error=ErrorCode.RATE_LIMITED, message="Wait.", retry_after=120.0),
        ErrorDocument(error=ErrorCode.NO_SESSION, message="Log in."),
        SessionDocument(source="claude-code", logged_in=True, message="ok"),
    ]
    return [json.loads(dump_document(doc)) for doc in documents]


GOOD = _good_documents()

#: What each field is replaced with in turn: every JSON type, bools for numbers,
#: strings for numbers, naive and odd times, codes, huge numbers.
SUBSTITUTES: list[object] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    42,
    42.5,
    1e308,
    2**70,
    10**400,
    "42",
    "",
    "x",
    "busy",
    "web",
    "success",
    "2026-12-01T12:00:00",
    "2026-12-01T12:00:00+01:00",
    "2026-12-01 12:00:00z",
    "2026-12-01",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "1700000000",
    [],
    {},
    [1],
    ["a"],
    {"a": 1},
]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, member in value.items():
            yield (*path, key)
            yield from _paths(member, (*path, key))
    elif isinstance(value, list):
        for index, member in enumerate(value[:2]):
            yield (*path, index)
            yield from _paths(member, (*path, index))


def _edited(raw: Any, path: tuple[Any, ...], edit: Any) -> Any:
    copy = json.loads(json.dumps(raw))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    edit(holder, path[-1])
    return copy


def _corpus() -> Iterator[dict[str, Any]]:
    for raw in GOOD:
        yield raw
        yield {**raw, "surprise": 1}
        for path in _paths(raw):
            for value in SUBSTITUTES:
                yield _edited(raw, path, lambda holder, key, v=value: holder.__setitem__(key, v))
            if isinstance(path[-1], str):
                yield _edited(raw, path, lambda holder, key: holder.pop(key))
                yield _edited(raw, (*path[:-1], "extra"), lambda holder, key: holder.update(x=1))


def test_the_corpus_is_read_as_pydantic_reads_it() -> None:
    """Tens of thousands of documents, good and broken field by field: the same answers."""
    seen = accepted = 0
    for raw in _corpus():
        agree(raw)
        seen += 1
        accepted += ours(raw) is not None
    assert seen > 10_000 and 0 < accepted < seen  # the corpus holds both kinds


@pytest.mark.parametrize(("key", "value"), STRICTER)
def test_the_reader_is_stricter_on_purpose(key: str, value: object) -> None:
    raw = {**GOOD[0], key: value}
    assert pydantic_reads(raw) is not None
    assert ours(raw) is None


def test_off_schema_documents_give_one_sentence_for_the_log() -> None:
    """Rejected documents raise ValueError naming the document, never another exception."""
    raw = {**GOOD[0], "last_updated": "0001-01-01T00:00:00+01:00"}
    with pytest.raises(ValueError, match=r"^not a claude-tray document: "):
        load_document(json.dumps(raw))
    with pytest.raises(ValueError, match="nested too deeply"):
        load_document("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match=r"^not a claude-tray document: "):
        load_document(json.dumps({**GOOD[0], "tokens_used": 1.5}))


_digits = st.text("0123456789", min_size=1, max_size=4)
_time_texts = st.one_of(
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda t: t.isoformat()),
    st.datetimes().map(lambda t: t.isoformat(sep=" ", timespec="minutes")),
    st.builds(
        lambda *parts: "".join(parts),
        _digits,
        st.sampled_from(["-", ""]),
        _digits,
        st.sampled_from(["-", ""]),
        _digits,
        st.sampled_from(["T", "t", " ", "_", ""]),
        _digits,
        st.sampled_from([":", ""]),
        _digits,
        st.sampled_from([":", ""]),
        _digits,
        st.sampled_from(["", ".", ","]),
        st.text("0123456789", max_size=12),
        st.sampled_from(["", "Z", "z", "+", "-", "+00:00", "-23:59", "+24:00", "+01:60"]),
        st.text("0123456789:", max_size=5),
    ),
    st.text(max_size=30),
)


#: Forms that pydantic takes or refuses, each checked every run.
TIMES = [
    "2026-12-01T12:00:00+00:00",
    "2026-12-01T12:00:00Z",
    "2026-12-01t12:00:00z",
    "2026-12-01 12:00",
    "2026-12-01T12:00+01:00",
    "2026-12-01T12:00:00",  # naive: both take it as UTC
    "2026-12-01T12:00:00.5",
    "2026-12-01T12:00:00,5Z",
    "2026-12-01T12:00:00.12345678901234Z",
    "2026-12-01T12:00:00-0000",
    "2026-12-01T12:00:00+23:59",
    "2026-12-01T12:00:00+24:00",
    "2026-12-01T12:00:00+01:60",
    "2026-12-01T12:00:00+01",
    "2026-12-01T12:00:00.Z",
    "2026-12-01T12:00:00 +01:00",
    "2026-12-01T12:00:00Z ",
    " 2026-12-01T12:00:00Z",
    "2026-12-01",
    "2026-12-01T12",
    "2026-12-01T1200Z",
    "20261201T120000Z",
    "2026-W48-2",
    "2026-02-30T12:00:00Z",
    "2026-12-01T24:00:00Z",
    "2026-12-01T12:00:60Z",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "２０２６-12-01T12:00:00Z",  # fullwidth digits
]


@pytest.mark.parametrize("text", TIMES)
def test_time_forms_are_read_as_pydantic_reads_them(text: str) -> None:
    agree({**GOOD[0], "last_updated": text})


@settings(max_examples=1500, deadline=None)
@given(_time_texts)
def test_times_are_read_as_pydantic_reads_them(text: str) -> None:
    """RFC 3339 and near misses: the same times accepted, the same instants read."""
    agree({**GOOD[0], "last_updated": text})


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.sampled_from(["web", "claude-code", "busy", "success", "error", "2026-12-01T12:00Z"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(range(len(GOOD))), st.data())
def test_generated_values_anywhere_are_read_as_pydantic_reads_them(index: int, data: Any) -> None:
    raw = GOOD[index]
    paths = list(_paths(raw))
    path = data.draw(st.sampled_from(paths))
    value = data.draw(_json)
    agree(_edited(raw, path, lambda holder, key: holder.__setitem__(key, value)))


def test_the_strict_reader_is_the_one_definition() -> None:
    """It reads what the real child prints, and what the parent writes back (pace, notices)."""
    for raw in GOOD:
        assert from_json_data(document_kind(raw), raw) == pydantic_reads(raw)
