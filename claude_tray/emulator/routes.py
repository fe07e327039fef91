"""Routing: which answer each request gets, given the scenario and the state.

`route()` is the whole behaviour of the emulated claude.ai (pages, login,
organizations, usage, OAuth usage, Cloudflare challenge, faults) plus the
`/__emulator__/` control endpoints (`PUT /__emulator__/usage_body` makes both
usage endpoints answer 200 with the request's body as it is, for tests of
bodies the emulator would never build; `DELETE` on it goes back). This module
must not touch sockets, must not log, and must never echo a cookie, key or
token back in a body.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime
from typing import Final

from claude_tray.emulator import pages
from claude_tray.emulator.recorder import RequestLog
from claude_tray.emulator.replies import (
    COOKIE_MAX_AGE,
    Reply,
    Request,
    html_reply,
    json_reply,
    redirect,
    set_cookie,
)
from claude_tray.emulator.scenarios import (
    DESCRIPTIONS,
    RETRY_AFTER,
    SCENARIOS,
    USAGE_FAULTS,
)
from claude_tray.emulator.state import EmulatorState
from claude_tray.emulator.usage_bodies import (
    new_key_not_ready_error,
    not_found_error,
    oauth_beta_missing_error,
    oauth_expired_error,
    oauth_invalid_error,
    oauth_scope_error,
    organization_forbidden_error,
    organizations_body,
    rate_limit_error,
    server_error_body,
    session_invalid_error,
    usage_body_for,
)

CONTROL_PREFIX: Final = "/__emulator__/"
OAUTH_BETA: Final = "oauth-2025-04-20"
_USAGE_PATH: Final = re.compile(r"^/api/organizations/([^/]+)/usage$")
_APP_PATHS: Final = ("/", "/new", "/chats", "/recents")


def route(state: EmulatorState, log: RequestLog, request: Request) -> Reply:
    """The answer to `request`."""
    path = request.path
    if path.startswith(CONTROL_PREFIX):
        return _control(state, log, request)
    if path.startswith("/cdn-cgi/challenge-platform/"):
        return Reply(
            status=200,
            body=pages.CHALLENGE_PLATFORM_SCRIPT.encode(),
            content_type="application/javascript",
        )
    # The OAuth endpoint lives on api.anthropic.com in reality, not behind claude.ai's challenge.
    if (
        state.scenario == "cloudflare"
        and not path.startswith("/api/oauth/")
        and not state.clearance_ok(
            request.cookies.get("cf_clearance"), request.headers.get("user-agent", "")
        )
    ):
        return _challenge(state, request)
    if request.method == "GET":
        return _get(state, request)
    if request.method == "POST":
        return _post(state, request)
    return _not_found(path, status=405)


# --- GET -----------------------------------------------------------------------------------


def _get(state: EmulatorState, request: Request) -> Reply:
    path = request.path
    if path == "/api/organizations":
        return _organizations(state, request)
    match = _USAGE_PATH.match(path)
    if match:
        return _web_usage(state, request, match.group(1))
    if path == "/api/oauth/usage":
        return _oauth_usage(state, request)
    if path == "/login":
        if _logged_in(state, request):
            return redirect("/new")
        return html_reply(200, pages.login_page(auto=state.scenario == "login_auto"))
    if path in _APP_PATHS or path.startswith("/chat/"):
        return html_reply(200, pages.app_page(logged_in=_logged_in(state, request)))
    if path == "/settings/usage":
        return html_reply(200, pages.usage_page(_usage_rows(state, request)))
    return _not_found(path)


def _not_found(path: str, *, status: int = 404) -> Reply:
    if path.startswith("/api/"):
        return json_reply(status, not_found_error())
    return html_reply(status, pages.not_found_page())


def _logged_in(state: EmulatorState, request: Request) -> bool:
    return state.session_usable(request.cookies.get("sessionKey"))


def _session_error(state: EmulatorState, request: Request) -> Reply | None:
    """The error answer when the request's session may not read data, else None."""
    check = state.check_session_key(request.cookies.get("sessionKey"))
    if check == "ok" and state.scenario == "unauthorized":
        return json_reply(401, new_key_not_ready_error())
    if check == "not_ready":
        return json_reply(401, new_key_not_ready_error())
    if check == "invalid":
        return json_reply(403, session_invalid_error())
    return None


def _organizations(state: EmulatorState, request: Request) -> Reply:
    error = _session_error(state, request)
    if error is not None:
        return error
    return json_reply(200, organizations_body(list(state.organizations), state.started))


