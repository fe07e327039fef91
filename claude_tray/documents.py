"""The JSON documents that cross the process boundary (see interface.md).

The scraper child builds one of these and prints it with `dump_document`
(plain `json`); the parent reads it back with `load_document`, which checks
every field strictly against the dataclasses (`from_json_data`). The schema is
written once, here, as frozen stdlib dataclasses, and neither process imports
pydantic for it (it costs about 15-20 MB and 0.1 s of CPU, issue 12):
tests/test_documents_reference.py holds the strict reader to pydantic's strict
validation of the same dataclasses. Both shapes are versioned (`schema_version`).

This module holds the documents only: it must not parse the service's own
usage body (that is `usage_parser`), must not do I/O, and must not import
pydantic.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Literal, TypeVar, Union, cast

from claude_tray.errors import ClaudeTrayError, ErrorCode

SCHEMA_VERSION: Final = 1

Source = Literal["web", "claude-code"]

#: An unknown key is an error. `from_json_data` refuses one itself; this is
#: what pydantic reads from a stdlib dataclass (`__pydantic_config__`) in the
#: test that holds `from_json_data` to pydantic's strict validation.
_STRICT_KEYS: Final[Mapping[str, Any]] = {"extra": "forbid"}

#: Field metadata: leave the field out of the JSON when it is empty (an
#: optional extra that interface.md's example does not show).
OMIT_EMPTY: Final[Mapping[str, bool]] = {"omit_empty": True}
#: Field metadata: filled only by the parent (tray, `status`); the scraper
#: child's documents leave it out entirely (`dump_document(parent_fields=False)`),
#: the parent's always carry it, null when unknown.
PARENT_ONLY: Final[Mapping[str, bool]] = {"parent_only": True}

_T = TypeVar("_T")


def to_utc(value: datetime) -> datetime:
    """A datetime in UTC; one without an offset is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _utc_fields(document: object, *names: str) -> None:
    # Frozen dataclasses: normalise in place once, at construction (and after
    # pydantic's validation, which calls __post_init__ too).
    for name in names:
        value = getattr(document, name)
        if isinstance(value, datetime):
            object.__setattr__(document, name, to_utc(value))


class _Copyable:
    """`model_copy(update=...)` as the pydantic models had it, for code written against them.

    New code: `dataclasses.replace(document, field=value)`.
    """

    def model_copy(self: _T, *, update: Mapping[str, Any] | None = None) -> _T:
        return dataclasses.replace(self, **dict(update or {}))  # type: ignore[type-var]


@dataclass(frozen=True, kw_only=True)
class Pace(_Copyable):
    """Where a limit stands against its window's clock (interface.md `pace`).

    Filled by the parent process from the local history, never by the scraper.
    """

    __pydantic_config__ = _STRICT_KEYS

    elapsed_percent: float | None = None  # an even pace would be at this percent
    projected_percent: float | None = None  # at the reset, at the recent rate
    runs_out_at: datetime | None = None  # 100 % at that rate, if before the reset

    def __post_init__(self) -> None:
        _utc_fields(self, "runs_out_at")


@dataclass(frozen=True, kw_only=True)
class Limit(_Copyable):
    """One limit the service reports: a 5-hour session, a weekly window, …"""

    __pydantic_config__ = _STRICT_KEYS

    id: str
    kind: str  # "session", "weekly", "weekly_scoped", or another window's kind
    label: str
    percent: float  # the service's 0–100 scale, as reported; may exceed 100
    resets_at: datetime | None = None
    pace: Pace | None = field(default=None, metadata=PARENT_ONLY)

    def __post_init__(self) -> None:
        _utc_fields(self, "resets_at")


@dataclass(frozen=True, kw_only=True)
class ExtraUsage(_Copyable):
    """Paid usage beyond the plan, in major units (e.g. dollars, not cents)."""

    __pydantic_config__ = _STRICT_KEYS

    enabled: bool
    used: float | None = None
    limit: float | None = None
    currency: str | None = None
    percent: float | None = None


@dataclass(frozen=True, kw_only=True)
class Account(_Copyable):
    """What the source knows about the account; every field optional."""

    __pydantic_config__ = _STRICT_KEYS

    organization: str | None = None
    plan: str | None = None


def _highest(limits: list[Limit]) -> Limit | None:
    """The limit nearest to stopping you: the document's headline."""
    return max(limits, key=lambda limit: limit.percent, default=None)


