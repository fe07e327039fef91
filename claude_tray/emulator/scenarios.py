"""The emulator's scenario names and what each one does to the service.

A scenario is a mode the emulator is in; switching scenarios changes how the
next request is answered. This module only names scenarios and classifies
them: it must not build bodies, hold state or do I/O.
"""

from __future__ import annotations

from typing import Final

#: Every scenario, in the order the help text lists them.
SCENARIOS: Final[tuple[str, ...]] = (
    "ok",
    "legacy",
    "no_windows",
    "session_expired",
    "wrong_org",
    "cloudflare",
    "rate_limited",
    "rate_limited_long",
    "server_error",
    "html",
    "truncated",
    "hang",
    "rotate",
    "new_key_401",
    "login_auto",
    "oauth_expired",
    "oauth_scope",
    "unauthorized",
    "drop",
)

DESCRIPTIONS: Final[dict[str, str]] = {
    "ok": "usage in the current shape (limits[] and the legacy windows)",
    "legacy": "usage in the older shape: windows only, no limits[]",
    "no_windows": "an enterprise account: no windows, only extra_usage",
    "session_expired": "every web session key issued before the switch answers 403 "
    "account_session_invalid (a new login works)",
    "wrong_org": "a login remembers the API-only organization (lastActiveOrg), which answers "
    "403 Invalid authorization for organization; a chat organization exists",
    "cloudflare": "requests without a valid cf_clearance cookie get the 403 JavaScript challenge",
    "rate_limited": "usage answers 429 with retry-after: 0",
    "rate_limited_long": "usage answers 429 with retry-after: 120",
    "server_error": "usage answers 500",
    "html": "usage answers 200 with an HTML page",
    "truncated": "usage answers 200 with JSON cut in the middle",
    "hang": "usage never answers (until the emulator stops or ten minutes pass)",
    "rotate": "every 200 usage answer sets a new sessionKey; the old key stops working",
    "new_key_401": "each session key answers 401 to its first two requests after the switch "
    "(or after it was issued)",
    "login_auto": "the /login page logs in by itself after about a second",
    "oauth_expired": "the OAuth usage endpoint answers 401 authentication_error",
    "oauth_scope": "the OAuth usage endpoint answers 403: token lacks the user:profile scope",
    "unauthorized": "web data requests answer a plain 401 (no account_session_invalid); the key "
    "stays valid, so switching back to ok serves it again",
    "drop": "every request except the control ones has its connection closed without an "
    "answer (a network that is down)",
}

#: Scenarios that replace a usage answer (web and OAuth) by a fault.
USAGE_FAULTS: Final[frozenset[str]] = frozenset(
    {"rate_limited", "rate_limited_long", "server_error", "html", "truncated", "hang"}
)

#: retry-after values of the 429 scenarios (seconds, as the header carries them).
RETRY_AFTER: Final[dict[str, int]] = {"rate_limited": 0, "rate_limited_long": 120}

#: How many requests a freshly issued key answers with 401 in `new_key_401`.
NEW_KEY_401_REQUESTS: Final = 2


def check_scenario(name: str) -> str:
    """`name` if it is a scenario; raises ValueError naming the valid ones otherwise."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}")
    return name
