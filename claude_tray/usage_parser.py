"""Turning the service's own usage body into our usage document.

Both sources (claude.ai's `/api/organizations/{org}/usage` and Claude Code's
`/api/oauth/usage`) answer with the same body; `claude-service.md` describes
it. The rules, each a complaint about other monitors:

- `limits[]` wins when present; legacy windows (`five_hour`, `seven_day`,
  `seven_day_<model>`, …) only fill in what it lacks, never a limit twice.
- A null or missing window is no limit: never 0 %, never 100 %.
- Percentages stay on the service's 0–100 scale, as reported, above 100 too;
  nothing here guesses a 0–1 scale.
- One unreadable field never hides the rest: it is dropped with one warning
  that names it, and the body is an error only when nothing usable is left.
- Money arrives in minor units (cents) and leaves in major units, unrounded.
  Money that cannot be read is never invented: no guessed amount, no "no cap"
  for a cap that is there but unreadable, no 0 for a missing amount.
- Rows are classified by what they say (`kind`, then `group`, then the model).
- Every string taken from the body goes through `service_text`.

`parse_usage_body` raises `UsageParseError` and nothing else, whatever it is
given. This module must not do I/O and must not know where the body came
from beyond the `source` label it copies. It logs one warning per body with
unreadable parts, naming fields (cleaned key names and list positions) and
never a value, which could be anything, a secret included.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from claude_tray.documents import ExtraUsage, Limit, Source, UsageDocument
from claude_tray.errors import UsageParseError
from claude_tray.service_text import clean_id, clean_label

log = logging.getLogger(__name__)

#: Keys that mark a body as a usage document (an account may have only some).
_USAGE_KEYS: Final = ("five_hour", "seven_day", "limits", "extra_usage", "spend")

#: Legacy per-model weekly windows: key -> model name.
_LEGACY_MODEL_WINDOWS: Final = {"seven_day_opus": "Opus", "seven_day_sonnet": "Sonnet"}

#: Product windows whose codename is known: key -> label suffix.
_PRODUCT_WINDOW_NAMES: Final = {
    "seven_day_oauth_apps": "OAuth apps",
    "seven_day_cowork": "Cowork",
    "seven_day_omelette": "Claude Design",
    "seven_day_design": "Claude Design",
    "seven_day_routines": "Routines",
}

#: A percentage above this is not a reading but a broken field (the service
#: does go above 100, by a little).
_PERCENT_MAX: Final = 1000.0

#: Minor-unit exponents a currency can have (0 for yen, 3 for dinars; 6 is generous).
_EXPONENT_MAX: Final = 6

#: Ids an unknown kind would take from a real limit if it were allowed to:
#: the kind's slug -> the id of the limit it would duplicate.
_KNOWN_ID_ALIASES: Final = {
    "session": "session",
    "five_hour": "session",
    "current_session": "session",
    "weekly": "weekly_all",
    "weekly_all": "weekly_all",
    "weekly_all_models": "weekly_all",
    "seven_day": "weekly_all",
}

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


@dataclass
class _Dropped:
    """Names of the fields left out of one body (never their values)."""

    fields: list[str] = field(default_factory=list)

    def add(self, name: str, why: str) -> None:
        if len(self.fields) < 20:  # one warning line, whatever the body holds
            self.fields.append(f"{name} ({why})")


def parse_usage_body(
    body: bytes | str | object, *, source: Source, now: datetime | None = None
) -> UsageDocument:
    """Our usage document for the service's usage body.

    `body` may be the raw bytes or text of the answer, or JSON already decoded.
    Raises `UsageParseError` for anything that is not a usage body, and for a
    body whose every usage field is unreadable.
    """
    try:
        data = _decode(body)
        if not isinstance(data, dict):
            raise UsageParseError(f"expected a JSON object, got {_type_name(data)}")
        if data.get("type") == "error" or "error" in data:
            raise UsageParseError("the service answered with an error instead of usage")
        if not any(key in data for key in _USAGE_KEYS):
            raise UsageParseError("the answer has none of the usage fields")
        dropped = _Dropped()
        rows, strangers = _limits_from_rows(data.get("limits"), dropped)
        limits = _merge(rows, _limits_from_windows(data, dropped), strangers)
        money = _money(data, dropped)
        if dropped.fields:
            names = ", ".join(dropped.fields)
            if not limits and money is None:
                raise UsageParseError(f"no usable field in the answer: {names}")
            log.warning("usage answer: left out unreadable %s", names)
        return UsageDocument.build(
            source=source,
            limits=_ordered(limits),
            extra_usage=money,
            last_updated=now,
        )
    except UsageParseError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        # Belt and braces: whatever a stranger document trips over, the caller
        # gets the one documented error type.
        raise UsageParseError(type(exc).__name__) from None


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from the service's ISO-8601 forms; None when absent or unreadable.

    Seen forms: microseconds with `+00:00`, milliseconds with `Z`, plain `Z`,
    and rarely none at all (taken as UTC). An unreadable time loses only the
    countdown, not the limit, so it is None rather than an error.
    """
    if not isinstance(value, str):
        return None
    match = _ISO_RE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micro,
            tzinfo=_offset(offset),
        )
    except ValueError:  # e.g. month 13
        return None
    return parsed.astimezone(timezone.utc)


