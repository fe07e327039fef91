"""JSON bodies in the shapes claude.ai really serves (see claude-service.md).

Usage bodies in the current shape (legacy windows plus `limits[]`), the older
windows-only shape and the enterprise shape (only `extra_usage`), the
organization list, and the error bodies. The values are the emulator's own.
Pure functions: this module must not hold state, read the clock or do I/O,
and must never put a session key or token into a body.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

from claude_tray.emulator.usage_values import UsageValues

JsonObject = dict[str, Any]

#: Product windows the service lists and mostly leaves null.
_NULL_PRODUCT_WINDOWS: Final = ("seven_day_oauth_apps", "seven_day_cowork", "seven_day_omelette")


@dataclass(frozen=True)
class Organization:
    """One organization of the emulated account."""

    uuid: str
    name: str
    capabilities: tuple[str, ...]
    rate_limit_tier: str | None
    billing_type: str | None

    @property
    def is_chat(self) -> bool:
        return "chat" in self.capabilities


def organizations_body(orgs: list[Organization], created: datetime) -> list[JsonObject]:
    """The answer of `GET /api/organizations`."""
    stamp = _iso_z(created)
    return [
        {
            "id": 9100 + index,
            "uuid": org.uuid,
            "name": org.name,
            "capabilities": list(org.capabilities),
            "rate_limit_tier": org.rate_limit_tier,
            "billing_type": org.billing_type,
            "settings": {},
            "parent_organization_uuid": None,
            "raven_type": None,
            "active_flags": [],
            "data_retention": "default",
            "api_disabled_reason": None,
            "free_credits_status": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for index, org in enumerate(orgs)
    ]


# --- usage ---------------------------------------------------------------------------------


def current_usage_body(values: UsageValues) -> JsonObject:
    """Usage in today's shape: legacy windows (per-model ones null) plus `limits[]`."""
    body: JsonObject = {
        "five_hour": _window(values.session, values.session_resets_at, micro=True),
        "seven_day": _window(values.weekly, values.weekly_resets_at, micro=False),
        "seven_day_opus": None,
        "seven_day_sonnet": None,
    }
    for key in _NULL_PRODUCT_WINDOWS:
        body[key] = None
    # Codenames appear in the real body without notice; clients must ignore them.
    body["velvet_otter"] = None
    body["copper_lantern"] = {"utilization": 0, "resets_at": None}
    body["extra_usage"] = _extra_usage(values)
    body["limits"] = list(_limit_rows(values))
    body["member_dashboard_available"] = False
    return body


def legacy_usage_body(values: UsageValues) -> JsonObject:
    """Usage in the older shape: windows only, per-model weekly windows as keys, no `limits[]`."""
    scoped = {name.lower(): value for name, value in values.scoped.items()}
    body: JsonObject = {
        "five_hour": _window(values.session, values.session_resets_at, micro=True),
        "seven_day": _window(values.weekly, values.weekly_resets_at, micro=False),
    }
    for model in ("opus", "sonnet"):
        value = scoped.get(model)
        body[f"seven_day_{model}"] = (
            None if value is None else {"utilization": _number(value), "resets_at": None}
        )
    body["seven_day_oauth_apps"] = None
    extra = _extra_usage(values)
    # The older body had no decimal_places (clients default to 2).
    extra.pop("decimal_places")
    body["extra_usage"] = extra
    return body


def enterprise_usage_body(values: UsageValues) -> JsonObject:
    """An enterprise account: every window null, only `extra_usage`."""
    body: JsonObject = {
        "five_hour": None,
        "seven_day": None,
        "seven_day_opus": None,
        "seven_day_sonnet": None,
    }
    for key in _NULL_PRODUCT_WINDOWS:
        body[key] = None
    body["extra_usage"] = _extra_usage(values)
    return body


def usage_body_for(scenario: str, values: UsageValues) -> JsonObject:
    """The usage body of the shape `scenario` asks for (current shape by default)."""
    if scenario == "legacy":
        return legacy_usage_body(values)
    if scenario == "no_windows":
        return enterprise_usage_body(values)
    return current_usage_body(values)


def _window(percent: float | None, resets_at: datetime | None, *, micro: bool) -> JsonObject | None:
    if percent is None:
        return None
    return {
        "utilization": float(percent),
        "resets_at": _iso_micro(resets_at) if micro else _iso_z(resets_at),
        "limit_dollars": None,
        "used_dollars": None,
        "remaining_dollars": None,
        "locked_reason": None,
    }


