"""The popup on a real X server (Xvfb): widget texts, screenshot pixels, real clicks and keys.

Each test builds a real `tk.Tk` on a private Xvfb, a `Popup` around a small
recording stand-in for the core, feeds it the core's events and checks what a
person would see: the texts in the widget tree and the colours on screen.
Screenshots of every state land in the test's tmp dir; with
POPUP_REVIEW_DIR set, cropped copies also go there as popup_<state>.png for a
person to look at.
"""

from __future__ import annotations

import os
import subprocess
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageGrab

from claude_tray.config import Config
from claude_tray.documents import ExtraUsage, Limit, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.events import (
    BrowserInstalled,
    Event,
    LoginFinished,
    RefreshFailed,
    RefreshRequested,
    Status,
    StatusChanged,
    UsageUpdated,
)
from claude_tray.paths import AppPaths
from claude_tray.popup.theme import LEVEL_COLOURS, TONE_COLOURS, TROUGH
from claude_tray.popup.widgets import UsageBar
from claude_tray.popup.window import Popup
from tests.support.display import XvfbDisplay, xvfb  # noqa: F401  (fixture)

pytestmark = pytest.mark.display

NOW = datetime(2026, 11, 29, 15, 26, tzinfo=timezone.utc)
FAKE_KEY = "sk-ant-sid01-popupTESTkey0123456789abcdefABCDEF-xyz"
REVIEW_DIR = os.environ.get("POPUP_REVIEW_DIR")


# --- test doubles and helpers ------------------------------------------------------------------


@dataclass
class RecordingCore:
    """Stands in for `Core`: records each non-blocking call the popup makes."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _record(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))

    def refresh_now(self) -> None:
        self._record("refresh_now")

    def manual_login(self, session_key: str | None = None) -> None:
        self._record("manual_login", session_key=session_key)

    def cancel_login(self) -> None:
        self._record("cancel_login")

    def install_browser(self) -> None:
        self._record("install_browser")

    def logout(self) -> None:
        self._record("logout")

    def pause(self) -> None:
        self._record("pause")

    def resume(self) -> None:
        self._record("resume")

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@dataclass
class Harness:
    """Everything a test needs: the display, the root, the popup and what it called."""

    display: XvfbDisplay
    root: tk.Tk
    popup: Popup
    core: RecordingCore
    clock: list[datetime]
    quits: list[bool]
    saved: list[Config]
    opened: list[str]
    shots: Path

    def settle(self, seconds: float = 0.3) -> None:
        """Let Tk and the X server process everything pending."""
        deadline = time.monotonic() + seconds
        while True:
            self.root.update()
            if time.monotonic() >= deadline:
                break
            time.sleep(0.02)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Run the Tk loop until `condition()` holds (generous timeout: shared machine)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.root.update()
            if condition():
                return True
            time.sleep(0.02)
        return condition()

    def screenshot(self, name: str, *, review: bool = True) -> Image.Image:
        """The whole screen, saved under the test's tmp dir (and the popup for review)."""
        self.settle(0.3)
        image = ImageGrab.grab(xdisplay=self.display.name)
        windows: list[tk.Misc] = [self.popup.window]
        if self.popup.settings is not None:
            windows.append(self.popup.settings)
        box = (
            max(min(w.winfo_rootx() for w in windows) - 10, 0),
            max(min(w.winfo_rooty() for w in windows) - 10, 0),
            max(w.winfo_rootx() + w.winfo_width() for w in windows) + 10,
            max(w.winfo_rooty() + w.winfo_height() for w in windows) + 10,
        )
        image.save(self.shots / f"{name}.png")
        if review and REVIEW_DIR:
            image.crop(box).save(Path(REVIEW_DIR) / f"popup_{name}.png")
        return image

    def xdotool(self, *args: str) -> None:
        """Real X input events through the XTEST extension."""
        subprocess.run(
            ["xdotool", *args], env=self.display.env(), check=True, timeout=30, capture_output=True
        )

    def click(self, widget: tk.Misc) -> None:
        """Move the real pointer to the widget's centre and press button 1."""
        self.settle(0.1)
        x = widget.winfo_rootx() + widget.winfo_width() // 2
        y = widget.winfo_rooty() + widget.winfo_height() // 2
        self.xdotool("mousemove", "--sync", str(x), str(y))
        self.xdotool("click", "1")
        self.settle(0.3)


def texts(widget: tk.Misc) -> list[str]:
    """The texts of every visible label and button under `widget`."""
    found: list[str] = []
    if widget.winfo_viewable():
        try:
            text = str(widget.cget("text"))
        except tk.TclError:
            text = ""
        if text:
            found.append(text)
    for child in widget.winfo_children():
        found.extend(texts(child))
    return found


def pixel(image: Image.Image, x: int, y: int) -> str:
    """The colour at (x, y) as '#rrggbb'."""
    red, green, blue = image.convert("RGB").getpixel((x, y))  # type: ignore[misc]
    return f"#{red:02x}{green:02x}{blue:02x}"