def _offset(text: str | None) -> timezone:
    if text is None or text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _decode(body: bytes | str | object) -> Any:
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise UsageParseError("the answer is not UTF-8 text") from None
    if isinstance(body, str):
        stripped = body.lstrip()
        if stripped[:1] == "<":
            raise UsageParseError("got an HTML page instead of JSON")
        try:
            return json.loads(body, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise UsageParseError(f"not valid JSON: {exc.msg} at position {exc.pos}") from None
        except RecursionError:
            raise UsageParseError("not valid JSON: nested too deeply") from None
    return body


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity; the service never sends them.
    raise UsageParseError(f"not valid JSON: {name}")


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _percent(value: object) -> float | None:
    """A finite number from 0 to `_PERCENT_MAX`, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= _PERCENT_MAX:
        return None
    return number


def _field_name(key: str) -> str:
    # Key names come from the service too: cleaned, so a warning stays one short line.
    return clean_id(key, 40) or "?"


# --- limits[] rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    name: str  # cleaned display name
    key: str  # what makes two rows the same model: its id, else its name


def _model(scope: object) -> _Model | None:
    """The model a scoped row is about, or None when it names none."""
    if not isinstance(scope, Mapping):
        return None
    model = scope.get("model")
    if not isinstance(model, Mapping):
        return None
    raw_name = model.get("display_name")
    name = clean_label(raw_name) if isinstance(raw_name, str) else ""
    if not name or not clean_id(name):
        return None
    raw_id = model.get("id")
    model_id = clean_id(raw_id) if isinstance(raw_id, str) else ""
    return _Model(name=name, key=f"id:{model_id}" if model_id else f"name:{clean_id(name)}")


def _is_all_models(model: _Model) -> bool:
    """A scoped row that is really the all-models limit ("All models", `…/all_models`)."""
    return clean_id(model.name) == "all_models" or model.key.endswith("all_models")


def _period_word(group: str) -> str:
    """'Weekly', 'Monthly', … for a row's `group` id."""
    return group.replace("_", " ").capitalize()


def _session_limit(percent: float, resets_at: datetime | None) -> Limit:
    return Limit(
        id="session", kind="session", label="Current session", percent=percent, resets_at=resets_at
    )


def _all_models_limit(percent: float, resets_at: datetime | None, group: str = "weekly") -> Limit:
    if group == "weekly":
        return Limit(
            id="weekly_all",
            kind="weekly",
            label="Weekly, all models",
            percent=percent,
            resets_at=resets_at,
        )
    return Limit(
        id=clean_id(f"{group}_all"),
        kind=group,
        label=clean_label(f"{_period_word(group)}, all models"),
        percent=percent,
        resets_at=resets_at,
    )


def _model_limit(
    model: str, percent: float, resets_at: datetime | None, group: str = "weekly"
) -> Limit:
    """A per-model limit; its id is the same from limits[] and from a legacy window."""
    return Limit(
        id=clean_id(f"{group}_{model}"),
        kind="weekly_scoped" if group == "weekly" else clean_id(f"{group}_scoped"),
        label=clean_label(f"{_period_word(group)}, {model}"),
        percent=percent,
        resets_at=resets_at,
    )


def _stranger_limit(
    kind: str, model: _Model | None, percent: float, resets_at: datetime | None
) -> Limit | None:
    """A limit of a kind the service added after this was written: shown, never hidden."""
    slug = clean_id(kind)
    if not slug:
        return None
    words = clean_label(kind.replace("_", " ")).capitalize()
    label = clean_label(f"{words}, {model.name}" if model else words)
    base = _KNOWN_ID_ALIASES.get(slug, slug) if model is None else slug
    return Limit(
        id=clean_id(f"{base}_{model.name}") if model else base,
        kind=slug,
        label=label,
        percent=percent,
        resets_at=resets_at,
    )


def _row_limit(row: Mapping[str, Any], percent: float) -> tuple[Limit | None, str | None]:
    """(limit, None) for a row of a known kind, (limit, "stranger") for an unknown kind,
    (None, "no kind") for a row that says neither its kind nor its group.

    `kind` decides; a row without one is read from its `group`; a scoped row
    for "All models" is the all-models limit, and a scoped row's period word
    comes from its `group` ("Monthly, Opus"), never assumed weekly.
    """
    raw_kind = row.get("kind")
    kind = raw_kind if isinstance(raw_kind, str) and raw_kind.strip() else None
    raw_group = row.get("group")
    group = clean_id(raw_group, 24) if isinstance(raw_group, str) else ""
    model = _model(row.get("scope"))
    resets_at = parse_timestamp(row.get("resets_at"))
    if kind is None:
        if group == "session":
            kind = "session"
        elif group and model is None:
            kind = "weekly_all"
        elif group:
            kind = "weekly_scoped"
        else:
            return None, "no kind"
    if kind == "session":
        return _session_limit(percent, resets_at), None
    period = group if group and group != "session" else "weekly"
    if kind == "weekly_all" or (kind == "weekly_scoped" and model and _is_all_models(model)):
        return _all_models_limit(percent, resets_at, period), None
    if kind == "weekly_scoped":
        if model is None:
            return None, None  # a scoped limit without its model says nothing a person can use
        return _model_limit(model.name, percent, resets_at, period), None
    return _stranger_limit(kind, model, percent, resets_at), "stranger"


def _limits_from_rows(rows: object, dropped: _Dropped) -> tuple[list[Limit], list[Limit]]:
    """(known, strangers) from the newer `limits[]` list.

    Rows without a percent are skipped, as the service advises; a row that is
    not readable is dropped and named. Two rows for the same limit (the same
    model id, or "All models" beside `weekly_all`) are one limit at the higher
    percent, so a duplicate can never hide the number that binds.
    """
    if rows is None:
        return [], []
    if not isinstance(rows, list):
        dropped.add("limits", f"{_type_name(rows)}, not a list")
        return [], []
    known: dict[str, Limit] = {}
    model_ids: dict[str, str] = {}  # model key -> the limit id its first row got
    strangers: list[Limit] = []
    for index, row in enumerate(rows):
        where = f"limits[{index}]"
        if not isinstance(row, Mapping):
            dropped.add(where, "not an object")
            continue
        raw_percent = row.get("percent")
        if raw_percent is None:
            continue
        percent = _percent(raw_percent)
        if percent is None:
            dropped.add(f"{where}.percent", "not a percentage")
            continue
        limit, tag = _row_limit(row, percent)
        if limit is None:
            if tag == "no kind":
                dropped.add(f"{where}.kind", "missing")
            continue
        if tag == "stranger":
            strangers.append(limit)
            continue
        model = _model(row.get("scope"))
        if limit.kind.endswith("_scoped") and model is not None:
            # The same model under two display names stays one limit, under the first name.
            key = f"{limit.kind}:{model.key}"
            limit = replace(limit, id=model_ids.setdefault(key, limit.id))
            first = known.get(limit.id)
            if first is not None:
                limit = replace(limit, label=first.label)
        known[limit.id] = _higher(known.get(limit.id), limit)
    return list(known.values()), strangers


def _higher(first: Limit | None, second: Limit) -> Limit:
    """One limit for two rows that say the same thing: the higher percent, any reset time."""
    if first is None:
        return second
    winner, other = (second, first) if second.percent > first.percent else (first, second)
    if winner.resets_at is None and other.resets_at is not None:
        winner = replace(winner, resets_at=other.resets_at)
    return winner


# --- legacy windows ------------------------------------------------------------------------


def _window(
    data: Mapping[str, Any], key: str, dropped: _Dropped
) -> tuple[float, datetime | None] | None:
    """(percent, resets_at) of a legacy window; None for a null, missing or unreadable one."""
    window = data.get(key)
    if window is None:
        return None
    if not isinstance(window, Mapping):
        dropped.add(_field_name(key), f"{_type_name(window)}, not an object")
        return None
    raw = window.get("utilization")
    if raw is None:
        return None
    percent = _percent(raw)
    if percent is None:
        dropped.add(f"{_field_name(key)}.utilization", "not a percentage")
        return None
    return percent, parse_timestamp(window.get("resets_at"))


def _limits_from_windows(data: Mapping[str, Any], dropped: _Dropped) -> list[Limit]:
    """Limits from the legacy window objects."""
    limits: list[Limit] = []
    session = _window(data, "five_hour", dropped)
    if session:
        limits.append(_session_limit(*session))
    weekly = _window(data, "seven_day", dropped)
    if weekly:
        limits.append(_all_models_limit(*weekly))
    for key, model in _LEGACY_MODEL_WINDOWS.items():
        window = _window(data, key, dropped)
        if window:
            limits.append(_model_limit(model, *window))
    seen_labels: set[str] = set()
    for key in sorted(data):
        if not key.startswith("seven_day_") or key in _LEGACY_MODEL_WINDOWS:
            continue
        if key == "seven_day_breakdown":  # a table of shares, not a limit
            continue
        value = data.get(key)
        if value is not None and not isinstance(value, Mapping):
            continue  # an unknown key of another shape: ignore, as for all unknown keys
        window = _window(data, key, dropped)
        if not window:
            continue
        name = _PRODUCT_WINDOW_NAMES.get(key) or key[len("seven_day_") :].replace("_", " ").title()
        label = clean_label(f"Weekly, {name}")
        if label in seen_labels:  # two codenames for one product (omelette / design)
            continue
        seen_labels.add(label)
        limits.append(
            Limit(
                id=clean_id(key),
                kind="weekly_scoped",
                label=label,
                percent=window[0],
                resets_at=window[1],
            )
        )
    return limits


def _merge(
    primary: Iterable[Limit], fallback: Iterable[Limit], strangers: Iterable[Limit]
) -> list[Limit]:
    """`primary` (from limits[]) first; a fallback limit only where its id is new.

    A fallback may still lend its reset time to a primary limit that lacks one.
    Limits of unknown kinds come last and only under a new id, so a row of
    kind "Session" can never replace or repeat the real session.
    """
    merged: dict[str, Limit] = {}
    for limit in [*primary, *fallback]:
        known = merged.get(limit.id)
        if known is None:
            merged[limit.id] = limit
        elif known.resets_at is None and limit.resets_at is not None:
            # Some limits[] rows come without a reset time that the legacy window has.
            merged[limit.id] = replace(known, resets_at=limit.resets_at)
    for limit in strangers:
        merged.setdefault(limit.id, limit)
    return list(merged.values())


def _ordered(limits: list[Limit]) -> list[Limit]:
    """Session first, then weekly, then scoped, then anything else; stable within each."""
    rank = {"session": 0, "weekly": 1, "weekly_scoped": 2}
    return sorted(limits, key=lambda limit: rank.get(limit.kind, 3))


# --- money ---------------------------------------------------------------------------------


class _Unreadable(Exception):
    """A money object that cannot be read as a whole (never leaves this module)."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(name)
        self.name = name
        self.why = why


def _amount(value: object, name: str) -> float | None:
    """A non-negative amount in minor units; None when absent; `_Unreadable` otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Unreadable(name, "not a number")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise _Unreadable(name, "not an amount")
    return number


def _exponent(value: object, name: str) -> int:
    """Decimal places of the minor unit: 2 when absent, `_Unreadable` when absurd."""
    if value is None:
        return 2
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Unreadable(name, "not a number")
    if value != int(value) or not 0 <= value <= _EXPONENT_MAX:
        raise _Unreadable(name, "out of range")
    return int(value)


def _major(minor: float | None, places: int) -> float | None:
    # Unrounded: 1234.5 cents are 12.345; only the text rounds, for display.
    return None if minor is None else minor / 10**places


def _currency(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    code = clean_label(value, 8).upper()
    return code if code.isalpha() else None


def _money_percent(given: object, used: float | None, limit: float | None) -> float | None:
    if limit is None:
        return None  # uncapped: a percentage of nothing would mislead
    percent = _percent(given)
    if percent is not None:
        return percent
    if used is None or limit <= 0:
        return None
    return used / limit * 100


def _money(data: Mapping[str, Any], dropped: _Dropped) -> ExtraUsage | None:
    """Extra usage in major units from `spend` (newer) or else `extra_usage`; None when off.

    Each is read whole or not at all: an unreadable one falls back to the
    other, then to None, and is named in the warning.
    """
    for name, reader in (("spend", _money_from_spend), ("extra_usage", _money_from_extra)):
        try:
            money = reader(data)
        except _Unreadable as unreadable:
            where = name if unreadable.name == name else f"{name}.{unreadable.name}"
            dropped.add(where, unreadable.why)
            continue
        if money is not None:
            return money
    return None


def _money_from_spend(data: Mapping[str, Any]) -> ExtraUsage | None:
    spend = data.get("spend")
    if spend is None:
        return None
    if not isinstance(spend, Mapping):
        raise _Unreadable("spend", "not an object")
    if spend.get("enabled") is not True:
        return None
    used_money = spend.get("used")
    if used_money is None:
        used_money = {}
    if not isinstance(used_money, Mapping):
        raise _Unreadable("used", "not an object")
    places = _exponent(used_money.get("exponent"), "used.exponent")
    used = _major(_amount(used_money.get("amount_minor"), "used.amount_minor"), places)
    limit_money = spend.get("limit")
    limit: float | None = None  # a null or absent limit is "uncapped"
    if limit_money is not None:
        if not isinstance(limit_money, Mapping):
            raise _Unreadable("limit", "not an object")
        limit_places = _exponent(limit_money.get("exponent", places), "limit.exponent")
        limit = _major(_amount(limit_money.get("amount_minor"), "limit.amount_minor"), limit_places)
        if limit is None:
            raise _Unreadable("limit.amount_minor", "missing")  # a cap, but not how much
    currency = _currency(used_money.get("currency"))
    extra = data.get("extra_usage")
    if currency is None and isinstance(extra, Mapping):
        currency = _currency(extra.get("currency"))
    return ExtraUsage(
        enabled=True,
        used=used,
        limit=limit,
        currency=currency,
        percent=_money_percent(spend.get("percent"), used, limit),
    )


def _money_from_extra(data: Mapping[str, Any]) -> ExtraUsage | None:
    extra = data.get("extra_usage")
    if extra is None:
        return None
    if not isinstance(extra, Mapping):
        raise _Unreadable("extra_usage", "not an object")
    enabled = extra.get("is_enabled")
    if enabled is False:
        return None
    places = _exponent(extra.get("decimal_places"), "decimal_places")
    used = _major(_amount(extra.get("used_credits"), "used_credits"), places)
    limit = _major(_amount(extra.get("monthly_limit"), "monthly_limit"), places)
    if enabled is not True and used is None and limit is None:
        return None  # neither switched on nor any number: the account has none
    return ExtraUsage(
        enabled=True,
        used=used,
        limit=limit,
        currency=_currency(extra.get("currency")),
        percent=_money_percent(extra.get("utilization"), used, limit),
    )
