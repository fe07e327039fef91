"""The details popup: every limit with its bar, money, freshness, errors, and every action.

A `Toplevel` of the app's withdrawn Tk root, used only from the Tk main thread.
The app feeds it events (`apply_event`) and, when it opens, the state
(`apply_snapshot`); the popup turns them into words and bars and turns clicks
into calls of the core's non-blocking methods. On plain X11 the tray has no
menu, so the popup offers every tray menu action too (refresh, log in/out,
pause/resume, open the usage page, settings, quit).

This module must NOT do I/O, block, poll the service or call the core's
`*_blocking` methods: the only timer it runs is the once-a-minute redraw of the
countdowns while it is visible, which reads the clock and nothing else.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import tkinter as tk
from collections.abc import Callable
from datetime import datetime, timezone
from tkinter import ttk
from typing import Protocol

from claude_tray.autostart import StartAtLogin
from claude_tray.config import Config
from claude_tray.documents import UsageDocument
from claude_tray.errors import LOGIN_CODES, ErrorCode
from claude_tray.events import (
    BrowserInstalled,
    Event,
    LoginFinished,
    RefreshFailed,
    RefreshRequested,
    SaveFailed,
    ShowPopupRequested,
    Status,
    StatusChanged,
    UsageUpdated,
)
from claude_tray.popup.login import LoginPanel
from claude_tray.popup.model import (
    BannerAction,
    BannerView,
    LimitView,
    Tone,
    banner_for,
    install_result_text,
    limit_views,
    login_failure_text,
    money_view,
    source_text,
    updated_text,
    usage_page_url,
)
from claude_tray.popup.placement import (
    Desktop,
    Edge,
    Extents,
    Rect,
    default_edge,
    desktop_at,
    measure_frame,
    place,
    tray_area,
)
from claude_tray.popup.settings import MINUTES, IntervalRule, SettingsDialog
from claude_tray.popup.theme import BACKGROUND, BORDER, SURFACE, apply_theme, make_fonts
from claude_tray.popup.widgets import Banner, LimitRow, MoneyRow
from claude_tray.popup.x11 import add_wm_states, is_x11, set_decorations
from claude_tray.text_format import is_stale, rate_limit_wait_text
from claude_tray.trend import Trend

log = logging.getLogger(__name__)

CONTENT_WIDTH = 300  # px of the bars at 96 dpi; the rest of the layout follows from it
FOCUS_CHECK_MS = 150  # let focus settle (a click moves it through several widgets)
#: After mapping, when the window manager's frame is measured (a reparenting window
#: manager adds it asynchronously); the popup moves only if the frame changed.
REFIT_MS = (60, 400)
#: A tray click that took the focus away hides the popup just before the click's own
#: toggle arrives; within this many seconds that toggle must not reopen it.
REOPEN_GUARD_S = 0.5
NOTICE_MS = 4_000  # how long "Already refreshing" stays
#: WM_CLASS of every window of the app ("claude-tray", "Claude-tray"): Tk takes the
#: instance from the toplevel's name and the class from its class.
WINDOW_NAME = "claude-tray"
WINDOW_CLASS = "Claude-tray"
WINDOW_TITLE = "Claude usage"


class PopupCore(Protocol):
    """The non-blocking `Core` methods the popup calls (results come back as events)."""

    def refresh_now(self) -> object: ...
    def manual_login(self, session_key: str | None = None) -> object: ...
    def cancel_login(self) -> object: ...
    def install_browser(self) -> object: ...
    def logout(self) -> object: ...
    def pause(self) -> object: ...
    def resume(self) -> object: ...


class PopupSnapshot(Protocol):
    """The parts of `state.StateSnapshot` the popup reads."""

    @property
    def status(self) -> Status: ...
    @property
    def usage(self) -> UsageDocument | None: ...
    @property
    def usage_stale(self) -> bool: ...
    @property
    def last_error(self) -> object: ...  # an ErrorDocument (or anything with code/message)
    @property
    def paused(self) -> bool: ...


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def open_in_browser(url: str) -> None:
    """Open `url` in the user's browser without blocking the UI thread.

    `webbrowser.open` may wait for a console browser or a slow `xdg-open`, so
    it runs in a short-lived daemon thread.
    """
    import webbrowser  # rare (a click), and 0.7 MB for the whole run (issue 12)

    threading.Thread(target=webbrowser.open, args=(url,), name="open-url", daemon=True).start()


LOG_IN = "Log in…"
LOG_OUT = "Log out"
BACK = "Back"  # closes the login panel: one way to log in on screen at a time
PAUSE = "Pause auto-refresh"
RESUME = "Resume auto-refresh"


def _select_all(event: tk.Event[tk.Misc]) -> str:
    """Ctrl+A selects the whole field (Tk's X11 default moves to the line start)."""
    entry = event.widget
    assert isinstance(entry, ttk.Entry)
    entry.selection_range(0, tk.END)
    entry.icursor(tk.END)
    return "break"


class Popup:
    """The details window; see the module docstring for what it may and may not do.

    Two kinds of window: the tray popup (default: no title bar, not in the
    taskbar or pager, above other windows, closes when it loses the focus) and,
    with `window_mode=True` (`set_window_mode`), a normal app window with a
    title bar and a taskbar entry for desktops without a tray, whose close
    button calls `on_close` (default: hide).
    """

    #: Milliseconds between redraws of the countdowns while visible.
    tick_ms = 60_000

    def __init__(
        self,
        root: tk.Tk,
        core: PopupCore,
        config: Config,
        *,
        on_quit: Callable[[], None],
        on_save_config: Callable[[Config], None],
        clock: Callable[[], datetime] = _utc_now,
        open_url: Callable[[str], None] = open_in_browser,
        base_url: str | None = None,
        close_on_focus_out: bool | None = None,
        start_at_login: StartAtLogin | None = None,
        window_mode: bool = False,
        on_close: Callable[[], None] | None = None,
        next_poll_at: Callable[[], datetime | None] | None = None,
        interval_rule: IntervalRule | None = None,
    ) -> None:
        self.root = root
        self._start_at_login = start_at_login
        self.core = core
        self.config = config
        self._on_quit = on_quit
        self._on_save_config = on_save_config
        self._clock = clock
        self._open_url = open_url
        self.usage_url = usage_page_url(base_url or os.environ.get("CLAUDE_TRAY_BASE_URL"))
        # macOS menu-bar popovers stay until dismissed by the app's own rules;
        # Windows and Linux tray popups close when they lose focus.
        self._close_on_focus_out = (
            sys.platform != "darwin" if close_on_focus_out is None else close_on_focus_out
        )
        self.window_mode = window_mode
        self._on_close = on_close
        #: The worker's next poll (`StateSnapshot.next_poll_at`), for the back-off banner.
        self._next_poll_at = next_poll_at
        self._interval_rule = interval_rule or MINUTES

        self.document: UsageDocument | None = None
        self.from_cache = False
        #: Numbers live from Claude Code's status line, and each limit's sparkline data.
        self.live = False
        self.trends: dict[str, Trend] = {}
        self.status = Status.IDLE
        self.paused = False
        self.logged_in: bool | None = None
        self.banner_view: BannerView | None = None
        self.settings: SettingsDialog | None = None
        self._notice = ""
        self._notice_job: str | None = None
        self._tick_job: str | None = None
        self._focus_job: str | None = None
        self._had_focus = False
        self._hidden_by_focus_at: float | None = None
        self.standalone = False
        self._note_frame: ttk.Frame | None = None
        self._note_title: ttk.Label | None = None
        self._note_text: ttk.Label | None = None
        #: Where the icon is (the click, or the tray area), for placing and re-placing.
        self._anchor: Rect | None = None
        #: The decorations measured around the popup the last time it was mapped.
        self._extents = Extents()
        #: Where the frame really landed minus where it was asked to go: some window
        #: managers put the client, not the frame, at Tk's position on the first map.
        self._offset = (0, 0)
        #: The last placement: the panel edge, the outer frame, the monitor and work area.
        self.placed: tuple[Edge, Rect, Desktop] | None = None

        self.fonts = make_fonts(root)
        apply_theme(root, self.fonts)
        self.window = tk.Toplevel(
            root, name=WINDOW_NAME, class_=WINDOW_CLASS, background=BACKGROUND
        )
        self.window.withdraw()
        self.window.title(WINDOW_TITLE)
        self.window.resizable(False, False)
        self.window.protocol("WM_DELETE_WINDOW", self._close_clicked)
        self.window.bind("<Escape>", lambda _event: self.hide())
        self.window.bind("<Return>", self._activate_focused)
        self.window.bind("<KP_Enter>", self._activate_focused)
        self.window.bind("<FocusIn>", self._focus_in)
        self.window.bind("<FocusOut>", self._focus_out)
        # Content that grows or shrinks while the popup is open (numbers arrive, a banner
        # or the login panel appears) must not push the frame out of the work area.
        self.window.bind("<Configure>", self._configured)
        self.window.bind("<Map>", lambda event: self._mapped(event, self.window), add="+")
        self._build()
        self._apply_window_kind()
        self._render()

    # Building -----------------------------------------------------------------------

    def _build(self) -> None:
        # Fonts are in points and grow with the screen's dpi; widths in pixels must too.
        width = round(CONTENT_WIDTH * max(1.0, self.window.winfo_fpixels("1i") / 96.0))
        outer = ttk.Frame(self.window, padding=(16, 14, 16, 12))
        outer.grid(sticky="nsew")
        outer.columnconfigure(0, weight=1)
        self.outer = outer

        header = ttk.Frame(outer)
        header.grid(row=0, column=0, sticky="ew")
        header.columnconfigure(0, weight=1)
        self.title_label = ttk.Label(header, text="Claude usage", style="Title.TLabel")
        self.status_label = ttk.Label(header, style="Muted.TLabel")
        self.title_label.grid(row=0, column=0, sticky="w")
        self.status_label.grid(row=0, column=1, sticky="e")
        freshness = ttk.Frame(header)
        freshness.grid(row=1, column=0, columnspan=2, sticky="w", pady=(1, 0))
        self.updated_label = ttk.Label(freshness, style="Muted.TLabel")
        self.stale_label = ttk.Label(freshness, text="· out of date", style="Stale.TLabel")
        self.updated_label.grid(row=0, column=0, sticky="w")
        self.stale_label.grid(row=0, column=1, sticky="w", padx=(4, 0))

        # The content: the card or the login panel, in one grid cell kept as big
        # as the bigger of the two, so opening the login panel never moves the
        # buttons below; the banner lies over the top of it.
        content = ttk.Frame(outer)
        content.grid(row=1, column=0, sticky="nsew", pady=(12, 0))
        content.columnconfigure(0, weight=1)
        content.rowconfigure(0, weight=1)
        self.content = content

        # The card: a white panel with a hairline border around the numbers.
        border = tk.Frame(
            content, background=SURFACE, highlightbackground=BORDER, highlightthickness=1
        )
        border.grid(row=0, column=0, sticky="nsew")
        border.columnconfigure(0, weight=1)
        self.card_border = border
        self.card = ttk.Frame(border, style="Card.TFrame", padding=(14, 12, 14, 12))
        self.card.grid(sticky="ew")
        self.card.columnconfigure(0, weight=1, minsize=width)
        self.empty_label = ttk.Label(
            self.card,
            text="No numbers yet.",
            style="CardMuted.TLabel",
            wraplength=width,
        )
        self.limit_rows: list[LimitRow] = []
        self.money_row = MoneyRow(self.card, self.fonts)

        self.login_panel = LoginPanel(
            content,
            self.fonts,
            on_browser_login=self._browser_login,
            on_session_key=self._session_key,
            on_cancel=self._cancel_login,
            on_install_browser=self._install_browser,
            wraplength=width,
        )
        self.login_panel.grid(row=0, column=0, sticky="nsew")
        self.login_open = False

        self.banner = Banner(
            content,
            self.fonts,
            on_action=self._banner_action,
            on_dismiss=self._banner_dismissed,
            wraplength=width - 40,
        )
        self._dismissed: BannerView | None = None
        self._error: tuple[ErrorCode, str, float | None] | None = None
        self._notes: list[BannerView] = []
        self._resets_refreshed: set[tuple[str, str]] = set()
        self._note_on_screen: BannerView | None = None

        # A plain 1-px frame: clam's ttk.Separator draws a dark line whatever the style says.
        tk.Frame(outer, height=1, background=BORDER).grid(
            row=4, column=0, sticky="ew", pady=(14, 10)
        )
        buttons = ttk.Frame(outer)
        buttons.grid(row=5, column=0, sticky="ew")
        buttons.columnconfigure(3, weight=1)
        self.refresh_button = ttk.Button(
            buttons, text="Refresh", style="Accent.TButton", command=self._refresh
        )
        # One width for every label the button takes, so nothing beside it moves.
        labels = (LOG_IN, LOG_OUT, BACK)
        self.login_button = ttk.Button(
            buttons, text=LOG_IN, width=max(map(len, labels)), command=self._login_clicked
        )
        self.settings_button = ttk.Button(buttons, text="Settings…", command=self.open_settings)
        self.quit_button = ttk.Button(buttons, text="Quit", command=self._quit)
        self.refresh_button.grid(row=0, column=0, padx=(0, 6))
        self.login_button.grid(row=0, column=1, padx=(0, 6))
        self.settings_button.grid(row=0, column=2)
        self.quit_button.grid(row=0, column=4, sticky="e", padx=(12, 0))

        links = ttk.Frame(outer)
        links.grid(row=6, column=0, sticky="w", pady=(8, 0))
        self.pause_button = ttk.Button(
            links,
            text=PAUSE,
            width=max(len(PAUSE), len(RESUME)),
            style="Link.TButton",
            command=self._toggle_pause,
        )
        self.usage_page_button = ttk.Button(
            links, text="Open usage page", style="Link.TButton", command=self._open_usage_page
        )
        self.pause_button.grid(row=0, column=0, padx=(0, 6))
        self.usage_page_button.grid(row=0, column=1)
        self.login_panel.key_entry.bind("<Control-a>", _select_all)
        self.login_panel.key_entry.bind("<Control-A>", _select_all)

    # Public API ---------------------------------------------------------------------

    @property
    def visible(self) -> bool:
        """Whether the popup is on screen."""
        return self.window.state() == "normal"

    @property
    def current_banner(self) -> BannerView | None:
        """What the banner shows: the error if there is one, else the oldest unseen note."""
        return self._shown_banner()

    @property
    def close_on_focus_out(self) -> bool:
        """Whether losing the focus hides it (a tray popup does; a normal window does not)."""
        return self._close_on_focus_out and not self.window_mode

    @close_on_focus_out.setter
    def close_on_focus_out(self, value: bool) -> None:
        self._close_on_focus_out = value

    def set_window_mode(self, enabled: bool, on_close: Callable[[], None] | None = None) -> None:
        """Become a normal window with a title bar and a taskbar entry (no tray), or the popup.

        `on_close` runs when the window manager's close button is pressed
        (default: hide). A window manager reads a window's kind when it is
        mapped, so a shown window is hidden first; becoming a window it is shown
        again, becoming the popup it stays hidden (the tray icon opens it; shown
        again it would lie over the panel that just appeared).
        """
        shown = self.visible
        if shown:
            self.hide()
        self.window_mode = enabled
        if on_close is not None:
            self._on_close = on_close
        self._apply_window_kind()
        if shown and enabled:
            self.show()

    def show(self, near: tuple[int, int] | None = None) -> None:
        """Open near `near` (the tray click, screen coordinates) or the screen's tray corner."""
        self._render()
        self.window.update_idletasks()
        # Without a click (a second instance asked for the popup) the tray area, when the
        # platform names one, stands for the icon.
        self._anchor = Rect.around(*near) if near is not None else tray_area(self.window)
        self._place()
        if not self.visible:
            self._before_map(self.window, dialog=False)
        self.window.deiconify()
        self.window.lift()
        self.window.focus_force()
        for delay in REFIT_MS:
            self.window.after(delay, self._refit)
        # The focus ring starts on the main action, so Return does what it shows.
        self.refresh_button.focus_set()
        # Tk may already count the popup as focused (at start-up on Windows, or after it
        # was closed with Escape) and then sends no FocusIn: ask Tk instead of waiting for
        # the event, or the first FocusOut would be ignored and the popup would stay.
        self._had_focus = self._focus_is_ours()
        self._schedule_tick()

    def hide(self) -> None:
        """Close the popup (the app keeps running); a half-typed key is dropped.

        An open Settings dialog belongs to the popup and closes with it, unsaved.
        """
        self._cancel_job("_tick_job")
        self._cancel_job("_focus_job")
        self.login_panel.key_entry.delete(0, tk.END)
        if self.settings is not None:
            self.settings.cancel()
        if self._note_on_screen is not None and self._note_on_screen in self._notes:
            self._notes.remove(self._note_on_screen)  # seen: the popup was open with it
        self._note_on_screen = None
        self.window.withdraw()

    def toggle(self, near: tuple[int, int] | None = None) -> None:
        """Show when hidden, hide when shown (a second click on the tray icon)."""
        hidden_at = self._hidden_by_focus_at
        self._hidden_by_focus_at = None
        if self.window.state() == "normal":
            self.hide()
        elif hidden_at is not None and time.monotonic() - hidden_at < REOPEN_GUARD_S:
            return  # the click on the tray icon already closed it by taking the focus
        else:
            self.show(near)

    def apply_event(self, event: Event) -> None:
        """Update from one core event (called on the Tk thread by the app's event pump)."""
        if isinstance(event, UsageUpdated):
            self.document = event.document
            self.from_cache = event.stale
            self.live = event.live and not event.stale
            if event.trends or event.stale:
                self.trends = {trend.limit_id: trend for trend in event.trends}
            if not event.stale:
                self._clear_banner(login_only=False)
                if event.document.source == "web":
                    self.logged_in = True
                if event.document.notices:
                    body = " ".join(event.document.notices)
                    self._add_note(BannerView("info", "About these numbers", body, None))
        elif isinstance(event, SaveFailed):
            self._add_note(BannerView("info", "Could not save a file", event.message, None))
        elif isinstance(event, RefreshFailed):
            self._set_error(event.code, event.message, event.retry_after)
            if event.code in LOGIN_CODES:
                self.logged_in = False
        elif isinstance(event, StatusChanged):
            self._status_changed(event.status)
        elif isinstance(event, RefreshRequested):
            if event.accepted:
                self._set_notice("")
            else:
                self._set_notice(event.message or "Already refreshing")
        elif isinstance(event, LoginFinished):
            self._login_finished(event)
        elif isinstance(event, BrowserInstalled):
            self.login_panel.install_finished(
                event.ok, install_result_text(event.ok, event.message)
            )
        elif isinstance(event, ShowPopupRequested):
            self.show()
            return
        self._render()

    def apply_snapshot(self, snapshot: PopupSnapshot) -> None:
        """Take everything from a `StateSnapshot` (status, usage, last error, paused)."""
        self.document = snapshot.usage
        self.from_cache = snapshot.usage_stale
        self.paused = snapshot.paused
        self.status = snapshot.status
        error = snapshot.last_error
        code = getattr(error, "error", None) or getattr(error, "code", None)
        if isinstance(code, ErrorCode):
            message = str(getattr(error, "message", ""))
            self._set_error(code, message, getattr(error, "retry_after", None))
            if code in LOGIN_CODES:
                self.logged_in = False
        elif error is None:
            self._clear_banner(login_only=False)
        if snapshot.usage is not None and snapshot.usage.source == "web" and code is None:
            self.logged_in = True
        self._render()

    def show_message(
        self, title: str, body: str, *, action: BannerAction | None = None, tone: Tone = "info"
    ) -> None:
        """A note in the banner (a notification where the tray cannot show one), with an
        optional action button (e.g. Log in before the login ends).

        A note stays until the user has seen it (the popup was open with it, then
        closed, or its × was pressed); fresh numbers do not wipe it.
        """
        self._add_note(BannerView(tone, title, body, action))
        self._render()

    def set_standalone(self, note: tuple[str, str] | None) -> None:
        """Be an ordinary window with `note` (title, text) on top, or the tray popup again (None).

        Where no tray shows the icon, this window is all the user has: it keeps
        its taskbar entry, does not close on losing focus, and says why.
        """
        self.standalone = note is not None
        if self.window_mode != self.standalone:
            self.set_window_mode(self.standalone)  # a normal window with a taskbar entry
        if note is None:
            if self._note_frame is not None:
                self._note_frame.grid_remove()
            self.window.title("Claude usage")
            return
        if self._note_frame is None:
            width = round(CONTENT_WIDTH * max(1.0, self.window.winfo_fpixels("1i") / 96.0))
            self._note_frame = ttk.Frame(self.window, padding=(16, 12, 16, 0))
            self._note_title = ttk.Label(self._note_frame, style="Title.TLabel")
            self._note_text = ttk.Label(self._note_frame, wraplength=width, justify="left")
            self._note_title.grid(row=0, column=0, sticky="w")
            self._note_text.grid(row=1, column=0, sticky="w", pady=(4, 0))
        assert self._note_title is not None and self._note_text is not None
        self._note_title.configure(text=note[0])
        self._note_text.configure(text=note[1])
        self._note_frame.grid(row=0, column=0, sticky="ew")
        self.outer.grid(row=1, column=0, sticky="nsew")
        self.window.title(f"Claude usage: {note[0].lower()}")

    def set_config(self, config: Config) -> None:
        """Use new settings (thresholds, interval) for the bars and the stale marker."""
        self.config = config
        self._render()

    def open_settings(self) -> None:
        """Open the Settings dialog over the popup (or raise it if it is open).

        Settings is a dialog of the popup (transient for it): from the tray
        menu, the popup opens first.
        """
        if self.settings is not None:
            self.settings.deiconify()
            self.settings.lift()
            self.settings.focus_force()
            return
        if not self.visible:
            self.show()
        self.settings = SettingsDialog(
            self.window,
            self.fonts,
            self.config,
            on_save=self._save_config,
            on_close=self._settings_closed,
            start_at_login=self._start_at_login,
            name=WINDOW_NAME,
            class_=WINDOW_CLASS,
            title=f"{WINDOW_TITLE} settings",
            interval_rule=self._interval_rule,
        )
        self.settings.transient(self.window)
        settings = self.settings
        settings.bind("<Map>", lambda event: self._mapped(event, settings), add="+")
        self.settings.update_idletasks()
        size = (self.settings.winfo_reqwidth(), self.settings.winfo_reqheight())
        # Centred over the popup, then kept inside the popup's work area (not over the
        # taskbar or panel), with room for a title bar the size of the popup's own.
        x = self.window.winfo_rootx() + (self.window.winfo_width() - size[0]) // 2
        y = self.window.winfo_rooty() + 40
        centre = (x + size[0] // 2, y + size[1] // 2)
        work = desktop_at(self.window, *centre).work_area
        frame = self._extents.outer(*size)
        x = min(max(x, work.left + 8), max(work.right - frame[0] - 8, work.left + 8))
        y = min(max(y, work.top + 8), max(work.bottom - frame[1] - 8, work.top + 8))
        self.settings.geometry(f"+{x}+{y}")
        self._before_map(self.settings, dialog=True)
        self.settings.deiconify()
        self.settings.lift()
        self.settings.focus_force()

    def show_welcome(self) -> None:
        """The first start without any login: the ways to log in, and start at login."""
        self._set_banner(
            BannerView(
                "info",
                "Welcome to claude-tray",
                "Log in to claude.ai below to see your plan usage. If you use Claude Code, "
                "logging in there (`claude`) works too: claude-tray then reads its login.",
                None,
            )
        )
        if self._start_at_login is not None:
            self.login_panel.offer_start_at_login(
                self._start_at_login.enabled(), self._start_at_login.set
            )
        self.show_login()

    def show_login(self) -> None:
        """Open the popup with the login panel visible (tray menu "Log in…")."""
        self._open_login(True)
        if self.window.state() != "normal":
            self.show()

    # Clicks -------------------------------------------------------------------------

    def _refresh(self) -> None:
        # During a rate-limit back-off a poll now would only be refused again and
        # lengthen the wait: say when the next try is instead.
        next_try = self._backoff_until()
        if next_try is not None:
            self._set_notice(rate_limit_wait_text(next_try, self._clock()))
            self._render()
            return
        self.core.refresh_now()

    def _backoff_until(self) -> datetime | None:
        """The worker's next try while claude.ai asked to wait, else None."""
        if self._error is None or self._error[0] is not ErrorCode.RATE_LIMITED:
            return None
        next_try = self._next_poll_at() if self._next_poll_at is not None else None
        if next_try is None or next_try <= self._clock():
            return None
        return next_try

    def _login_clicked(self) -> None:
        if self.logged_in:
            self.core.logout()
            self._logged_out()  # at once; the core's LoginFinished confirms it
            self._render()
        elif self.login_open:
            self.login_panel.reset()
            self._open_login(False)
        else:
            self._open_login(True)

    def _logged_out(self) -> None:
        """The logged-out look: no numbers, no banner about them, a quiet note."""
        self.logged_in = False
        self.document = None
        self.from_cache = False
        self.banner_view = None
        self._error = None
        self.login_panel.reset()
        self._set_notice("Logged out")

    def _open_login(self, open_: bool) -> None:
        """Show the login panel in the card's place, or the card again."""
        self.login_open = open_
        self._render()
        if open_:
            self.login_panel.focus_first()

    def _browser_login(self) -> None:
        self.core.manual_login()

    def _session_key(self, key: str) -> None:
        self.core.manual_login(session_key=key)

    def _install_browser(self) -> None:
        self.core.install_browser()

    def _cancel_login(self) -> None:
        self.core.cancel_login()

    def _toggle_pause(self) -> None:
        # Flip at once so the label answers the click; the core confirms with StatusChanged.
        if self.paused:
            self.core.resume()
            self.paused = False
        else:
            self.core.pause()
            self.paused = True
        self._render()

    def _open_usage_page(self) -> None:
        self._open_url(self.usage_url)

    def _quit(self) -> None:
        self._on_quit()

    def _banner_action(self, action: str) -> None:
        if action == "login":
            self._open_login(True)
        elif action == "retry":
            self.core.refresh_now()
        elif action == "settings":
            self.open_settings()

    def _save_config(self, config: Config) -> None:
        self._on_save_config(config)
        self.set_config(config)

    def _settings_closed(self) -> None:
        self.settings = None
        if self.window.state() == "normal":
            self.window.focus_force()

    def _close_clicked(self) -> None:
        """The window manager's close button (a normal window in no-tray mode has one)."""
        if self._on_close is not None:
            self._on_close()
        else:
            self.hide()

    def _activate_focused(self, _event: tk.Event[tk.Misc]) -> str | None:
        """Return presses the button that has the focus ring (Tk only does Space)."""
        focused = self.window.focus_get()
        if isinstance(focused, ttk.Button) and focused.instate(["!disabled"]):
            focused.invoke()
            return "break"
        return None

    def dismiss_banner(self) -> None:
        """What the banner's × does: the note shown is seen, an error banner hidden."""
        self._banner_dismissed()

    def _banner_dismissed(self) -> None:
        shown = self._shown_banner()
        if shown is not None and shown in self._notes:
            self._notes.remove(shown)
        elif shown is not None:
            self._dismissed = shown
        self._render()

    # Window kinds -------------------------------------------------------------------

    def _apply_window_kind(self) -> None:
        """Tell the window manager what this window is (see the class docstring)."""
        window = self.window
        if is_x11(window):
            # Openbox, xfwm4 and KWin keep utility windows out of Alt-Tab; the
            # skip-taskbar hint (popup.x11) keeps them out of taskbars.
            window.attributes("-type", "normal" if self.window_mode else "utility")
        elif sys.platform == "win32":
            window.attributes("-toolwindow", not self.window_mode)  # no taskbar button
        if not is_x11(window):  # on X11 popup.x11 asks for _NET_WM_STATE_ABOVE itself
            window.attributes("-topmost", not self.window_mode)

    def _before_map(self, toplevel: tk.Toplevel, *, dialog: bool) -> None:
        """Hints the window manager reads when the window is mapped."""
        if not is_x11(toplevel):
            return
        if dialog:
            toplevel.wm_attributes("-type", "dialog")
        set_decorations(toplevel, decorated=self.window_mode or dialog, can_minimize=not dialog)

    def _mapped(self, event: tk.Event[tk.Misc], toplevel: tk.Toplevel) -> None:
        """Once mapped (Tk has just rewritten _NET_WM_STATE): out of taskbars, above."""
        if event.widget is not toplevel or self.window_mode:
            return
        add_wm_states(toplevel, ["SKIP_TASKBAR", "SKIP_PAGER", "ABOVE"])

    # Events -------------------------------------------------------------------------

    def _status_changed(self, status: Status) -> None:
        self.status = status
        # The core's resting status puts PAUSED before ERROR and IDLE, so either
        # of those means auto-refresh runs; busy statuses say nothing about it.
        if status is Status.PAUSED:
            self.paused = True
        elif status in (Status.IDLE, Status.ERROR):
            self.paused = False
        if status is Status.REFRESHING:
            self._set_notice("")
        if status is Status.LOGGING_IN:
            self.login_panel.waiting_for_browser()

    def _login_finished(self, event: LoginFinished) -> None:
        if event.logged_in:
            self.login_panel.finished(True, None, "")
            self.logged_in = True
            self.login_open = False
            self._clear_banner(login_only=True)
            return
        if event.code is None:
            self._logged_out()
            return
        with_key = self.login_panel.login_state == "key"
        text = login_failure_text(event.code, with_key, event.message)
        if event.code is ErrorCode.BROWSER_MISSING:
            self.login_panel.offer_install(text)  # its button downloads one (issue 11)
        else:
            self.login_panel.finished(False, event.code, text)
        self.logged_in = False
        if not self.login_open:
            # The login was started from the tray menu: say how it ended here.
            self._set_error(event.code, event.message, None)

    # Drawing ------------------------------------------------------------------------

    def _set_banner(self, view: BannerView | None) -> None:
        self.banner_view = view
        self._error = None

    def _set_error(self, code: ErrorCode, message: str, retry_after: float | None) -> None:
        """An error banner; rebuilt at each render, so a back-off names the current next try."""
        self.banner_view = self._error_view(code, message, retry_after)
        self._error = (code, message, retry_after)

    def _error_view(self, code: ErrorCode, message: str, retry_after: float | None) -> BannerView:
        next_try = self._next_poll_at() if self._next_poll_at is not None else None
        return banner_for(code, message, retry_after, next_try=next_try, now=self._clock())

    def _add_note(self, view: BannerView) -> None:
        if view not in self._notes:
            self._notes.append(view)

    def _shown_banner(self) -> BannerView | None:
        """The error banner if there is one, else the oldest note not yet seen."""
        if self.banner_view is not None and self.banner_view != self._dismissed:
            return self.banner_view
        return self._notes[0] if self._notes else None

    def _clear_banner(self, *, login_only: bool) -> None:
        if self.banner_view is None:
            return
        if not login_only or self.banner_view.action == "login":
            self.banner_view = None
            self._error = None

    def _set_notice(self, text: str) -> None:
        self._notice = text
        self._cancel_job("_notice_job")
        if text:
            self._notice_job = self.window.after(NOTICE_MS, self._notice_expired)

    def _notice_expired(self) -> None:
        self._notice_job = None
        self._notice = ""
        self._render()

    def _render(self) -> None:
        now = self._clock()
        self._render_header(now)
        self._render_card(now)
        if self.logged_in:
            self.login_open = False
        shown, hidden = (
            (self.login_panel, self.card_border)
            if self.login_open
            else (self.card_border, self.login_panel)
        )
        hidden.grid_remove()
        shown.grid()
        if self._error is not None and self._error[0] is ErrorCode.RATE_LIMITED:
            self.banner_view = self._error_view(*self._error)
        view = self._shown_banner()
        self._note_on_screen = view if view in self._notes and self.visible else None
        # The login panel says itself why a login is needed: no second "Log in…".
        if view is None or (self.login_open and view.action == "login"):
            self.banner.place_forget()
        else:
            if view.action == "login" and view is self.banner_view and not self.logged_in:
                # The footer's "Log in…" is the one way in: no second one in the banner.
                view = BannerView(view.tone, view.title, view.body, None)
            self.banner.show(view)
            self.banner.place(in_=self.content, x=0, y=0, relwidth=1.0)
            self.banner.tkraise()
        self._keep_content_size()
        login_text = LOG_OUT if self.logged_in else BACK if self.login_open else LOG_IN
        self.login_button.configure(text=login_text)
        self.pause_button.configure(text=RESUME if self.paused else PAUSE)

    def _keep_content_size(self) -> None:
        """The content cell fits the card, the login panel and a banner, whichever shows."""
        self.content.update_idletasks()  # the requested sizes of what just changed
        parts = (self.card_border, self.login_panel, self.banner)
        self.content.rowconfigure(0, minsize=max(part.winfo_reqheight() for part in parts))
        self.content.columnconfigure(0, minsize=max(part.winfo_reqwidth() for part in parts[:2]))

    def _render_header(self, now: datetime) -> None:
        if self._notice:  # "Already refreshing" answers a click, so it wins for a moment
            status = self._notice
        elif self.status is Status.REFRESHING:
            status = "Refreshing…"
        elif self.status is Status.LOGGING_IN:
            status = "Logging in…"
        elif self.paused:
            status = "Auto-refresh paused"
        else:
            status = ""
        self.status_label.configure(text=status)
        document = self.document
        if document is None:
            self.updated_label.configure(text="Not updated yet")
            self.stale_label.grid_remove()
            return
        self.updated_label.configure(
            text=f"{updated_text(document, now)} {source_text(document, live=self.live)}"
        )
        stale = is_stale(
            document,
            from_cache=self.from_cache,
            now=now,
            interval_minutes=self.config.interval_minutes,
        )
        if stale:
            self.stale_label.grid()
        else:
            self.stale_label.grid_remove()

    def _render_card(self, now: datetime) -> None:
        document = self.document
        views = [] if document is None else limit_views(document, self.config.thresholds, now)
        self._refresh_after_resets(views)
        money = (
            None if document is None else money_view(document.extra_usage, self.config.thresholds)
        )
        while len(self.limit_rows) < len(views):
            self.limit_rows.append(LimitRow(self.card, self.fonts))
        for index, row in enumerate(self.limit_rows):
            if index < len(views):
                row.show(views[index])
                row.show_trend(self.trends.get(views[index].id))
                row.grid(row=index, column=0, sticky="ew", pady=(0 if index == 0 else 12, 0))
            else:
                row.grid_remove()
        if money is None:
            self.money_row.grid_remove()
        else:
            self.money_row.show(money)
            top = 0 if not views else 14
            self.money_row.grid(row=len(views), column=0, sticky="ew", pady=(top, 0))
        if views or money is not None:
            self.empty_label.grid_remove()
        else:
            self.empty_label.configure(text=self._empty_text())
            self.empty_label.grid(row=0, column=0, sticky="w")

    def _refresh_after_resets(self, views: list[LimitView]) -> None:
        """A reset passed since the last reading: ask for new numbers, once per reset.

        Only while the popup is open (someone is looking); the core keeps to the
        read budget and says so when it refuses.
        """
        passed = {(view.id, view.reset_text) for view in views if view.reset_passed}
        new = passed - self._resets_refreshed
        waiting = self._backoff_until() is not None  # no poll that would lengthen a back-off
        if new and self.visible and self.status is not Status.REFRESHING and not waiting:
            self._resets_refreshed |= new
            self.core.refresh_now()

    def _empty_text(self) -> str:
        if self.document is not None:
            return "This account reports no usage limits."
        if self.status is Status.REFRESHING:
            return "Reading your usage…"
        return "No numbers yet."

    # Placement ----------------------------------------------------------------------

    def _place(self) -> None:
        """Put the outer frame next to the icon, inside the icon's monitor's work area
        (the rule is in popup.placement)."""
        client = (self.window.winfo_reqwidth(), self.window.winfo_reqheight())
        frame = self._extents.outer(*client)
        point = self._anchor.centre if self._anchor is not None else (None, None)
        desktop = desktop_at(self.window, *point)
        edge, x, y = place(frame, self._anchor, desktop, fallback_edge=default_edge())
        self.placed = (edge, Rect.of(x, y, *frame), desktop)
        log.debug(
            "popup placed at %s (frame %s, %s edge, work area %s, anchor %s)",
            (x, y), frame, edge, desktop.work_area, self._anchor,
        )  # fmt: skip
        self.window.geometry(f"+{x}+{y}")

    def _configured(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is not self.window or self.placed is None:
            return
        if self.window.state() != "normal":
            return
        placed_size = (self.placed[1].width, self.placed[1].height)
        if self._extents.outer(event.width, event.height) != placed_size:
            self._place()

    def _refit(self) -> None:
        """Measure the frame now that the window is mapped; re-place if it changed."""
        if self.window.state() != "normal":
            return
        measured = measure_frame(self.window)
        if measured is None or self.placed is None:
            return
        outer, extents = measured
        target = self.placed[1]
        offset = (
            self._offset[0] + outer.left - target.left,
            self._offset[1] + outer.top - target.top,
        )
        if extents != self._extents or offset != self._offset:
            self._extents, self._offset = extents, offset
            self._place()

    def _focus_is_ours(self) -> bool:
        try:
            focused = self.window.focus_get()
        except KeyError:  # a Tk-internal widget (a combobox list) has it: still ours
            return True
        return focused is not None and focused.winfo_toplevel() is self.window

    # Timers and focus ---------------------------------------------------------------

    def _schedule_tick(self) -> None:
        self._cancel_job("_tick_job")
        self._tick_job = self.window.after(self.tick_ms, self._tick)

    def _tick(self) -> None:
        """Redraw the countdowns and the age; reads the clock, never the service."""
        self._tick_job = None
        self._render()
        if self.window.state() == "normal":
            self._schedule_tick()

    def _cancel_job(self, name: str) -> None:
        job = getattr(self, name)
        if job is not None:
            self.window.after_cancel(job)
            setattr(self, name, None)

    def _focus_in(self, _event: tk.Event[tk.Misc]) -> None:
        self._had_focus = True
        self._cancel_job("_focus_job")

    def _focus_out(self, _event: tk.Event[tk.Misc]) -> None:
        if not self.close_on_focus_out:
            return
        self._cancel_job("_focus_job")
        self._focus_job = self.window.after(FOCUS_CHECK_MS, self._check_focus)

    def _check_focus(self) -> None:
        """Hide when the focus went to another application or window (not a child dialog)."""
        self._focus_job = None
        if not self._had_focus or self.window.state() != "normal" or self.settings is not None:
            return
        if not self._focus_is_ours():
            self.hide()
            self._hidden_by_focus_at = time.monotonic()
