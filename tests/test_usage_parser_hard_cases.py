"""The parser's hard cases (issue 8), through `parse_usage_body`.

One bad field never hides the rest, money is never invented, the service's
text is cleaned, rows are classified by what they say; and whatever arrives,
`UsageParseError` is the only thing raised. The bodies are in
`tests/support/usage_cases.py`; the same bodies go through the real scraper
child in `test_scraper_hard_cases.py`.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_tray.documents import UsageDocument, dump_document, load_document
from claude_tray.errors import ErrorCode, UsageParseError
from claude_tray.service_text import ID_MAX, LABEL_MAX, one_line
from claude_tray.usage_parser import parse_usage_body
from tests.support.usage_cases import (
    ALL_CASES,
    LONG_NAME,
    NOTHING_LEFT,
    BadCase,
    Case,
    Money,
    row,
    spend,
    window,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
PARSER_LOG = "claude_tray.usage_parser"
#: Looks like a session key; must never reach a warning or an error message.
SECRETISH = "sk-ant-sid01-" + "Zq7" * 30


def parse(body: Any) -> UsageDocument:
    return parse_usage_body(json.dumps(body), source="web", now=NOW)


def money_of(doc: UsageDocument) -> Money:
    extra = doc.extra_usage
    if extra is None:
        return None
    assert extra.enabled is True
    return (extra.used, extra.limit, extra.currency, extra.percent)


def assert_money(doc: UsageDocument, expected: Money) -> None:
    got = money_of(doc)
    if expected is None or got is None:
        assert got == expected
        return
    for value, want in zip(got, expected, strict=True):
        if isinstance(want, float):
            assert value == pytest.approx(want)
        else:
            assert value == want


def warnings_from_parser(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == PARSER_LOG and record.levelno == logging.WARNING
    ]


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_case_becomes_the_expected_document(case: Case, caplog: pytest.LogCaptureFixture) -> None:
    """Each body keeps every readable limit, and only those, with clean labels."""
    caplog.set_level(logging.WARNING, logger=PARSER_LOG)
    doc = parse(case.body)
    got = [(limit.id, limit.kind, limit.label, limit.percent) for limit in doc.limits]
    assert got == case.limits
    assert_money(doc, case.money)
    assert doc.usage_percent == max((row[3] for row in case.limits), default=None)
    warnings = warnings_from_parser(caplog)
    if case.dropped:
        assert len(warnings) == 1, warnings  # one warning per body, naming every field
        for name in case.dropped:
            assert name in warnings[0]
    else:
        assert warnings == []


@pytest.mark.parametrize("case", NOTHING_LEFT, ids=lambda case: case.name)
def test_nothing_usable_left_is_a_parse_error(case: BadCase) -> None:
    """Only unreadable usage fields: a parse error that names them."""
    with pytest.raises(UsageParseError) as raised:
        parse(case.body)
    assert raised.value.code is ErrorCode.PARSE_ERROR
    for name in case.dropped:
        assert name in raised.value.message


def test_a_value_never_reaches_the_warning_or_the_error(caplog: pytest.LogCaptureFixture) -> None:
    """Unreadable fields are named, never quoted: a value could be a secret."""
    caplog.set_level(logging.WARNING, logger=PARSER_LOG)
    body = {
        "five_hour": window(SECRETISH),
        "seven_day": window(12),
        "limits": [row(SECRETISH, SECRETISH), {"percent": {"value": SECRETISH}}],
        "spend": spend(SECRETISH),
        "extra_usage": {"is_enabled": True, "monthly_limit": SECRETISH},
    }
    doc = parse(body)
    assert [limit.id for limit in doc.limits] == ["weekly_all"]
    warnings = warnings_from_parser(caplog)
    assert len(warnings) == 1
    assert SECRETISH[-16:] not in warnings[0]
    assert "five_hour.utilization" in warnings[0] and "spend.used.amount_minor" in warnings[0]
    with pytest.raises(UsageParseError) as raised:
        parse({"five_hour": window(SECRETISH)})
    assert SECRETISH[-16:] not in raised.value.message


def test_a_key_name_in_the_warning_is_cleaned(caplog: pytest.LogCaptureFixture) -> None:
    """An odd product-window key is named in one short line."""
    caplog.set_level(logging.WARNING, logger=PARSER_LOG)
    key = "seven_day_\nodd" + "k" * 500
    parse({"five_hour": window(4), key: window("x")})
    (warning,) = warnings_from_parser(caplog)
    assert "\n" not in warning and len(warning) < 200


def test_a_5000_character_model_name_is_bounded() -> None:
    """A label is one line of at most 60 characters with an ellipsis; an id at most 64."""
    doc = parse(
        {"limits": [row("weekly_scoped", 12, group="weekly", model=LONG_NAME), row("x" * 900, 3)]}
    )
    scoped, stranger = doc.limits
    assert scoped.label.startswith("Weekly, Quill xxx") and scoped.label.endswith("…")
    assert len(scoped.label) == LABEL_MAX
    assert scoped.id.startswith("weekly_quill_xxx") and len(scoped.id) == ID_MAX
    assert len(stranger.label) == LABEL_MAX and len(stranger.id) <= ID_MAX


def test_money_json_keeps_fractional_minor_units() -> None:
    """1234.5 cents are 12.345 in the document as printed, not 12.35; only text rounds."""
    doc = parse({"extra_usage": {"is_enabled": True, "used_credits": 1234.5, "monthly_limit": 0}})
    printed = json.loads(dump_document(doc))
    assert printed["extra_usage"]["used"] == 12.345
    assert printed["extra_usage"]["limit"] == 0.0
    assert printed["extra_usage"]["percent"] is None  # no percentage of a zero cap


# --- properties ----------------------------------------------------------------------------

junk = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
)
text_junk = st.text(alphabet=st.characters(codec="utf-8"), max_size=120) | st.sampled_from(
    ["Opus\n4.5", "All models", "Session", "weekly", "\u202e\x1b[2J", LONG_NAME]
)
money_like = st.fixed_dictionaries(
    {},
    optional={"amount_minor": junk, "currency": junk | text_junk, "exponent": junk},
)
row_hard = st.fixed_dictionaries(
    {},
    optional={
        "kind": junk | text_junk | st.sampled_from(["session", "weekly_all", "weekly_scoped"]),
        "group": junk | st.sampled_from(["session", "weekly", "monthly"]) | text_junk,
        "percent": junk,
        "resets_at": junk,
        "scope": junk
        | st.fixed_dictionaries(
            {"model": junk | st.fixed_dictionaries({"display_name": text_junk, "id": text_junk})}
        ),
    },
)
window_hard = junk | st.fixed_dictionaries({"utilization": junk, "resets_at": junk})
body_hard = st.fixed_dictionaries(
    {},
    optional={
        "five_hour": window_hard,
        "seven_day": window_hard,
        "seven_day_sonnet": window_hard,
        "seven_day_routines": window_hard,
        "limits": st.lists(row_hard | junk, max_size=6) | junk,
        "spend": junk
        | st.fixed_dictionaries(
            {},
            optional={
                "enabled": junk | st.just(True),
                "used": junk | money_like,
                "limit": junk | money_like,
                "percent": junk,
            },
        ),
        "extra_usage": junk
        | st.fixed_dictionaries(
            {},
            optional={
                "is_enabled": junk | st.just(True),
                "used_credits": junk,
                "monthly_limit": junk,
                "decimal_places": junk,
                "utilization": junk,
                "currency": junk | text_junk,
            },
        ),
    },
)


def check_clean_document_or_parse_error(body: Any) -> None:
    try:
        doc = parse_usage_body(body, source="web")
    except UsageParseError as error:
        assert error.code is ErrorCode.PARSE_ERROR
        return
    assert load_document(dump_document(doc)) == doc
    ids = [limit.id for limit in doc.limits]
    assert len(set(ids)) == len(ids)
    for limit in doc.limits:
        assert 0 < len(limit.label) <= LABEL_MAX and one_line(limit.label) == limit.label
        assert 0 < len(limit.id) <= ID_MAX and limit.id.isascii()
        assert 0 <= limit.percent <= 1000 and math.isfinite(limit.percent)
    session_rows = [limit for limit in doc.limits if limit.id == "session"]
    assert len(session_rows) <= 1
    extra = doc.extra_usage
    if extra is not None:
        for amount in (extra.used, extra.limit):
            assert amount is None or (amount >= 0 and math.isfinite(amount))
        if extra.currency is not None:
            assert extra.currency.isalpha() and extra.currency.isupper()


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(body_hard)
def test_property_hard_bodies_give_a_clean_document_or_parse_error(body: dict[str, Any]) -> None:
    """Type-confused fields anywhere: a clean, valid document, or UsageParseError; nothing else."""
    check_clean_document_or_parse_error(body)
    check_clean_document_or_parse_error(json.dumps(body))


@settings(max_examples=200, deadline=None)
@given(st.lists(row_hard, min_size=1, max_size=8))
def test_property_readable_rows_survive_their_neighbours(rows: list[dict[str, Any]]) -> None:
    """A good session row is kept, at its percent or higher, whatever rows sit beside it."""
    good = row("session", 37.5, group="session")
    doc = parse_usage_body({"limits": [*rows, good]}, source="web")
    session = doc.limit("session")
    assert session is not None and session.percent >= 37.5