def bar_pixel(image: Image.Image, bar: UsageBar, share: float) -> str:
    """The colour on a bar's centre line at `share` (0–1) of its length."""
    x = bar.winfo_rootx() + 6 + int((bar.winfo_width() - 12) * share)
    y = bar.winfo_rooty() + bar.winfo_height() // 2
    return pixel(image, x, y)


def usage_document(*, age: timedelta = timedelta(minutes=2)) -> UsageDocument:
    """Three limits (one scoped, one above 100 %) and extra usage, own values."""
    limits = [
        Limit(
            id="session",
            kind="session",
            label="Current session",
            percent=42.0,
            resets_at=NOW + timedelta(hours=2, minutes=14),
        ),
        Limit(
            id="weekly_all",
            kind="weekly",
            label="Weekly, all models",
            percent=82.0,
            resets_at=NOW + timedelta(days=3, hours=4),
        ),
        Limit(
            id="weekly_fable",
            kind="weekly_scoped",
            label="Weekly, Fable",
            percent=140.0,
            resets_at=NOW + timedelta(days=3, hours=4),
        ),
    ]
    extra = ExtraUsage(enabled=True, used=47.52, limit=100.0, currency="USD", percent=47.52)
    return UsageDocument.build(
        source="web", limits=limits, extra_usage=extra, last_updated=NOW - age
    )


@pytest.fixture
def utc_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC for the test, so clock times are predictable."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def harness(xvfb: XvfbDisplay, tmp_path: Path, utc_zone: None) -> Iterator[Harness]:  # noqa: F811
    """A popup on a fresh Tk root on the module's Xvfb."""
    root = tk.Tk(screenName=xvfb.name)
    root.withdraw()
    core = RecordingCore()
    clock = [NOW]
    quits: list[bool] = []
    saved: list[Config] = []
    opened: list[str] = []
    popup = Popup(
        root,
        core,
        Config(),
        on_quit=lambda: quits.append(True),
        on_save_config=saved.append,
        clock=lambda: clock[0],
        open_url=opened.append,
        base_url="http://127.0.0.1:9",
    )
    shots = tmp_path / "screenshots"
    shots.mkdir()
    harness = Harness(xvfb, root, popup, core, clock, quits, saved, opened, shots)
    try:
        yield harness
    finally:
        root.destroy()


# --- the numbers ------------------------------------------------------------------------------


def test_every_limit_has_a_row_with_bar_percent_and_reset(harness: Harness) -> None:
    """Each limit shows its label, percentage (140 % as is), countdown and clock time."""
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show(near=(1200, 10))
    harness.settle()
    shown = texts(harness.popup.window)
    for expected in (
        "Current session",
        "42%",
        "resets in 2 h 14 min · 17:40",
        "Weekly, all models",
        "82%",
        "Weekly, Fable",
        "140%",
        "resets in 3 d 4 h · Wed 19:26",
        "Extra usage",
        "$47.52 of $100.00",
    ):
        assert expected in shown, f"{expected!r} not in {shown}"
    assert any(text.startswith("Updated 2 min ago") for text in shown)
    assert "· out of date" not in shown
    harness.screenshot("usage")


def test_bars_are_painted_in_the_colour_of_their_level(harness: Harness) -> None:
    """On screen, 42 % is a calm partial bar, 82 % a warning bar, 140 % a full critical bar."""
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show(near=(1200, 10))
    image = harness.screenshot("bars")
    session, weekly, scoped = (row.bar for row in harness.popup.limit_rows[:3])
    assert bar_pixel(image, session, 0.2) == LEVEL_COLOURS["calm"]
    assert bar_pixel(image, session, 0.8) == TROUGH
    assert bar_pixel(image, weekly, 0.5) == LEVEL_COLOURS["warning"]
    assert bar_pixel(image, weekly, 0.95) == TROUGH
    assert bar_pixel(image, scoped, 0.05) == LEVEL_COLOURS["critical"]
    assert bar_pixel(image, scoped, 0.99) == LEVEL_COLOURS["critical"]
    assert bar_pixel(image, harness.popup.money_row.bar, 0.3) == LEVEL_COLOURS["calm"]


def test_countdowns_tick_every_minute_without_calling_the_core(harness: Harness) -> None:
    """The once-a-minute timer redraws countdowns and age from the clock, never polling."""
    harness.popup.tick_ms = 200  # the real value is 60 000; the mechanism is the same
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show()
    harness.settle()
    harness.clock[0] = NOW + timedelta(minutes=10)
    assert harness.wait_for(lambda: "resets in 2 h 4 min · 17:40" in texts(harness.popup.window)), (
        texts(harness.popup.window)
    )
    assert any(text.startswith("Updated 12 min ago") for text in texts(harness.popup.window))
    # 12 minutes is more than two 5-minute intervals: the numbers are now marked old.
    assert "· out of date" in texts(harness.popup.window)
    assert harness.core.calls == []


def test_numbers_from_the_cache_are_marked_out_of_date(harness: Harness) -> None:
    """Numbers loaded from the cache at start carry the stale marker until a fresh poll."""
    harness.popup.apply_event(UsageUpdated(usage_document(), stale=True))
    harness.popup.show()
    harness.settle()
    assert "· out of date" in texts(harness.popup.window)
    harness.screenshot("stale")
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.settle()
    assert "· out of date" not in texts(harness.popup.window)


