"""The browser path: the service's API called with `fetch()` inside a real Chromium page.

Used when the fast path meets a Cloudflare challenge. A persistent profile is
launched through Playwright, the stored cookies are added, the base URL is
loaded so the page's JavaScript runs (a challenge page's script sets
`cf_clearance` and reloads), and each `get()` runs `fetch(path)` inside that
page, so the request carries the browser's cookies and fingerprint
(claude-service.md, "Cloudflare").

Also holds the launch helpers `browser_login` shares. This module must NOT be
imported by the tray process or at the top of any module the tray imports (it
loads Playwright, about 1 GB with the browser); it must not decide what an
answer means (the web source classifies) and must never log a cookie value.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import ipaddress
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from playwright.sync_api import BrowserContext, Error, Page, Playwright, Response, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from claude_tray.errors import ClaudeTrayError, ErrorCode
from claude_tray.redact import redact
from claude_tray.scraper import budget
from claude_tray.scraper.browser_discovery import browser_environment, is_executable
from claude_tray.scraper.transport import HttpResponse

log = logging.getLogger(__name__)

#: Chromium switches for a quiet, lean browser (platform.md). As root,
#: Playwright adds --no-sandbox itself.
BROWSER_ARGS = (
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-default-browser-check",
    # A profile whose last run was killed would otherwise greet the user with
    # a "restore pages?" bubble over the login page.
    "--hide-crash-restore-bubble",
    # Sites that refuse automated browsers (Google sign-in, Cloudflare) look at
    # navigator.webdriver; together with dropping --enable-automation below
    # this makes the window an ordinary browser (claude-service.md, "Login").
    "--disable-blink-features=AutomationControlled",
)
#: Playwright defaults left out: --enable-automation shows an infobar and sets
#: navigator.webdriver, which Google's sign-in refuses.
IGNORED_DEFAULT_ARGS = ("--enable-automation",)

#: Bodies larger than this are cut; a usage document is a few kilobytes.
MAX_BODY_BYTES = 4 * 1024 * 1024

#: Longest wait for a Cloudflare challenge page to clear itself.
CHALLENGE_WAIT_SECONDS = 20.0

#: How often a page is re-checked while waiting.
POLL_INTERVAL_SECONDS = 0.25

# Runs inside the page: fetch with the page's cookies, a time limit, and the
# body as base64 (bytes survive the trip through Playwright untouched).
_FETCH_JS = """
async ([path, timeoutMs, maxBytes]) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(path, {
      credentials: "include",
      cache: "no-store",
      redirect: "manual",
      signal: controller.signal,
      headers: {"accept": "application/json, text/plain, */*"},
    });
    let bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > maxBytes) bytes = bytes.subarray(0, maxBytes);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    const headers = {};
    response.headers.forEach((value, name) => { headers[name.toLowerCase()] = value; });
    return {ok: true, status: response.status, headers, body: btoa(binary)};
  } catch (error) {
    return {ok: false, aborted: error && error.name === "AbortError", message: String(error)};
  } finally {
    clearTimeout(timer);
  }
}
"""

_T = TypeVar("_T")


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of a Playwright error, redacted and short (its call log is noise)."""
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return redact(line)[:limit]


_BROWSER_ERR_LINE = re.compile(r"\[pid=\d+\]\[err\]\s*(.*)")
_BROWSER_EXIT = re.compile(r"exitCode=(-?\d+)")


def launch_detail(exc: BaseException, limit: int = 300) -> str:
    """Why a browser did not start, from the browser's own output in Playwright's error.

    Playwright's first line then only says "browser has been closed"; the
    cause is in the call log: the browser's stderr (`[pid=N][err] ...`) and its
    exit code. D-Bus complaints are left out: Chromium prints them on every start.
    """
    text = str(exc)
    errors = [
        match.group(1).strip()
        for match in _BROWSER_ERR_LINE.finditer(text)
        if match.group(1).strip() and "dbus" not in match.group(1).lower()
    ]
    preferred = [line for line in errors if "ERROR:" in line] or errors
    parts = []
    exit_code = _BROWSER_EXIT.search(text)
    if exit_code:
        parts.append(f"it exited with code {exit_code.group(1)}")
    if preferred:
        last = preferred[-1]
        parts.append(last.split("] ", 1)[-1] if "ERROR:" in last else last)
    if not parts:
        return first_line(exc, limit)
    return redact(": ".join(parts))[:limit]


