"""The usage parser against our own fixtures of every shape the service serves."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_tray.documents import UsageDocument, dump_document, load_document
from claude_tray.errors import ErrorCode, UsageParseError
from claude_tray.usage_parser import parse_timestamp, parse_usage_body

FIXTURES = Path(__file__).parent / "fixtures" / "service"
NOW = datetime(2026, 11, 29, 15, 40, 12, tzinfo=timezone.utc)


def parse(name: str) -> UsageDocument:
    return parse_usage_body((FIXTURES / name).read_bytes(), source="web", now=NOW)


def summary(doc: UsageDocument) -> list[tuple[str, str, float]]:
    return [(limit.id, limit.kind, limit.percent) for limit in doc.limits]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


def test_current_shape_lists_each_limit_once_in_order() -> None:
    """limits[] wins and the legacy windows it covers are not listed a second time."""
    doc = parse("current_shape.json")
    assert summary(doc) == [
        ("session", "session", 57.0),
        ("weekly_all", "weekly", 23.0),
        ("weekly_quill", "weekly_scoped", 9.0),
    ]
    assert [limit.label for limit in doc.limits] == [
        "Current session",
        "Weekly, all models",
        "Weekly, Quill",
    ]
    assert doc.usage_percent == 57.0
    assert doc.reset_time == datetime(2026, 11, 29, 18, 20, 0, 512233, tzinfo=timezone.utc)
    assert doc.last_updated == NOW
    assert doc.source == "web"


def test_unknown_codename_windows_and_breakdown_are_ignored() -> None:
    """Codename keys and the breakdown table never become limits."""
    ids = {limit.id for limit in parse("current_shape.json").limits}
    assert not ids & {"quartz_heron", "marble_lantern", "seven_day_breakdown"}


def test_extra_usage_converted_from_cents() -> None:
    """Money in minor units is divided out: 1275 cents are 12.75 dollars."""
    extra = parse("current_shape.json").extra_usage
    assert extra is not None
    assert (extra.enabled, extra.used, extra.limit, extra.currency, extra.percent) == (
        True,
        12.75,
        50.0,
        "USD",
        25.5,
    )


def test_legacy_shape_without_limits_array() -> None:
    """Legacy windows alone give session, weekly and per-model limits; a null model window none."""
    doc = parse("legacy_shape.json")
    assert summary(doc) == [
        ("session", "session", 12.5),
        ("weekly_all", "weekly", 64.0),
        ("weekly_opus", "weekly_scoped", 31.0),
    ]
    assert doc.limit("weekly_opus") is not None
    assert doc.limit("weekly_opus").resets_at is None  # type: ignore[union-attr]
    assert doc.usage_percent == 64.0
    assert doc.reset_time == utc(2026, 12, 1, 6, 0)


def test_null_windows_are_no_limit_not_zero_or_hundred() -> None:
    """An enterprise account with only credits has no limits and no headline at all."""
    doc = parse("enterprise_credit_only.json")
    assert doc.limits == []
    assert doc.usage_percent is None
    assert doc.reset_time is None
    assert doc.extra_usage is not None
    assert (doc.extra_usage.used, doc.extra_usage.limit, doc.extra_usage.currency) == (
        612.5,
        2500.0,
        None,
    )
    assert doc.extra_usage.percent == 24.5


def test_null_session_window_leaves_weekly_as_headline() -> None:
    """With five_hour null, the weekly limit is the headline; a time without offset is UTC."""
    doc = parse("enterprise_no_session.json")
    assert summary(doc) == [("weekly_all", "weekly", 71.25)]
    assert doc.reset_time == utc(2026, 12, 4, 0, 0)


def test_window_not_started_is_zero_percent_without_reset() -> None:
    """{utilization: 0, resets_at: null} is a real limit at 0 % that has not started."""
    doc = parse("not_started.json")
    assert summary(doc) == [("session", "session", 0.0)]
    assert doc.reset_time is None


def test_legacy_window_lends_reset_time_to_row_without_one() -> None:
    """A limits[] row without resets_at takes the legacy window's time, still listed once."""
    doc = parse("rows_without_reset.json")
    assert summary(doc) == [("session", "session", 33.0), ("weekly_opus", "weekly_scoped", 12.0)]
    assert doc.limit("session").resets_at == utc(2026, 11, 29, 20, 0)  # type: ignore[union-attr]
    assert doc.limit("weekly_opus").resets_at == utc(2026, 12, 3, 10, 0)  # type: ignore[union-attr]


