"""The login panel of the popup: browser login with Cancel, or a pasted session key.

When no browser is found, an "Install a browser…" button asks the core to
download one (`BrowserInstalled` answers, passed to `install_finished()`).

The panel only collects the user's intent and hands it to callbacks; the core
does the work on its worker and answers with a `LoginFinished` event, which the
popup passes to `finished()`. A pasted key goes straight to the callback and is
cleared from the field at once; it is never logged, stored here, or put in a
Tcl variable. This module must NOT call the core directly or do I/O.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Literal

from claude_tray.errors import ErrorCode
from claude_tray.popup.theme import Fonts

LoginState = Literal["idle", "browser", "key", "install"]

WAITING_BROWSER = "Waiting for you to log in in the browser…"
WAITING_KEY = "Checking the session key…"
WAITING_INSTALL = "Downloading Chromium (about 170 MB)…"
INSTALL_BUTTON = "Install a browser…"


class LoginPanel(ttk.Frame):
    """Browser login button, a waiting line with Cancel, and a masked key field."""

    def __init__(
        self,
        master: tk.Misc,
        fonts: Fonts,
        *,
        on_browser_login: Callable[[], None],
        on_session_key: Callable[[str], None],
        on_cancel: Callable[[], None],
        on_install_browser: Callable[[], None] = lambda: None,
        wraplength: int = 300,
    ) -> None:
        super().__init__(master, padding=(0, 0))
        self._on_browser_login = on_browser_login
        self._on_session_key = on_session_key
        self._on_cancel = on_cancel
        self._on_install_browser = on_install_browser
        self._wraplength = wraplength
        #: The "Install a browser…" button is offered (no browser was found).
        self.install_offered = False
        self.login_state: LoginState = "idle"
        self.columnconfigure(0, weight=1)

        self.heading = ttk.Label(self, text="Log in to claude.ai", font=fonts.strong)
        self.intro = ttk.Label(
            self,
            text="A browser window opens on claude.ai; log in there as usual.",
            style="Muted.TLabel",
            wraplength=wraplength,
        )
        self.browser_button = ttk.Button(
            self, text="Log in with browser", style="Accent.TButton", command=self._browser
        )
        self.waiting = ttk.Label(self, text=WAITING_BROWSER, wraplength=wraplength - 90)
        self.cancel_button = ttk.Button(self, text="Cancel", command=self._cancel)
        self.key_label = ttk.Label(
            self, text="Or paste a session key (sessionKey cookie):", style="Muted.TLabel"
        )
        self.key_entry = ttk.Entry(self, show="•", width=28)
        self.key_button = ttk.Button(self, text="Use key", command=self._submit_key)
        self.message = ttk.Label(self, style="Error.TLabel", wraplength=wraplength)
        self.install_button = ttk.Button(self, text=INSTALL_BUTTON, command=self._install)

        self.heading.grid(row=0, column=0, columnspan=2, sticky="w")
        self.intro.grid(row=1, column=0, columnspan=2, sticky="w", pady=(2, 8))
        self.browser_button.grid(row=2, column=0, columnspan=2, sticky="w")
        self.waiting.grid(row=2, column=0, sticky="w")
        self.cancel_button.grid(row=2, column=1, sticky="e")
        self.key_label.grid(row=3, column=0, columnspan=2, sticky="w", pady=(12, 3))
        self.key_entry.grid(row=4, column=0, sticky="we", padx=(0, 8))
        self.key_button.grid(row=4, column=1, sticky="e")
        self.message.grid(row=5, column=0, columnspan=2, sticky="w", pady=(6, 0))
        self.install_button.grid(row=6, column=0, columnspan=2, sticky="w", pady=(6, 0))
        self.key_entry.bind("<Return>", lambda _event: self._submit_key())
        self._render()

    # What the user does -------------------------------------------------------------

    def _browser(self) -> None:
        self.install_offered = False
        self._set("browser", "")
        self._on_browser_login()

    def _submit_key(self) -> None:
        key = self.key_entry.get().strip()
        # Clear first: whatever happens next, the key does not stay on screen.
        self.key_entry.delete(0, tk.END)
        if not key:
            self._set("idle", "Paste the value of the sessionKey cookie first.")
            return
        if any(char.isspace() for char in key):
            self._set("idle", "That does not look like a session key (it contains spaces).")
            return
        self._set("key", "")
        self._on_session_key(key)

    def _install(self) -> None:
        self.install_offered = False
        self._set("install", "")
        self._on_install_browser()

    def _cancel(self) -> None:
        self._on_cancel()
        self._set("idle", "")

    # What the app tells the panel ---------------------------------------------------

    def waiting_for_browser(self) -> None:
        """The core reports a login in progress (e.g. started from the tray menu)."""
        if self.login_state == "idle":
            self._set("browser", "")

    def finished(self, logged_in: bool, code: ErrorCode | None, message: str) -> None:
        """A login ended: back to idle, with the reason when it failed."""
        self.install_offered = False
        if logged_in:
            self._set("idle", "")
        elif code is ErrorCode.LOGIN_CANCELLED:
            self._set("idle", "Login cancelled.", quiet=True)
        else:
            self._set("idle", message)

    def offer_install(self, message: str) -> None:
        """No browser was found: say so, with the "Install a browser…" button under it."""
        self.install_offered = True
        self._set("idle", message)

    def install_finished(self, ok: bool, message: str) -> None:
        """The download ended: its result line (a browser login can go on after a success).

        After a failure the button stays, to try again once the network is back.
        """
        self.install_offered = not ok
        self._set("idle", message, quiet=ok)

    def focus_first(self) -> None:
        """Put the focus on the panel's first action (browser login, or Cancel while waiting)."""
        if self.login_state == "idle":
            self.browser_button.focus_set()
        else:
            self.cancel_button.focus_set()

    def offer_start_at_login(self, enabled: bool, on_change: Callable[[bool], str | None]) -> None:
        """Show a "Start claude-tray when I log in" checkbox (the first-run welcome).

        `on_change(on)` switches the entry and returns None, or why it could not;
        the box then shows what is true again and the reason appears below.
        """
        if getattr(self, "start_at_login_box", None) is None:
            self.start_at_login = tk.BooleanVar(self, value=enabled)

            def changed() -> None:
                wanted = bool(self.start_at_login.get())
                problem = on_change(wanted)
                if problem is not None:
                    self.start_at_login.set(not wanted)
                    self._set(self.login_state, problem)

            self.start_at_login_box = ttk.Checkbutton(
                self,
                text="Start claude-tray when I log in",
                variable=self.start_at_login,
                command=changed,
            )
        self.start_at_login.set(enabled)
        self.start_at_login_box.grid(row=7, column=0, columnspan=2, sticky="w", pady=(10, 0))

    def reset(self) -> None:
        """Back to the start, without a message (the panel was closed)."""
        self.key_entry.delete(0, tk.END)
        if self.login_state != "install":  # a download goes on; its result still comes here
            self._set("idle", "")

    @property
    def message_text(self) -> str:
        """The inline message under the field (empty when none)."""
        return str(self.message.cget("text"))

    # Drawing ------------------------------------------------------------------------

    def _set(self, state: LoginState, message: str, *, quiet: bool = False) -> None:
        """`quiet`: a note (grey), not an error (red)."""
        self.login_state = state
        self.message.configure(text=message, style="Muted.TLabel" if quiet else "Error.TLabel")
        self._render()

    def _render(self) -> None:
        busy = self.login_state != "idle"
        if busy:
            self.browser_button.grid_remove()
            waiting = {"browser": WAITING_BROWSER, "key": WAITING_KEY}
            self.waiting.configure(text=waiting.get(self.login_state, WAITING_INSTALL))
            self.waiting.grid()
            if self.login_state == "install":  # the download is not a login to cancel
                self.cancel_button.grid_remove()
                self.waiting.configure(wraplength=self._wraplength)
                self.waiting.grid_configure(columnspan=2)
            else:
                self.cancel_button.grid()
                self.waiting.configure(wraplength=self._wraplength - 90)
                self.waiting.grid_configure(columnspan=1)
        else:
            self.waiting.grid_remove()
            self.cancel_button.grid_remove()
            self.browser_button.grid()
        entry_state = ["disabled"] if busy else ["!disabled"]
        self.key_entry.state(entry_state)
        self.key_button.state(entry_state)
        if self.message_text:
            self.message.grid()
        else:
            self.message.grid_remove()
        if self.install_offered and not busy:
            self.install_button.grid()
        else:
            self.install_button.grid_remove()