def _origin(base_url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClaudeTrayError(
            ErrorCode.INTERNAL_ERROR, f"The service address {base_url!r} is not an http(s) URL."
        )
    return parts


def _is_ip_or_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def cookie_params(base_url: str, cookies: Mapping[str, str]) -> list[dict[str, Any]]:
    """Playwright cookie records for the stored cookies of `base_url`'s site.

    For a named host the cookies go on the parent domain (`.claude.ai`), where
    the service itself sets `sessionKey`: a host-only copy next to the
    service's own would send two different `sessionKey`s. An IP address (the
    emulator) cannot have a domain cookie, so there they are host-only. No
    expiry is set: the caller stores the cookies, and the profile on disk keeps
    only what the site itself set (platform.md: cookies without an expiry are
    not kept between runs).
    """
    parts = _origin(base_url)
    host = parts.hostname or ""
    records: list[dict[str, Any]] = []
    for name, value in cookies.items():
        if not value:
            continue
        record: dict[str, Any] = {"name": name, "value": value}
        if _is_ip_or_local(host):
            record["url"] = f"{parts.scheme}://{parts.netloc}/"
        else:
            record.update(
                domain="." + host,
                path="/",
                secure=parts.scheme == "https",
                sameSite="Lax",
            )
        record["httpOnly"] = name == "sessionKey"
        records.append(record)
    return records


def launch_context(
    profile_dir: Path,
    browser: Path,
    *,
    headless: bool,
    timeout: float,
    no_viewport: bool = False,
) -> tuple[Playwright, BrowserContext]:
    """Start Playwright's driver and a persistent Chromium context on `profile_dir`.

    Raises `ClaudeTrayError`: browser_missing when the executable is gone or
    will not start, timeout when it starts too slowly, internal_error when
    Playwright's own driver cannot start. Nothing is left running on failure.
    """
    # The scraper child starts with the cyclic collector off (scraper/__main__.py: its
    # fast path is over in a moment); a browser run lasts seconds to minutes and
    # Playwright's sync API leaves cycles behind, so from here on it collects again.
    gc.enable()
    browser = Path(browser)
    if not is_executable(browser):
        raise ClaudeTrayError(
            ErrorCode.BROWSER_MISSING,
            f"The browser {browser} does not exist or is not executable. Install Chrome or "
            "Chromium (e.g. sudo apt install chromium) or set CLAUDE_TRAY_BROWSER.",
        )
    profile_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        playwright = sync_playwright().start()
    except Exception as exc:
        if "asyncio loop" in str(exc):
            # The sync API allows one Playwright per thread; a second one is our bug.
            raise ClaudeTrayError(
                ErrorCode.INTERNAL_ERROR,
                "The browser path was started twice at once in one process.",
            ) from exc
        raise ClaudeTrayError(
            ErrorCode.INTERNAL_ERROR,
            f"Playwright could not start ({first_line(exc)}). Reinstall claude-tray's "
            "dependencies (pip install --force-reinstall playwright).",
        ) from exc
    started = time.monotonic()
    browser_env: dict[str, str | float | bool] = dict(browser_environment())
    own_timeout = timeout
    try:
        timeout = budget.cap(timeout, "the browser started")
    except ClaudeTrayError:
        _stop_quietly(playwright)
        raise
    try:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(browser),
            headless=headless,
            args=list(BROWSER_ARGS),
            ignore_default_args=list(IGNORED_DEFAULT_ARGS),
            env=browser_env,
            timeout=timeout * 1000,
            no_viewport=no_viewport,
        )
    except PlaywrightTimeoutError as exc:
        _stop_quietly(playwright)
        raise ClaudeTrayError(
            ErrorCode.TIMEOUT,
            f"The browser {browser} did not start {budget.within(timeout, own_timeout)}. "
            "claude-tray will try again later.",
        ) from exc
    except Exception as exc:
        _stop_quietly(playwright)
        detail = launch_detail(exc)
        log.warning("browser %s failed to start: %s", browser, detail)
        full = str(exc).lower()
        if "processsingleton" in full:
            # Chromium refuses a profile another running Chromium holds (SingletonLock).
            raise ClaudeTrayError(
                ErrorCode.INTERNAL_ERROR,
                f"The browser profile {profile_dir} is in use by another browser window "
                "(an unfinished claude-tray login?). Close that window and try again.",
            ) from exc
        if "$display" in full or "xserver" in full or "x server" in full:
            raise ClaudeTrayError(
                ErrorCode.BROWSER_MISSING,
                "The browser window could not open because there is no graphical display. "
                "Log in with a session key instead (claude-tray login --session-key -).",
            ) from exc
        raise ClaudeTrayError(
            ErrorCode.BROWSER_MISSING,
            f"The browser {browser} could not be started ({detail}). Install Chrome or "
            "Chromium (e.g. sudo apt install chromium) or point CLAUDE_TRAY_BROWSER at "
            "a working one.",
        ) from exc
    log.info(
        "browser started: %s (%s) in %.1f s",
        browser,
        "headless" if headless else "visible",
        time.monotonic() - started,
    )
    return playwright, context


