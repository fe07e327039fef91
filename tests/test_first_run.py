"""The first start: the welcome happens once, decided by the first poll that says something.

`FirstRun` with real files in a temporary data folder, then the real app
wiring in-process (real Tk on Xvfb, pystray's dummy backend): with no login
anywhere the popup opens by itself with the login panel and the start-at-login
box; with Claude Code's login the banner says where the numbers come from;
a second start shows nothing.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import pytest

from claude_tray.app import StartOptions, TrayApp
from claude_tray.autostart import StartAtLogin, XdgAutostart
from claude_tray.config import Config
from claude_tray.documents import Limit, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.events import RefreshFailed, UsageUpdated
from claude_tray.first_run import MARKER_NAME, FirstRun, Welcome
from claude_tray.paths import AppPaths
from claude_tray.tray import load_backend
from tests.support.display import XvfbDisplay
from tests.test_app import deliver, display, pump  # noqa: F401  (display: session fixture)

NO_SESSION = RefreshFailed(ErrorCode.NO_SESSION, "No claude.ai session is stored.")


def _usage(source: Literal["web", "claude-code"]) -> UsageDocument:
    return UsageDocument.build(
        source=source,
        limits=[
            Limit(
                id="session",
                kind="session",
                label="Current session",
                percent=12.0,
                resets_at=datetime.now(timezone.utc) + timedelta(hours=1),
            )
        ],
    )


# ---------------------------------------------------------------- the decision


def test_no_session_welcomes_once_across_starts(tmp_path: Path) -> None:
    """Undecided errors wait; no_session welcomes; a later start (same folder) does not."""
    first = FirstRun(tmp_path)
    assert first.pending
    assert first.decide(RefreshFailed(ErrorCode.NETWORK_ERROR, "offline")) is None
    assert first.pending and not (tmp_path / MARKER_NAME).exists()
    assert first.decide(NO_SESSION) is Welcome.LOG_IN
    assert first.decide(NO_SESSION) is None
    assert (tmp_path / MARKER_NAME).exists()
    again = FirstRun(tmp_path)
    assert not again.pending
    assert again.decide(NO_SESSION) is None


def test_claude_code_numbers_say_where_they_come_from(tmp_path: Path) -> None:
    """The first numbers through Claude Code's login call for the note; web ones for nothing."""
    assert FirstRun(tmp_path / "a").decide(UsageUpdated(_usage("claude-code"))) is (
        Welcome.CLAUDE_CODE
    )
    web = FirstRun(tmp_path / "b")
    assert web.decide(UsageUpdated(_usage("web"))) is None
    assert not web.pending and (tmp_path / "b" / MARKER_NAME).exists()


def test_cached_numbers_decide_nothing(tmp_path: Path) -> None:
    """Stale (cached) numbers at start are not the first poll's answer."""
    first = FirstRun(tmp_path)
    assert first.decide(UsageUpdated(_usage("web"), stale=True)) is None
    assert first.pending


def test_an_unwritable_data_folder_still_welcomes_once_per_start(tmp_path: Path) -> None:
    """Without a marker file the welcome shows once in this run (and again next start)."""
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    first = FirstRun(blocked / "data")
    assert first.decide(NO_SESSION) is Welcome.LOG_IN
    assert first.decide(NO_SESSION) is None
    assert FirstRun(blocked / "data").pending


# ---------------------------------------------------------------- the app


@pytest.fixture
def make_app(
    app_paths: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
    display: XvfbDisplay,  # noqa: F811
    tmp_path: Path,
) -> Iterator[Callable[[], TrayApp]]:
    """Start the app wiring with the first-run welcome on (as `claude-tray run` does)."""
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    monkeypatch.setenv("DISPLAY", display.name)
    started: list[tuple[TrayApp, tk.Tk]] = []
    entry = XdgAutostart({"XDG_CONFIG_HOME": str(tmp_path / "xdg")})

    def start() -> TrayApp:
        root = tk.Tk(screenName=display.name)
        root.withdraw()
        options = StartOptions(
            start_at_login=StartAtLogin(entry, ["/opt/claude-tray/claude-tray", "run"]),
            first_run=True,
        )
        app = TrayApp(
            app_paths, Config(), root=root, backend=load_backend("linux"), options=options
        )
        started.append((app, root))
        return app

    yield start
    for app, root in started:
        app.quit()
        with contextlib.suppress(tk.TclError):
            root.destroy()


@pytest.mark.display
def test_first_start_without_login_opens_the_ways_to_log_in(
    make_app: Callable[[], TrayApp], tmp_path: Path
) -> None:
    """no_session at the first start: the popup opens by itself with the login panel, the
    welcome banner and the start-at-login box; ticking the box writes the XDG entry."""
    app = make_app()
    assert app.popup.window.state() == "withdrawn"
    deliver(app, NO_SESSION)
    pump(app.root, lambda: app.popup.window.state() == "normal")
    assert app.popup.current_banner is not None
    assert app.popup.current_banner.title == "Welcome to claude-tray"
    panel = app.popup.login_panel
    pump(app.root, lambda: bool(panel.winfo_viewable()))
    assert panel.browser_button.winfo_viewable()
    assert panel.start_at_login_box.winfo_viewable()
    assert app.tray.view.logged_in is False
    assert not panel.start_at_login.get()
    panel.start_at_login_box.invoke()
    assert (tmp_path / "xdg" / "autostart" / "claude-tray.desktop").exists()
    panel.start_at_login_box.invoke()
    assert not (tmp_path / "xdg" / "autostart" / "claude-tray.desktop").exists()


@pytest.mark.display
def test_second_start_does_not_open_the_popup_again(make_app: Callable[[], TrayApp]) -> None:
    """The welcome is once per machine: the next start with no login stays in the tray."""
    first = make_app()
    deliver(first, NO_SESSION)
    pump(first.root, lambda: first.popup.window.state() == "normal")
    first.quit()
    second = make_app()
    deliver(second, NO_SESSION)
    second.root.update()
    assert second.popup.window.state() == "withdrawn"
    assert second.popup.current_banner is None or second.popup.current_banner.title != (
        "Welcome to claude-tray"
    )


@pytest.mark.display
def test_first_start_with_claude_code_says_where_the_numbers_come_from(
    make_app: Callable[[], TrayApp],
) -> None:
    """Numbers through Claude Code's login: no popup, a banner naming the source."""
    app = make_app()
    deliver(app, UsageUpdated(_usage("claude-code")))
    assert app.popup.window.state() == "withdrawn"
    banner = app.popup.current_banner
    assert banner is not None and banner.title == "Reading your usage through Claude Code"
    assert "read-only" in banner.body
    assert "12%" in app.tray.view.title
