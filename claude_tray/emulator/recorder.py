"""The emulator's log of requests, for tests that count what a client did.

Records method, path (without the query), status and whether a session cookie,
an Authorization header or a clearance cookie was present. This module must
never record a cookie value, a header value or a query string: only booleans.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime
from typing import Any, Final

#: Oldest records are dropped beyond this, so a long demo does not grow forever.
MAX_RECORDS: Final = 10_000


class RecordedRequest(tuple[str, str, int]):
    """`(method, path, status)`, plus what credentials came with it (as booleans).

    A tuple so `("GET", "/api/organizations", 200) in emulator.requests` works;
    status 0 means "not answered" (the `hang` scenario).
    """

    had_session_cookie: bool
    had_authorization: bool
    had_clearance: bool
    at: datetime

    def __new__(
        cls,
        method: str,
        path: str,
        status: int,
        *,
        had_session_cookie: bool,
        had_authorization: bool,
        had_clearance: bool,
        at: datetime,
    ) -> RecordedRequest:
        record = super().__new__(cls, (method, path, status))
        record.had_session_cookie = had_session_cookie
        record.had_authorization = had_authorization
        record.had_clearance = had_clearance
        record.at = at
        return record

    @property
    def method(self) -> str:
        return self[0]

    @property
    def path(self) -> str:
        return self[1]

    @property
    def status(self) -> int:
        return self[2]

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "session_cookie": self.had_session_cookie,
            "authorization": self.had_authorization,
            "clearance": self.had_clearance,
            "at": self.at.isoformat(),
        }


class RequestLog:
    """Thread-safe, bounded list of `RecordedRequest`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: deque[RecordedRequest] = deque(maxlen=MAX_RECORDS)

    def add(self, record: RecordedRequest) -> None:
        with self._lock:
            self._records.append(record)

    def all(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def count(self, path_prefix: str = "", *, method: str | None = None) -> int:
        return sum(
            1
            for record in self.all()
            if record.path.startswith(path_prefix) and (method is None or record.method == method)
        )
