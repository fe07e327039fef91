"""`Emulator`: the local claude.ai, started and stopped from Python.

Owns the server thread and offers the control surface tests and the demo use
(scenario, usage, request log, keys). This module must never bind anything but
127.0.0.1, must never log or print a key or token, and `stop()` must return
promptly even while a `hang` request is being held.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Final

from claude_tray.emulator.recorder import RecordedRequest, RequestLog
from claude_tray.emulator.server import LOOPBACK, EmulatorHTTPServer
from claude_tray.emulator.state import EmulatorState
from claude_tray.emulator.usage_values import MOVING_CYCLE_SECONDS, UsageValues


class _Keep:
    """Marks a `set_usage` argument that was not given (None means "no such window")."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()

_LOOPBACK_NAMES: Final = frozenset({LOOPBACK, "localhost"})


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Emulator:
    """A claude.ai look-alike on 127.0.0.1, in a daemon thread. Use as a context manager.

    `port=0` picks a free port. `clock` (tests) returns the current UTC time and
    drives the moving usage and the reset times; `cycle_seconds` is the length
    of one demo session in moving mode.
    """

    def __init__(
        self,
        scenario: str = "ok",
        *,
        host: str = LOOPBACK,
        port: int = 0,
        moving: bool = False,
        verbose: bool = False,
        clock: Callable[[], datetime] | None = None,
        cycle_seconds: float = MOVING_CYCLE_SECONDS,
    ) -> None:
        if host not in _LOOPBACK_NAMES:
            raise ValueError("the emulator listens on 127.0.0.1 only")
        self._port = port
        self._verbose = verbose
        self._log = RequestLog()
        self._state = EmulatorState(
            scenario, moving=moving, clock=clock or _utc_now, cycle_seconds=cycle_seconds
        )
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = EmulatorHTTPServer(self._port, self._state, self._log, verbose=self._verbose)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"claude-emulator-{server.server_address[1]}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release held `hang` requests, close the port. Idempotent."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5.0)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # --- addresses and credentials ---------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`: both CLAUDE_TRAY_BASE_URL and CLAUDE_TRAY_API_URL."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def session_key(self) -> str:
        """The web session key issued at construction (valid until rotated or expired)."""
        return self._state.session_key

    @property
    def latest_session_key(self) -> str:
        """The most recently issued key (after a login or a rotation)."""
        return self._state.latest_session_key

    @property
    def oauth_token(self) -> str:
        """A valid Claude Code access token for `/api/oauth/usage`."""
        return self._state.oauth_token

    @property
    def chat_org_uuid(self) -> str:
        return self._state.chat_org.uuid

    @property
    def api_org_uuid(self) -> str:
        """The API-only organization (listed first; its usage answers 403)."""
        return self._state.api_org.uuid

    def issue_session_key(self) -> str:
        """A new valid session key, as a login would hand out."""
        return self._state.issue_session_key()

    def is_session_key_valid(self, key: str) -> bool:
        """Whether `key` was issued here and not revoked (e.g. by rotation)."""
        return self._state.is_session_key_valid(key)

    def info(self) -> dict[str, str]:
        """What `--info-file` holds (contains secrets: write it with mode 0600)."""
        return {
            "base_url": self.base_url,
            "session_key": self.session_key,
            "oauth_token": self.oauth_token,
            "chat_org_uuid": self.chat_org_uuid,
            "api_org_uuid": self.api_org_uuid,
        }

    # --- scenario and usage ----------------------------------------------------------------

    @property
    def scenario(self) -> str:
        return self._state.scenario

    def set_scenario(self, name: str) -> None:
        """Switch scenario (see scenarios.SCENARIOS); raises ValueError for an unknown one."""
        self._state.set_scenario(name)

    def set_usage(
        self,
        *,
        session: float | _Keep | None = KEEP,
        weekly: float | _Keep | None = KEEP,
        scoped: Mapping[str, float] | _Keep = KEEP,
        session_resets_at: datetime | _Keep | None = KEEP,
        weekly_resets_at: datetime | _Keep | None = KEEP,
        extra_enabled: bool | _Keep = KEEP,
        extra_used: float | _Keep | None = KEEP,
        extra_limit: float | _Keep | None = KEEP,
        currency: str | _Keep | None = KEEP,
    ) -> None:
        """Pin usage values (percent 0–100, may exceed 100; money in major units).

        Arguments left out keep their value; `None` for a window removes it
        (null in the body). Pinning stops the demo movement.
        """
        given: dict[str, Any] = {
            "session": session,
            "weekly": weekly,
            "scoped": scoped,
            "session_resets_at": session_resets_at,
            "weekly_resets_at": weekly_resets_at,
            "extra_enabled": extra_enabled,
            "extra_used": extra_used,
            "extra_limit": extra_limit,
            "currency": currency,
        }
        self._state.set_usage(
            **{name: value for name, value in given.items() if not isinstance(value, _Keep)}
        )

    def set_usage_body(self, body: bytes | str | None) -> None:
        """Answer both usage endpoints with exactly `body` (status 200), whatever it holds.

        For tests of bodies no scenario builds (a broken field, odd text); the
        scenario's faults still apply. `None` goes back to the built body.
        """
        self._state.set_usage_body(body.encode("utf-8") if isinstance(body, str) else body)

    def set_session_cookie_max_age(self, seconds: int | None) -> None:
        """Max-Age of the sessionKey cookies from now on (None: a year, the default)."""
        self._state.session_cookie_max_age = seconds

    def set_moving(self, moving: bool) -> None:
        """Start or stop the demo movement (stopping freezes the current numbers)."""
        self._state.set_moving(moving)

    @property
    def usage(self) -> UsageValues:
        """The numbers a usage request would get right now."""
        return self._state.usage_now()

    # --- request log -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far (except control ones): `(method, path, status)` tuples."""
        return self._log.all()

    def count(self, path_prefix: str = "", *, method: str | None = None) -> int:
        """How many recorded requests have a path starting with `path_prefix`."""
        return self._log.count(path_prefix, method=method)

    def clear_requests(self) -> None:
        self._log.clear()
