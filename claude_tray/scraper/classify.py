"""Turning one HTTP answer from the service into an error (or no error).

The tables of `interface.md` and `claude-service.md` live here, once, for both
sources and both transports. A few failures get their own exception class
because the web source reacts to them before they become an error document:
a Cloudflare challenge (try the browser path), a wrong organization (choose
another one once), a plain 401 (a brand-new key may need a second try).

This module must not do I/O, must not sleep or retry, and must never put a
response body, a header value or any other secret into a message: messages are
sentences a person can act on.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.scraper.transport import HttpResponse

SourceKind = Literal["web", "claude-code"]

#: Markers of a Cloudflare challenge page (claude-service.md, "Cloudflare").
_CHALLENGE_MARKERS = (b"/cdn-cgi/challenge-platform/", b"Just a moment", b"cf-chl-")

#: How much of a body is searched for markers and error details.
_SNIFF_BYTES = 64 * 1024

_EXPIRED_WEB = "Your claude.ai session has expired. Log in again with `claude-tray login`."
_UNAUTHORIZED_WEB = (
    "claude.ai did not accept the stored session just now (HTTP 401). It is kept and "
    "tried again at the next refresh; if this goes on, log in again with `claude-tray login`."
)
_EXPIRED_OAUTH = (
    "Your Claude Code login has expired or was revoked. Open Claude Code so it "
    "refreshes its login, then try again."
)


class ChallengedError(ClaudeTrayError):
    """Raised for a Cloudflare challenge; the web source then tries the browser path."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.BLOCKED,
            "claude.ai asked for a browser check (Cloudflare) that claude-tray could not "
            "pass. Your session is kept; claude-tray will try again later. If this "
            "persists, turn off a VPN or open claude.ai in your browser once.",
        )


class WrongOrganizationError(ClaudeTrayError):
    """Raised for 403 "Invalid authorization for organization"; the web source re-chooses once."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.FORBIDDEN,
            "The organization claude-tray chose for your account does not allow reading "
            "plan usage (it may be an API-only organization). Switch to your chat "
            "organization on claude.ai and log in again.",
        )


class UnauthorizedError(ClaudeTrayError):
    """Raised for a 401 without details; a brand-new web key may still become valid.

    Reported as `session_expired`, but it is not proof of a logout: the web
    source keeps the key and tries it again on the next poll (issue 7).
    """

    def __init__(self, source: SourceKind) -> None:
        super().__init__(
            ErrorCode.SESSION_EXPIRED, _UNAUTHORIZED_WEB if source == "web" else _EXPIRED_OAUTH
        )


class SessionInvalidError(ClaudeTrayError):
    """Raised when the service says the session is invalid (`account_session_invalid`)."""

    def __init__(self, source: SourceKind) -> None:
        super().__init__(
            ErrorCode.SESSION_EXPIRED, _EXPIRED_WEB if source == "web" else _EXPIRED_OAUTH
        )


def is_challenge(response: HttpResponse) -> bool:
    """Whether the answer is a Cloudflare challenge rather than the service itself."""
    if response.status not in (403, 503):
        return False
    if response.headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return True
    head = response.body[:_SNIFF_BYTES]
    return any(marker in head for marker in _CHALLENGE_MARKERS)


def _error_details(response: HttpResponse) -> tuple[str, str, str]:
    """(error type, message, details.error_code) of a JSON error body, '' when absent."""
    try:
        raw: Any = json.loads(response.body[:_SNIFF_BYTES])
    except ValueError:
        return "", "", ""
    if not isinstance(raw, dict):
        return "", "", ""
    error = raw.get("error")
    if not isinstance(error, dict):
        return "", "", ""
    details = error.get("details")
    code = details.get("error_code") if isinstance(details, dict) else None
    kind = error.get("type")
    message = error.get("message")
    return (
        kind if isinstance(kind, str) else "",
        message if isinstance(message, str) else "",
        code if isinstance(code, str) else "",
    )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a `Retry-After` header: delta seconds or an HTTP date; None when unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unusable
    from email.utils import parsedate_to_datetime  # only for the rare date form

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(0.0, round(when.timestamp() - current, 3))


def classify(response: HttpResponse, *, source: SourceKind) -> ClaudeTrayError | None:
    """The error an answer means, or None for a 2xx answer (whose body the caller parses).

    The returned exception is not raised here; the caller decides what to do.
    """
    status = response.status
    if 200 <= status < 300:
        return None
    if is_challenge(response):
        return ChallengedError()
    _kind, message, detail_code = _error_details(response)
    lowered = message.lower()
    if detail_code == "account_session_invalid":
        return SessionInvalidError(source)
    if status == 401:
        return UnauthorizedError(source)
    if status == 403:
        if "invalid authorization for organization" in lowered:
            return WrongOrganizationError()
        if "scope" in lowered:
            return ClaudeTrayError(
                ErrorCode.FORBIDDEN,
                "Your Claude Code login is not allowed to read plan usage (it lacks the "
                "user:profile permission). Log in to Claude Code again with `claude` "
                "and `/login`.",
            )
        if source == "web":
            return ClaudeTrayError(
                ErrorCode.FORBIDDEN,
                "claude.ai refused to show the usage of this account (HTTP 403). Your "
                "session is kept; check that this account has a Claude plan.",
            )
        return ClaudeTrayError(
            ErrorCode.FORBIDDEN,
            "The Anthropic API refused to show the usage of this Claude Code login "
            "(HTTP 403). Check that the account has a Claude plan.",
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return ClaudeTrayError(
            ErrorCode.RATE_LIMITED,
            "The service is limiting how often usage can be read (HTTP 429). "
            "claude-tray will wait and try again later.",
            retry_after=retry_after,
        )
    if status >= 500:
        return ClaudeTrayError(
            ErrorCode.SERVER_ERROR,
            f"The service had a problem (HTTP {status}). claude-tray will try again later.",
        )
    if 300 <= status < 400:
        return ClaudeTrayError(
            ErrorCode.PARSE_ERROR,
            f"The service answered with a redirect (HTTP {status}) instead of the usage "
            "data. The service may have changed; try again later.",
        )
    return ClaudeTrayError(
        ErrorCode.PARSE_ERROR,
        f"The service answered HTTP {status} instead of the usage data. The service "
        "may have changed; try again later.",
    )


def raise_for(response: HttpResponse, *, source: SourceKind) -> None:
    """Raise the error an answer means; return quietly for a 2xx answer."""
    error = classify(response, source=source)
    if error is not None:
        raise error


def json_body(response: HttpResponse, *, what: str) -> Any:
    """The JSON of a 2xx answer; `parse_error` (naming `what`) when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise ClaudeTrayError(
            ErrorCode.PARSE_ERROR,
            f"The service's answer about {what} could not be read (it is not JSON). "
            "The service may have changed; try again later.",
        ) from None