@dataclass(frozen=True, kw_only=True)
class UsageDocument(_Copyable):
    """A successful poll."""

    __pydantic_config__ = _STRICT_KEYS

    schema_version: Literal[1] = SCHEMA_VERSION
    status: Literal["success"] = "success"
    source: Source
    usage_percent: float | None = None
    tokens_used: int | None = None
    tokens_limit: int | None = None
    tokens_remaining: int | None = None
    reset_time: datetime | None = None
    last_updated: datetime
    limits: list[Limit] = field(default_factory=list)
    extra_usage: ExtraUsage | None = None
    account: Account | None = None
    #: Sentences about problems beside a good reading (e.g. a rotated key that could
    #: not be saved to a full disk). Not in interface.md's example: it appears in
    #: the JSON only when there is something to say.
    notices: list[str] = field(default_factory=list, metadata=OMIT_EMPTY)

    def __post_init__(self) -> None:
        _utc_fields(self, "reset_time", "last_updated")

    @classmethod
    def build(
        cls,
        *,
        source: Source,
        limits: list[Limit],
        extra_usage: ExtraUsage | None = None,
        account: Account | None = None,
        last_updated: datetime | None = None,
    ) -> UsageDocument:
        """A document whose headline (`usage_percent`, `reset_time`) is the highest limit."""
        top = _highest(limits)
        return cls(
            source=source,
            usage_percent=None if top is None else top.percent,
            reset_time=None if top is None else top.resets_at,
            last_updated=last_updated or datetime.now(timezone.utc),
            limits=limits,
            extra_usage=extra_usage,
            account=account,
        )

    def with_limits(self, limits: list[Limit]) -> UsageDocument:
        """A copy with `limits`, its headline worked out again from them (as `build`)."""
        top = _highest(limits)
        return dataclasses.replace(
            self,
            limits=limits,
            usage_percent=None if top is None else top.percent,
            reset_time=None if top is None else top.resets_at,
        )

    def limit(self, limit_id: str) -> Limit | None:
        return next((limit for limit in self.limits if limit.id == limit_id), None)


@dataclass(frozen=True, kw_only=True)
class ErrorDocument(_Copyable):
    """A failed command: a stable code and a sentence for a person."""

    __pydantic_config__ = _STRICT_KEYS

    schema_version: Literal[1] = SCHEMA_VERSION
    status: Literal["error"] = "error"
    error: ErrorCode
    message: str
    retry_after: float | None = None

    @classmethod
    def from_error(cls, error: ClaudeTrayError) -> ErrorDocument:
        return cls(error=error.code, message=error.message, retry_after=error.retry_after)

    def to_error(self) -> ClaudeTrayError:
        return ClaudeTrayError(self.error, self.message, retry_after=self.retry_after)


@dataclass(frozen=True, kw_only=True)
class SessionDocument(_Copyable):
    """The answer of `scraper check-session` and `scraper login` on success."""

    __pydantic_config__ = _STRICT_KEYS

    schema_version: Literal[1] = SCHEMA_VERSION
    status: Literal["success"] = "success"
    source: Source
    logged_in: bool
    message: str


Document = UsageDocument | ErrorDocument | SessionDocument