def _web_usage(state: EmulatorState, request: Request, org_uuid: str) -> Reply:
    error = _session_error(state, request)
    if error is not None:
        return error
    org = state.organization(org_uuid)
    if org is None or not org.is_chat:
        return json_reply(403, organization_forbidden_error())
    scenario = state.scenario
    if scenario in USAGE_FAULTS:
        return _fault(state, scenario)
    reply = _usage_reply(state, scenario)
    if scenario == "rotate":
        new_key = state.rotate_session_key(request.cookies.get("sessionKey", ""))
        reply = reply.with_cookie(
            set_cookie("sessionKey", new_key, http_only=True, max_age=_key_max_age(state))
        )
    return reply


def _key_max_age(state: EmulatorState) -> int:
    return state.session_cookie_max_age or COOKIE_MAX_AGE


def _oauth_usage(state: EmulatorState, request: Request) -> Reply:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        token.strip().encode(), state.oauth_token.encode()
    ):
        return json_reply(401, oauth_invalid_error())
    betas = {part.strip() for part in request.headers.get("anthropic-beta", "").split(",")}
    if OAUTH_BETA not in betas:
        return json_reply(401, oauth_beta_missing_error())
    scenario = state.scenario
    if scenario == "oauth_expired":
        return json_reply(401, oauth_expired_error())
    if scenario == "oauth_scope":
        return json_reply(403, oauth_scope_error())
    if scenario in USAGE_FAULTS:
        return _fault(state, scenario)
    return _usage_reply(state, scenario)


def _usage_reply(state: EmulatorState, scenario: str) -> Reply:
    """The 200 usage answer: the body a test set with `usage_body`, else the scenario's."""
    body = state.usage_body
    if body is not None:
        return Reply(status=200, body=body)
    return json_reply(200, usage_body_for(scenario, state.usage_now()))