def test_account_without_limits_shows_only_extra_usage(harness: Harness) -> None:
    """An enterprise account with only extra usage gets the money row and no empty bars."""
    extra = ExtraUsage(enabled=True, used=12.0, limit=None, currency="EUR")
    document = UsageDocument.build(source="web", limits=[], extra_usage=extra, last_updated=NOW)
    harness.popup.apply_event(UsageUpdated(document))
    harness.popup.show()
    harness.settle()
    shown = texts(harness.popup.window)
    assert "€12.00 spent, no cap" in shown
    assert not any(row.winfo_viewable() for row in harness.popup.limit_rows)


def test_odd_service_text_and_an_unknown_amount_look_normal(harness: Harness) -> None:
    """A 5,000-character model name and "Opus\n4.5" give short one-line rows (issue 8)."""
    from claude_tray.usage_parser import parse_usage_body
    from tests.support.usage_cases import LONG_NAME, row

    body = {
        "limits": [
            row("session", 35, group="session"),
            row("weekly_scoped", 62, group="weekly", model="Opus\n4.5"),
            row("weekly_scoped", 20, group="weekly", model=LONG_NAME),
        ],
        "extra_usage": {"is_enabled": True, "monthly_limit": 2000, "currency": "USD"},
    }
    document = parse_usage_body(body, source="web", now=NOW)
    harness.popup.apply_event(UsageUpdated(document))
    harness.popup.show()
    harness.settle()
    shown = texts(harness.popup.window)
    assert "Weekly, Opus 4.5" in shown
    assert "amount unknown (cap $20.00)" in shown
    (long_label,) = [text for text in shown if text.startswith("Weekly, Quill")]
    assert len(long_label) == 60 and long_label.endswith("…")
    assert not any("\n" in text for text in shown)
    harness.screenshot("odd_service_text")


# --- banners and status -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "button"),
    [
        (ErrorCode.SESSION_EXPIRED, "Log in…"),
        (ErrorCode.NO_SESSION, "Log in…"),
        (ErrorCode.NETWORK_ERROR, "Retry"),
        (ErrorCode.SERVER_ERROR, "Retry"),
        (ErrorCode.BLOCKED, None),
        (ErrorCode.RATE_LIMITED, None),
    ],
)
def test_error_banner_says_what_happened_and_offers_the_fix(
    harness: Harness, code: ErrorCode, button: str | None
) -> None:
    """A failed refresh shows a tinted banner with the right action; the numbers stay."""
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show(near=(1200, 10))
    harness.settle()
    banner = harness.popup.banner
    before = harness.screenshot(f"before_{code.value}", review=False)
    top_left = (banner.winfo_rootx() + 3, banner.winfo_rooty() + 3)
    assert pixel(before, *top_left) not in {tone[0] for tone in TONE_COLOURS.values()}

    message = f"Message for {code.value}: what to do next."
    harness.popup.apply_event(RefreshFailed(code, message, retry_after=None))
    image = harness.screenshot(f"banner_{code.value}")
    assert banner.winfo_viewable()
    assert banner.view is not None
    top_left = (banner.winfo_rootx() + 3, banner.winfo_rooty() + 3)
    assert pixel(image, *top_left) == TONE_COLOURS[banner.view.tone][0]
    shown = texts(banner)
    if button is None:
        assert not banner.button.winfo_viewable()
        assert banner.view.tone == "info"
        assert not any("log in" in text.lower() for text in shown)
    elif button == "Log in…":  # one way to log in: the footer's button, not a second one
        assert not banner.button.winfo_viewable()
        assert harness.popup.login_button.cget("text") == "Log in…"
    else:
        assert button in shown
    # The scraper's message is for the log and the terminal; the banner has its own words.
    assert message not in shown
    assert len(shown) >= 2 and all("`" not in text for text in shown)
    # The last numbers stay visible below the banner.
    assert "42%" in texts(harness.popup.window)


def test_browser_missing_banner_opens_settings(harness: Harness) -> None:
    """No browser found: the banner's Settings… opens the dialog with the browser field."""
    harness.popup.apply_event(
        RefreshFailed(ErrorCode.BROWSER_MISSING, "No browser found. Install Chromium.")
    )
    harness.popup.show()
    harness.settle()
    assert "Settings…" in texts(harness.popup.banner)
    harness.click(harness.popup.banner.button)
    assert harness.popup.settings is not None
    harness.popup.settings.browser_path.insert(0, "/usr/bin/chromium")
    harness.popup.settings.save_button.invoke()
    harness.settle()
    assert [config.browser_path for config in harness.saved] == ["/usr/bin/chromium"]
    assert harness.core.calls == []


def test_retry_in_the_banner_refreshes_once(harness: Harness) -> None:
    """Retry on a transient error asks the core for exactly one refresh."""
    harness.popup.apply_event(RefreshFailed(ErrorCode.TIMEOUT, "No answer in time."))
    harness.popup.show()
    harness.settle()
    harness.click(harness.popup.banner.button)
    assert harness.core.names() == ["refresh_now"]


