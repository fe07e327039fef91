"""The stored web session file and the scraper's non-secret state file."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timezone

import pytest

from claude_tray.errors import ErrorCode
from claude_tray.paths import AppPaths
from claude_tray.scraper import scraper_state
from claude_tray.scraper.session_store import (
    SessionFileError,
    WebSession,
    delete_session,
    load_session,
    mark_invalid,
    save_session,
    update_session,
)
from tests.support.scraper import FAKE_SESSION_KEY

_OTHER_KEY = "sk-ant-sid01-RotatedFakeKey111aaaaBBBBccccDDDD_eeee-gggg"


def _session() -> WebSession:
    return WebSession(
        session_key=FAKE_SESSION_KEY,
        last_active_org="org-chat-1",
        org_uuid="org-chat-1",
        org_name="Test Org",
        cookies={"cf_clearance": "clearance-value-1234"},
        saved_at=datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc),
    )


def test_round_trip(app_paths: AppPaths) -> None:
    """A saved session loads back equal."""
    save_session(app_paths, _session())
    assert load_session(app_paths) == _session()


def test_missing_file_is_no_session(app_paths: AppPaths) -> None:
    """With no file, nothing is stored."""
    assert load_session(app_paths) is None


@pytest.mark.posix_only  # POSIX file modes
def test_file_is_private(app_paths: AppPaths) -> None:
    """The session file is readable by the user alone (0600)."""
    save_session(app_paths, _session())
    assert stat.S_IMODE(app_paths.session_file.stat().st_mode) == 0o600


def test_file_holds_the_documented_fields(app_paths: AppPaths) -> None:
    """The JSON names sessionKey, lastActiveOrg, the chosen org, cookies, saved_at, invalid."""
    save_session(app_paths, _session())
    raw = json.loads(app_paths.session_file.read_text())
    assert raw["sessionKey"] == FAKE_SESSION_KEY
    assert raw["lastActiveOrg"] == "org-chat-1"
    assert raw["org_uuid"] == "org-chat-1"
    assert raw["cookies"] == {"cf_clearance": "clearance-value-1234"}
    assert raw["saved_at"].startswith("2026-11-01T08:30:00")
    assert raw["invalid"] is False


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"sessionKey": ""}', b'{"sessionKey": 5}', b"\xff\xfe\x00"],
)
def test_corrupt_file_is_reported_and_kept(app_paths: AppPaths, content: bytes) -> None:
    """A corrupt file gives a `no_session` error naming the file, and stays untouched."""
    app_paths.session_file.write_bytes(content)
    with pytest.raises(SessionFileError) as caught:
        load_session(app_paths)
    assert caught.value.code is ErrorCode.NO_SESSION
    assert str(app_paths.session_file) in caught.value.message
    assert app_paths.session_file.read_bytes() == content


def test_mark_invalid_keeps_the_file(app_paths: AppPaths) -> None:
    """Marking invalid flags the session but keeps key and cookies."""
    save_session(app_paths, _session())
    mark_invalid(app_paths, now=datetime(2026, 11, 29, tzinfo=timezone.utc))
    loaded = load_session(app_paths)
    assert loaded is not None
    assert loaded.invalid is True
    assert loaded.session_key == FAKE_SESSION_KEY
    assert loaded.invalid_at == datetime(2026, 11, 29, tzinfo=timezone.utc)


def test_mark_invalid_leaves_a_corrupt_file_alone(app_paths: AppPaths) -> None:
    """mark_invalid never rewrites a file it cannot read."""
    app_paths.session_file.write_bytes(b"{oops")
    mark_invalid(app_paths)
    assert app_paths.session_file.read_bytes() == b"{oops"


def test_delete_removes_file_and_browser_profile(app_paths: AppPaths) -> None:
    """Logout removes the session file and the browser profile folder."""
    save_session(app_paths, _session())
    (app_paths.browser_profile_dir / "Default").mkdir(parents=True)
    (app_paths.browser_profile_dir / "Default" / "Cookies").write_bytes(b"x")
    assert delete_session(app_paths) is True
    assert not app_paths.session_file.exists()
    assert not app_paths.browser_profile_dir.exists()
    assert delete_session(app_paths) is False


def test_update_session_never_recreates_a_deleted_session(app_paths: AppPaths) -> None:
    """A logout during a poll wins: a later update does not write the session again."""
    assert update_session(app_paths, _session()) is False
    assert not app_paths.session_file.exists()


def test_rotation_replaces_the_key_and_restarts_saved_at() -> None:
    """A new non-empty sessionKey replaces the key; other cookies are merged."""
    now = datetime(2026, 11, 29, 10, tzinfo=timezone.utc)
    updated = _session().with_cookies({"sessionKey": _OTHER_KEY, "__cf_bm": "bm-1"}, now=now)
    assert updated.session_key == _OTHER_KEY
    assert updated.saved_at == now
    assert updated.cookies == {"cf_clearance": "clearance-value-1234", "__cf_bm": "bm-1"}


def test_empty_or_missing_key_never_removes_the_stored_key() -> None:
    """A cookie jar without sessionKey (or with an empty one) keeps the stored key."""
    assert _session().with_cookies({}) == _session()
    assert _session().with_cookies({"sessionKey": ""}).session_key == FAKE_SESSION_KEY


def test_all_cookies_sends_key_and_org() -> None:
    """The cookies sent hold the key, lastActiveOrg and the other cookies."""
    assert _session().all_cookies() == {
        "cf_clearance": "clearance-value-1234",
        "lastActiveOrg": "org-chat-1",
        "sessionKey": FAKE_SESSION_KEY,
    }


def test_challenge_memory_expires(app_paths: AppPaths) -> None:
    """A remembered challenge holds for its time and is then over; forgetting clears it."""
    scraper_state.remember_challenge(app_paths, now=1000.0, seconds=1800)
    state = scraper_state.load_state(app_paths)
    assert state.fast_path_challenged(1000.0 + 1799)
    assert not state.fast_path_challenged(1000.0 + 1801)
    scraper_state.forget_challenge(app_paths)
    assert scraper_state.load_state(app_paths).challenged_until is None


@pytest.mark.parametrize("content", [b"", b"[1]", b'{"challenged_until": "soon"}', b"\x00"])
def test_unreadable_state_is_no_memory(app_paths: AppPaths, content: bytes) -> None:
    """A broken state file means "no challenge remembered", never an exception."""
    app_paths.scraper_state_file.write_bytes(content)
    assert scraper_state.load_state(app_paths).challenged_until is None
