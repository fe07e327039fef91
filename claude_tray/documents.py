"""The JSON documents that cross the process boundary (see interface.md).

The scraper child builds one of these and prints it with `dump_document`
(plain `json`); the parent reads it back with `load_document`, which validates
every field through pydantic. The schema is written once, here, as frozen
stdlib dataclasses: the child never imports pydantic (it costs about 20 MB and
most of a poll's start-up, issue 12), the parent imports it lazily on its
first `load_document`. Both shapes are versioned (`schema_version`).

This module holds the documents only: it must not parse the service's own
usage body (that is `usage_parser`), must not do I/O, and must not import
pydantic at module level.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, Union, cast

from claude_tray.errors import ClaudeTrayError, ErrorCode

if TYPE_CHECKING:
    from pydantic import TypeAdapter

SCHEMA_VERSION: Final = 1

Source = Literal["web", "claude-code"]

#: What pydantic reads from a stdlib dataclass (`__pydantic_config__`): an
#: unknown key is an error, as it was with the pydantic models.
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


_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def _adapter(kind: object) -> TypeAdapter[Any]:
    # Imported here: the scraper child never loads a document, the parent pays
    # for pydantic once, on its first document, and builds each adapter once
    # (two threads racing here only build it twice).
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def warm_up_validation() -> None:
    """Build the validators now (about 50 ms of CPU), e.g. in a thread while a child runs."""
    for kind in (UsageDocument, ErrorDocument, SessionDocument):
        _adapter(kind)


def validate_document(raw: object, kind: type[_T]) -> _T:
    """`raw` (decoded JSON) checked field by field as a `kind`; raises ValueError."""
    from pydantic import ValidationError

    try:
        return cast("_T", _adapter(kind).validate_python(raw))
    except ValidationError as exc:
        raise ValueError(f"not a claude-tray document: {exc.error_count()} problems") from None


def from_json_data(kind: type[_T], raw: object) -> _T:
    """A `kind` from JSON data this program wrote itself (the usage cache), without pydantic.

    Strict and small: every field must have exactly the type the dataclass
    says (an int counts as a float), no unknown keys; raises ValueError
    otherwise. Documents from the scraper child go through `load_document`
    (pydantic) instead: this is for our own files on the quick paths (issue 12).
    """
    return cast("_T", _build(kind, raw, kind.__name__))


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
        if raw in typing.get_args(annotation) and not isinstance(raw, bool):
            return raw
        raise ValueError(f"{where}: not one of the allowed values")
    if origin is list:
        if not isinstance(raw, list):
            raise ValueError(f"{where}: not a list")
        (member,) = typing.get_args(annotation)
        return [_build(member, item, f"{where}[{index}]") for index, item in enumerate(raw)]
    if annotation is datetime:
        if not isinstance(raw, str):
            raise ValueError(f"{where}: not a time")
        return datetime.fromisoformat(raw)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation(raw)
    if annotation is float:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
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
    """Read exactly one document; raises ValueError for anything else."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:  # "two documents" also lands here ("Extra data")
        raise ValueError(f"not one JSON document: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ValueError("the JSON document is not an object")
    kind: type[Document]
    if raw.get("status") == "error":
        kind = ErrorDocument
    elif "logged_in" in raw:
        kind = SessionDocument
    else:
        kind = UsageDocument
    return validate_document(raw, kind)