def test_malformed_rows_are_skipped_and_over_hundred_kept() -> None:
    """Rows without percent or model are skipped; 118 % stays 118 %; unknown kinds are shown."""
    doc = parse("malformed_rows.json")
    assert summary(doc) == [
        ("session", "session", 44.0),
        ("weekly_quill_max", "weekly_scoped", 118.0),
        ("daily_burst", "daily_burst", 7.5),
    ]
    assert doc.usage_percent == 118.0
    # +02:00 is converted to UTC
    assert doc.limit("session").resets_at == utc(2026, 11, 29, 14, 30)  # type: ignore[union-attr]


def test_product_windows_listed_by_key_and_aliases_once() -> None:
    """Product windows keep their key as id; two codenames of one product are listed once."""
    doc = parse("product_windows.json")
    assert summary(doc) == [
        ("session", "session", 3.0),
        ("seven_day_cowork", "weekly_scoped", 6.0),
        ("seven_day_design", "weekly_scoped", 18.0),
    ]
    assert doc.limit("seven_day_design").label == "Weekly, Claude Design"  # type: ignore[union-attr]


def test_spend_object_preferred_with_its_currency() -> None:
    """The newer `spend` money object is used when enabled, in major units."""
    extra = parse("spend_and_extra.json").extra_usage
    assert extra is not None
    assert (extra.used, extra.limit, extra.currency, extra.percent) == (19.99, 80.0, "EUR", 24.99)


def test_uncapped_spend_has_no_limit_and_no_percent() -> None:
    """A null spend limit means uncapped: no limit and no misleading percentage."""
    extra = parse("spend_uncapped.json").extra_usage
    assert extra is not None
    assert (extra.used, extra.limit, extra.percent, extra.currency) == (987.65, None, None, "USD")


def test_disabled_extra_usage_is_null() -> None:
    """Disabled extra usage (every numeric field null) is reported as null."""
    doc = parse("extra_disabled.json")
    assert doc.extra_usage is None
    assert doc.usage_percent == 81.5


def test_extra_usage_without_currency_computes_percent() -> None:
    """Without utilization, the percentage is used over limit; currency stays unknown."""
    extra = parse("extra_no_currency.json").extra_usage
    assert extra is not None
    assert (extra.used, extra.limit, extra.currency, extra.percent) == (4.5, 30.0, None, 15.0)


def test_decimal_places_respected() -> None:
    """decimal_places 0 (e.g. yen) does not divide by a hundred."""
    body = {"extra_usage": {"is_enabled": True, "monthly_limit": 5000, "used_credits": 1200,
                            "decimal_places": 0, "currency": "jpy"}}  # fmt: skip
    extra = parse_usage_body(body, source="claude-code").extra_usage
    assert extra is not None
    assert (extra.used, extra.limit, extra.currency) == (1200.0, 5000.0, "JPY")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-05T01:39:59.764689+00:00", datetime(2026, 9, 5, 1, 39, 59, 764689)),
        ("2026-09-05T01:40:00.000Z", datetime(2026, 9, 5, 1, 40)),
        ("2026-09-05T01:40:00Z", datetime(2026, 9, 5, 1, 40)),
        ("2026-09-05T01:40:00", datetime(2026, 9, 5, 1, 40)),
        ("2026-09-05T03:40:00+02:00", datetime(2026, 9, 5, 1, 40)),
        ("2026-09-04T20:40:00-0500", datetime(2026, 9, 5, 1, 40)),
        ("2026-09-05T01:40:00.123456789Z", datetime(2026, 9, 5, 1, 40, 0, 123456)),
    ],
)
def test_every_timestamp_form(text: str, expected: datetime) -> None:
    """Each ISO-8601 form the service uses is read as the same UTC instant."""
    assert parse_timestamp(text) == expected.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("value", [None, "", "tomorrow", "2026-13-01T00:00:00Z", 1700000000, []])
def test_unreadable_timestamp_is_none(value: object) -> None:
    """A reset time that cannot be read is unknown, not an error."""
    assert parse_timestamp(value) is None


