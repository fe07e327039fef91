"""The words: one test per rule of issue 11's "The words", on the text people actually get.

The popup's texts are read from the widget tree on a real Xvfb; the command
line's from real `claude-tray` children against the emulator.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from claude_tray.config import Config, Thresholds
from claude_tray.documents import Limit, UsageDocument
from claude_tray.emulator import Emulator
from claude_tray.errors import ErrorCode
from claude_tray.events import LoginFinished, RefreshFailed, RefreshRequested, UsageUpdated
from claude_tray.popup.model import banner_for, limit_view, login_failure_text
from claude_tray.popup.theme import ERROR_TEXT, MUTED
from claude_tray.popup.window import Popup
from claude_tray.text_format import cli_error_text, gui_error_text
from tests.support.cli import REPO, child_env, emulator_env, run_cli, store_session
from tests.support.cli import emulator as emulator
from tests.test_popup import (  # noqa: F401  (fixtures)
    NOW,
    Harness,
    RecordingCore,
    harness,
    texts,
    usage_document,
    utc_zone,
    xvfb,
)

#: What scrapers say for the terminal and the log (their real shapes, own words).
SCRAPER_MESSAGES = {
    ErrorCode.SESSION_EXPIRED: "Your claude.ai session has expired. Log in again with "
    "`claude-tray login`.",
    ErrorCode.NO_SESSION: "You are not logged in. Log in with `claude-tray login`, or log in "
    "to Claude Code with `claude`.",
    ErrorCode.RATE_LIMITED: "claude.ai asked to slow down (HTTP 429). claude-tray will wait "
    "and try again later.",
    ErrorCode.SERVER_ERROR: "The service had a problem (HTTP 502). claude-tray will try again "
    "later.",
    ErrorCode.NETWORK_ERROR: "Could not reach claude.ai (connection refused). claude-tray will "
    "try again later.",
    ErrorCode.TIMEOUT: "The browser did not load claude.ai within 30 s. claude-tray will try "
    "again later.",
    ErrorCode.PARSE_ERROR: "The usage answer could not be read (not valid JSON: Expecting value "
    "at position 0). The service may have changed; try again later.",
}


# --- the GUI never tells a person to run a command -------------------------------------------


@pytest.mark.parametrize("code", list(ErrorCode))
def test_no_banner_names_a_command(code: ErrorCode) -> None:
    """No banner, for any code, tells a person to type a command; it has its own words."""
    message = SCRAPER_MESSAGES.get(code, "Run `claude-tray doctor`; log in with `claude`.")
    view = banner_for(code, message, next_try=None, now=NOW)
    words = f"{view.title} {view.body}"
    assert "`" not in words and "claude-tray login" not in words and "`claude`" not in words
    assert "claude-tray doctor" not in words
    assert view.title and view.title != view.body


def test_each_situation_has_its_own_true_sentence() -> None:
    """A rejected key, no connection, a timeout and an unreadable answer each say what happened."""
    rejected = login_failure_text(ErrorCode.SESSION_EXPIRED, with_key=True)
    assert rejected.startswith("claude.ai did not accept this key")
    assert "expired" not in rejected
    offline = login_failure_text(ErrorCode.NETWORK_ERROR, with_key=True)
    assert offline.startswith("No connection") and "did not accept" not in offline
    assert gui_error_text(ErrorCode.NETWORK_ERROR)[0] == "No connection to claude.ai."
    for code in (ErrorCode.PARSE_ERROR, ErrorCode.INVALID_OUTPUT):
        gui = " ".join(gui_error_text(code))
        cli = cli_error_text(code, SCRAPER_MESSAGES.get(code, "Expecting value at position 3"))
        for text in (gui, cli):
            assert "an answer claude-tray could not read" in text
            assert "position" not in text and "JSON" not in text
    timeout = cli_error_text(ErrorCode.TIMEOUT, SCRAPER_MESSAGES[ErrorCode.TIMEOUT])
    assert "browser" not in timeout.lower()
    assert "browser" not in " ".join(gui_error_text(ErrorCode.TIMEOUT)).lower()


@pytest.mark.parametrize("code", sorted(SCRAPER_MESSAGES, key=lambda code: code.value))
def test_a_one_shot_command_never_promises_to_try_again(code: ErrorCode) -> None:
    """`status`, `login` and `check-session` run once: they never say they will try again."""
    text = cli_error_text(code, SCRAPER_MESSAGES[code])
    assert "try again later" not in text and "will try again" not in text
    assert text


# --- in the popup -----------------------------------------------------------------------------


def _visible_buttons(widget: object) -> list[str]:
    from tkinter import ttk

    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, ttk.Button) and node.winfo_viewable():
            found.append(str(node.cget("text")))
        for child in node.winfo_children():  # type: ignore[attr-defined]
            walk(child)

    walk(widget)
    return found


@pytest.mark.display
def test_one_way_to_log_in_on_screen_at_a_time(harness: Harness) -> None:  # noqa: F811
    """Session expired: one "Log in…" (the banner's hidden while the login panel is open)."""
    popup = harness.popup
    popup.apply_event(UsageUpdated(usage_document()))
    popup.apply_event(
        RefreshFailed(ErrorCode.SESSION_EXPIRED, SCRAPER_MESSAGES[ErrorCode.SESSION_EXPIRED])
    )
    popup.show(near=(1200, 10))
    harness.settle()
    login_buttons = [text for text in _visible_buttons(popup.window) if "Log in" in text]
    assert login_buttons == ["Log in…"], login_buttons  # the footer's; none in the banner
    popup._banner_action("login")
    harness.settle()
    login_buttons = [text for text in _visible_buttons(popup.window) if "Log in" in text]
    assert login_buttons == ["Log in with browser"], login_buttons
    assert not any("claude-tray" in text for text in texts(popup.window))
    harness.screenshot("one_login_way")


@pytest.mark.display
def test_logout_shows_the_logged_out_look_at_once(harness: Harness) -> None:  # noqa: F811
    """Log out: numbers and their banners go at once; the confirmation is a quiet note."""
    popup = harness.popup
    popup.apply_event(UsageUpdated(usage_document()))
    popup.apply_event(RefreshFailed(ErrorCode.NETWORK_ERROR, "x"))
    popup.show(near=(1200, 10))
    harness.settle()
    assert popup.login_button.cget("text") == "Log out"
    harness.click(popup.login_button)
    assert harness.core.names() == ["logout"]
    shown = texts(popup.window)  # before the core's LoginFinished arrives
    assert "42%" not in shown and not popup.banner.winfo_ismapped()
    assert popup.status_label.cget("text") == "Logged out"
    assert str(popup.status_label.cget("style")) == "Muted.TLabel"
    popup.apply_event(LoginFinished(False, None, "Logged out."))
    harness.settle()
    assert popup.login_panel.message_text == ""  # no red text left in the login panel
    assert popup.login_button.cget("text") == "Log in…"
    harness.screenshot("logged_out")
    assert MUTED != ERROR_TEXT


@pytest.mark.display
def test_ignored_settings_note_stays_until_seen(harness: Harness) -> None:  # noqa: F811
    """The broken-config note survives the first poll, and goes once the popup was seen."""
    popup = harness.popup
    popup.show_message("Some settings were ignored", "interval_minutes: not a number.")
    popup.apply_event(UsageUpdated(usage_document()))  # the first successful poll
    popup.show(near=(1200, 10))
    harness.settle()
    assert "Some settings were ignored" in texts(popup.banner)
    popup.apply_event(UsageUpdated(usage_document()))
    harness.settle()
    assert "Some settings were ignored" in texts(popup.banner)
    popup.hide()
    popup.show(near=(1200, 10))
    harness.settle()
    assert not popup.banner.winfo_ismapped()


@pytest.mark.display
def test_back_off_banner_names_the_workers_next_try(xvfb: object, utc_zone: None) -> None:  # noqa: F811
    """A rate limit's banner says the worker's next try; a refused Refresh says why."""
    import tkinter as tk

    root = tk.Tk(screenName=xvfb.name)  # type: ignore[attr-defined]
    root.withdraw()
    try:
        next_try = [NOW + timedelta(minutes=17)]
        popup = Popup(
            root,
            RecordingCore(),
            Config(),
            on_quit=lambda: None,
            on_save_config=lambda _config: None,
            clock=lambda: NOW,
            next_poll_at=lambda: next_try[0],
        )
        popup.apply_event(UsageUpdated(usage_document()))
        popup.apply_event(RefreshFailed(ErrorCode.RATE_LIMITED, "429", retry_after=30.0))
        assert popup.banner_view is not None
        assert popup.banner_view.body == "The numbers below stay; the next try is at 15:43."
        popup.refresh_button.invoke()  # during the back-off: says why, asks for no poll
        assert popup.core.names() == []  # type: ignore[attr-defined]
        assert popup.status_label.cget("text") == (
            "claude.ai asked to wait: the next try is at 15:43"
        )
        next_try[0] = NOW + timedelta(minutes=40)  # the worker moved it: the banner follows
        popup.apply_event(
            RefreshRequested(False, "claude.ai asked to wait: the next try is at 16:06")
        )
        assert popup.banner_view.body.endswith("at 16:06.")
        assert (
            popup.status_label.cget("text") == "claude.ai asked to wait: the next try is at 16:06"
        )
    finally:
        root.destroy()


@pytest.mark.display
def test_a_passed_reset_says_so_and_asks_for_numbers(harness: Harness) -> None:  # noqa: F811
    """After the reset time, the row says the window reset, and one refresh is asked for."""
    limit = Limit(
        id="session", kind="session", label="Current session", percent=82.0,
        resets_at=NOW - timedelta(minutes=3),
    )  # fmt: skip
    view = limit_view(limit, Thresholds(), NOW)
    assert (view.percent_text, view.fill) == ("reset", 0.0)
    assert view.reset_text == "reset at 15:23 · refreshing…"
    document = UsageDocument.build(
        source="web", limits=[limit], last_updated=NOW - timedelta(hours=1)
    )
    harness.popup.apply_event(UsageUpdated(document))
    harness.popup.show(near=(1200, 10))
    harness.settle()
    shown = texts(harness.popup.window)
    assert "82%" not in shown and "resets now" not in shown
    assert "reset at 15:23 · refreshing…" in shown
    harness.popup._render()
    harness.popup._render()
    assert harness.core.names() == ["refresh_now"]


# --- the command line -------------------------------------------------------------------------


def test_help_per_subcommand_and_left_on_top(tmp_path: Path) -> None:
    """Every subcommand's --help says what it does; the top-level help says "left"."""
    from claude_tray.cli import build_parser

    parser = build_parser()
    top = parser.format_help()
    assert "is left" in top
    commands = next(a for a in parser._actions if a.dest == "command")
    for name, sub in commands.choices.items():  # type: ignore[union-attr]
        text = sub.format_help()
        description = text.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), (name, text)
        assert description.strip().endswith("."), (name, description)