def test_fresh_numbers_clear_the_banner(harness: Harness) -> None:
    """After a failure, the next successful poll removes the banner."""
    harness.popup.apply_event(RefreshFailed(ErrorCode.NETWORK_ERROR, "Cannot reach claude.ai."))
    harness.popup.show()
    harness.settle()
    assert harness.popup.banner.winfo_viewable()
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.settle()
    assert not harness.popup.banner.winfo_viewable()


def test_refreshing_and_already_refreshing_are_shown(harness: Harness) -> None:
    """StatusChanged and a refused RefreshRequested show in the header."""
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show()
    harness.popup.apply_event(StatusChanged(Status.REFRESHING))
    harness.settle()
    assert harness.popup.status_label.cget("text") == "Refreshing…"
    harness.screenshot("refreshing")
    harness.popup.apply_event(RefreshRequested(accepted=False))  # a click during the refresh
    harness.settle()
    assert harness.popup.status_label.cget("text") == "Already refreshing"
    harness.screenshot("already_refreshing")
    # The note goes after a few seconds; the refresh still runs.
    assert harness.wait_for(
        lambda: harness.popup.status_label.cget("text") == "Refreshing…", timeout=20
    )
    harness.popup.apply_event(StatusChanged(Status.IDLE))
    harness.popup.apply_event(RefreshRequested(accepted=True))
    harness.settle()
    assert harness.popup.status_label.cget("text") == ""


def test_snapshot_restores_numbers_error_and_pause(harness: Harness) -> None:
    """apply_snapshot shows the state's usage, last error and paused flag."""

    @dataclass
    class Snapshot:
        status: Status = Status.PAUSED
        usage: UsageDocument | None = None
        usage_stale: bool = False
        last_error: RefreshFailed | None = None
        paused: bool = True

    error = RefreshFailed(ErrorCode.SESSION_EXPIRED, "Your session has expired. Log in again.")
    harness.popup.apply_snapshot(Snapshot(usage=usage_document(), last_error=error))
    harness.popup.show()
    harness.settle()
    shown = texts(harness.popup.window)
    assert "42%" in shown
    assert "Resume auto-refresh" in shown
    assert "Your claude.ai session has expired." in texts(harness.popup.banner)
    assert harness.popup.login_button.cget("text") == "Log in…"  # the one way to log in


# --- buttons ----------------------------------------------------------------------------------


def test_refresh_button_click_calls_refresh_now_exactly_once(harness: Harness) -> None:
    """A real mouse click on Refresh makes exactly one refresh_now call and nothing else."""
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show(near=(1200, 10))
    harness.click(harness.popup.refresh_button)
    assert harness.core.names() == ["refresh_now"]


def test_every_tray_menu_action_is_in_the_popup(harness: Harness) -> None:
    """Pause/Resume, Open usage page, Log out, Settings and Quit all work from the popup."""
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show()
    harness.settle()
    popup = harness.popup
    assert popup.pause_button.cget("text") == "Pause auto-refresh"
    popup.pause_button.invoke()
    assert popup.pause_button.cget("text") == "Resume auto-refresh"
    popup.pause_button.invoke()
    assert popup.pause_button.cget("text") == "Pause auto-refresh"
    popup.usage_page_button.invoke()
    assert harness.opened == ["http://127.0.0.1:9/settings/usage"]
    assert popup.login_button.cget("text") == "Log out"
    popup.login_button.invoke()
    popup.quit_button.invoke()
    assert harness.quits == [True]
    assert harness.core.names() == ["pause", "resume", "logout"]
    popup.apply_event(LoginFinished(logged_in=False, code=None, message="Logged out."))
    harness.settle()
    assert popup.login_button.cget("text") == "Log in…"
    # The core forgets the numbers at logout; the popup does not keep showing them.
    assert "42%" not in texts(popup.window)
    assert "No numbers yet." in texts(popup.window)


def test_resume_from_the_tray_and_messages_show_in_the_popup(harness: Harness) -> None:
    """Status events keep the pause label right; show_message puts a calm note in the banner."""
    popup = harness.popup
    popup.show()
    popup.apply_event(StatusChanged(Status.PAUSED))
    harness.settle()
    assert popup.pause_button.cget("text") == "Resume auto-refresh"
    assert popup.status_label.cget("text") == "Auto-refresh paused"
    popup.apply_event(StatusChanged(Status.ERROR))  # resumed from the tray while an error stands
    harness.settle()
    assert popup.pause_button.cget("text") == "Pause auto-refresh"
    popup.show_message("Weekly limit at 90%", "Weekly, all models is at 90%.")
    harness.settle()
    assert texts(popup.banner) == ["Weekly limit at 90%", "Weekly, all models is at 90%.", "×"]
    assert harness.core.calls == []


# --- login ------------------------------------------------------------------------------------


