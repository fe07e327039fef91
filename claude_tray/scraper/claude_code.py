"""The Claude Code source: usage read with Claude Code's own OAuth login, read-only.

Reads `$CLAUDE_CONFIG_DIR/.credentials.json` (default `~/.claude`) and, on
macOS, the Keychain item `Claude Code-credentials`, then calls
`<CLAUDE_TRAY_API_URL>/api/oauth/usage` with the bearer token.

This module must never write the credentials file, never refresh the token
(refresh tokens rotate: a monitor that refreshes logs Claude Code out,
claude-service.md) and never log or report the token.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.redact import add_secret
from claude_tray.scraper.classify import raise_for
from claude_tray.scraper.http_transport import DEFAULT_TIMEOUT, HttpTransport
from claude_tray.service_text import clean_optional_label

if TYPE_CHECKING:
    from claude_tray.documents import UsageDocument

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.anthropic.com"
USAGE_PATH = "/api/oauth/usage"
OAUTH_BETA = "oauth-2025-04-20"
KEYCHAIN_SERVICE = "Claude Code-credentials"
USER_AGENT = "claude-tray"

EXPIRED_MESSAGE = (
    "Your Claude Code login has expired. Open Claude Code so it refreshes its "
    "login, then try again."
)


@dataclass(frozen=True)
class OAuthCredentials:
    """The parts of Claude Code's login that claude-tray uses."""

    access_token: str
    #: Unix seconds; None when the file does not say.
    expires_at: float | None
    subscription_type: str | None
    #: Where they came from, for messages: a file path or "the macOS Keychain".
    origin: str

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def config_dir(env: Mapping[str, str]) -> Path:
    """Claude Code's folder: `CLAUDE_CONFIG_DIR`, else `~/.claude`."""
    configured = env.get("CLAUDE_CONFIG_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


def credentials_file(env: Mapping[str, str]) -> Path:
    return config_dir(env) / ".credentials.json"


def parse_credentials(text: str, origin: str) -> OAuthCredentials:
    """Read the credentials JSON; `no_session` naming `origin` when it is unusable."""

    def unusable(why: str) -> ClaudeTrayError:
        return ClaudeTrayError(
            ErrorCode.NO_SESSION,
            f"Claude Code's login in {origin} could not be used ({why}). Log in to "
            "Claude Code again with `claude`, or log in to claude.ai with "
            "`claude-tray login`.",
        )

    try:
        raw: Any = json.loads(text)
    except ValueError:
        raise unusable("it is not valid JSON") from None
    oauth = raw.get("claudeAiOauth") if isinstance(raw, dict) else None
    if not isinstance(oauth, dict):
        raise unusable("it holds no Claude login")
    token = oauth.get("accessToken")
    if not isinstance(token, str) or not token.strip():
        raise unusable("it holds no access token")
    add_secret(token)
    refresh = oauth.get("refreshToken")
    if isinstance(refresh, str):
        add_secret(refresh)
    expires = oauth.get("expiresAt")
    expires_at: float | None = None
    if isinstance(expires, (int, float)) and not isinstance(expires, bool) and expires > 0:
        expires_at = float(expires) / 1000.0  # milliseconds in the file
    plan = oauth.get("subscriptionType")
    return OAuthCredentials(
        access_token=token.strip(),
        expires_at=expires_at,
        subscription_type=plan if isinstance(plan, str) and plan else None,
        origin=origin,
    )


def _read_keychain() -> str | None:
    """The Keychain item's secret on macOS, or None.

    Read-only (`security find-generic-password -w`). Not exercised by the test
    suite, which runs on Linux; kept this small for that reason.
    """
    import subprocess  # macOS only; keeps the Linux and Windows poll path's imports small

    try:
        result = subprocess.run(
            ["security", "find-generic-password", "-s", KEYCHAIN_SERVICE, "-w"],
            # Not the scraper's stdin: that is the lifeline to the app (lifeline.py).
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    secret = result.stdout.strip()
    return secret if result.returncode == 0 and secret else None


def load_credentials(
    env: Mapping[str, str], *, platform: str = sys.platform
) -> OAuthCredentials | None:
    """Claude Code's credentials, or None when it has none here.

    Raises `ClaudeTrayError` (`no_session`) when they exist but are unusable.
    """
    path = credentials_file(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaudeTrayError(
            ErrorCode.NO_SESSION,
            f"Claude Code's login in {path} could not be read ({type(exc).__name__}).",
        ) from None
    if text is not None:
        return parse_credentials(text, str(path))
    if platform == "darwin":
        secret = _read_keychain()
        if secret is not None:
            return parse_credentials(secret, "the macOS Keychain")
    return None


def credentials_exist(env: Mapping[str, str], *, platform: str = sys.platform) -> bool:
    """Whether Claude Code has a login here (without judging whether it is usable)."""
    if credentials_file(env).exists():
        return True
    return platform == "darwin" and _read_keychain() is not None


def no_credentials_error(env: Mapping[str, str]) -> ClaudeTrayError:
    return ClaudeTrayError(
        ErrorCode.NO_SESSION,
        f"No Claude Code login was found (looked for {credentials_file(env)}). Log in "
        "to Claude Code with `claude`, or log in to claude.ai with `claude-tray login`.",
    )


def _transport(api_url: str, token: str, timeout: float) -> HttpTransport:
    return HttpTransport(
        api_url,
        headers={"Authorization": f"Bearer {token}", "anthropic-beta": OAUTH_BETA},
        timeout=timeout,
        user_agent=USER_AGENT,
    )


def _plan(credentials: OAuthCredentials) -> str | None:
    plan = clean_optional_label(credentials.subscription_type)
    return plan.capitalize() if plan else None


def poll_claude_code(
    env: Mapping[str, str], *, timeout: float = DEFAULT_TIMEOUT, now: float | None = None
) -> UsageDocument:
    """Read usage with Claude Code's login; raises `ClaudeTrayError` on any failure."""
    from claude_tray.documents import Account  # pydantic: only once there is a body to parse
    from claude_tray.usage_parser import parse_usage_body

    credentials = load_credentials(env)
    if credentials is None:
        raise no_credentials_error(env)
    if credentials.expired(time.time() if now is None else now):
        raise ClaudeTrayError(ErrorCode.SESSION_EXPIRED, EXPIRED_MESSAGE)
    api_url = env.get("CLAUDE_TRAY_API_URL") or DEFAULT_API_URL
    transport = _transport(api_url, credentials.access_token, timeout)
    try:
        response = transport.get(USAGE_PATH)
    finally:
        transport.close()
    raise_for(response, source="claude-code")
    document = parse_usage_body(response.body, source="claude-code")
    plan = _plan(credentials)
    if plan is not None and document.account is None:
        document = dataclasses.replace(document, account=Account(plan=plan))
    log.info("read usage with Claude Code's login (%d limits)", len(document.limits))
    return document


def check_claude_code(
    env: Mapping[str, str], *, timeout: float = DEFAULT_TIMEOUT, now: float | None = None
) -> str:
    """Check Claude Code's login against the service; returns a sentence, raises on failure."""
    poll_claude_code(env, timeout=timeout, now=now)
    return "Claude Code's login can read your plan usage."
