"""Everything the emulator remembers between requests, behind one lock.

The current scenario, the session keys it issued (and which were revoked or
rotated away), the OAuth token, Cloudflare clearances, pending email-code
logins, the organizations, and the usage numbers (pinned or moving). This
module must not do I/O, must not log, and must never expose a key except
through the accessors that return it to the emulator's owner.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from claude_tray.emulator.scenarios import NEW_KEY_401_REQUESTS, check_scenario
from claude_tray.emulator.usage_bodies import Organization
from claude_tray.emulator.usage_values import MOVING_CYCLE_SECONDS, UsageValues, moving_values

SESSION_KEY_PREFIX: Final = "sk-ant-sid01-"
OAUTH_TOKEN_PREFIX: Final = "sk-ant-oat01-"

#: Bounds, so a client that loops cannot grow the emulator's memory.
_MAX_CLEARANCES: Final = 1000
_MAX_LOGINS: Final = 200

KeyCheck = Literal["ok", "invalid", "not_ready"]


def new_session_key() -> str:
    """A key shaped like the real ones: `sk-ant-sid01-` and url-safe random text."""
    return SESSION_KEY_PREFIX + secrets.token_urlsafe(66) + "-" + secrets.token_urlsafe(6)


def new_oauth_token() -> str:
    return OAUTH_TOKEN_PREFIX + secrets.token_urlsafe(70) + "-" + secrets.token_urlsafe(6)


def _agent_digest(user_agent: str) -> str:
    return hashlib.sha256(user_agent.encode("utf-8", errors="replace")).hexdigest()


@dataclass
class _Key:
    serial: int
    revoked: bool = False
    #: 401 answers left while the scenario is `new_key_401`.
    not_ready: int = 0


class EmulatorState:
    """The emulator's memory. Every public method is thread-safe."""

    def __init__(
        self,
        scenario: str,
        *,
        moving: bool,
        clock: Callable[[], datetime],
        cycle_seconds: float = MOVING_CYCLE_SECONDS,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.started = clock()
        self._cycle_seconds = cycle_seconds
        self._scenario = check_scenario(scenario)
        #: Max-Age of the sessionKey cookies handed out (login, rotation); tests shorten it.
        self.session_cookie_max_age: int | None = None
        self._keys: dict[str, _Key] = {}
        self._serial = 0
        #: In `session_expired`, keys with a serial below this are rejected.
        self._expired_below = 0
        self._latest_key = ""
        self._clearances: OrderedDict[str, str] = OrderedDict()
        self._logins: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.oauth_token = new_oauth_token()
        self.organizations: tuple[Organization, ...] = (
            # API-only first, so a client that takes the first organization picks wrong.
            Organization(
                uuid=str(uuid.uuid4()),
                name="Northwind Labs API",
                capabilities=("api",),
                rate_limit_tier=None,
                billing_type="prepaid",
            ),
            Organization(
                uuid=str(uuid.uuid4()),
                name="sam@example.test's Organization",
                capabilities=("chat", "claude_max"),
                rate_limit_tier="default_claude_max_5x",
                billing_type="stripe_subscription",
            ),
            Organization(
                uuid=str(uuid.uuid4()),
                name="Old Console Workspace",
                capabilities=("api", "api_individual"),
                rate_limit_tier=None,
                billing_type=None,
            ),
        )
        self._usage = UsageValues.initial(self.started)
        self._moving = moving
        #: A body served verbatim by both usage endpoints instead of the built one (tests).
        self._usage_body: bytes | None = None
        self.session_key = self._issue_locked()
        self._apply_scenario_locked(self._scenario)

    # --- organizations ---------------------------------------------------------------------

    @property
    def chat_org(self) -> Organization:
        return next(org for org in self.organizations if org.is_chat)

    @property
    def api_org(self) -> Organization:
        return self.organizations[0]

    def organization(self, org_uuid: str) -> Organization | None:
        return next((org for org in self.organizations if org.uuid == org_uuid), None)

    def login_org(self) -> Organization:
        """The organization a new login remembers in `lastActiveOrg`."""
        return self.api_org if self.scenario == "wrong_org" else self.chat_org

    # --- scenario --------------------------------------------------------------------------

    @property
    def scenario(self) -> str:
        with self._lock:
            return self._scenario

    def set_scenario(self, name: str) -> None:
        check_scenario(name)
        with self._lock:
            self._scenario = name
            self._apply_scenario_locked(name)

    def _apply_scenario_locked(self, name: str) -> None:
        # Each switch starts the scenario afresh: a key issued later is "new".
        self._expired_below = self._serial + 1 if name == "session_expired" else 0
        for key in self._keys.values():
            key.not_ready = NEW_KEY_401_REQUESTS if name == "new_key_401" else 0

    # --- session keys ----------------------------------------------------------------------

    def issue_session_key(self) -> str:
        """A new valid key (what a login hands out)."""
        with self._lock:
            return self._issue_locked()

    def _issue_locked(self) -> str:
        self._serial += 1
        key = new_session_key()
        self._keys[key] = _Key(
            serial=self._serial,
            not_ready=NEW_KEY_401_REQUESTS if self._scenario == "new_key_401" else 0,
        )
        self._latest_key = key
        return key

    @property
    def latest_session_key(self) -> str:
        with self._lock:
            return self._latest_key

    def check_session_key(self, key: str | None) -> KeyCheck:
        """Whether `key` may read data now; counts a `new_key_401` answer as used."""
        with self._lock:
            info = self._keys.get(key) if key else None
            if info is None or info.revoked:
                return "invalid"
            if self._scenario == "session_expired" and info.serial < self._expired_below:
                return "invalid"
            if self._scenario == "new_key_401" and info.not_ready > 0:
                info.not_ready -= 1
                return "not_ready"
            return "ok"

    def session_usable(self, key: str | None) -> bool:
        """Whether `key` counts as logged in for pages (consumes nothing)."""
        with self._lock:
            info = self._keys.get(key) if key else None
            if info is None or info.revoked:
                return False
            return not (self._scenario == "session_expired" and info.serial < self._expired_below)

    def is_session_key_valid(self, key: str) -> bool:
        """Whether `key` is known and not revoked (ignores the scenario; consumes nothing)."""
        with self._lock:
            info = self._keys.get(key)
            return info is not None and not info.revoked

    def rotate_session_key(self, key: str) -> str:
        """Revoke `key` and issue its successor (the `rotate` scenario)."""
        with self._lock:
            info = self._keys.get(key)
            if info is not None:
                info.revoked = True
            return self._issue_locked()

    # --- Cloudflare clearance --------------------------------------------------------------

    def register_clearance(self, value: str, user_agent: str) -> None:
        """Accept `value` as cf_clearance from now on, but only with this User-Agent."""
        with self._lock:
            self._clearances[value] = _agent_digest(user_agent)
            while len(self._clearances) > _MAX_CLEARANCES:
                self._clearances.popitem(last=False)

    def clearance_ok(self, token: str | None, user_agent: str) -> bool:
        if not token:
            return False
        with self._lock:
            return self._clearances.get(token) == _agent_digest(user_agent)

    # --- email-code login ------------------------------------------------------------------

    def start_login(self, email: str) -> tuple[str, str]:
        """An attempt id and the six-digit code "sent" to `email`."""
        attempt = secrets.token_urlsafe(16)
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self._lock:
            self._logins[attempt] = (email, code)
            while len(self._logins) > _MAX_LOGINS:
                self._logins.popitem(last=False)
        return attempt, code

    def finish_login(self, attempt: str, code: str) -> str | None:
        """A new session key when `code` matches the attempt's code; None otherwise."""
        with self._lock:
            pending = self._logins.get(attempt)
            if pending is None or not secrets.compare_digest(pending[1], code.strip()):
                return None
            del self._logins[attempt]
            return self._issue_locked()

    # --- usage -----------------------------------------------------------------------------

    @property
    def moving(self) -> bool:
        with self._lock:
            return self._moving

    def set_moving(self, moving: bool) -> None:
        with self._lock:
            if self._moving and not moving:
                # Freeze where the demo is now, so stopping does not jump back.
                self._usage = self._moved_locked()
            self._moving = moving

    def set_usage(self, **changes: object) -> None:
        """Pin usage values (fields of `UsageValues`); stops the movement."""
        with self._lock:
            base = self._moved_locked() if self._moving else self._usage
            self._usage = base.with_changes(**changes)
            self._moving = False

    def set_usage_body(self, body: bytes | None) -> None:
        """Serve `body` as it is from both usage endpoints (200); None: the built one again."""
        with self._lock:
            self._usage_body = body

    @property
    def usage_body(self) -> bytes | None:
        with self._lock:
            return self._usage_body

    def usage_now(self) -> UsageValues:
        with self._lock:
            return self._moved_locked() if self._moving else self._usage

    def _moved_locked(self) -> UsageValues:
        return moving_values(
            self._usage, started=self.started, now=self._clock(), cycle_seconds=self._cycle_seconds
        )

    def now(self) -> datetime:
        return self._clock()