def test_debug_status_into_head_ends_without_a_traceback(
    tmp_path: Path, emulator: Emulator
) -> None:
    """`claude-tray --debug status | head -1` prints one line and no traceback (BrokenPipe)."""
    home = tmp_path / "home"
    store_session(home, emulator)
    env = emulator_env(home, emulator)
    done = subprocess.run(
        f"{sys.executable} -m claude_tray --debug status | head -1",
        shell=True,
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert len(done.stdout.splitlines()) == 1, done.stdout
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr[-2000:]
    assert "internal error" not in done.stderr


def test_waybar_without_a_session_says_login(tmp_path: Path) -> None:
    """Waybar with no session shows "login" (not "!") with the class "login"."""
    done = run_cli(["status", "--format", "waybar", "--source", "web"], child_env(tmp_path / "h"))
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert (payload["text"], payload["class"]) == ("login", "login"), payload
    assert "claude-tray login" not in payload["tooltip"] or "Run" not in payload["tooltip"]


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [("rate_limited", "claude.ai asked to slow down."), ("unreadable", "could not read")],
)
def test_status_errors_speak_for_a_one_shot_command(
    tmp_path: Path, scenario: str, expected: str
) -> None:
    """`status` against a rate limit or an unreadable answer: no promise, no parser jargon."""
    home = tmp_path / "home"
    with Emulator("ok") as emulator:
        store_session(home, emulator)
        if scenario == "unreadable":
            emulator.set_usage_body('{"five_hour": {"utilization": 4')  # cut off mid-number
        else:
            emulator.set_scenario(scenario)
        done = run_cli(["status"], emulator_env(home, emulator))
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert expected in output, output
    assert "try again later" not in output and "will try again" not in output
    assert "position" not in output
