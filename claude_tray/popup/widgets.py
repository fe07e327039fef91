"""Small Tk widgets of the popup: a usage bar, a limit row, the money row and a banner.

Each widget takes a view value from `popup.model` and shows it; none of them
knows about the core, events or the clock. This module must NOT call the core,
do I/O or schedule timers.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from claude_tray.popup.model import BannerView, LimitView, MoneyView
from claude_tray.popup.theme import (
    ACCENT,
    LEVEL_COLOURS,
    SURFACE,
    TEXT,
    TONE_COLOURS,
    TROUGH,
    Fonts,
)
from claude_tray.text_format import Level
from claude_tray.trend import Trend

BAR_HEIGHT = 8
#: The even-pace tick stands this far above and below the bar.
TICK_OVERHANG = 3
#: The sparkline beside each limit's reset time, in pixels.
SPARK_SIZE = (96, 22)
#: The forecast line wraps at the bars' width rather than widen the popup.
TEXT_WRAP = 330
_ACTION_TEXT = {"login": "Log in…", "retry": "Retry", "settings": "Settings…"}


class UsageBar(tk.Canvas):
    """A rounded horizontal bar; `set(fill, level)` paints `fill` (0–1) in the level's colour."""

    def __init__(self, master: tk.Misc, *, background: str = SURFACE) -> None:
        super().__init__(
            master,
            height=BAR_HEIGHT + 2 + 2 * TICK_OVERHANG,
            width=200,
            background=background,
            highlightthickness=0,
            borderwidth=0,
        )
        self.fill = 0.0
        self.level: Level = "calm"
        self.mark: float | None = None
        self.bind("<Configure>", lambda _event: self._draw())

    def set(self, fill: float, level: Level, mark: float | None = None) -> None:
        """Show a new share and colour, and the even-pace tick at `mark` (0–1) if given."""
        self.fill = min(max(fill, 0.0), 1.0)
        self.level = level
        self.mark = None if mark is None else min(max(mark, 0.0), 1.0)
        self._draw()

    def mark_x(self) -> int | None:
        """The tick's x in the canvas (for screenshot checks), None without one."""
        if self.mark is None:
            return None
        width = self._width()
        radius = BAR_HEIGHT // 2
        return round(radius + (width - 2 * radius) * self.mark)

    def _width(self) -> int:
        width = self.winfo_width()
        return width if width > 1 else int(self.cget("width"))  # not mapped yet

    @property
    def colour(self) -> str:
        """The colour of the filled part."""
        return LEVEL_COLOURS[self.level]

    def _draw(self) -> None:
        self.delete("all")
        width = self._width()
        radius = BAR_HEIGHT // 2
        y = BAR_HEIGHT // 2 + 1 + TICK_OVERHANG
        # Round caps on a thick line give a pill shape without antialiased ovals.
        self.create_line(
            radius, y, width - radius, y, width=BAR_HEIGHT, capstyle=tk.ROUND, fill=TROUGH
        )
        if self.fill > 0:
            end = radius + (width - 2 * radius) * self.fill
            self.create_line(
                radius,
                y,
                max(end, radius + 1),
                y,
                width=BAR_HEIGHT,
                capstyle=tk.ROUND,
                fill=self.colour,
                tags=("fill",),
            )
        x = self.mark_x()
        if x is not None:
            # Where an even pace would be: a thin dark tick across the bar.
            self.create_line(
                x, 0, x, BAR_HEIGHT + 2 + 2 * TICK_OVERHANG, width=2, fill=TEXT, tags=("mark",)
            )


class LimitRow(ttk.Frame):
    """Label and percentage on one line, the bar below, the reset time under it."""

    def __init__(self, master: tk.Misc, fonts: Fonts) -> None:
        super().__init__(master, style="Card.TFrame")
        self.columnconfigure(0, weight=1)
        self.label = ttk.Label(self, style="Card.TLabel")
        self.percent = ttk.Label(self, style="CardStrong.TLabel", anchor="e")
        self.bar = UsageBar(self)
        self.reset = ttk.Label(self, style="CardMuted.TLabel")
        self.spark = ttk.Label(self, style="Card.TLabel")
        self.pace = ttk.Label(self, style="CardMuted.TLabel", wraplength=TEXT_WRAP)
        # The sparkline sits between the name and the percent, so the long lines
        # below (reset, forecast) keep the whole width.
        self.label.grid(row=0, column=0, sticky="w")
        self.spark.grid(row=0, column=1, sticky="e", padx=(8, 8))
        self.spark.grid_remove()  # shown once there is a trend to draw

        self.percent.grid(row=0, column=2, sticky="e")
        self.bar.grid(row=1, column=0, columnspan=3, sticky="ew", pady=(1, 0))
        self.reset.grid(row=2, column=0, columnspan=3, sticky="w")
        self.pace.grid(row=3, column=0, columnspan=3, sticky="w")
        self.view: LimitView | None = None
        self.trend: Trend | None = None
        self._photo: object = None  # the Tk image must outlive the label's use of it

    def show(self, view: LimitView) -> None:
        """Fill the row from a view."""
        self.view = view
        self.label.configure(text=view.label)
        self.percent.configure(text=view.percent_text)
        self.bar.set(view.fill, view.level, view.pace_mark)
        self.reset.configure(text=view.reset_text)
        if view.reset_text:
            self.reset.grid()
        else:
            self.reset.grid_remove()
        self.pace.configure(text=view.pace_text)
        if view.pace_text:
            self.pace.grid()
        else:
            self.pace.grid_remove()

    def show_trend(self, trend: Trend | None) -> None:
        """Draw the limit's sparkline (hidden with fewer than two readings)."""
        if trend == self.trend:
            return
        self.trend = trend
        if trend is None or trend.points < 2:
            self.spark.grid_remove()
            self._photo = None
            return
        from PIL import ImageTk

        from claude_tray.sparkline import draw_sparkline

        image = draw_sparkline(trend, SPARK_SIZE, colour=ACCENT, guide=TROUGH, background=SURFACE)
        photo = ImageTk.PhotoImage(image, master=self)
        self.spark.configure(image=photo)
        self._photo = photo
        self.spark.grid()


