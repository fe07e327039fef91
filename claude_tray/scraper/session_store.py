"""The stored claude.ai web session: one private JSON file in the data folder.

Holds the `sessionKey`, the `lastActiveOrg` cookie, the organization claude-tray
chose, the other cookies the service or the browser set (e.g. `cf_clearance`),
when the key was stored, whether the service has said it is invalid, and when
it last answered a plain 401.

Rules this module keeps: the file is written atomically with mode 0600; a
corrupt file is reported (as `no_session`) and left in place; `mark_invalid`
flags the session but keeps the file until a new login replaces it. Only the
service's `account_session_invalid` earns that flag: a plain 401 is only noted
(`note_unauthorized`), the key is used again on the next poll, and a success
clears the note (issue 7: a single 401 used to log the user out). The
bookkeeping writes (`mark_invalid`, `note_unauthorized`, `clear_unauthorized`)
never raise for a full disk or a read-only folder: they log and go on. This module
must not talk to the network, must not import Playwright or pydantic (the core's
logout imports it), and must never log or put a cookie value in a message.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.paths import AppPaths
from claude_tray.redact import add_secret

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


class SessionFileError(ClaudeTrayError):
    """Raised by `load_session` when the session file exists but cannot be read."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(
            ErrorCode.NO_SESSION,
            f"The stored claude.ai session in {path} could not be read ({why}). "
            "Log in again with `claude-tray login`; the file is left as it is.",
        )
        self.path = path


@dataclass(frozen=True)
class WebSession:
    """A claude.ai web session as stored on disk."""

    session_key: str
    last_active_org: str | None = None
    #: The organization claude-tray chose for the usage call, and its name.
    org_uuid: str | None = None
    org_name: str | None = None
    #: Other cookies of the session (name -> value), e.g. `cf_clearance`.
    cookies: dict[str, str] = field(default_factory=dict)
    #: When this session key was stored (a brand-new key may answer 401 briefly).
    saved_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    #: Set once the service has said the session is invalid; cleared by a new login.
    invalid: bool = False
    invalid_at: datetime | None = None
    #: When the service last answered this key with a plain 401 (None after a success).
    unauthorized_at: datetime | None = None
    #: When the sessionKey cookie ends, from its Max-Age/Expires (None when not known).
    key_expires_at: datetime | None = None

    def all_cookies(self) -> dict[str, str]:
        """Every cookie to send, the session key and `lastActiveOrg` included."""
        cookies = dict(self.cookies)
        if self.last_active_org:
            cookies["lastActiveOrg"] = self.last_active_org
        cookies["sessionKey"] = self.session_key
        return cookies

    def with_cookies(self, cookies: dict[str, str], *, now: datetime | None = None) -> WebSession:
        """This session updated with cookies a transport now holds (rotation included).

        A new non-empty `sessionKey` replaces the key and restarts `saved_at`;
        an empty or missing one never removes the stored key.
        """
        key = cookies.get("sessionKey") or self.session_key
        last_org = cookies.get("lastActiveOrg") or self.last_active_org
        others = {
            name: value
            for name, value in cookies.items()
            if value and name not in ("sessionKey", "lastActiveOrg")
        }
        merged = {**self.cookies, **others}
        saved_at = self.saved_at
        expires = self.key_expires_at
        if key != self.session_key:
            add_secret(key)
            saved_at = now or datetime.now(timezone.utc)
            expires = None  # the old key's end says nothing about the new one
        return replace(
            self,
            session_key=key,
            last_active_org=last_org,
            cookies=merged,
            saved_at=saved_at,
            key_expires_at=expires,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "sessionKey": self.session_key,
            "lastActiveOrg": self.last_active_org,
            "org_uuid": self.org_uuid,
            "org_name": self.org_name,
            "cookies": dict(sorted(self.cookies.items())),
            "saved_at": self.saved_at.isoformat(),
            "invalid": self.invalid,
            "invalid_at": None if self.invalid_at is None else self.invalid_at.isoformat(),
            "unauthorized_at": (
                None if self.unauthorized_at is None else self.unauthorized_at.isoformat()
            ),
            "key_expires_at": (
                None if self.key_expires_at is None else self.key_expires_at.isoformat()
            ),
        }

    @classmethod
    def from_json(cls, raw: Any) -> WebSession:
        """Build from the file's JSON; raises ValueError naming what is wrong."""
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        key = raw.get("sessionKey")
        if not isinstance(key, str) or not key:
            raise ValueError("no session key in it")

        def text(name: str) -> str | None:
            value = raw.get(name)
            return value if isinstance(value, str) and value else None

        def when(name: str) -> datetime | None:
            value = text(name)
            if value is None:
                return None
            parsed = datetime.fromisoformat(value)  # ValueError when garbled
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)

        cookies = raw.get("cookies") or {}
        if not isinstance(cookies, dict):
            raise ValueError("its cookies are not a JSON object")
        return cls(
            session_key=key,
            last_active_org=text("lastActiveOrg"),
            org_uuid=text("org_uuid"),
            org_name=text("org_name"),
            cookies={str(k): str(v) for k, v in cookies.items() if isinstance(v, str) and v},
            saved_at=when("saved_at") or datetime.fromtimestamp(0, timezone.utc),
            invalid=raw.get("invalid") is True,
            invalid_at=when("invalid_at"),
            unauthorized_at=when("unauthorized_at"),
            key_expires_at=when("key_expires_at"),
        )