def test_pasted_key_reaches_the_core_and_leaves_the_field(harness: Harness) -> None:
    """A key typed into the masked field goes to manual_login and is cleared at once."""
    popup = harness.popup
    popup.apply_event(RefreshFailed(ErrorCode.NO_SESSION, "Log in to see your usage."))
    popup.show(near=(1200, 10))
    harness.settle()
    harness.click(popup.login_button)  # "Log in…" opens the login panel
    panel = popup.login_panel
    assert panel.winfo_viewable()
    harness.click(panel.key_entry)
    harness.xdotool("type", "--delay", "5", FAKE_KEY)
    assert harness.wait_for(lambda: panel.key_entry.get() == FAKE_KEY)
    assert panel.key_entry.cget("show") == "•"
    harness.screenshot("login_key_typed")
    harness.xdotool("key", "Return")
    assert harness.wait_for(lambda: harness.core.calls != [])
    assert harness.core.calls == [("manual_login", {"session_key": FAKE_KEY})]
    assert panel.key_entry.get() == ""
    assert not any(FAKE_KEY in text for text in texts(popup.window))
    assert "Checking the session key…" in texts(panel)
    harness.screenshot("login_checking")

    popup.apply_event(
        LoginFinished(False, ErrorCode.SESSION_EXPIRED, "Your claude.ai session has expired.")
    )
    harness.settle()
    assert "claude.ai did not accept this key. Copy the whole sessionKey value again." in texts(
        panel
    )
    assert not any("expired" in text for text in texts(popup.window))
    popup.apply_event(LoginFinished(True))
    harness.settle()
    assert not panel.winfo_viewable()
    assert popup.login_button.cget("text") == "Log out"
    assert not popup.banner.winfo_viewable()


def test_empty_key_is_refused_without_calling_the_core(harness: Harness) -> None:
    """Use key with an empty field says what to paste and calls nothing."""
    harness.popup.show_login()
    harness.settle()
    harness.popup.login_panel.key_button.invoke()
    harness.settle()
    assert harness.core.calls == []
    assert "Paste the value of the sessionKey cookie first." in texts(harness.popup.login_panel)


def test_browser_login_waits_and_can_be_cancelled(harness: Harness) -> None:
    """Browser login calls manual_login(), shows the waiting line, and Cancel calls cancel."""
    popup = harness.popup
    popup.show_login()
    harness.settle()
    harness.click(popup.login_panel.browser_button)
    assert harness.core.calls == [("manual_login", {"session_key": None})]
    assert "Waiting for you to log in in the browser…" in texts(popup.login_panel)
    harness.screenshot("login_waiting")
    harness.click(popup.login_panel.cancel_button)
    assert harness.core.names() == ["manual_login", "cancel_login"]
    assert "Log in with browser" in texts(popup.login_panel)


# --- closing ----------------------------------------------------------------------------------


def test_escape_hides_the_popup(harness: Harness) -> None:
    """A real Escape key press closes the popup."""
    harness.popup.show()
    assert harness.wait_for(lambda: harness.popup.window.focus_get() is not None)
    harness.xdotool("key", "Escape")
    assert harness.wait_for(lambda: harness.popup.window.state() == "withdrawn")


def test_losing_focus_hides_but_settings_dialog_does_not(harness: Harness) -> None:
    """Focus moving to another window hides the popup, except to its own settings dialog."""
    popup = harness.popup
    popup.show()
    assert harness.wait_for(lambda: popup.window.focus_get() is not None)
    popup.open_settings()
    harness.settle(0.6)
    assert popup.settings is not None
    assert popup.window.state() == "normal"
    popup.settings.cancel()
    harness.settle(0.3)
    other = tk.Toplevel(harness.root)
    other.geometry("200x100+10+10")
    harness.settle()
    other.focus_force()
    assert harness.wait_for(lambda: popup.window.state() == "withdrawn")


@pytest.mark.parametrize("before", ["focused_while_withdrawn", "hidden_with_escape"])
def test_first_open_closes_when_the_focus_goes_elsewhere(harness: Harness, before: str) -> None:
    """Issue 10, 3: when Tk already counts the withdrawn popup as focused (Windows at
    start-up; or the popup was closed with Escape while it had the focus) showing it
    sends no FocusIn. The next FocusOut must still close it."""
    popup = harness.popup
    if before == "focused_while_withdrawn":
        popup.window.focus_force()
        popup.refresh_button.focus_set()
    else:
        popup.show()
        assert harness.wait_for(lambda: popup.window.focus_get() is not None)
        harness.xdotool("key", "Escape")
        assert harness.wait_for(lambda: popup.window.state() == "withdrawn")
    harness.settle(0.3)
    other = tk.Toplevel(harness.root)
    other.geometry("200x100+10+10")
    harness.settle(0.1)
    popup.show()
    # Before any event is handled, as on Windows where no FocusIn comes: the popup
    # knows it has the focus, so losing it will close it.
    assert popup.window.focus_get() is not None
    assert popup._had_focus
    harness.settle(0.3)
    other.focus_force()
    assert harness.wait_for(lambda: popup.window.state() == "withdrawn")


