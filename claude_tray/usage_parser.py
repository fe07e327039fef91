"""Turning the service's own usage body into our usage document.

Both sources (claude.ai's `/api/organizations/{org}/usage` and Claude Code's
`/api/oauth/usage`) answer with the same body; `claude-service.md` describes
it. The rules, each a complaint about other monitors:

- `limits[]` wins when present; legacy windows (`five_hour`, `seven_day`,
  `seven_day_<model>`, …) only fill in what it lacks, never a limit twice.
- A null or missing window is no limit: never 0 %, never 100 %.
- Percentages stay on the service's 0–100 scale, as reported, above 100 too;
  nothing here guesses a 0–1 scale.
- Money arrives in minor units (cents) and leaves in major units.

`parse_usage_body` raises `UsageParseError` and nothing else, whatever it is
given. This module must not do I/O, must not log, and must not know where
the body came from beyond the `source` label it copies.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from claude_tray.documents import ExtraUsage, Limit, Source, UsageDocument
from claude_tray.errors import UsageParseError

#: Keys that mark a body as a usage document (an account may have only some).
_USAGE_KEYS = ("five_hour", "seven_day", "limits", "extra_usage", "spend")

#: Legacy per-model weekly windows: key -> model name.
_LEGACY_MODEL_WINDOWS = {"seven_day_opus": "Opus", "seven_day_sonnet": "Sonnet"}

#: Product windows whose codename is known: key -> label suffix.
_PRODUCT_WINDOW_NAMES = {
    "seven_day_oauth_apps": "OAuth apps",
    "seven_day_cowork": "Cowork",
    "seven_day_omelette": "Claude Design",
    "seven_day_design": "Claude Design",
    "seven_day_routines": "Routines",
}

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_usage_body(
    body: bytes | str | object, *, source: Source, now: datetime | None = None
) -> UsageDocument:
    """Our usage document for the service's usage body.

    `body` may be the raw bytes or text of the answer, or JSON already decoded.
    Raises `UsageParseError` for anything that is not a usage body.
    """
    try:
        data = _decode(body)
        if not isinstance(data, dict):
            raise UsageParseError(f"expected a JSON object, got {_type_name(data)}")
        if data.get("type") == "error" or "error" in data:
            raise UsageParseError("the service answered with an error instead of usage")
        if not any(key in data for key in _USAGE_KEYS):
            raise UsageParseError("the answer has none of the usage fields")
        limits = _merge(_limits_from_rows(data.get("limits")), _limits_from_windows(data))
        return UsageDocument.build(
            source=source,
            limits=_ordered(limits),
            extra_usage=_money(data),
            last_updated=now,
        )
    except UsageParseError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        # Belt and braces: whatever a stranger document trips over, the caller
        # gets the one documented error type (ValidationError is a ValueError).
        detail = "unexpected structure" if isinstance(exc, ValidationError) else type(exc).__name__
        raise UsageParseError(detail) from None


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
    """A finite, non-negative number, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    if not math.isfinite(number) or number < 0:
        return None
    return number


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _model_name(scope: object) -> str | None:
    if not isinstance(scope, Mapping):
        return None
    model = scope.get("model")
    if not isinstance(model, Mapping):
        return None
    name = model.get("display_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    return None


def _session_limit(percent: float, resets_at: datetime | None) -> Limit:
    return Limit(
        id="session", kind="session", label="Current session", percent=percent, resets_at=resets_at
    )


def _weekly_limit(percent: float, resets_at: datetime | None) -> Limit:
    return Limit(
        id="weekly_all",
        kind="weekly",
        label="Weekly, all models",
        percent=percent,
        resets_at=resets_at,
    )


def _model_limit(model: str, percent: float, resets_at: datetime | None) -> Limit:
    """A per-model weekly limit; its id is the same from limits[] and from a legacy window."""
    return Limit(
        id=f"weekly_{_slug(model)}",
        kind="weekly_scoped",
        label=f"Weekly, {model}",
        percent=percent,
        resets_at=resets_at,
    )


def _limits_from_rows(rows: object) -> list[Limit]:
    """Limits from the newer `limits[]` list; malformed rows are skipped, as the service advises."""
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise UsageParseError(f"'limits' is {_type_name(rows)}, not a list")
    limits: list[Limit] = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        percent = _percent(row.get("percent"))
        kind = row.get("kind")
        if percent is None or not isinstance(kind, str) or not kind:
            continue
        resets_at = parse_timestamp(row.get("resets_at"))
        model = _model_name(row.get("scope"))
        if kind == "session":
            limits.append(_session_limit(percent, resets_at))
        elif kind == "weekly_all":
            limits.append(_weekly_limit(percent, resets_at))
        elif kind == "weekly_scoped":
            if model is None or not _slug(model):
                continue  # a scoped limit without its model says nothing a person can use
            limits.append(_model_limit(model, percent, resets_at))
        elif _slug(kind):
            # A kind the service added after this was written: show it rather than hide it.
            suffix = f"_{_slug(model)}" if model and _slug(model) else ""
            label = kind.replace("_", " ").capitalize() + (f", {model}" if model else "")
            limits.append(
                Limit(
                    id=f"{_slug(kind)}{suffix}",
                    kind=_slug(kind),
                    label=label,
                    percent=percent,
                    resets_at=resets_at,
                )
            )
    return limits


def _window(data: Mapping[str, Any], key: str) -> tuple[float, datetime | None] | None:
    """(percent, resets_at) of a legacy window, or None for a null or missing one."""
    window = data.get(key)
    if window is None:
        return None
    if not isinstance(window, Mapping):
        raise UsageParseError(f"'{key}' is {_type_name(window)}, not an object")
    raw = window.get("utilization")
    if raw is None:
        return None
    percent = _percent(raw)
    if percent is None:
        raise UsageParseError(f"'{key}.utilization' is not a percentage")
    return percent, parse_timestamp(window.get("resets_at"))


def _limits_from_windows(data: Mapping[str, Any]) -> list[Limit]:
    """Limits from the legacy window objects."""
    limits: list[Limit] = []
    session = _window(data, "five_hour")
    if session:
        limits.append(_session_limit(*session))
    weekly = _window(data, "seven_day")
    if weekly:
        limits.append(_weekly_limit(*weekly))
    for key, model in _LEGACY_MODEL_WINDOWS.items():
        window = _window(data, key)
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
        window = _window(data, key)
        if not window:
            continue
        name = _PRODUCT_WINDOW_NAMES.get(key) or key[len("seven_day_") :].replace("_", " ").title()
        if name in seen_labels:  # two codenames for one product (omelette / design)
            continue
        seen_labels.add(name)
        limits.append(
            Limit(
                id=key,
                kind="weekly_scoped",
                label=f"Weekly, {name}",
                percent=window[0],
                resets_at=window[1],
            )
        )
    return limits


def _merge(primary: Iterable[Limit], fallback: Iterable[Limit]) -> list[Limit]:
    """`primary` (from limits[]) first; a fallback limit only where its id is new.

    A fallback may still lend its reset time to a primary limit that lacks one.
    """
    merged: dict[str, Limit] = {}
    for limit in [*primary, *fallback]:
        known = merged.get(limit.id)
        if known is None:
            merged[limit.id] = limit
        elif known.resets_at is None and limit.resets_at is not None:
            # Some limits[] rows come without a reset time that the legacy window has.
            merged[limit.id] = known.model_copy(update={"resets_at": limit.resets_at})
    return list(merged.values())


def _ordered(limits: list[Limit]) -> list[Limit]:
    """Session first, then weekly, then scoped, then anything else; stable within each."""
    rank = {"session": 0, "weekly": 1, "weekly_scoped": 2}
    return sorted(limits, key=lambda limit: rank.get(limit.kind, 3))


def _minor_to_major(amount: object, places: int) -> float | None:
    number = _percent(amount)  # money here is never negative or non-finite either
    return None if number is None else round(number / (10**places), max(places, 2))


def _money(data: Mapping[str, Any]) -> ExtraUsage | None:
    """Extra usage in major units from `spend` (newer) or `extra_usage`; None when off."""
    return _money_from_spend(data.get("spend"), data.get("extra_usage")) or _money_from_extra(
        data.get("extra_usage")
    )


def _places(value: object, default: int = 2) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        return default
    return value


def _currency(value: object) -> str | None:
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


def _money_from_spend(spend: object, extra: object) -> ExtraUsage | None:
    if not isinstance(spend, Mapping) or spend.get("enabled") is not True:
        return None
    used_money = spend.get("used")
    if not isinstance(used_money, Mapping):
        return None
    places = _places(used_money.get("exponent"))
    used = _minor_to_major(used_money.get("amount_minor"), places)
    if used is None:
        return None
    limit_money = spend.get("limit")
    limit = None
    if isinstance(limit_money, Mapping):
        limit = _minor_to_major(
            limit_money.get("amount_minor"), _places(limit_money.get("exponent"), places)
        )
    currency = _currency(used_money.get("currency"))
    if currency is None and isinstance(extra, Mapping):
        currency = _currency(extra.get("currency"))
    percent = _percent(spend.get("percent"))
    if limit:
        percent = percent if percent is not None else round(used / limit * 100, 2)
    elif limit is None:
        percent = None  # uncapped: a percentage of nothing would mislead
    return ExtraUsage(enabled=True, used=used, limit=limit, currency=currency, percent=percent)


def _money_from_extra(extra: object) -> ExtraUsage | None:
    if not isinstance(extra, Mapping):
        return None
    enabled = extra.get("is_enabled")
    if enabled is False:
        return None
    places = _places(extra.get("decimal_places"))
    used = _minor_to_major(extra.get("used_credits"), places)
    limit = _minor_to_major(extra.get("monthly_limit"), places)
    if enabled is None and used is None and limit is None:
        return None  # neither switched on nor any number: the account has none
    percent = _percent(extra.get("utilization"))
    if percent is None and used is not None and limit:
        percent = round(used / limit * 100, 2)
    return ExtraUsage(
        enabled=True,
        used=used,
        limit=limit,
        currency=_currency(extra.get("currency")),
        percent=percent,
    )
