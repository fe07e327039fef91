"""The fast path: plain HTTP requests with the stored cookies, no browser.

A `Transport` on `urllib.request`: one process, about 20 MB, a tenth of a
second (platform.md). It keeps the cookies the service sets (a rotated
`sessionKey`) like a browser would, returns every HTTP answer (4xx and 5xx
included) as an `HttpResponse`, and turns "no answer" into `network_error` or
`timeout`.

This module must not import Playwright, pydantic or anything else heavy (it is
on the path of every poll), must not follow redirects (a redirect would carry
the session cookie to wherever it points), and must never log a header value.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.scraper import budget
from claude_tray.scraper.transport import HttpResponse

log = logging.getLogger(__name__)

#: What a desktop Chrome sends; plain-looking clients are challenged more often
#: by Cloudflare (claude-service.md, "Cloudflare").
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)

#: Bodies larger than this are cut; a usage document is a few kilobytes.
MAX_BODY_BYTES = 4 * 1024 * 1024

DEFAULT_TIMEOUT = 20.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back instead of following them (see the module docstring)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> None:
        return None


def _is_loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or (host or "").startswith("127.")


def parse_set_cookie(value: str) -> tuple[str, str, bool] | None:
    """(name, value, deleted) from one `Set-Cookie` header; None when it has no name.

    `deleted` is true for an empty value, `Max-Age=0` or a negative Max-Age.
    """
    first, _, attributes = value.partition(";")
    name, sep, cookie_value = first.partition("=")
    name = name.strip()
    if not sep or not name:
        return None
    cookie_value = cookie_value.strip()
    if len(cookie_value) >= 2 and cookie_value[0] == cookie_value[-1] == '"':
        cookie_value = cookie_value[1:-1]
    deleted = not cookie_value
    for attribute in attributes.split(";"):
        key, _, attr_value = attribute.partition("=")
        if key.strip().lower() == "max-age":
            with contextlib.suppress(ValueError):
                deleted = deleted or int(attr_value.strip()) <= 0
    return name, cookie_value, deleted


def cookie_expiry(value: str, now: datetime) -> datetime | None:
    """When a `Set-Cookie` header says the cookie ends (Max-Age wins over Expires), or None."""
    _first, _, attributes = value.partition(";")
    expires: datetime | None = None
    for attribute in attributes.split(";"):
        key, _, attr_value = attribute.partition("=")
        key = key.strip().lower()
        if key == "max-age":
            with contextlib.suppress(ValueError, OverflowError):
                return now + timedelta(seconds=int(attr_value.strip()))
        elif key == "expires":
            with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
                parsed = email.utils.parsedate_to_datetime(attr_value.strip())
                expires = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return expires


class HttpTransport:
    """GET paths of one origin with a cookie jar and fixed extra headers."""

    def __init__(
        self,
        base_url: str,
        *,
        cookies: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str = BROWSER_USER_AGENT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._cookies: dict[str, str] = {k: v for k, v in (cookies or {}).items() if v}
        self._expiries: dict[str, datetime] = {}
        self._headers: dict[str, str] = {
            "User-Agent": user_agent,
            "Accept": "application/json, text/plain, */*",
            "Accept-Language": "en-US,en;q=0.9",
        }
        self._headers.update(headers or {})
        host = urllib.parse.urlsplit(self.base_url).hostname
        # A proxy from the environment is honoured for the real service, but a
        # loopback address (the emulator) is never sent through one: an
        # http_proxy without no_proxy would otherwise swallow 127.0.0.1.
        proxies = {} if _is_loopback(host) else urllib.request.getproxies()
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler(proxies), _NoRedirect()
        )

    def cookies(self) -> dict[str, str]:
        """The cookies as they are now, including any the service has set."""
        return dict(self._cookies)

    def cookie_expiries(self) -> dict[str, datetime]:
        """When the cookies the service set in this run end, where it said (Max-Age/Expires)."""
        return dict(self._expiries)

    def _absorb_cookies(self, set_cookies: list[str]) -> dict[str, str]:
        changed: dict[str, str] = {}
        for raw in set_cookies:
            parsed = parse_set_cookie(raw)
            if parsed is None:
                continue
            name, value, deleted = parsed
            changed[name] = "" if deleted else value
            if deleted:
                self._cookies.pop(name, None)
                self._expiries.pop(name, None)
            else:
                self._cookies[name] = value
                ends = cookie_expiry(raw, datetime.now(timezone.utc))
                if ends is None:
                    self._expiries.pop(name, None)
                else:
                    self._expiries[name] = ends
        return changed

    def _request(self, path: str) -> urllib.request.Request:
        request = urllib.request.Request(self.base_url + path, method="GET")
        for name, value in self._headers.items():
            request.add_header(name, value)
        if self._cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self._cookies.items()))
        return request

    def get(self, path: str) -> HttpResponse:
        """GET `path`; every HTTP answer is returned, no answer raises `ClaudeTrayError`."""
        request = self._request(path)
        log.debug("GET %s", path)
        limit = budget.cap(self.timeout, "the request to the service")
        try:
            try:
                answer = self._opener.open(request, timeout=limit)
            except urllib.error.HTTPError as http_error:  # 4xx, 5xx and unfollowed 3xx
                answer = http_error
            with answer:
                # An HTTPError carries its status as `code`; a response as `status`.
                status = int(getattr(answer, "status", None) or getattr(answer, "code", 0) or 0)
                message = answer.headers
                body = answer.read(MAX_BODY_BYTES)
        except TimeoutError as exc:
            raise self._timeout(limit) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timeout(limit) from exc
            raise self._network(exc.reason) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise self._network(exc) from exc
        headers: dict[str, str] = {}
        for name, value in message.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        set_cookies = self._absorb_cookies(message.get_all("Set-Cookie") or [])
        log.debug("GET %s -> %s (%d bytes)", path, status, len(body))
        return HttpResponse(status=status, headers=headers, body=body, set_cookies=set_cookies)

    def _timeout(self, limit: float) -> ClaudeTrayError:
        host = urllib.parse.urlsplit(self.base_url).netloc
        return ClaudeTrayError(
            ErrorCode.TIMEOUT,
            f"{host} did not answer {budget.within(limit, self.timeout)}. "
            "claude-tray will try again later.",
        )

    def _network(self, reason: object) -> ClaudeTrayError:
        # The reason names the failure (refused, DNS, reset); it holds no secret.
        if isinstance(reason, OSError) and reason.strerror:
            detail = reason.strerror
        elif isinstance(reason, BaseException):
            detail = type(reason).__name__
        else:
            detail = str(reason)
        host = urllib.parse.urlsplit(self.base_url).netloc
        return ClaudeTrayError(
            ErrorCode.NETWORK_ERROR,
            f"Could not reach {host} ({detail}). Check the internet connection; "
            "claude-tray will try again later.",
        )

    def close(self) -> None:
        """Nothing to release: each request uses its own connection."""