def load_session(paths: AppPaths) -> WebSession | None:
    """The stored session, or None when none is stored.

    Raises `SessionFileError` (code `no_session`) when the file exists but is
    unreadable or corrupt; the file is not touched.
    """
    path = paths.session_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SessionFileError(path, exc.strerror or type(exc).__name__) from None
    except UnicodeDecodeError:
        raise SessionFileError(path, "it is not text") from None
    try:
        session = WebSession.from_json(json.loads(text))
    except ValueError as exc:
        why = "it is not valid JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise SessionFileError(path, why) from None
    add_secret(session.session_key)
    for value in session.cookies.values():
        add_secret(value)
    return session


def save_session(paths: AppPaths, session: WebSession) -> None:
    """Write the session atomically, readable by the user alone."""
    from claude_tray.fileio import atomic_write  # tempfile: only when writing

    add_secret(session.session_key)
    atomic_write(paths.session_file, json.dumps(session.to_json(), indent=2) + "\n")
    log.debug("stored the web session in %s", paths.session_file)


def update_session(paths: AppPaths, session: WebSession) -> bool:
    """Save `session` only if a session file still exists (a logout meanwhile wins).

    Returns whether it was written.
    """
    if not paths.session_file.exists():
        log.info("the session was removed while the scraper ran; not storing it again")
        return False
    save_session(paths, session)
    return True


def _rewrite(paths: AppPaths, session: WebSession, why: str) -> bool:
    """Save a bookkeeping change; a failed write is logged, never raised."""
    try:
        save_session(paths, session)
    except OSError as exc:
        log.warning("could not note that %s in %s (%s)", why, paths.session_file, exc.strerror)
        return False
    return True


def mark_invalid(paths: AppPaths, *, now: datetime | None = None) -> None:
    """Flag the stored session as invalid (`account_session_invalid`); the file stays."""
    try:
        session = load_session(paths)
    except SessionFileError:
        return
    if session is None or session.invalid:
        return
    flagged = replace(session, invalid=True, invalid_at=now or datetime.now(timezone.utc))
    if _rewrite(paths, flagged, "the session is invalid"):
        log.info("the service said the stored web session is invalid; it is kept, flagged")


def note_unauthorized(paths: AppPaths, *, now: datetime | None = None) -> None:
    """Note a plain 401 for the stored key; the key stays usable (tried again next poll)."""
    try:
        session = load_session(paths)
    except SessionFileError:
        return
    if session is None or session.unauthorized_at is not None:
        return
    noted = replace(session, unauthorized_at=now or datetime.now(timezone.utc))
    if _rewrite(paths, noted, "the service answered 401"):
        log.info("the service answered a plain 401; the session is kept and tried again")


def clear_unauthorized(paths: AppPaths) -> None:
    """Forget an earlier plain 401 (the key worked again)."""
    try:
        session = load_session(paths)
    except SessionFileError:
        return
    if session is None or session.unauthorized_at is None:
        return
    if _rewrite(paths, replace(session, unauthorized_at=None), "the key works again"):
        log.info("the stored session works again after an earlier 401")


def delete_session(paths: AppPaths) -> bool:
    """Remove the stored session and the browser profile (logout); True if anything was there."""
    import shutil  # only logout needs it; keeps the poll path's imports small

    removed = False
    try:
        paths.session_file.unlink()
        removed = True
    except FileNotFoundError:
        pass
    profile = paths.browser_profile_dir
    if profile.exists():
        shutil.rmtree(profile, ignore_errors=True)
        removed = True
    return removed