def test_both_sources_serialize_as_interface_document() -> None:
    """The parsed document serializes to the interface's field set and reads back equal.

    As the scraper child prints it (`parent_fields=False`): without `pace`,
    which only the parent fills; the parent's own JSON carries it, null here.
    """
    doc = parse("current_shape.json")
    assert json.loads(dump_document(doc))["limits"][0]["pace"] is None
    text = dump_document(doc, parent_fields=False)
    raw = json.loads(text)
    assert list(raw) == [
        "schema_version", "status", "source", "usage_percent", "tokens_used", "tokens_limit",
        "tokens_remaining", "reset_time", "last_updated", "limits", "extra_usage", "account",
    ]  # fmt: skip
    assert raw["reset_time"] == "2026-11-29T18:20:00.512233+00:00"
    assert raw["limits"][0] == {
        "id": "session",
        "kind": "session",
        "label": "Current session",
        "percent": 57.0,
        "resets_at": "2026-11-29T18:20:00.512233+00:00",
    }
    assert raw["tokens_used"] is None and raw["account"] is None
    assert load_document(text) == doc


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"<!DOCTYPE html><html><title>Just a moment...</title></html>", "HTML"),
        (b'{"five_hour": {"utilization": 12, "resets_at": "2026-', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00", "UTF-8"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b"null", "expected a JSON object"),
        (b"{}", "none of the usage fields"),
        (b'{"type": "error", "error": {"type": "permission_error"}}', "error instead"),
        (b'{"five_hour": "12%"}', "not an object"),
        (b'{"five_hour": {"utilization": "12"}}', "not a percentage"),
        (b'{"five_hour": {"utilization": NaN}}', "NaN"),
        (b'{"limits": {"kind": "session"}}', "not a list"),
        (b"[" * 100_000, "nested too deeply"),
    ],
    ids=lambda value: value[:24] if isinstance(value, bytes) else None,
)
def test_stranger_documents_raise_parse_error(body: bytes, detail: str) -> None:
    """HTML, truncated JSON, error bodies and wrong types raise UsageParseError with a reason."""
    with pytest.raises(UsageParseError) as caught:
        parse_usage_body(body, source="web")
    assert caught.value.code is ErrorCode.PARSE_ERROR
    assert detail in caught.value.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
window_like = st.none() | json_values | st.fixed_dictionaries(
    {"utilization": json_values, "resets_at": json_values}
)  # fmt: skip
row_like = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["session", "weekly_all", "weekly_scoped", "other"]) | json_values,
        "percent": json_values,
        "resets_at": json_values,
        "scope": json_values
        | st.fixed_dictionaries(
            {"model": json_values | st.fixed_dictionaries({"display_name": json_values})}
        ),
    }
)
usage_like = st.fixed_dictionaries(
    {},
    optional={
        "five_hour": window_like,
        "seven_day": window_like,
        "seven_day_opus": window_like,
        "seven_day_cowork": window_like,
        "limits": st.lists(row_like | json_values, max_size=5) | json_values,
        "extra_usage": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "is_enabled": json_values,
                "monthly_limit": json_values,
                "used_credits": json_values,
                "decimal_places": json_values,
                "currency": json_values,
                "utilization": json_values,
            },
        ),
        "spend": json_values,
    },
)


def check_document_or_parse_error(body: Any) -> None:
    try:
        doc = parse_usage_body(body, source="web")
    except UsageParseError as error:
        assert error.code is ErrorCode.PARSE_ERROR
        return
    # Whatever parsed is a valid interface document with a consistent headline.
    assert load_document(dump_document(doc)) == doc
    percents = [limit.percent for limit in doc.limits]
    assert doc.usage_percent == (max(percents) if percents else None)
    assert all(p >= 0 for p in percents)
    assert len({limit.id for limit in doc.limits}) == len(doc.limits)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(usage_like)
def test_property_usage_shaped_input_never_raises_anything_else(body: dict[str, Any]) -> None:
    """Any usage-shaped object with wrong types inside gives a document or UsageParseError."""
    check_document_or_parse_error(body)
    check_document_or_parse_error(json.dumps(body))


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_property_arbitrary_json_never_raises_anything_else(value: Any) -> None:
    """Any JSON value, decoded or as text, gives a document or UsageParseError."""
    check_document_or_parse_error(value)
    check_document_or_parse_error(json.dumps(value))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_property_arbitrary_bytes_never_raise_anything_else(body: bytes) -> None:
    """Random bytes (truncations, garbage) give a document or UsageParseError."""
    check_document_or_parse_error(body)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len((FIXTURES / "current_shape.json").read_bytes())))
def test_property_truncated_fixture_is_parse_error(cut: int) -> None:
    """Cutting a real-shaped answer anywhere short of its end is a parse error, never a crash."""
    full = (FIXTURES / "current_shape.json").read_bytes()
    body = full[:cut]
    if body.strip() == full.strip():
        assert parse_usage_body(body, source="web").usage_percent == 57.0
    else:
        with pytest.raises(UsageParseError):
            parse_usage_body(body, source="web")
