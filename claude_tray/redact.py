"""Removing secrets from text before it reaches a log, a message or a test snapshot.

Session keys (`sk-ant-sid…`), OAuth tokens (`sk-ant-oat…`, `sk-ant-ort…`),
bearer headers and cookie values are replaced by a marker. This module must not
log anything itself and must not import the rest of the package.
"""

from __future__ import annotations

import re

# typing's constant without importing typing; logging is imported only where a
# record is formatted: the runner imports this module, and `status` starts its
# child before logging is loaded (issue 12).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging

MARK = "[redacted]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Anthropic keys and tokens of every kind: sk-ant-sid01-…, sk-ant-oat01-…, sk-ant-ort01-…
    (re.compile(r"sk-ant-[A-Za-z0-9]+-[A-Za-z0-9_\-]+"), MARK),
    # Authorization: Bearer <token>
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+"), r"\1" + MARK),
    # Cookie and Set-Cookie values for the cookies that matter, in headers or JSON.
    (
        re.compile(
            r"(?i)((?:sessionKey|cf_clearance|__cf_bm|__Secure-[A-Za-z0-9_\-]+|"
            r"accessToken|refreshToken|access_token|refresh_token)"
            r"[\"']?\s*[=:]\s*[\"']?)[^\"';,\s}]+"
        ),
        r"\1" + MARK,
    ),
)

_extra_secrets: set[str] = set()


def add_secret(value: str | None) -> None:
    """Also redact this exact value wherever it appears (e.g. a key of odd shape)."""
    if value and len(value) >= 8:
        _extra_secrets.add(value)


def redact(text: str) -> str:
    """`text` with every known secret replaced by `[redacted]`."""
    for secret in _extra_secrets:
        if secret in text:
            text = text.replace(secret, MARK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter:
    """A logging filter that redacts the fully formatted message of every record.

    Attach it to handlers (not loggers) so it sees records from every logger,
    including third-party ones. Not a `logging.Filter` subclass: a handler takes any
    object with a `filter(record)` method, and this module must not import logging.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            import logging  # loaded already: a record is being handled

            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