def _limit_rows(values: UsageValues) -> Iterator[JsonObject]:
    rows: list[tuple[str, str, float, datetime | None, str | None]] = []
    if values.session is not None:
        rows.append(("session", "session", values.session, values.session_resets_at, None))
    if values.weekly is not None:
        rows.append(("weekly_all", "weekly", values.weekly, values.weekly_resets_at, None))
    for name, percent in values.scoped.items():
        rows.append(("weekly_scoped", "weekly", percent, values.weekly_resets_at, name))
    highest = max((row[2] for row in rows), default=None)
    for kind, group, percent, resets_at, model in rows:
        yield {
            "kind": kind,
            "group": group,
            "percent": _number(percent),
            "resets_at": _iso_offset(resets_at),
            "scope": None
            if model is None
            else {"model": {"id": None, "display_name": model}, "surface": None},
            "severity": _severity(percent),
            "is_active": percent == highest,
        }


def _severity(percent: float) -> str:
    if percent >= 90:
        return "critical"
    if percent >= 75:
        return "warning"
    return "normal"


def _extra_usage(values: UsageValues) -> JsonObject:
    if not values.extra_enabled:
        return {
            "is_enabled": False,
            "monthly_limit": None,
            "used_credits": None,
            "utilization": None,
            "currency": None,
            "decimal_places": None,
        }
    limit = _minor(values.extra_limit)
    used = _minor(values.extra_used)
    utilization = None if not limit or used is None else round(100.0 * used / limit, 2)
    return {
        "is_enabled": True,
        # Minor units (cents): 2500 is 25.00.
        "monthly_limit": limit,
        "used_credits": used,
        "utilization": utilization,
        "currency": values.currency,
        "decimal_places": 2,
    }


def _minor(amount: float | None) -> int | None:
    return None if amount is None else round(amount * 100)


def _number(value: float) -> int | float:
    """An int when the value is whole (the service mostly sends ints), else the float."""
    return int(value) if float(value).is_integer() else value


# The real service mixes these timestamp forms; so does the emulator.
def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment


def _iso_micro(moment: datetime | None) -> str | None:
    """2026-11-29T17:40:00.000000+00:00"""
    if moment is None:
        return None
    return _utc(moment).isoformat(timespec="microseconds")


def _iso_z(moment: datetime | None) -> str | None:
    """2026-11-29T17:40:00.000Z"""
    if moment is None:
        return None
    return _utc(moment).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _iso_offset(moment: datetime | None) -> str | None:
    """2026-11-29T17:40:00+00:00"""
    if moment is None:
        return None
    return _utc(moment).isoformat(timespec="seconds")


# --- errors --------------------------------------------------------------------------------


def _error(kind: str, message: str, **extra: Any) -> JsonObject:
    error: JsonObject = {"type": kind, "message": message}
    error.update(extra)
    return {"type": "error", "error": error}


def session_invalid_error() -> JsonObject:
    """403 (or 401) for an unknown, expired or revoked session key."""
    return _error(
        "permission_error",
        "Invalid authorization",
        details={"error_code": "account_session_invalid"},
    )


def new_key_not_ready_error() -> JsonObject:
    """401 that a brand-new key answers for a few requests after login."""
    return _error("authentication_error", "Unauthorized")


def organization_forbidden_error() -> JsonObject:
    """403 for an organization the session may not read usage of (e.g. API-only)."""
    return _error(
        "permission_error",
        "Invalid authorization for organization",
        details={"error_visibility": "user_facing"},
    )


def rate_limit_error() -> JsonObject:
    """429 body (this one has no top-level `type`, as the service sends it)."""
    message = "Rate limited. Please try again later."
    return {"error": {"message": message, "type": "rate_limit_error"}}


def server_error_body() -> JsonObject:
    """500 body."""
    return _error("api_error", "Internal server error")


def not_found_error() -> JsonObject:
    """404 body for an unknown API path."""
    return _error("not_found_error", "Not found")


def oauth_invalid_error() -> JsonObject:
    """401: a missing or unknown bearer token."""
    return _error("authentication_error", "Invalid bearer token")


def oauth_beta_missing_error() -> JsonObject:
    """401: the OAuth usage endpoint called without `anthropic-beta: oauth-2025-04-20`."""
    return _error("authentication_error", "OAuth authentication is currently not supported.")


def oauth_expired_error() -> JsonObject:
    """401: an expired access token."""
    return _error(
        "authentication_error",
        "OAuth token has expired. Please obtain a new token or refresh your existing token.",
    )


def oauth_scope_error() -> JsonObject:
    """403: a token without the user:profile scope."""
    return _error("permission_error", "OAuth token does not meet scope requirement user:profile")