def to_json_data(value: object, *, parent_fields: bool = True) -> Any:
    """Plain JSON data for a document or any part of one (dataclasses, lists, times, codes).

    Times are ISO-8601 with `+00:00` (interface.md), codes their value; a
    field marked `OMIT_EMPTY` is left out while it is empty, and one marked
    `PARENT_ONLY` when `parent_fields` is false.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data: dict[str, Any] = {}
        for item in dataclasses.fields(value):
            member = getattr(value, item.name)
            if item.metadata.get("omit_empty") and not member:
                continue
            if item.metadata.get("parent_only") and not parent_fields:
                continue
            data[item.name] = to_json_data(member, parent_fields=parent_fields)
        return data
    if isinstance(value, datetime):
        return to_utc(value).isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_json_data(member, parent_fields=parent_fields) for member in value]
    if isinstance(value, dict):
        return {
            str(key): to_json_data(member, parent_fields=parent_fields)
            for key, member in value.items()
        }
    return value


def dump_document(document: Document, *, parent_fields: bool = True) -> str:
    """One line of compact JSON. The scraper child passes `parent_fields=False`."""
    data = to_json_data(document, parent_fields=parent_fields)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def document_kind(raw: Mapping[str, object]) -> type[Document]:
    """Which document a decoded JSON object claims to be (then checked as that)."""
    if raw.get("status") == "error":
        return ErrorDocument
    if "logged_in" in raw:
        return SessionDocument
    return UsageDocument


def from_json_data(kind: type[_T], raw: object) -> _T:
    """A `kind` from decoded JSON, checked strictly; raises ValueError for anything off-schema.

    Every field must have exactly the type the dataclass says: an int counts
    as a float, but a boolean is no number, a string no number, a float no
    int; times are RFC 3339 strings (an offset-less one is taken as UTC, as
    `to_utc` does); codes are their values; no unknown keys, no missing
    required ones. tests/test_documents_reference.py holds it to pydantic's
    strict validation of the same dataclasses (and lists where they differ).
    """
    return cast("_T", _build(kind, raw, kind.__name__))


#: RFC 3339 date-time as pydantic's strict parser takes it: `T`, `t` or a space
#: between date and time, seconds and fraction optional, `Z`/`z`/`+HH:MM`/`+HHMM`
#: or no offset. ASCII digits only (`\d` would take other scripts' digits too).
#: Compiled on first use (`re` keeps it): the scraper child never reads a document.
_TIME = (
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?"
)


def _time(raw: object, where: str) -> datetime:
    match = re.fullmatch(_TIME, raw) if isinstance(raw, str) else None
    if match is None:
        raise ValueError(f"{where}: not a time")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    tz: timezone | None = None
    if zulu:
        tz = timezone.utc
    elif sign:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValueError(f"{where}: not a time")
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))  # truncated to microseconds
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError:  # 2026-02-30, 24:00, 12:00:60
        raise ValueError(f"{where}: not a time") from None


def _build(annotation: Any, raw: object, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: not an object")
        hints = _hints(annotation)
        known = {item.name for item in dataclasses.fields(annotation) if item.init}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        values = {name: _build(hints[name], raw[name], f"{where}.{name}") for name in raw}
        try:
            return annotation(**values)
        except TypeError as exc:  # a required field is missing
            raise ValueError(f"{where}: {exc}") from None
        except OverflowError:  # a time that leaves datetime's range once made UTC
            raise ValueError(f"{where}: a time out of range") from None
    if origin in (Union, types.UnionType):
        members = typing.get_args(annotation)
        if raw is None and type(None) in members:
            return None
        for member in members:
            if member is type(None):
                continue
            with contextlib.suppress(ValueError):
                return _build(member, raw, where)
        raise ValueError(f"{where}: none of the allowed types")
    if origin is Literal:
        # Same type as well as equal: `true` and `1.0` are not the version 1.
        if any(
            type(raw) is type(choice) and raw == choice for choice in typing.get_args(annotation)
        ):
            return raw
        raise ValueError(f"{where}: not one of the allowed values")
    if origin is list:
        if not isinstance(raw, list):
            raise ValueError(f"{where}: not a list")
        (member,) = typing.get_args(annotation)
        return [_build(member, item, f"{where}[{index}]") for index, item in enumerate(raw)]
    if annotation is datetime:
        return _time(raw, where)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        try:
            return annotation(raw)
        except ValueError:
            raise ValueError(f"{where}: not one of the known codes") from None
    if annotation is float:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            try:
                return float(raw)
            except OverflowError:  # an integer beyond any float
                raise ValueError(f"{where}: a number out of range") from None
        raise ValueError(f"{where}: not a number")
    if annotation in (int, str, bool):
        if type(raw) is annotation:
            return raw
        raise ValueError(f"{where}: not a {annotation.__name__}")
    raise ValueError(f"{where}: cannot read {annotation!r}")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(kind: type) -> dict[str, Any]:
    hints = _HINTS.get(kind)
    if hints is None:
        hints = _HINTS[kind] = typing.get_type_hints(kind)
    return hints


def load_document(text: str) -> Document:
    """Read exactly one document, checked field by field; raises ValueError for anything else."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:  # "two documents" also lands here ("Extra data")
        raise ValueError(f"not one JSON document: {exc.msg}") from None
    except RecursionError:  # json recurses into nested arrays and objects
        raise ValueError("not one JSON document: nested too deeply") from None
    if not isinstance(raw, dict):
        raise ValueError("the JSON document is not an object")
    try:
        return from_json_data(document_kind(raw), raw)
    except RecursionError:
        raise ValueError("not a claude-tray document: nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"not a claude-tray document: {exc}") from None
