"""The web source: usage read with the stored claude.ai session.

The logic (choose the organization, re-choose it once when the service says
"Invalid authorization for organization", give a brand-new key a short retry,
keep a rotated `sessionKey`) is written once, over a `Transport`. It runs first
over plain HTTP (the fast path). When that meets a Cloudflare challenge it runs
again inside a real browser page (`BrowserTransport`, imported only then), and
the scraper state remembers the challenge for a while so the next polls go
straight to the browser. Only if the browser is challenged too: `blocked`.

This module must never delete the stored session and must never overwrite it
because of a challenge, a 429, a 5xx or a network failure: only the service's
`account_session_invalid` flags it invalid (the file stays until a new login
replaces it); a plain 401 is reported as `session_expired` but only noted, and
the key is tried again on the next poll (issue 7). A session file that cannot
be written (full disk, read-only folder) never costs the numbers that were
read: the document carries a notice naming the file instead. It must not
import Playwright at module level, and never puts a cookie value into a log
line or a message.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.fileio import write_problem
from claude_tray.paths import AppPaths
from claude_tray.redact import add_secret
from claude_tray.scraper import scraper_state
from claude_tray.scraper.classify import (
    ChallengedError,
    SessionInvalidError,
    UnauthorizedError,
    WrongOrganizationError,
    json_body,
    raise_for,
)
from claude_tray.scraper.http_transport import DEFAULT_TIMEOUT, HttpTransport
from claude_tray.scraper.session_store import (
    WebSession,
    clear_unauthorized,
    load_session,
    mark_invalid,
    note_unauthorized,
    save_session,
    update_session,
)
from claude_tray.scraper.transport import HttpResponse, Transport
from claude_tray.service_text import clean_optional_label

if TYPE_CHECKING:
    from claude_tray.documents import SessionDocument, UsageDocument

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BASE_URL = "https://claude.ai"
ORGS_PATH = "/api/organizations"

#: Pauses before retrying a plain 401: a brand-new key answers 401 for a few
#: seconds (claude-service.md). Whether a key is brand-new cannot be known (a
#: rotation, a login in another browser), so every plain 401 gets these retries;
#: an expired session answers 403 `account_session_invalid`, which never waits.
NEW_KEY_RETRY_DELAYS = (0.5, 1.0, 2.0)
#: The browser path gets at least this long per request.
BROWSER_TIMEOUT = 30.0

#: Failures after which a key proven by the organizations call is still stored.
_TRANSIENT = frozenset(
    {
        ErrorCode.RATE_LIMITED,
        ErrorCode.SERVER_ERROR,
        ErrorCode.NETWORK_ERROR,
        ErrorCode.TIMEOUT,
        ErrorCode.BLOCKED,
    }
)


def base_url_from(env: Mapping[str, str]) -> str:
    return (env.get("CLAUDE_TRAY_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


@dataclass(frozen=True)
class Organization:
    """One entry of `/api/organizations`."""

    uuid: str
    name: str | None
    capabilities: tuple[str, ...]

    @property
    def can_chat(self) -> bool:
        return "chat" in self.capabilities


def parse_organizations(raw: Any) -> list[Organization]:
    """The organizations listed by `/api/organizations`; `parse_error` if it is no list."""
    if not isinstance(raw, list):
        raise ClaudeTrayError(
            ErrorCode.PARSE_ERROR,
            "The service's list of organizations could not be read. The service may have "
            "changed; try again later.",
        )
    organizations = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        uuid = item.get("uuid")
        if not isinstance(uuid, str) or not uuid:
            continue
        name = item.get("name")
        capabilities = item.get("capabilities")
        caps = (
            tuple(c for c in capabilities if isinstance(c, str))
            if isinstance(capabilities, list)
            else ()
        )
        organizations.append(
            Organization(uuid=uuid, name=name if isinstance(name, str) else None, capabilities=caps)
        )
    return organizations


def choose_organization(
    organizations: list[Organization], *, preferred: str | None, exclude: frozenset[str]
) -> Organization | None:
    """The organization to read usage from: `preferred` if it can chat, else the first
    that can chat, else `preferred`, else the first; never one in `exclude`."""
    candidates = [org for org in organizations if org.uuid not in exclude]
    by_uuid = {org.uuid: org for org in candidates}
    wanted = by_uuid.get(preferred or "")
    if wanted is not None and wanted.can_chat:
        return wanted
    chat = next((org for org in candidates if org.can_chat), None)
    if chat is not None:
        return chat
    if wanted is not None:
        return wanted
    return candidates[0] if candidates else None


class WebReader:
    """The web source's conversation with the service over one transport."""

    def __init__(
        self,
        transport: Transport,
        session: WebSession,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.session = session
        #: Until the key has worked once, a plain 401 gets a few short retries.
        self.key_proven = False
        self._sleep = sleep
        self._organizations: list[Organization] | None = None

    def _get(self, path: str) -> HttpResponse:
        """GET and classify; a key that answers a plain 401 gets a few short retries."""
        delays = () if self.key_proven else NEW_KEY_RETRY_DELAYS
        for attempt in range(len(delays) + 1):
            response = self.transport.get(path)
            try:
                raise_for(response, source="web")
            except UnauthorizedError:
                if attempt >= len(delays):
                    raise
                log.info("the session key answered 401 (brand-new keys do); retrying shortly")
                self._sleep(delays[attempt])
                continue
            self.key_proven = True
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def organizations(self) -> list[Organization]:
        """The account's organizations (asked once per reader)."""
        if self._organizations is None:
            response = self._get(ORGS_PATH)
            self._organizations = parse_organizations(
                json_body(response, what="your organizations")
            )
        return self._organizations

    def _remember(self, organization: Organization) -> None:
        self.session = replace(self.session, org_uuid=organization.uuid, org_name=organization.name)

    def choose(self, *, exclude: frozenset[str] = frozenset()) -> Organization:
        """Choose (and remember) an organization from the service's list."""
        organization = choose_organization(
            self.organizations(),
            preferred=None if exclude else self.session.last_active_org,
            exclude=exclude,
        )
        if organization is None:
            raise ClaudeTrayError(
                ErrorCode.FORBIDDEN,
                "This claude.ai account has no organization whose usage can be read. "
                "Check that it has a Claude plan.",
            )
        log.info("chose organization %s", organization.name or "(unnamed)")
        self._remember(organization)
        return organization

    def _usage(self, org_uuid: str) -> HttpResponse:
        return self._get(f"{ORGS_PATH}/{urllib.parse.quote(org_uuid, safe='')}/usage")

    def read_usage(self) -> UsageDocument:
        """The usage document; re-chooses the organization once on "wrong organization"."""
        from claude_tray.documents import Account
        from claude_tray.usage_parser import parse_usage_body

        org_uuid = self.session.org_uuid or self.session.last_active_org
        if org_uuid is None:
            org_uuid = self.choose().uuid
        try:
            response = self._usage(org_uuid)
        except WrongOrganizationError:
            log.info("the chosen organization cannot read usage; choosing another one once")
            org_uuid = self.choose(exclude=frozenset({org_uuid})).uuid
            response = self._usage(org_uuid)
        if self.session.org_uuid != org_uuid:
            known = {org.uuid: org for org in self._organizations or []}
            name = known[org_uuid].name if org_uuid in known else None
            self.session = replace(self.session, org_uuid=org_uuid, org_name=name)
        document = parse_usage_body(response.body, source="web")
        if self.session.org_name and document.account is None:
            # The organization's name is the service's text, like a model name.
            organization = clean_optional_label(self.session.org_name)
            document = dataclasses.replace(document, account=Account(organization=organization))
        return document

    def updated_session(self) -> WebSession:
        """The session with the organization chosen and the cookies the service set."""
        read_cookies = getattr(self.transport, "cookies", None)
        if not callable(read_cookies):
            return self.session
        try:
            cookies = read_cookies()
        except Exception:  # a transport that cannot tell (e.g. a closed browser)
            log.debug("could not read the transport's cookies", exc_info=True)
            return self.session
        if not isinstance(cookies, dict):
            return self.session
        session = self.session.with_cookies(cookies)
        # Where the service said when the sessionKey cookie ends, remember it: the tray
        # warns a few days before (claude_tray.login_expiry).
        read_expiries = getattr(self.transport, "cookie_expiries", None)
        ends = read_expiries().get("sessionKey") if callable(read_expiries) else None
        if isinstance(ends, datetime) and cookies.get("sessionKey") == session.session_key:
            session = dataclasses.replace(session, key_expires_at=ends)
        return session


def _configured_browser(paths: AppPaths) -> str | None:
    """The setting `browser_path`, read only when a browser is really needed."""
    try:
        from claude_tray.config import load_config

        return load_config(paths.config_file).config.browser_path
    except Exception:  # a broken config never stops a poll; discovery goes on without it
        log.debug("could not read browser_path from the config", exc_info=True)
        return None


def _browser_transport(
    paths: AppPaths, env: Mapping[str, str], session: WebSession, timeout: float
) -> Transport:
    """A `BrowserTransport` (Playwright is imported here, and only here)."""
    from claude_tray.scraper.browser_discovery import find_browser
    from claude_tray.scraper.browser_transport import BrowserTransport

    browser = find_browser(env, configured=_configured_browser(paths))
    log.info("using the browser path")
    return BrowserTransport(
        base_url_from(env),
        paths.browser_profile_dir,
        browser,
        session.all_cookies(),
        headless=True,
        timeout=max(timeout, BROWSER_TIMEOUT),
    )


class WebRun:
    """One command of the web source: the fast path, then the browser path if challenged."""

    def __init__(
        self,
        paths: AppPaths,
        env: Mapping[str, str],
        session: WebSession,
        *,
        persist: bool,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.paths = paths
        self.env = env
        self.session = session
        self.persist = persist
        self.timeout = timeout
        self._sleep = sleep
        #: Sentences for the person about things that went wrong beside the result.
        self.notices: list[str] = []

    def _attempt(self, transport: Transport, action: Callable[[WebReader], T]) -> T:
        reader = WebReader(transport, self.session, sleep=self._sleep)
        try:
            return action(reader)
        finally:
            updated = reader.updated_session()
            try:
                transport.close()
            except Exception:  # closing must not hide the real outcome
                log.debug("closing the transport failed", exc_info=True)
            if updated != self.session:
                rotated = updated.session_key != self.session.session_key
                if rotated:
                    log.info("the service rotated the session key; keeping the new one")
                self.session = updated
                if self.persist:
                    self._persist(updated, rotated=rotated)

    def _persist(self, session: WebSession, *, rotated: bool) -> None:
        """Store the updated session; a failed write becomes a notice, never an error."""
        try:
            update_session(self.paths, session)
        except OSError as exc:
            what = (
                "The new claude.ai session key the service just sent"
                if rotated
                else "The updated claude.ai session cookies"
            )
            message = write_problem(what, exc, self.paths.session_file)
            if rotated:
                message += " Until it is saved, a later refresh may find the session logged out."
            log.warning("%s", message)
            self.notices.append(message)

    def run_fast(self, action: Callable[[WebReader], T]) -> T:
        cookies = self.session.all_cookies()
        transport = HttpTransport(base_url_from(self.env), cookies=cookies, timeout=self.timeout)
        return self._attempt(transport, action)

    def _browser(self, action: Callable[[WebReader], T]) -> T:
        transport = _browser_transport(self.paths, self.env, self.session, self.timeout)
        try:
            return self._attempt(transport, action)
        except ClaudeTrayError:
            raise
        except Exception as exc:
            # Whatever went wrong inside the browser, the service could not be
            # reached past the challenge; the details go to the log.
            log.warning("the browser path failed", exc_info=True)
            raise ChallengedError() from exc

    def run(self, action: Callable[[WebReader], T], *, force_browser: bool = False) -> T:
        """Run `action` on the fast path, falling back to the browser path on a challenge."""
        if force_browser:
            return self._browser(action)
        now = time.time()
        if scraper_state.load_state(self.paths).fast_path_challenged(now):
            log.info("the fast path was challenged recently; going straight to the browser")
            try:
                return self._browser(action)
            except ClaudeTrayError as exc:
                if exc.code is not ErrorCode.BROWSER_MISSING:
                    raise
                log.warning("no browser for the browser path; trying the fast path")
        try:
            result = self.run_fast(action)
        except ChallengedError:
            log.info("the fast path met a Cloudflare challenge; trying the browser path")
            scraper_state.remember_challenge(self.paths, now=now)
            try:
                return self._browser(action)
            except ClaudeTrayError as exc:
                if exc.code is ErrorCode.BROWSER_MISSING:
                    raise _blocked_without_browser(exc) from None
                raise
        scraper_state.forget_challenge(self.paths)
        return result


def _blocked_without_browser(error: ClaudeTrayError) -> ClaudeTrayError:
    return ClaudeTrayError(
        ErrorCode.BLOCKED,
        "claude.ai asked for a browser check (Cloudflare), and no browser was found to "
        "pass it. Your session is kept. Install Chrome or Chromium, or set "
        "CLAUDE_TRAY_BROWSER to one.",
    )


def _stored_session(paths: AppPaths) -> WebSession:
    session = load_session(paths)
    if session is None:
        raise ClaudeTrayError(
            ErrorCode.NO_SESSION,
            "No claude.ai session is stored. Log in with `claude-tray login`.",
        )
    if session.invalid:
        raise ClaudeTrayError(
            ErrorCode.SESSION_EXPIRED,
            "Your claude.ai session has expired. Log in again with `claude-tray login`.",
        )
    return session


def _note_refusal(paths: AppPaths, error: ClaudeTrayError) -> None:
    """Only `account_session_invalid` flags the session; a plain 401 is only noted."""
    if isinstance(error, SessionInvalidError):
        mark_invalid(paths)
    elif isinstance(error, UnauthorizedError):
        note_unauthorized(paths)


def poll_web(
    paths: AppPaths,
    env: Mapping[str, str],
    *,
    force_browser: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
) -> UsageDocument:
    """Read usage with the stored web session; raises `ClaudeTrayError` on any failure."""
    session = _stored_session(paths)
    run = WebRun(
        paths,
        env,
        session,
        persist=True,
        timeout=timeout,
        sleep=sleep,
    )
    try:
        document = run.run(lambda reader: reader.read_usage(), force_browser=force_browser)
    except ClaudeTrayError as exc:
        _note_refusal(paths, exc)
        raise
    if session.unauthorized_at is not None:
        clear_unauthorized(paths)  # an earlier plain 401 was not a logout
    log.info("read usage with the web session (%d limits)", len(document.limits))
    if run.notices:
        document = dataclasses.replace(document, notices=[*document.notices, *run.notices])
    return document


def _session_document(logged_in: bool, message: str) -> SessionDocument:
    from claude_tray.documents import SessionDocument

    return SessionDocument(source="web", logged_in=logged_in, message=message)


def check_web(
    paths: AppPaths,
    env: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
) -> SessionDocument:
    """Whether the stored web session works, asked cheaply (the organizations call only).

    No session or an expired one: a document with `logged_in` false. A failure
    that says nothing about the session (challenge, 429, 5xx, network) raises.
    """
    try:
        session = _stored_session(paths)
    except ClaudeTrayError as exc:
        if exc.code in (ErrorCode.NO_SESSION, ErrorCode.SESSION_EXPIRED):
            return _session_document(False, exc.message)
        raise
    run = WebRun(
        paths,
        env,
        session,
        persist=True,
        timeout=timeout,
        sleep=sleep,
    )

    def check(reader: WebReader) -> Organization | None:
        organizations = reader.organizations()
        if reader.session.org_uuid is None:
            return reader.choose()
        known = {org.uuid: org for org in organizations}
        return known.get(reader.session.org_uuid)

    try:
        organization = run.run_fast(check)  # cheap: never the browser for a check
    except ChallengedError:
        raise ClaudeTrayError(
            ErrorCode.BLOCKED,
            "claude.ai asked for a browser check (Cloudflare), so the stored session could "
            "not be verified right now. It is kept; polls use the browser path meanwhile.",
        ) from None
    except ClaudeTrayError as exc:
        if exc.code is ErrorCode.SESSION_EXPIRED:
            _note_refusal(paths, exc)
            return _session_document(False, exc.message)
        raise
    if session.unauthorized_at is not None:
        clear_unauthorized(paths)
    where = f" ({organization.name})" if organization and organization.name else ""
    return _session_document(True, f"A working claude.ai session is stored{where}.")


def login_with_cookies(
    paths: AppPaths,
    env: Mapping[str, str],
    cookies: Mapping[str, str],
    *,
    trusted: bool,
    timeout: float = DEFAULT_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
    key_expires_at: datetime | None = None,
) -> SessionDocument:
    """Check a new session against the service (organizations + usage) and store it.

    `trusted` is true when the cookies come from a browser login the service
    itself completed: then a transient failure of the check does not stop the
    session from being stored. A key that the service refuses is never stored,
    and the session stored before stays as it was.
    """
    key = cookies.get("sessionKey", "")
    if not key:
        raise ClaudeTrayError(
            ErrorCode.NO_SESSION, "The login did not produce a claude.ai session key."
        )
    add_secret(key)
    # `key_expires_at`: when the browser says the new key's cookie ends (login_expiry).
    candidate = WebSession(session_key=key, key_expires_at=key_expires_at).with_cookies(
        dict(cookies)
    )
    run = WebRun(paths, env, candidate, persist=False, timeout=timeout, sleep=sleep)
    note = ""

    def verify(reader: WebReader) -> Organization:
        nonlocal note
        organization = reader.choose()
        try:
            reader.read_usage()
        except ClaudeTrayError as exc:
            if exc.code not in _TRANSIENT:
                raise
            log.info("the key works, but reading usage failed for now (%s)", exc.code.value)
            note = " Reading usage failed for now; claude-tray will try again."
        return organization

    try:
        organization = run.run(verify)
    except ClaudeTrayError as exc:
        if not (trusted and exc.code in _TRANSIENT):
            log.info("the new session was not stored (%s)", exc.code.value)
            raise
        log.info("storing the browser login although it could not be checked (%s)", exc.code.value)
        organization = None
        note = " It could not be checked right now; claude-tray will try again."
    session = replace(run.session, saved_at=datetime.now(timezone.utc), invalid=False)
    save_session(paths, session)
    where = f" ({organization.name})" if organization and organization.name else ""
    return _session_document(True, f"Logged in to claude.ai{where}.{note}")


def login_in_browser(
    paths: AppPaths,
    env: Mapping[str, str],
    *,
    login_timeout: float,
    timeout: float = DEFAULT_TIMEOUT,
) -> SessionDocument:
    """Open a browser window on the login page, wait for the login, store the session."""
    from claude_tray.scraper.browser_discovery import find_browser
    from claude_tray.scraper.browser_login import run_browser_login

    browser = find_browser(env, configured=_configured_browser(paths))
    ends: dict[str, datetime] = {}
    cookies = run_browser_login(
        base_url_from(env), paths.browser_profile_dir, browser, timeout=login_timeout, ends=ends
    )
    return login_with_cookies(
        paths, env, cookies, trusted=True, timeout=timeout, key_expires_at=ends.get("sessionKey")
    )