def _fault(state: EmulatorState, scenario: str) -> Reply:
    if scenario in RETRY_AFTER:
        return json_reply(
            429, rate_limit_error(), headers=(("retry-after", str(RETRY_AFTER[scenario])),)
        )
    if scenario == "server_error":
        return json_reply(500, server_error_body())
    if scenario == "html":
        return html_reply(200, pages.html_instead_of_json_page())
    if scenario == "truncated":
        whole = json.dumps(usage_body_for("ok", state.usage_now()))
        return Reply(status=200, body=whole[: len(whole) // 2].encode())
    if scenario == "hang":
        return Reply(status=0, hang=True)
    raise ValueError(f"not a fault scenario: {scenario}")


def _usage_rows(state: EmulatorState, request: Request) -> list[tuple[str, str]] | None:
    if not _logged_in(state, request):
        return None
    values = state.usage_now()
    rows: list[tuple[str, str]] = []
    if values.session is not None:
        rows.append(("Current session", f"{values.session:g}% used"))
    if values.weekly is not None:
        rows.append(("Weekly, all models", f"{values.weekly:g}% used"))
    for name, percent in values.scoped.items():
        rows.append((f"Weekly, {name}", f"{percent:g}% used"))
    if values.extra_enabled and values.extra_used is not None:
        limit = "" if values.extra_limit is None else f" of {values.extra_limit:.2f}"
        rows.append(("Extra usage", f"{values.extra_used:.2f}{limit} {values.currency or ''}"))
    return rows


def _challenge(state: EmulatorState, request: Request) -> Reply:
    head = secrets.token_urlsafe(24)
    factor_a = 1000 + secrets.randbelow(90_000)
    factor_b = 1000 + secrets.randbelow(90_000)
    state.register_clearance(
        f"{head}.{pages.tail36(factor_a, factor_b)}", request.headers.get("user-agent", "")
    )
    page = pages.challenge_page(
        clearance_head=head,
        factor_a=factor_a,
        factor_b=factor_b,
        ray=secrets.token_hex(8),
    )
    return html_reply(
        403,
        page,
        headers=(
            ("cf-mitigated", "challenge"),
            ("cache-control", "private, max-age=0, no-store, no-cache, must-revalidate"),
        ),
    )


# --- POST ----------------------------------------------------------------------------------


def _post(state: EmulatorState, request: Request) -> Reply:
    if request.path == "/api/auth/send_code":
        return _send_code(state, request)
    if request.path == "/api/auth/verify_code":
        return _verify_code(state, request)
    if request.path == "/api/auth/logout":
        return (
            json_reply(200, {"success": True})
            .with_cookie(set_cookie("sessionKey", "", http_only=True, max_age=0))
            .with_cookie(set_cookie("lastActiveOrg", "", http_only=False, max_age=0))
        )
    return _not_found(request.path, status=405 if request.path.startswith("/api/") else 404)


def _bad_request(message: str) -> Reply:
    return json_reply(
        400, {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    )


def _send_code(state: EmulatorState, request: Request) -> Reply:
    data = request.json()
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        return _bad_request("Enter a valid email address.")
    attempt, code = state.start_login(email.strip())
    # The emulator shows the code on the page instead of emailing it.
    return json_reply(200, {"sent": True, "attempt": attempt, "code": code})


def _verify_code(state: EmulatorState, request: Request) -> Reply:
    data = request.json()
    attempt = data.get("attempt") if isinstance(data, dict) else None
    code = data.get("code") if isinstance(data, dict) else None
    if not isinstance(attempt, str) or not isinstance(code, str):
        return _bad_request("That code is not valid.")
    key = state.finish_login(attempt, code)
    if key is None:
        return _bad_request("That code is not valid.")
    org = state.login_org()
    return (
        json_reply(200, {"success": True})
        .with_cookie(set_cookie("sessionKey", key, http_only=True, max_age=_key_max_age(state)))
        .with_cookie(set_cookie("lastActiveOrg", org.uuid, http_only=False))
    )


# --- control -------------------------------------------------------------------------------


def _control(state: EmulatorState, log: RequestLog, request: Request) -> Reply:
    name = request.path[len(CONTROL_PREFIX) :]
    if name == "stats" and request.method == "GET":
        return json_reply(
            200,
            {
                "scenario": state.scenario,
                "moving": state.moving,
                "requests": [record.to_json() for record in log.all()],
            },
        )
    if name == "scenarios" and request.method == "GET":
        return json_reply(200, {"scenarios": {key: DESCRIPTIONS[key] for key in SCENARIOS}})
    if name == "scenario" and request.method == "POST":
        data = request.json()
        scenario = data.get("scenario") if isinstance(data, dict) else None
        if not isinstance(scenario, str) or scenario not in SCENARIOS:
            return _bad_request(f"unknown scenario; choose one of: {', '.join(SCENARIOS)}")
        state.set_scenario(scenario)
        return json_reply(200, {"scenario": scenario})
    if name == "usage" and request.method == "POST":
        try:
            apply_usage_json(state, request.json())
        except ValueError as error:
            return _bad_request(str(error))
        return json_reply(200, {"moving": state.moving})
    if name == "usage_body" and request.method in ("PUT", "POST"):
        # The request body, byte for byte, becomes the usage answer (any bytes:
        # the point is to serve what the parser must survive).
        state.set_usage_body(request.body)
        return json_reply(200, {"usage_body": len(request.body)})
    if name == "usage_body" and request.method == "DELETE":
        state.set_usage_body(None)
        return json_reply(200, {"usage_body": None})
    if name == "clear" and request.method == "POST":
        log.clear()
        return json_reply(200, {"cleared": True})
    return json_reply(404, not_found_error())


_FLOAT_FIELDS: Final = ("session", "weekly", "extra_used", "extra_limit")
_TIME_FIELDS: Final = ("session_resets_at", "weekly_resets_at")


def apply_usage_json(state: EmulatorState, data: object) -> None:
    """Apply a `POST /__emulator__/usage` body; raises ValueError on a bad one.

    Fields: session, weekly, extra_used, extra_limit (numbers or null), scoped
    ({model: number}), extra_enabled (bool), currency (str or null),
    session_resets_at / weekly_resets_at (ISO-8601 or null), moving (bool:
    true restarts the demo movement instead of pinning).
    """
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    changes: dict[str, object] = {}
    for key, value in data.items():
        if key in _FLOAT_FIELDS:
            if value is not None and not _is_number(value):
                raise ValueError(f"{key} must be a number or null")
            changes[key] = None if value is None else float(value)
        elif key in _TIME_FIELDS:
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{key} must be an ISO-8601 string or null")
            changes[key] = None if value is None else _parse_time(key, value)
        elif key == "scoped":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and _is_number(v) for k, v in value.items()
            ):
                raise ValueError("scoped must map model names to numbers")
            changes[key] = {k: float(v) for k, v in value.items()}
        elif key == "extra_enabled":
            if not isinstance(value, bool):
                raise ValueError("extra_enabled must be true or false")
            changes[key] = value
        elif key == "currency":
            if value is not None and not isinstance(value, str):
                raise ValueError("currency must be a string or null")
            changes[key] = value
        elif key != "moving":
            raise ValueError(f"unknown field {key!r}")
    moving = data.get("moving")
    if moving is not None and not isinstance(moving, bool):
        raise ValueError("moving must be true or false")
    if changes:
        state.set_usage(**changes)
    if moving is not None:
        state.set_moving(moving)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_time(key: str, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{key} must be an ISO-8601 time") from None