class MoneyRow(ttk.Frame):
    """Extra usage: "Extra usage   $47.52 of $100.00" and a bar when there is a cap."""

    def __init__(self, master: tk.Misc, fonts: Fonts) -> None:
        super().__init__(master, style="Card.TFrame")
        self.columnconfigure(0, weight=1)
        self.label = ttk.Label(self, text="Extra usage", style="Card.TLabel")
        self.amount = ttk.Label(self, style="CardStrong.TLabel", anchor="e")
        self.bar = UsageBar(self)
        self.label.grid(row=0, column=0, sticky="w")
        self.amount.grid(row=0, column=1, sticky="e")
        self.bar.grid(row=1, column=0, columnspan=2, sticky="ew", pady=(4, 0))
        self.view: MoneyView | None = None

    def show(self, view: MoneyView) -> None:
        """Fill the row from a view."""
        self.view = view
        self.amount.configure(text=view.amount_text)
        if view.fill is None:
            self.bar.grid_remove()
        else:
            self.bar.grid()
            self.bar.set(view.fill, view.level)


class Banner(ttk.Frame):
    """A tinted box with a title, a sentence, at most one action button, and a close ×.

    The popup lays it over the top of its content, so it never moves the
    popup's buttons; × hides it to show what it covers.
    """

    def __init__(
        self,
        master: tk.Misc,
        fonts: Fonts,
        *,
        on_action: Callable[[str], None],
        on_dismiss: Callable[[], None] | None = None,
        wraplength: int = 300,
    ) -> None:
        super().__init__(master, style="info.Banner.TFrame", padding=(12, 10))
        self._on_action = on_action
        self._on_dismiss = on_dismiss
        self.columnconfigure(0, weight=1)
        self.title = ttk.Label(self, style="info.BannerTitle.TLabel", wraplength=wraplength)
        self.body = ttk.Label(self, style="info.BannerBody.TLabel", wraplength=wraplength)
        self.button = ttk.Button(self, command=self._clicked)
        self.close_button = ttk.Button(
            self, text="×", style="info.BannerClose.TButton", command=self._dismissed
        )
        self.title.grid(row=0, column=0, sticky="w")
        self.close_button.grid(row=0, column=1, sticky="ne")
        self.body.grid(row=1, column=0, columnspan=2, sticky="w", pady=(3, 0))
        self.button.grid(row=2, column=0, columnspan=2, sticky="w", pady=(8, 0))
        if on_dismiss is None:
            self.close_button.grid_remove()
        self.view: BannerView | None = None

    def show(self, view: BannerView) -> None:
        """Show a view (tone colours, words, the action button if any)."""
        self.view = view
        self.configure(style=f"{view.tone}.Banner.TFrame")
        self.title.configure(text=view.title, style=f"{view.tone}.BannerTitle.TLabel")
        self.close_button.configure(style=f"{view.tone}.BannerClose.TButton")
        self.body.configure(text=view.body, style=f"{view.tone}.BannerBody.TLabel")
        if view.body:
            self.body.grid()
        else:
            self.body.grid_remove()
        if view.action is None:
            self.button.grid_remove()
        else:
            self.button.configure(text=_ACTION_TEXT[view.action])
            self.button.grid()

    @property
    def background(self) -> str:
        """The banner's fill colour (for screenshot checks)."""
        tone = self.view.tone if self.view else "info"
        return TONE_COLOURS[tone][0]

    def _dismissed(self) -> None:
        if self._on_dismiss is not None:
            self._on_dismiss()

    def _clicked(self) -> None:
        if self.view is not None and self.view.action is not None:
            self._on_action(self.view.action)
