"""Error codes and the exceptions that carry them.

Tiny on purpose, so every layer (parser, scraper, runner, worker, UI) can import
it. The codes are the stable `error` values of the error document in
`interface.md`; never rename one. This module must not import anything from the
rest of the package.
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """The `error` field of an error document."""

    NO_SESSION = "no_session"
    SESSION_EXPIRED = "session_expired"
    BLOCKED = "blocked"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    NETWORK_ERROR = "network_error"
    TIMEOUT = "timeout"
    BUSY = "busy"
    PARSE_ERROR = "parse_error"
    BROWSER_MISSING = "browser_missing"
    LOGIN_TIMEOUT = "login_timeout"
    LOGIN_CANCELLED = "login_cancelled"
    PYTHON_MISSING = "python_missing"
    SCRAPER_CRASHED = "scraper_crashed"
    INVALID_OUTPUT = "invalid_output"
    INTERNAL_ERROR = "internal_error"

    def __str__(self) -> str:
        return self.value


#: Codes the polling worker retries within one refresh (with backoff and jitter).
TRANSIENT_CODES = frozenset(
    {
        ErrorCode.NETWORK_ERROR,
        ErrorCode.TIMEOUT,
        ErrorCode.SERVER_ERROR,
        ErrorCode.SCRAPER_CRASHED,
        # Another claude-tray process holds the scraper lock (a login, a
        # `status` in a terminal): it will be done soon, so try again soon.
        ErrorCode.BUSY,
    }
)

#: Codes after which the next poll waits longer than the normal interval.
BACKOFF_CODES = frozenset({ErrorCode.RATE_LIMITED, ErrorCode.BLOCKED})

#: Codes that mean "the user must log in (again)".
LOGIN_CODES = frozenset({ErrorCode.NO_SESSION, ErrorCode.SESSION_EXPIRED})


class ClaudeTrayError(Exception):
    """Any failure that ends in an error document.

    Raised anywhere below the UI; `code` is the stable error code, `message` a
    sentence for a person (never a secret), `retry_after` seconds when known.
    """

    def __init__(self, code: ErrorCode, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"


class UsageParseError(ClaudeTrayError):
    """Raised by the usage parser for any body that is not a usage document.

    The parser raises this and nothing else, whatever the input (wrong types,
    truncated JSON, HTML).
    """

    def __init__(self, detail: str) -> None:
        super().__init__(
            ErrorCode.PARSE_ERROR,
            "The usage answer from the service could not be read "
            f"({detail}). The service may have changed; try again later.",
        )
        self.detail = detail
