"""The JSON documents that cross the process boundary (see interface.md).

The scraper child prints exactly one of these; the runner reads it back with
`load_document`. Both shapes are versioned (`schema_version`). This module
holds the models only: it must not parse the service's own usage body (that is
`usage_parser`) and must not do I/O.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
)

from claude_tray.errors import ClaudeTrayError, ErrorCode

SCHEMA_VERSION: Final = 1

Source = Literal["web", "claude-code"]


def to_utc(value: datetime) -> datetime:
    """A datetime in UTC; one without an offset is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _iso(value: datetime) -> str:
    # interface.md writes offsets as +00:00, which isoformat() gives and
    # pydantic's default "Z" does not.
    return to_utc(value).isoformat()


UtcDatetime = Annotated[datetime, PlainSerializer(_iso, return_type=str)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Pace(_Frozen):
    """Where a limit stands against its window's clock (interface.md `pace`).

    Filled by the parent process from the local history, never by the scraper.
    """

    elapsed_percent: float | None = None  # an even pace would be at this percent
    projected_percent: float | None = None  # at the reset, at the recent rate
    runs_out_at: UtcDatetime | None = None  # 100 % at that rate, if before the reset

    @field_validator("runs_out_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_utc(value)


class Limit(_Frozen):
    """One limit the service reports: a 5-hour session, a weekly window, …"""

    id: str
    kind: str  # "session", "weekly", "weekly_scoped", or another window's kind
    label: str
    percent: float  # the service's 0–100 scale, as reported; may exceed 100
    resets_at: UtcDatetime | None = None
    #: Set only by the parent (tray, `status`); the scraper child's documents leave it
    #: out entirely, the parent's always carry it (null when unknown).
    pace: Pace | None = None

    @field_validator("resets_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_utc(value)

    @model_serializer(mode="wrap")
    def _pace_only_when_set(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and "pace" not in self.model_fields_set:
            data.pop("pace", None)
        return data


class ExtraUsage(_Frozen):
    """Paid usage beyond the plan, in major units (e.g. dollars, not cents)."""

    enabled: bool
    used: float | None = None
    limit: float | None = None
    currency: str | None = None
    percent: float | None = None


class Account(_Frozen):
    """What the source knows about the account; every field optional."""

    organization: str | None = None
    plan: str | None = None


class UsageDocument(_Frozen):
    """A successful poll."""

    schema_version: Literal[1] = SCHEMA_VERSION
    status: Literal["success"] = "success"
    source: Source
    usage_percent: float | None = None
    tokens_used: int | None = None
    tokens_limit: int | None = None
    tokens_remaining: int | None = None
    reset_time: UtcDatetime | None = None
    last_updated: UtcDatetime
    limits: list[Limit] = Field(default_factory=list)
    extra_usage: ExtraUsage | None = None
    account: Account | None = None
    #: Sentences about problems beside a good reading (e.g. a rotated key that could
    #: not be saved to a full disk). Not in interface.md's example: it appears in
    #: the JSON only when there is something to say.
    notices: list[str] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _omit_empty_notices(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not data.get("notices"):
            data.pop("notices", None)
        return data

    @field_validator("reset_time", "last_updated")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_utc(value)

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
        top = max(limits, key=lambda limit: limit.percent, default=None)
        return cls(
            source=source,
            usage_percent=None if top is None else top.percent,
            reset_time=None if top is None else top.resets_at,
            last_updated=last_updated or datetime.now(timezone.utc),
            limits=limits,
            extra_usage=extra_usage,
            account=account,
        )

    def limit(self, limit_id: str) -> Limit | None:
        return next((limit for limit in self.limits if limit.id == limit_id), None)


class ErrorDocument(_Frozen):
    """A failed command: a stable code and a sentence for a person."""

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


class SessionDocument(_Frozen):
    """The answer of `scraper check-session` and `scraper login` on success."""

    schema_version: Literal[1] = SCHEMA_VERSION
    status: Literal["success"] = "success"
    source: Source
    logged_in: bool
    message: str


Document = UsageDocument | ErrorDocument | SessionDocument

_DOCUMENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Document)


def dump_document(document: Document) -> str:
    """One line of JSON, as the scraper prints it."""
    return document.model_dump_json()


def load_document(text: str) -> Document:
    """Read exactly one document; raises ValueError for anything else."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:  # "two documents" also lands here ("Extra data")
        raise ValueError(f"not one JSON document: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ValueError("the JSON document is not an object")
    try:
        if raw.get("status") == "error":
            return ErrorDocument.model_validate(raw)
        if "logged_in" in raw:
            return SessionDocument.model_validate(raw)
        return UsageDocument.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(f"not a claude-tray document: {exc.error_count()} problems") from None
