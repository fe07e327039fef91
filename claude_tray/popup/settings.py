"""The settings dialog: interval, source, icon limit, thresholds, notifications, browser.

`config_from_form` turns what the user typed into a validated `Config` (or a
list of sentences saying what is wrong); the dialog shows those sentences
inline and saves nothing until everything is valid. Saving is the app's job:
the dialog hands the new config to `on_save`. This module must NOT write files
or call the core.
"""

from __future__ import annotations

import dataclasses
import math
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import filedialog, ttk
from typing import Literal

from claude_tray.autostart import StartAtLogin
from claude_tray.config import Config, IconLimit, SourceChoice, Thresholds, problems_of
from claude_tray.popup.theme import BACKGROUND, BORDER, Fonts

SOURCE_CHOICES: dict[SourceChoice, str] = {
    "auto": "Automatic (web, else Claude Code)",
    "web": "claude.ai web session",
    "claude-code": "Claude Code login",
}
ICON_CHOICES: dict[IconLimit, str] = {
    "highest": "The highest limit",
    "session": "The current session",
    "weekly": "The weekly limit",
}


@dataclass(frozen=True)
class IntervalRule:
    """How the refresh interval is shown and which values Save accepts.

    The real app counts in minutes from 1 to 1440 (the config file's own
    limits); the demo, which reads a local emulator, counts in seconds.
    """

    unit: Literal["minutes", "seconds"] = "minutes"
    low: float = 1
    high: float = 24 * 60

    def shown(self, minutes: float) -> float:
        """The interval in this rule's unit."""
        return minutes * 60 if self.unit == "seconds" else minutes

    def minutes(self, value: float) -> float:
        """A value in this rule's unit, in minutes."""
        return value / 60 if self.unit == "seconds" else value


MINUTES = IntervalRule()
#: The demo's: every 5 s to every hour.
DEMO_SECONDS = IntervalRule("seconds", 5, 3600)


@dataclass(frozen=True)
class SettingsForm:
    """The dialog's fields as the user left them (numbers still as text)."""

    interval_minutes: str
    source: SourceChoice
    icon_limit: IconLimit
    moderate: str
    warning: str
    critical: str
    notifications: bool
    browser_path: str = ""
    #: Poll at exactly the interval instead of adaptively (the interval as the longest wait).
    fixed_interval: bool = False
    #: Colour the icon by the forecast at the reset instead of the percent used.
    colour_follows_pace: bool = False
    python_path: str = ""

    @classmethod
    def from_config(cls, config: Config, rule: IntervalRule = MINUTES) -> SettingsForm:
        """The form for `config`; the interval in `rule`'s unit (the field keeps its name)."""
        return cls(
            interval_minutes=_number_text(round(rule.shown(config.interval_minutes), 2)),
            source=config.source,
            icon_limit=config.icon_limit,
            moderate=_number_text(config.thresholds.moderate),
            warning=_number_text(config.thresholds.warning),
            critical=_number_text(config.thresholds.critical),
            notifications=config.notifications,
            fixed_interval=config.poll_mode == "fixed",
            colour_follows_pace=config.icon_colour_follows_pace,
            browser_path=config.browser_path or "",
            python_path=config.python_path or "",
        )


