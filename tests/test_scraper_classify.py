"""Classifying the service's answers into error codes (interface.md, claude-service.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from claude_tray.errors import ErrorCode
from claude_tray.scraper.classify import (
    ChallengedError,
    SessionInvalidError,
    UnauthorizedError,
    WrongOrganizationError,
    classify,
    json_body,
    parse_retry_after,
)
from claude_tray.scraper.transport import HttpResponse
from tests.support.scraper import FAKE_SESSION_KEY


def _json(status: int, body: object, **headers: str) -> HttpResponse:
    return HttpResponse(status=status, headers=dict(headers), body=json.dumps(body).encode())


def _error_body(kind: str, message: str, error_code: str | None = None) -> dict[str, object]:
    error: dict[str, object] = {"type": kind, "message": message}
    if error_code:
        error["details"] = {"error_code": error_code, "error_visibility": "user_facing"}
    return {"type": "error", "error": error, "request_id": None}


_SESSION_INVALID = _error_body(
    "permission_error", "Invalid authorization", "account_session_invalid"
)
_CHALLENGE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b'<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/jsch/v1"></script></body></html>'
)


def test_success_is_no_error() -> None:
    """A 200 answer is not classified as an error (its body is parsed by the caller)."""
    assert classify(_json(200, {"five_hour": None}), source="web") is None


@pytest.mark.parametrize("status", [401, 403])
def test_account_session_invalid_is_session_expired(status: int) -> None:
    """403 or 401 with `account_session_invalid` means the session expired."""
    error = classify(_json(status, _SESSION_INVALID), source="web")
    assert isinstance(error, SessionInvalidError)
    assert error.code is ErrorCode.SESSION_EXPIRED
    assert "log in" in error.message.lower()


def test_plain_403_is_not_an_expired_session() -> None:
    """A 403 without `account_session_invalid` is `forbidden`, never `session_expired`."""
    error = classify(_json(403, _error_body("permission_error", "Nope")), source="web")
    assert error is not None
    assert error.code is ErrorCode.FORBIDDEN


def test_wrong_organization_has_its_own_class() -> None:
    """403 "Invalid authorization for organization" is a wrong organization (forbidden)."""
    body = _error_body("permission_error", "Invalid authorization for organization")
    error = classify(_json(403, body), source="web")
    assert isinstance(error, WrongOrganizationError)
    assert error.code is ErrorCode.FORBIDDEN


def test_plain_401_is_unauthorized_session_expired() -> None:
    """A 401 without details is `session_expired`, as a class the web source may retry."""
    error = classify(_json(401, _error_body("authentication_error", "bad")), source="web")
    assert isinstance(error, UnauthorizedError)
    assert error.code is ErrorCode.SESSION_EXPIRED


def test_oauth_401_says_to_open_claude_code() -> None:
    """A 401 on the Claude Code source tells the user to open Claude Code."""
    body = _error_body("authentication_error", "OAuth access token is invalid.")
    error = classify(_json(401, body), source="claude-code")
    assert error is not None
    assert error.code is ErrorCode.SESSION_EXPIRED
    assert "Open Claude Code" in error.message


def test_scope_error_is_forbidden() -> None:
    """A token without the user:profile scope is `forbidden`."""
    body = _error_body(
        "permission_error", "OAuth token does not meet scope requirement user:profile"
    )
    error = classify(_json(403, body), source="claude-code")
    assert error is not None
    assert error.code is ErrorCode.FORBIDDEN
    assert "user:profile" in error.message


@pytest.mark.parametrize("status", [403, 503])
def test_cloudflare_header_is_a_challenge(status: int) -> None:
    """`cf-mitigated: challenge` on 403 or 503 is a challenge, whatever the body."""
    response = HttpResponse(status=status, headers={"cf-mitigated": "challenge"}, body=b"")
    assert isinstance(classify(response, source="web"), ChallengedError)


@pytest.mark.parametrize("status", [403, 503])
def test_cloudflare_page_is_a_challenge(status: int) -> None:
    """A "Just a moment" page without the header is still a challenge."""
    response = HttpResponse(
        status=status, headers={"content-type": "text/html"}, body=_CHALLENGE_PAGE
    )
    error = classify(response, source="web")
    assert isinstance(error, ChallengedError)
    assert error.code is ErrorCode.BLOCKED


def test_challenge_page_with_200_is_not_a_challenge() -> None:
    """An HTML page with status 200 is left to the parser (parse_error), not a challenge."""
    response = HttpResponse(status=200, headers={}, body=_CHALLENGE_PAGE)
    assert classify(response, source="web") is None


def test_429_carries_retry_after_seconds() -> None:
    """429 is `rate_limited` with the `retry-after` seconds."""
    body = {
        "error": {"message": "Rate limited. Please try again later.", "type": "rate_limit_error"}
    }
    error = classify(_json(429, body, **{"retry-after": "120"}), source="claude-code")
    assert error is not None
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.retry_after == 120.0


def test_429_with_zero_retry_after_keeps_zero() -> None:
    """A `retry-after: 0` is reported as 0 (the worker decides not to believe it)."""
    error = classify(_json(429, {}, **{"retry-after": "0"}), source="web")
    assert error is not None and error.retry_after == 0.0


def test_429_without_retry_after() -> None:
    """A 429 without the header has no retry_after."""
    error = classify(_json(429, {}), source="web")
    assert error is not None and error.code is ErrorCode.RATE_LIMITED and error.retry_after is None


def test_retry_after_http_date() -> None:
    """`retry-after` as an HTTP date becomes seconds from now."""
    now = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == 90.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("-5") == 0.0


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_is_server_error(status: int) -> None:
    """A 5xx without a challenge is `server_error` naming the status."""
    error = classify(_json(status, {}), source="web")
    assert error is not None
    assert error.code is ErrorCode.SERVER_ERROR
    assert str(status) in error.message


def test_unexpected_status_is_parse_error() -> None:
    """A 404 is not the usage document: `parse_error`."""
    error = classify(HttpResponse(status=404, body=b"not found"), source="web")
    assert error is not None and error.code is ErrorCode.PARSE_ERROR


def test_json_body_of_html_is_parse_error() -> None:
    """A 200 answer that is not JSON becomes `parse_error`."""
    with pytest.raises(Exception) as caught:
        json_body(HttpResponse(status=200, body=b"<html>"), what="your organizations")
    assert getattr(caught.value, "code", None) is ErrorCode.PARSE_ERROR


def test_messages_never_contain_the_body() -> None:
    """A secret inside an error body never reaches the error's message."""
    body = _error_body("permission_error", f"Invalid authorization {FAKE_SESSION_KEY}")
    for status in (400, 401, 403, 429, 500):
        error = classify(_json(status, body), source="web")
        assert error is not None
        assert FAKE_SESSION_KEY not in error.message