def test_popup_and_settings_stay_inside_the_work_area(harness: Harness) -> None:
    """With a 100-px panel's band left out of the work area (`_NET_WORKAREA`, as a window
    manager sets it), a click at the bottom opens the popup above the band, and its
    Settings dialog stays above it too (it used to be kept on the whole screen)."""
    env = harness.display.env()
    width, height = harness.root.winfo_screenwidth(), harness.root.winfo_screenheight()
    work_bottom = height - 100
    subprocess.run(
        ["xprop", "-root", "-f", "_NET_WORKAREA", "32c", "-set", "_NET_WORKAREA",
         f"0, 0, {width}, {work_bottom}"],
        env=env, check=True, timeout=30,
    )  # fmt: skip
    try:
        popup = harness.popup
        popup.show(near=(width - 20, height - 20))
        harness.settle(0.6)
        assert popup.window.winfo_rooty() + popup.window.winfo_height() <= work_bottom
        popup.open_settings()
        harness.settle(0.6)
        assert popup.settings is not None
        bottom = popup.settings.winfo_rooty() + popup.settings.winfo_height()
        assert bottom <= work_bottom, (bottom, work_bottom)
        popup.settings.cancel()
    finally:
        subprocess.run(
            ["xprop", "-root", "-remove", "_NET_WORKAREA"], env=env, check=False, timeout=30
        )


def test_tray_click_that_took_the_focus_does_not_reopen(harness: Harness) -> None:
    """A toggle right after a focus-loss hide keeps the popup closed; a later one opens it."""
    popup = harness.popup
    popup.show()
    assert harness.wait_for(lambda: popup.window.focus_get() is not None)
    other = tk.Toplevel(harness.root)
    other.geometry("200x100+10+10")
    harness.settle(0.1)
    other.focus_force()
    assert harness.wait_for(lambda: popup.window.state() == "withdrawn")
    popup.toggle()  # the tray click's own command, arriving just after
    harness.settle(0.1)
    assert popup.window.state() == "withdrawn"
    time.sleep(0.6)
    popup.toggle()
    harness.settle()
    assert popup.window.state() == "normal"


def test_toggle_opens_and_closes_and_stays_on_screen(harness: Harness) -> None:
    """toggle() flips visibility; a click near the bottom-right corner keeps it on screen."""
    popup = harness.popup
    popup.apply_event(UsageUpdated(usage_document()))
    popup.toggle(near=(1279, 799))
    harness.settle()
    assert popup.window.state() == "normal"
    width, height = harness.display.size
    assert popup.window.winfo_rootx() >= 0
    assert popup.window.winfo_rooty() >= 0
    assert popup.window.winfo_rootx() + popup.window.winfo_width() <= width
    assert popup.window.winfo_rooty() + popup.window.winfo_height() <= height
    popup.toggle()
    harness.settle()
    assert popup.window.state() == "withdrawn"


# --- settings ---------------------------------------------------------------------------------


def test_settings_open_from_the_tray_while_the_popup_is_hidden(harness: Harness) -> None:
    """Settings… from the tray menu opens the popup, and the dialog over it (its dialog)."""
    harness.popup.open_settings()
    dialog = harness.popup.settings
    assert dialog is not None
    assert harness.wait_for(lambda: bool(dialog.winfo_viewable()))
    assert harness.popup.visible
    assert str(dialog.transient()) == str(harness.popup.window)
    dialog.cancel()
    harness.settle()
    assert harness.popup.settings is None
    assert harness.saved == []


def test_invalid_settings_are_refused_and_valid_ones_saved(harness: Harness) -> None:
    """Bad input shows an inline message and saves nothing; good input reaches on_save_config."""
    popup = harness.popup
    popup.apply_event(UsageUpdated(usage_document()))
    popup.show()
    harness.settle()
    popup.open_settings()
    harness.settle()
    dialog = popup.settings
    assert dialog is not None
    dialog.interval.set("often")
    dialog.save_button.invoke()
    harness.settle()
    assert "The refresh interval must be a number (got “often”)." in dialog.error_text
    assert harness.saved == []
    harness.screenshot("settings_invalid")
    ImageGrab.grab(xdisplay=harness.display.name).save(harness.shots / "settings_invalid_full.png")

    dialog.interval.set("10")
    dialog.warning.delete(0, tk.END)
    dialog.warning.insert(0, "95")
    dialog.save_button.invoke()
    harness.settle()
    assert "moderate ≤ warning ≤ critical" in dialog.error_text
    assert harness.saved == []

    for entry, value in ((dialog.moderate, "40"), (dialog.warning, "80"), (dialog.critical, "85")):
        entry.delete(0, tk.END)
        entry.insert(0, value)
    dialog.source.set("claude.ai web session")
    dialog.icon_limit.set("The current session")
    dialog.notifications.set(False)
    dialog.save_button.invoke()
    harness.settle()
    assert len(harness.saved) == 1
    saved = harness.saved[0]
    assert saved.interval_minutes == 10
    assert saved.source == "web"
    assert saved.icon_limit == "session"
    assert (saved.thresholds.moderate, saved.thresholds.warning) == (40, 80)
    assert saved.thresholds.critical == 85
    assert saved.notifications is False
    assert popup.settings is None
    # The new thresholds apply at once: 82 % is now "warning" → no, between 80 and 85: warning.
    image = harness.screenshot("after_settings")
    weekly = popup.limit_rows[1].bar
    assert bar_pixel(image, weekly, 0.5) == LEVEL_COLOURS["warning"]
    session = popup.limit_rows[0].bar
    assert bar_pixel(image, session, 0.2) == LEVEL_COLOURS["moderate"]


