"""How the web source talks to claude.ai: one small interface, two ways.

`HttpResponse` and `Transport` are shared by the fast path (plain HTTP with the
session cookie) and the browser path (`fetch()` inside a real browser page), so
the web source's logic (choose the organization, read usage, classify failures)
is written once. This module must not import Playwright and must not do I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class HttpResponse:
    """One answer from the service."""

    status: int
    #: Header names in lower case.
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Cookies the answer set (name -> value), e.g. a rotated `sessionKey`.
    set_cookies: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body)


class Transport(Protocol):
    """Something that can GET a path of the service with the stored session."""

    def get(self, path: str) -> HttpResponse:
        """GET `path` (e.g. `/api/organizations`).

        Raises `ClaudeTrayError` with `network_error` or `timeout` when no answer
        arrives; any HTTP answer, whatever its status, is returned.
        """
        ...

    def close(self) -> None:
        """Release what the transport holds (a browser, a connection)."""
        ...