class SettingsInvalid(ValueError):
    """Raised by `config_from_form` with one sentence per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _number(text: str, what: str, problems: list[str]) -> float | None:
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        problems.append(f"{what} must be a number (got “{text.strip()}”).")
        return None
    if not math.isfinite(value):
        problems.append(f"{what} must be a number (got “{text.strip()}”).")
        return None
    return value


def config_from_form(base: Config, form: SettingsForm, rule: IntervalRule = MINUTES) -> Config:
    """A new config: `base` with the form's values; raises SettingsInvalid when any is wrong.

    The interval is read in `rule`'s unit and checked against its limits.
    """
    problems: list[str] = []
    shown = _number(form.interval_minutes, "The refresh interval", problems)
    if shown is not None and not rule.low <= shown <= rule.high:
        problems.append(
            f"The refresh interval must be between {_number_text(rule.low)} and "
            f"{_number_text(rule.high)} {rule.unit}."
        )
    interval = None if shown is None else rule.minutes(shown)
    levels = {
        "moderate": _number(form.moderate, "The moderate threshold", problems),
        "warning": _number(form.warning, "The warning threshold", problems),
        "critical": _number(form.critical, "The critical threshold", problems),
    }
    for name, value in levels.items():
        if value is not None and not 0 <= value <= 1000:
            problems.append(f"The {name} threshold must be between 0 and 1000 %.")
    if problems:
        raise SettingsInvalid(problems)
    assert interval is not None  # no problems means every number parsed
    moderate, warning, critical = (float(value or 0.0) for value in levels.values())
    if not moderate <= warning <= critical:
        raise SettingsInvalid(
            ["The thresholds must go up: moderate ≤ warning ≤ critical."],
        )
    config = dataclasses.replace(
        base,
        # Below the file's 1-minute floor only where the rule allows it (the demo).
        interval_minutes=max(interval, 1.0),
        source=form.source,
        icon_limit=form.icon_limit,
        thresholds=Thresholds(moderate=moderate, warning=warning, critical=critical),
        notifications=form.notifications,
        poll_mode="fixed" if form.fixed_interval else "adaptive",
        icon_colour_follows_pace=form.colour_follows_pace,
        # An empty field means "find it yourself"; existence is the doctor's
        # job (checking here would be I/O on the UI thread).
        browser_path=form.browser_path.strip() or None,
        python_path=form.python_path.strip() or None,
    )
    problems = problems_of(config)  # a rule of Config this form does not know yet
    if problems:
        raise SettingsInvalid(problems)
    if interval < 1.0:  # the demo's seconds, kept past the file's 1-minute floor
        return dataclasses.replace(config, interval_minutes=interval)
    return config


class SettingsDialog(tk.Toplevel):
    """A small window with the settings form, Cancel and Save."""

    def __init__(
        self,
        master: tk.Misc,
        fonts: Fonts,
        config: Config,
        *,
        on_save: Callable[[Config], None],
        on_close: Callable[[], None],
        start_at_login: StartAtLogin | None = None,
        name: str | None = None,
        class_: str = "Toplevel",
        title: str = "Settings",
        interval_rule: IntervalRule = MINUTES,
        choose_file: Callable[..., str] | None = None,
    ) -> None:
        """`start_at_login`: the autostart switch (None hides the checkbox)."""
        if name is None:
            super().__init__(master, class_=class_, background=BACKGROUND)
        else:
            super().__init__(master, name=name, class_=class_, background=BACKGROUND)
        # Withdrawn until the owner has placed it and told the window manager what it is.
        self.withdraw()
        self.title(title)
        self.resizable(False, False)
        self._base = config
        self._on_save = on_save
        self._on_close = on_close
        self._start_at_login = start_at_login
        self._rule = interval_rule
        # The file chooser (a dialog of its own; tests pass a stand-in).
        self._choose_file = choose_file or filedialog.askopenfilename
        self.saved: Config | None = None

        body = ttk.Frame(self, padding=(18, 16, 18, 14))
        body.grid(sticky="nsew")
        body.columnconfigure(1, weight=1)

        ttk.Label(body, text="Settings", style="Title.TLabel").grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, 12)
        )

        form = SettingsForm.from_config(config, interval_rule)
        interval_row = ttk.Frame(body)
        self.interval = ttk.Spinbox(
            interval_row, from_=interval_rule.low, to=interval_rule.high, increment=1, width=6
        )
        self.interval.set(form.interval_minutes)
        self.source = ttk.Combobox(
            body, values=list(SOURCE_CHOICES.values()), state="readonly", width=30
        )
        self.source.set(SOURCE_CHOICES[form.source])
        self.icon_limit = ttk.Combobox(
            body, values=list(ICON_CHOICES.values()), state="readonly", width=30
        )
        self.icon_limit.set(ICON_CHOICES[form.icon_limit])

        thresholds = ttk.Frame(body)
        self.moderate = ttk.Entry(thresholds, width=5, justify="right")
        self.warning = ttk.Entry(thresholds, width=5, justify="right")
        self.critical = ttk.Entry(thresholds, width=5, justify="right")
        for column, (entry, text, value) in enumerate(
            (
                (self.moderate, "moderate", form.moderate),
                (self.warning, "warning", form.warning),
                (self.critical, "critical", form.critical),
            )
        ):
            entry.insert(0, value)
            ttk.Label(thresholds, text=text, style="Muted.TLabel").grid(
                row=0, column=column, sticky="w", padx=(0, 10)
            )
            entry.grid(row=1, column=column, sticky="w", padx=(0, 10))
        ttk.Label(thresholds, text="%", style="Muted.TLabel").grid(row=1, column=3, sticky="w")
        self.colour_follows_pace = tk.BooleanVar(self, value=form.colour_follows_pace)
        ttk.Checkbutton(
            thresholds,
            text="Colour the icon by the forecast at the reset",
            variable=self.colour_follows_pace,
        ).grid(row=2, column=0, columnspan=4, sticky="w", pady=(6, 0))

        self.notifications = tk.BooleanVar(self, value=form.notifications)
        notify = ttk.Checkbutton(
            body, text="Notify me when a limit gets high or resets", variable=self.notifications
        )

        self.interval.grid(row=0, column=0)
        ttk.Label(interval_row, text=interval_rule.unit).grid(row=0, column=1, padx=(6, 0))
        # Adaptive by default: the interval is the longest wait, shorter while usage moves.
        self.fixed_interval = tk.BooleanVar(self, value=form.fixed_interval)
        ttk.Checkbutton(interval_row, text="Fixed interval", variable=self.fixed_interval).grid(
            row=0, column=2, padx=(12, 0)
        )

        rows: list[tuple[str, tk.Widget]] = [
            ("Refresh every", interval_row),
            ("Read usage from", self.source),
            ("Icon shows", self.icon_limit),
            ("Colour thresholds", thresholds),
        ]
        for index, (text, widget) in enumerate(rows, start=1):
            ttk.Label(body, text=text).grid(
                row=index, column=0, sticky="nw", padx=(0, 14), pady=(4, 6)
            )
            sticky = "we" if isinstance(widget, ttk.Combobox) else "w"
            widget.grid(row=index, column=1, sticky=sticky, pady=(2, 6))
        notify.grid(row=len(rows) + 1, column=0, columnspan=2, sticky="w", pady=(6, 0))
        # What the entry holds now (not a config value: the desktop's autostart owns it).
        self._login_was = start_at_login.enabled() if start_at_login is not None else False
        self.start_at_login = tk.BooleanVar(self, value=self._login_was)
        self.start_at_login_box = ttk.Checkbutton(
            body, text="Start claude-tray when I log in", variable=self.start_at_login
        )
        if start_at_login is not None:
            self.start_at_login_box.grid(
                row=len(rows) + 2, column=0, columnspan=2, sticky="w", pady=(4, 0)
            )

        # The browser: empty finds one; Browse… picks a program without typing its path.
        row = len(rows) + 3
        tk.Frame(body, height=1, background=BORDER).grid(
            row=row, column=0, columnspan=2, sticky="ew", pady=(14, 10)
        )
        browser_row = ttk.Frame(body)
        browser_row.columnconfigure(0, weight=1)
        self.browser_path = ttk.Entry(browser_row, width=26)
        self.browser_path.insert(0, form.browser_path)
        self.browse_button = ttk.Button(browser_row, text="Browse…", command=self._browse)
        self.browser_path.grid(row=0, column=0, sticky="we")
        self.browse_button.grid(row=0, column=1, padx=(6, 0))
        ttk.Label(body, text="Browser").grid(row=row + 1, column=0, sticky="w", padx=(0, 14))
        browser_row.grid(row=row + 1, column=1, sticky="we", pady=(2, 0))
        ttk.Label(body, text="Empty: find Chrome, Chromium or Edge.", style="Muted.TLabel").grid(
            row=row + 2, column=1, sticky="w", pady=(1, 6)
        )

        # Advanced (folded): the Python that runs the usage reader; most people never
        # need it (python_missing), so it opens by itself only when it is set.
        self.advanced_button = ttk.Button(body, style="Link.TButton", command=self._toggle_advanced)
        self.advanced_button.grid(row=row + 3, column=0, columnspan=2, sticky="w", pady=(4, 0))
        self.advanced = ttk.Frame(body)
        self.advanced.columnconfigure(1, weight=1)
        self.python_path = ttk.Entry(self.advanced, width=32)
        self.python_path.insert(0, form.python_path)
        ttk.Label(self.advanced, text="Python").grid(row=0, column=0, sticky="w", padx=(0, 14))
        self.python_path.grid(row=0, column=1, sticky="we", pady=(2, 0))
        ttk.Label(
            self.advanced, text="Empty: the Python claude-tray runs on.", style="Muted.TLabel"
        ).grid(row=1, column=1, sticky="w", pady=(1, 6))
        self.advanced.grid(row=row + 4, column=0, columnspan=2, sticky="we", pady=(4, 0))
        self._show_advanced(bool(form.python_path))
        row += 5

        self.error = ttk.Label(body, style="Error.TLabel", wraplength=340, justify="left")
        # Wrapped at the dialog's own width, so a long message never widens the dialog.
        body.bind("<Configure>", lambda event: self.error.configure(wraplength=event.width - 40))
        self.error.grid(row=row, column=0, columnspan=2, sticky="w", pady=(10, 0))
        self.error.grid_remove()

        buttons = ttk.Frame(body)
        buttons.grid(row=row + 1, column=0, columnspan=2, sticky="e", pady=(16, 0))
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.cancel)
        self.save_button = ttk.Button(
            buttons, text="Save", style="Accent.TButton", command=self.save
        )
        self.cancel_button.grid(row=0, column=0, padx=(0, 8))
        self.save_button.grid(row=0, column=1)

        self.bind("<Escape>", lambda _event: self.cancel())
        self.bind("<Return>", lambda _event: self.save())
        self.protocol("WM_DELETE_WINDOW", self.cancel)

    def _browse(self) -> None:
        chosen = self._choose_file(parent=self, title="Choose the browser claude-tray uses")
        if chosen:
            self.browser_path.delete(0, tk.END)
            self.browser_path.insert(0, str(chosen))

    def _show_advanced(self, shown: bool) -> None:
        self.advanced_shown = shown
        self.advanced_button.configure(text="▾ Advanced" if shown else "▸ Advanced")
        if shown:
            self.advanced.grid()
        else:
            self.advanced.grid_remove()

    def _toggle_advanced(self) -> None:
        self._show_advanced(not self.advanced_shown)

    def form(self) -> SettingsForm:
        """What the fields hold now."""
        source: SourceChoice = next(
            (key for key, text in SOURCE_CHOICES.items() if text == self.source.get()), "auto"
        )
        icon_limit: IconLimit = next(
            (key for key, text in ICON_CHOICES.items() if text == self.icon_limit.get()),
            "highest",
        )
        return SettingsForm(
            interval_minutes=self.interval.get(),
            source=source,
            icon_limit=icon_limit,
            moderate=self.moderate.get(),
            warning=self.warning.get(),
            critical=self.critical.get(),
            notifications=bool(self.notifications.get()),
            fixed_interval=bool(self.fixed_interval.get()),
            colour_follows_pace=bool(self.colour_follows_pace.get()),
            browser_path=self.browser_path.get(),
            python_path=self.python_path.get(),
        )

    @property
    def error_text(self) -> str:
        """The inline error shown (empty when none)."""
        return str(self.error.cget("text")) if self.error.winfo_manager() else ""

    def save(self) -> None:
        """Validate; show what is wrong, or hand the new config over and close."""
        try:
            config = config_from_form(self._base, self.form(), self._rule)
        except SettingsInvalid as exc:
            self.error.configure(text="\n".join(exc.problems))
            self.error.grid()
            return
        wanted = bool(self.start_at_login.get())
        if self._start_at_login is not None and wanted != self._login_was:
            problem = self._start_at_login.set(wanted)
            if problem is not None:
                self.error.configure(text=problem)
                self.error.grid()
                return
            self._login_was = wanted
        self.saved = config
        self._on_save(config)
        self._close()

    def cancel(self) -> None:
        """Close without saving."""
        self._close()

    def _close(self) -> None:
        self._on_close()
        self.destroy()