def test_start_at_login_checkbox_writes_and_removes_the_entry(
    harness: Harness, tmp_path: Path
) -> None:
    """Ticking "Start claude-tray when I log in" and saving writes the XDG entry; unticking
    removes it; the dialog opens showing what the entry holds."""
    from claude_tray.autostart import StartAtLogin, XdgAutostart

    entry = XdgAutostart({"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    command = ["/opt/claude-tray/claude-tray", "run"]
    saved: list[Config] = []
    popup = Popup(
        harness.root,
        harness.core,
        Config(),
        on_quit=lambda: None,
        on_save_config=saved.append,
        base_url="http://127.0.0.1:9",
        start_at_login=StartAtLogin(entry, command),
    )
    harness.popup = popup  # screenshots frame this popup's dialog
    popup.open_settings()
    dialog = popup.settings
    assert dialog is not None
    box = dialog.start_at_login_box
    assert harness.wait_for(lambda: bool(box.winfo_viewable()))
    assert not dialog.start_at_login.get()
    harness.click(dialog.start_at_login_box)  # a real click on the checkbox
    assert dialog.start_at_login.get()
    harness.screenshot("settings_start_at_login")
    dialog.save_button.invoke()
    harness.settle()
    assert entry.path.exists() and entry.status(command).enabled
    assert len(saved) == 1

    popup.open_settings()
    dialog = popup.settings
    assert dialog is not None and dialog.start_at_login.get()
    dialog.start_at_login.set(False)
    dialog.save_button.invoke()
    harness.settle()
    assert not entry.path.exists()


def test_start_at_login_failure_is_shown_and_nothing_saved(
    harness: Harness, tmp_path: Path
) -> None:
    """An entry that cannot be written shows the reason inline and saves nothing."""
    from claude_tray.autostart import StartAtLogin, XdgAutostart

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the config folder should be")
    saved: list[Config] = []
    popup = Popup(
        harness.root,
        harness.core,
        Config(),
        on_quit=lambda: None,
        on_save_config=saved.append,
        base_url="http://127.0.0.1:9",
        start_at_login=StartAtLogin(XdgAutostart({"XDG_CONFIG_HOME": str(blocked)}), ["x"]),
    )
    popup.open_settings()
    dialog = popup.settings
    assert dialog is not None
    dialog.start_at_login.set(True)
    dialog.save_button.invoke()
    harness.settle()
    assert "Not a directory" in dialog.error_text
    assert saved == []
    dialog.cancel()


def no_browser_message(tmp_path: Path) -> str:
    """The message browser discovery gives on a machine with no Chrome, Chromium or Edge."""
    from claude_tray.errors import ClaudeTrayError
    from claude_tray.scraper.browser_discovery import find_browser

    empty = {"HOME": str(tmp_path), "PATH": str(tmp_path)}
    with pytest.raises(ClaudeTrayError) as caught:
        find_browser(empty, system="linux", root=tmp_path)
    return caught.value.message


def test_login_without_any_browser_offers_an_install_button(
    harness: Harness, tmp_path: Path
) -> None:
    """A browser login on a machine with no Chrome, Chromium or Edge says so in the login
    panel, with an "Install a browser…" button and no command to run (issue 11)."""
    message = no_browser_message(tmp_path)
    assert "claude-tray install-browser" in message  # discovery's words, for a terminal
    popup = harness.popup
    popup.show(near=(1200, 10))
    popup.show_login()
    harness.settle()
    harness.click(popup.login_panel.browser_button)
    assert harness.core.names() == ["manual_login"]
    popup.apply_event(LoginFinished(False, ErrorCode.BROWSER_MISSING, message))
    harness.settle()
    shown = " ".join(texts(popup.login_panel))
    assert "No Chrome, Chromium or Edge browser was found." in shown
    assert "Install a browser…" in shown
    assert popup.login_panel.install_button.winfo_viewable()
    assert "claude-tray install" not in shown and "`" not in shown and "sudo" not in shown
    harness.screenshot("login_no_browser")
    harness.click(popup.login_panel.install_button)
    assert harness.core.names() == ["manual_login", "install_browser"]
    harness.settle()
    shown = " ".join(texts(popup.login_panel))
    assert "Downloading Chromium (about 170 MB)…" in shown
    assert not popup.login_panel.install_button.winfo_viewable()
    harness.screenshot("login_installing")
    # A success lets the login go on: the browser button is back, the line says so.
    popup.apply_event(BrowserInstalled(True, "Chromium is installed: /opt/pw/chrome. Go on."))
    harness.settle()
    shown = " ".join(texts(popup.login_panel))
    assert "Chromium is installed: /opt/pw/chrome. You can log in now." in shown
    assert popup.login_panel.browser_button.winfo_viewable()
    assert not popup.login_panel.install_button.winfo_viewable()


def test_the_install_button_runs_the_real_install_and_shows_why_it_failed(
    xvfb: XvfbDisplay,  # noqa: F811
    tmp_path: Path,
    app_paths: AppPaths,
) -> None:
    """The button runs the real install (a `claude-tray install-browser` child through the
    runner, on the core's worker); the build machine reaches no download server, so the
    panel shows the install's own reason and what to install instead, never a command."""
    import queue

    from claude_tray.core import Core
    from claude_tray.runner import ScraperRunner

    events: queue.Queue[Event] = queue.Queue()
    cache = tmp_path / "ms-playwright"
    env = {**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(cache)}
    core = Core(app_paths, Config(), events, runner=ScraperRunner(app_paths, Config(), env=env))
    root = tk.Tk(screenName=xvfb.name)
    root.withdraw()
    popup = Popup(
        root,
        core,
        Config(),
        on_quit=lambda: None,
        on_save_config=lambda _config: None,
        base_url="http://127.0.0.1:9",
    )
    try:
        popup.show(near=(1200, 10))
        popup.show_login()
        popup.apply_event(
            LoginFinished(False, ErrorCode.BROWSER_MISSING, no_browser_message(tmp_path))
        )
        root.update()
        popup.login_panel.install_button.invoke()
        root.update()
        assert popup.login_panel.login_state == "install"
        # The app's event pump: events from the worker, applied on the Tk thread.
        deadline = time.monotonic() + 300
        got: list[Event] = []
        while time.monotonic() < deadline and not any(isinstance(e, BrowserInstalled) for e in got):
            root.update()
            try:
                event = events.get(timeout=0.05)
            except queue.Empty:
                continue
            got.append(event)
            popup.apply_event(event)
        done = [e for e in got if isinstance(e, BrowserInstalled)]
        assert done and not done[0].ok, got
        assert done[0].message.startswith("Could not download Chromium: this machine cannot ")
        root.update()
        shown = popup.login_panel.message_text
        assert shown.startswith("Could not download Chromium: this machine cannot reach ")
        # The install's own first sentence, word for word; its terminal advice is gone.
        reason = done[0].message.partition(". ")[0] + "."
        assert shown.startswith(reason + " Install Google Chrome"), shown
        assert "Install Google Chrome, Chromium or Microsoft Edge" in shown
        assert "claude-tray install" not in shown and "`" not in shown and "sudo" not in shown
        assert str(popup.login_panel.login_state) == "idle"  # mypy narrowed it to "install"
        assert popup.login_panel.browser_button.winfo_viewable()
        assert popup.login_panel.install_button.winfo_viewable()  # to try again later
        assert not any(path.name.startswith("chromium-") for path in cache.glob("*"))
        time.sleep(0.2)
        root.update()
        shots = tmp_path / "screenshots"
        shots.mkdir()
        ImageGrab.grab(xdisplay=xvfb.name).save(shots / "login_install_failed.png")
        if REVIEW_DIR:
            window = popup.window
            box = (
                max(window.winfo_rootx() - 10, 0),
                max(window.winfo_rooty() - 10, 0),
                window.winfo_rootx() + window.winfo_width() + 10,
                window.winfo_rooty() + window.winfo_height() + 10,
            )
            image = ImageGrab.grab(xdisplay=xvfb.name).crop(box)
            image.save(Path(REVIEW_DIR) / "popup_login_install_failed.png")
    finally:
        core.shutdown()
        root.destroy()


# --- issue 7: the read budget, files that could not be saved, a source switch -----------------


def test_a_refresh_refused_by_the_read_budget_says_so(harness: Harness) -> None:
    """The header says the hour's read limit is reached and when the next read can be."""
    harness.popup.apply_event(UsageUpdated(usage_document()))
    harness.popup.show()
    note = "Read limit: next read in 7 min"
    harness.popup.apply_event(RefreshRequested(accepted=False, message=note))
    harness.settle()
    assert harness.popup.status_label.cget("text") == note
    harness.screenshot("read_budget_refused")
    assert "42%" in texts(harness.popup.window)  # the numbers stay


def test_a_file_that_could_not_be_saved_is_named_above_the_numbers(harness: Harness) -> None:
    """SaveFailed shows a calm banner naming the file and what to do; the numbers stay."""
    from claude_tray.events import SaveFailed

    harness.popup.apply_event(UsageUpdated(usage_document()))
    message = (
        "The latest usage numbers could not be saved to /home/sam/.cache/claude-tray/"
        "last_usage.json (the disk is full). Free some disk space; claude-tray tries again."
    )
    harness.popup.apply_event(SaveFailed("/home/sam/.cache/claude-tray/last_usage.json", message))
    harness.popup.show()
    harness.settle()
    assert harness.popup.banner.winfo_viewable()
    shown = " ".join(texts(harness.popup.window))
    assert "Could not save a file" in shown and "disk is full" in shown
    assert "42%" in shown
    harness.screenshot("save_failed")


def test_notices_of_a_reading_show_with_its_numbers(harness: Harness) -> None:
    """A reading through Claude Code's login, because the web session is expired, says so."""
    notice = (
        "Read through Claude Code's login instead of the claude.ai session. Your claude.ai "
        "session has expired. Log in again with `claude-tray login`."
    )
    document = usage_document().model_copy(update={"source": "claude-code", "notices": [notice]})
    harness.popup.apply_event(UsageUpdated(document))
    harness.popup.show()
    harness.settle()
    shown = " ".join(texts(harness.popup.window))
    assert "Claude Code's login" in shown and "via Claude Code" in shown
    harness.screenshot("source_fallback_notice")
