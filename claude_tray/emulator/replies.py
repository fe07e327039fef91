"""What a route answers, before it is written to the socket.

A `Reply` is plain data (status, headers, body, cookies to set) so routing can
be written and read without HTTP plumbing. This module must not do I/O and must
not log; cookie values pass through it but it never prints them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Final

#: A year, as cf_clearance and sessionKey carry an expiry: a cookie without one
#: is not kept in a persistent browser profile (see platform.md).
COOKIE_MAX_AGE: Final = 365 * 24 * 3600


@dataclass(frozen=True)
class Reply:
    """One HTTP answer. `hang=True` means: never answer (the `hang` scenario)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    #: Full Set-Cookie header values.
    set_cookies: tuple[str, ...] = ()
    hang: bool = False

    def with_cookie(self, cookie: str) -> Reply:
        return replace(self, set_cookies=(*self.set_cookies, cookie))


def json_reply(status: int, value: Any, *, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status=status, body=json.dumps(value).encode("utf-8"), headers=headers)


def html_reply(status: int, html: str, *, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(
        status=status,
        body=html.encode("utf-8"),
        content_type="text/html; charset=utf-8",
        headers=headers,
    )


def redirect(location: str) -> Reply:
    return Reply(status=302, content_type="text/plain", headers=(("Location", location),))


def set_cookie(name: str, value: str, *, http_only: bool, max_age: int = COOKIE_MAX_AGE) -> str:
    """A Set-Cookie value. No Domain (host-only on 127.0.0.1) and no Secure (plain HTTP)."""
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    return "; ".join(parts)


@dataclass(frozen=True)
class Request:
    """What a route needs to know about one request; header names in lower case."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


def parse_cookie_header(header: str) -> dict[str, str]:
    """Cookies of a `Cookie:` header; tolerant of odd values (unlike http.cookies)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            cookies.setdefault(name, value.strip().strip('"'))
    return cookies