def _stop_quietly(playwright: Playwright) -> None:
    try:
        playwright.stop()
    except Exception as exc:  # the driver may already be gone
        log.debug("stopping Playwright failed: %s", first_line(exc))


def close_context(playwright: Playwright | None, context: BrowserContext | None) -> None:
    """Close the browser and stop the driver; never raises (used in `finally`)."""
    if context is not None:
        try:
            context.close()
        except Exception as exc:  # already closed by the user or a crash
            log.debug("closing the browser failed: %s", first_line(exc))
    if playwright is not None:
        _stop_quietly(playwright)


def context_cookies(context: BrowserContext, base_url: str) -> dict[str, str]:
    """The cookies the browser would send to `base_url` (name -> value)."""
    return {
        str(cookie.get("name", "")): str(cookie.get("value", ""))
        for cookie in context.cookies([base_url.rstrip("/") + "/"])
        if cookie.get("name")
    }


def is_challenge_response(response: Response) -> bool:
    """True for a Cloudflare challenge answer (403/503 with `cf-mitigated: challenge`)."""
    return (
        response.status in (403, 503)
        and response.headers.get("cf-mitigated", "").lower() == "challenge"
    )


class BrowserTransport:
    """A `Transport` that GETs through `fetch()` in a real browser page.

    The browser starts in the constructor; use it as a context manager or call
    `close()`, which always stops the browser and Playwright's driver.
    """

    def __init__(
        self,
        base_url: str,
        profile_dir: Path,
        browser: Path,
        cookies: dict[str, str],
        *,
        headless: bool = True,
        timeout: float = 30.0,
    ) -> None:
        _origin(base_url)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._playwright: Playwright | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._challenged = False
        self._fetch_limit = timeout
        self._last_cookies: dict[str, str] = {k: v for k, v in cookies.items() if v}
        try:
            self._playwright, self._context = launch_context(
                Path(profile_dir), Path(browser), headless=headless, timeout=timeout
            )
            self._context.set_default_timeout(timeout * 1000)
            if self._last_cookies:
                # Playwright types the records with a private TypedDict (SetCookieParam).
                records = cookie_params(self.base_url, self._last_cookies)
                self._context.add_cookies(records)  # type: ignore[arg-type]
            self._page = self._context.pages[0] if self._context.pages else self._context.new_page()
            self._page.on("response", self._on_response)
            self._open_page()
        except BaseException:
            self.close()
            raise

    # -- starting -------------------------------------------------------------------

    def _on_response(self, response: Response) -> None:
        """Remember whether the page's latest document is a challenge page."""
        page = self._page
        try:
            if (
                page is not None
                and response.frame == page.main_frame
                and response.request.is_navigation_request()
            ):
                self._challenged = is_challenge_response(response)
        except Exception:  # a frame gone while the event was queued
            pass

    def _open_page(self) -> None:
        """Load the base URL and wait (bounded) until any challenge page has cleared."""
        page = self._require_page()
        url = self.base_url + "/"
        limit = budget.cap(self.timeout, "the page was loaded")
        try:
            page.goto(url, wait_until="domcontentloaded", timeout=limit * 1000)
        except PlaywrightTimeoutError as exc:
            raise self._timeout_error(limit, "while loading the page") from exc
        except Error as exc:
            raise self._network_error(exc) from exc
        # The challenge gets its own wait, but never more than the budget has left.
        challenge_wait = budget.cap(min(self.timeout, CHALLENGE_WAIT_SECONDS), "the challenge")
        deadline = time.monotonic() + challenge_wait
        if self._challenged:
            log.info("browser path: challenge page, waiting for it to clear")
        while self._challenged and time.monotonic() < deadline:
            # Also lets Playwright deliver the events of the challenge's reload.
            page.wait_for_timeout(POLL_INTERVAL_SECONDS * 1000)
        if self._challenged:
            # Not decided here: the next fetch answers with the challenge and the
            # web source says "blocked".
            log.warning("browser path: the challenge page did not clear in time")
            return
        try:
            page.wait_for_load_state("domcontentloaded", timeout=self.timeout * 1000)
        except Error as exc:
            log.debug("browser path: page still loading: %s", first_line(exc))
        log.info("browser path: page ready")

    # -- Transport ------------------------------------------------------------------

    def get(self, path: str) -> HttpResponse:
        """GET `path` with `fetch()` inside the page; every HTTP answer is returned."""
        if not path.startswith("/") or path.startswith("//"):
            raise ValueError(f"expected a path on the service, got {path!r}")
        context = self._require_context()
        before = self._cookies_or_last(context)
        result = self._run_with_retry(lambda page: self._fetch(page, path))
        after = self._cookies_or_last(context)
        self._last_cookies = after
        if not result.get("ok"):
            if result.get("aborted"):
                raise self._timeout_error(self._fetch_limit)
            raise self._network_error(str(result.get("message", "fetch failed")))
        body = base64.b64decode(str(result.get("body", "")))
        raw_headers = result.get("headers") or {}
        headers = {str(k).lower(): str(v) for k, v in dict(raw_headers).items()}
        # fetch() never shows Set-Cookie; what changed in the jar is what the answer set.
        set_cookies = {
            name: after.get(name, "")
            for name in set(before) | set(after)
            if before.get(name) != after.get(name)
        }
        status = int(result.get("status", 0))
        log.debug("browser GET %s -> %s (%d bytes)", path, status, len(body))
        return HttpResponse(status=status, headers=headers, body=body, set_cookies=set_cookies)

    def cookies(self) -> dict[str, str]:
        """The browser's cookies for the service now (a rotated `sessionKey`, `cf_clearance`)."""
        if self._context is None:
            return dict(self._last_cookies)
        return self._cookies_or_last(self._context)

    def close(self) -> None:
        """Close the browser and Playwright's driver; safe to call twice, never raises."""
        if self._context is not None:
            # The browser may already be gone: then the last known jar is kept.
            with contextlib.suppress(Exception):
                self._last_cookies = context_cookies(self._context, self.base_url)
        playwright, context = self._playwright, self._context
        self._playwright = self._context = self._page = None
        close_context(playwright, context)

    def __enter__(self) -> BrowserTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- helpers --------------------------------------------------------------------

    def _fetch(self, page: Page, path: str) -> dict[str, Any]:
        limit = budget.cap(self.timeout, "the usage was read in the browser")
        self._fetch_limit = limit
        value = page.evaluate(_FETCH_JS, [path, int(limit * 1000), MAX_BODY_BYTES])
        if not isinstance(value, dict):
            return {"ok": False, "message": "fetch returned nothing"}
        return value

    def _run_with_retry(self, action: Callable[[Page], _T]) -> _T:
        """Run `action` on the page; once more if the page navigated under it.

        A page can reload while a call runs (a challenge's reload, a single-page
        app's redirect); Playwright then reports a destroyed execution context.
        """
        page = self._require_page()
        try:
            return action(page)
        except Error as exc:
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise self._browser_gone(exc) from exc
            log.debug("browser path: page navigated during a call; retrying once")
        try:
            page.wait_for_load_state("domcontentloaded", timeout=self.timeout * 1000)
            return action(page)
        except PlaywrightTimeoutError as exc:
            raise self._timeout_error() from exc
        except Error as exc:
            raise self._browser_gone(exc) from exc

    def _cookies_or_last(self, context: BrowserContext) -> dict[str, str]:
        try:
            self._last_cookies = context_cookies(context, self.base_url)
        except Error as exc:
            log.debug("reading the browser's cookies failed: %s", first_line(exc))
        return dict(self._last_cookies)

    def _require_page(self) -> Page:
        if self._page is None:
            raise ClaudeTrayError(ErrorCode.INTERNAL_ERROR, "The browser path is already closed.")
        return self._page

    def _require_context(self) -> BrowserContext:
        if self._context is None:
            raise ClaudeTrayError(ErrorCode.INTERNAL_ERROR, "The browser path is already closed.")
        return self._context

    def _host(self) -> str:
        return urllib.parse.urlsplit(self.base_url).netloc

    def _timeout_error(self, limit: float | None = None, stage: str = "") -> ClaudeTrayError:
        limit = self.timeout if limit is None else limit
        where = f" {stage}" if stage else ""
        return ClaudeTrayError(
            ErrorCode.TIMEOUT,
            f"{self._host()} did not answer the browser{where} "
            f"{budget.within(limit, self.timeout)}. claude-tray will try again later.",
        )

    def _network_error(self, exc: BaseException | str) -> ClaudeTrayError:
        detail = exc if isinstance(exc, str) else first_line(exc)
        return ClaudeTrayError(
            ErrorCode.NETWORK_ERROR,
            f"The browser could not reach {self._host()} ({redact(detail)[:200]}). Check the "
            "internet connection; claude-tray will try again later.",
        )

    def _browser_gone(self, exc: BaseException) -> ClaudeTrayError:
        return ClaudeTrayError(
            ErrorCode.INTERNAL_ERROR,
            f"The browser stopped while reading usage ({first_line(exc)}).",
        )
