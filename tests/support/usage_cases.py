"""Our own usage bodies for the parser's hard cases, with what each must become.

Written from the shapes in claude-service.md and issue 8 (our own models,
numbers and times). Shared by the parser tests and the scraper-child tests, so
both prove the same thing: one bad field never hides the rest, money is never
invented, service text is cleaned, rows are classified by what they say.

This module must not import the parser or the scraper (the expectations are
written by hand, not derived from the code they check), and must not hold
copies of the service's sample bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RESET_SESSION = "2026-12-01T14:20:00.250000+00:00"
RESET_WEEK = "2026-12-04T09:00:00Z"

JsonObject = dict[str, Any]

#: (id, kind, label, percent) per limit, in the document's order.
LimitRow = tuple[str, str, str, float]
#: (used, limit, currency, percent) of extra_usage, or None.
Money = tuple[float | None, float | None, str | None, float | None] | None


@dataclass(frozen=True)
class Case:
    name: str
    body: JsonObject
    limits: list[LimitRow]
    money: Money = None
    #: Field names the warning must name (empty: no warning at all).
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class BadCase:
    """A body with nothing usable left: `UsageParseError`, naming `dropped`."""

    name: str
    body: JsonObject
    dropped: tuple[str, ...]


def window(percent: object, resets_at: str | None = RESET_WEEK) -> JsonObject:
    return {"utilization": percent, "resets_at": resets_at}


def row(
    kind: object = None,
    percent: object = 10,
    *,
    group: object = None,
    model: str | None = None,
    model_id: str | None = None,
    resets_at: str | None = RESET_WEEK,
    omit_kind: bool = False,
) -> JsonObject:
    scope = None
    if model is not None or model_id is not None:
        scope = {"model": {"id": model_id, "display_name": model}, "surface": None}
    body: JsonObject = {
        "kind": kind,
        "group": group,
        "percent": percent,
        "resets_at": resets_at,
        "scope": scope,
        "severity": "normal",
        "is_active": False,
    }
    if omit_kind:
        del body["kind"]
    return body


SESSION = ("session", "session", "Current session")
WEEKLY = ("weekly_all", "weekly", "Weekly, all models")
LONG_NAME = "Quill " + "x" * 4994  # 5,000 characters

# --- 1. one bad field never hides the rest --------------------------------------------------

FIELD_CASES = [
    Case(
        "utilization_false_drops_only_the_session",
        {"five_hour": window(False), "seven_day": window(31), "seven_day_opus": None},
        [(*WEEKLY, 31.0)],
        dropped=("five_hour.utilization",),
    ),
    Case(
        "limits_object_falls_back_to_windows",
        {"limits": {"kind": "session"}, "five_hour": window(12), "seven_day": window(40)},
        [(*SESSION, 12.0), (*WEEKLY, 40.0)],
        dropped=("limits",),
    ),
    Case(
        "limits_string_falls_back_to_windows",
        {"limits": "nope", "five_hour": window(7.5), "seven_day": None},
        [(*SESSION, 7.5)],
        dropped=("limits",),
    ),
    Case(
        "negative_row_percent_drops_that_row",
        {
            "limits": [row("session", 55, group="session"), row("weekly_all", -3, group="weekly")],
            "five_hour": window(55),
            "seven_day": None,
        },
        [(*SESSION, 55.0)],
        dropped=("limits[1].percent",),
    ),
    Case(
        "text_percent_in_one_scoped_row",
        {
            "limits": [
                row("weekly_all", 26, group="weekly"),
                row("weekly_scoped", "42", group="weekly", model="Ember"),
                row("weekly_scoped", 8, group="weekly", model="Quill"),
            ]
        },
        [(*WEEKLY, 26.0), ("weekly_quill", "weekly_scoped", "Weekly, Quill", 8.0)],
        dropped=("limits[1].percent",),
    ),
    Case(
        "absurd_window_percent",
        {"five_hour": window(19), "seven_day": window(1e9), "seven_day_sonnet": window(4)},
        [(*SESSION, 19.0), ("weekly_sonnet", "weekly_scoped", "Weekly, Sonnet", 4.0)],
        dropped=("seven_day.utilization",),
    ),
    Case(
        "window_that_is_a_list",
        {"five_hour": window(63), "seven_day": [1, 2]},
        [(*SESSION, 63.0)],
        dropped=("seven_day",),
    ),
    Case(
        "row_that_is_a_number",
        {"limits": [3, row("session", 44, group="session")]},
        [(*SESSION, 44.0)],
        dropped=("limits[0]",),
    ),
    Case(
        "unreadable_money_keeps_the_limits",
        {"five_hour": window(21), "extra_usage": {"is_enabled": True, "used_credits": "lots"}},
        [(*SESSION, 21.0)],
        dropped=("extra_usage.used_credits",),
    ),
    Case(
        "null_windows_are_no_limits_not_an_error",
        {"five_hour": None, "seven_day": None},
        [],
    ),
]

NOTHING_LEFT = [
    BadCase("only_an_unreadable_session", {"five_hour": window("high")}, ("five_hour",)),
    BadCase("only_a_limits_string", {"limits": "nope"}, ("limits",)),
    BadCase("only_rows_that_are_numbers", {"limits": [1, 2]}, ("limits[0]", "limits[1]")),
    BadCase(
        "unreadable_windows_and_money",
        {"seven_day": window(None, None) | {"utilization": [5]}, "spend": "on"},
        ("seven_day.utilization", "spend"),
    ),
]

# --- 2. money is never invented -------------------------------------------------------------

EXTRA_EUR = {"is_enabled": True, "used_credits": 800, "monthly_limit": 3000, "currency": "EUR"}


def spend(used: object = 500, limit: object = None, exponent: object = 2) -> JsonObject:
    used_money = {"amount_minor": used, "currency": "USD", "exponent": exponent}
    return {"enabled": True, "used": used_money, "limit": limit, "percent": None}


MONEY_CASES = [
    Case(
        "negative_spend_falls_back_to_extra_usage",
        {"five_hour": window(5), "spend": spend(-500), "extra_usage": EXTRA_EUR},
        [(*SESSION, 5.0)],
        money=(8.0, 30.0, "EUR", 800 / 3000 * 100),
        dropped=("spend.used.amount_minor",),
    ),
    Case(
        "text_spend_amount_falls_back",
        {"five_hour": window(5), "spend": spend("500"), "extra_usage": EXTRA_EUR},
        [(*SESSION, 5.0)],
        money=(8.0, 30.0, "EUR", 800 / 3000 * 100),
        dropped=("spend.used.amount_minor",),
    ),
    Case(
        "negative_exponent_falls_back",
        {"five_hour": window(5), "spend": spend(500, exponent=-2), "extra_usage": EXTRA_EUR},
        [(*SESSION, 5.0)],
        money=(8.0, 30.0, "EUR", 800 / 3000 * 100),
        dropped=("spend.used.exponent",),
    ),
    Case(
        "absurd_exponent_and_no_other_money",
        {"five_hour": window(5), "spend": spend(500, exponent=40)},
        [(*SESSION, 5.0)],
        dropped=("spend.used.exponent",),
    ),
    Case(
        "absurd_decimal_places",
        {"five_hour": window(5), "extra_usage": EXTRA_EUR | {"decimal_places": 12}},
        [(*SESSION, 5.0)],
        dropped=("extra_usage.decimal_places",),
    ),
    Case(
        "unreadable_cap_is_not_no_cap",
        {"five_hour": window(5), "spend": spend(500, {"amount_minor": "lots", "exponent": 2})},
        [(*SESSION, 5.0)],
        dropped=("spend.limit.amount_minor",),
    ),
    Case(
        "cap_without_an_amount_falls_back",
        {
            "five_hour": window(5),
            "spend": spend(500, {"currency": "USD", "exponent": 2}),
            "extra_usage": EXTRA_EUR,
        },
        [(*SESSION, 5.0)],
        money=(8.0, 30.0, "EUR", 800 / 3000 * 100),
        dropped=("spend.limit.amount_minor",),
    ),
    Case(
        "cap_that_is_a_word",
        {"five_hour": window(5), "spend": spend(500, "unlimited")},
        [(*SESSION, 5.0)],
        dropped=("spend.limit",),
    ),
    Case(
        "null_cap_is_uncapped",
        {"five_hour": window(5), "spend": spend(2500, None)},
        [(*SESSION, 5.0)],
        money=(25.0, None, "USD", None),
    ),
    Case(
        "missing_used_credits_is_unknown",
        {"five_hour": window(5), "extra_usage": {"is_enabled": True, "monthly_limit": 2500}},
        [(*SESSION, 5.0)],
        money=(None, 25.0, None, None),
    ),
    Case(
        "missing_spend_used_is_unknown",
        {
            "five_hour": window(5),
            "spend": {"enabled": True, "limit": {"amount_minor": 4000, "currency": "USD"}},
        },
        [(*SESSION, 5.0)],
        money=(None, 40.0, None, None),
    ),
    Case(
        "fractional_cents_are_kept",
        {
            "five_hour": window(5),
            "extra_usage": {"is_enabled": True, "used_credits": 1234.5, "monthly_limit": 5000},
        },
        [(*SESSION, 5.0)],
        money=(12.345, 50.0, None, 1234.5 / 5000 * 100),
    ),
    Case(
        "three_decimal_currency",
        {
            "five_hour": window(5),
            "spend": {
                "enabled": True,
                "used": {"amount_minor": 12345, "currency": "kwd", "exponent": 3},
                "limit": {"amount_minor": 50000, "currency": "KWD", "exponent": 3},
                "percent": 24.69,
            },
        },
        [(*SESSION, 5.0)],
        money=(12.345, 50.0, "KWD", 24.69),
    ),
    Case(
        "true_is_not_an_amount",
        {"five_hour": window(5), "extra_usage": {"is_enabled": True, "used_credits": True}},
        [(*SESSION, 5.0)],
        dropped=("extra_usage.used_credits",),
    ),
]

# --- 3. the service's text is cleaned -------------------------------------------------------

TEXT_CASES = [
    Case(
        "line_break_in_a_model_name",
        {"limits": [row("weekly_scoped", 17, group="weekly", model="Opus\n4.5")]},
        [("weekly_opus_4_5", "weekly_scoped", "Weekly, Opus 4.5", 17.0)],
    ),
    Case(
        "control_and_bidi_characters",
        {"limits": [row("weekly_scoped", 3, group="weekly", model="\u202eQu\x00ill\x07\t ")]},
        [("weekly_quill", "weekly_scoped", "Weekly, Quill", 3.0)],
    ),
    Case(
        "unknown_kind_with_a_line_break",
        {"limits": [row("burst\r\nmode", 9, group="burst")]},
        [("burst_mode", "burst_mode", "Burst mode", 9.0)],
    ),
]

# --- 4. rows are classified by what they say ------------------------------------------------

CLASSIFY_CASES = [
    Case(
        "no_kind_but_group_session",
        {"limits": [row(omit_kind=True, percent=38, group="session")]},
        [(*SESSION, 38.0)],
    ),
    Case(
        "null_kind_with_group_weekly",
        {"limits": [row(None, 14, group="weekly")]},
        [(*WEEKLY, 14.0)],
    ),
    Case(
        "scoped_row_in_a_monthly_group",
        {"limits": [row("weekly_scoped", 22, group="monthly", model="Quill")]},
        [("monthly_quill", "monthly_scoped", "Monthly, Quill", 22.0)],
    ),
    Case(
        "scoped_row_named_all_models_beside_weekly_all",
        {
            "limits": [
                row("weekly_all", 30, group="weekly"),
                row("weekly_scoped", 33, group="weekly", model="All models"),
            ]
        },
        [(*WEEKLY, 33.0)],
    ),
    Case(
        "scoped_row_with_all_models_id",
        {"limits": [row("weekly_scoped", 27, model="Everything", model_id="x/all_models")]},
        [(*WEEKLY, 27.0)],
    ),
    Case(
        "two_rows_for_one_model_id",
        {
            "limits": [
                row("weekly_scoped", 11, group="weekly", model="Quill", model_id="quill-3"),
                row("weekly_scoped", 15, group="weekly", model="Quill 3", model_id="quill-3"),
            ]
        },
        [("weekly_quill", "weekly_scoped", "Weekly, Quill", 15.0)],
    ),
    Case(
        "unknown_kind_session_never_replaces_the_real_one",
        {
            "limits": [
                row("Session", 99, group="session"),
                row("session", 41, group="session", resets_at=RESET_SESSION),
            ]
        },
        [(*SESSION, 41.0)],
    ),
    Case(
        "unknown_kind_session_beside_a_legacy_session",
        {"limits": [row("Session", 99)], "five_hour": window(12, RESET_SESSION)},
        [(*SESSION, 12.0)],
    ),
    Case(
        "unknown_kind_weekly_never_repeats_weekly_all",
        {"limits": [row("Weekly", 70), row("weekly_all", 20, group="weekly")]},
        [(*WEEKLY, 20.0)],
    ),
    Case(
        "unknown_kinds_stay_visible",
        {"limits": [row("session", 5, group="session"), row("burst", 64)]},
        [(*SESSION, 5.0), ("burst", "burst", "Burst", 64.0)],
    ),
]

ALL_CASES = FIELD_CASES + MONEY_CASES + TEXT_CASES + CLASSIFY_CASES
