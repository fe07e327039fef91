"""One time budget (issue 7 item 3): the real scraper child under the real runner.

The runner's time limit reaches the child as its budget; the stage that runs
out says so itself ("127.0.0.1:PORT did not answer within 7 seconds (what was
left of ...)") instead of the runner's "the scraper did not answer within 8 s".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from claude_tray.config import Config
from claude_tray.documents import ErrorDocument
from claude_tray.emulator import Emulator
from claude_tray.errors import ErrorCode
from claude_tray.paths import AppPaths
from claude_tray.runner import ScraperRunner
from claude_tray.scraper.session_store import WebSession, save_session

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def hanging() -> Iterator[Emulator]:
    with Emulator("hang") as emulator:
        yield emulator


def test_a_hung_request_reports_its_own_stage_within_the_budget(
    app_paths: AppPaths, hanging: Emulator
) -> None:
    """An 8 s limit with a 20 s HTTP time-out: the request ends first, and says why."""
    saved = datetime.now(timezone.utc) - timedelta(hours=1)
    save_session(app_paths, WebSession(session_key=hanging.session_key, saved_at=saved))
    env = {**os.environ, "CLAUDE_TRAY_BASE_URL": hanging.base_url}
    runner = ScraperRunner(app_paths, Config(poll_timeout_seconds=8), env=env)
    document = runner.run("poll", ["--source", "web"])
    assert isinstance(document, ErrorDocument), document
    assert document.error is ErrorCode.TIMEOUT
    assert "did not answer within" in document.message
    assert f"127.0.0.1:{hanging.port}" in document.message
    assert "time limit" in document.message
    assert "The scraper did not answer" not in document.message  # not the runner's own
