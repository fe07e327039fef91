"""Colours, fonts and ttk styles of the popup and its dialogs.

One place for the look, so the widgets only name styles ("Muted.TLabel",
"Accent.TButton"). This module must NOT create windows or know about the core;
`apply_theme` only configures styles and named fonts of an existing root.
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk

from claude_tray.icon import LEVEL_COLOURS as ICON_LEVEL_COLOURS
from claude_tray.popup.model import Tone
from claude_tray.text_format import Level

# A warm, light palette close to claude.ai's own.
BACKGROUND = "#faf9f5"
SURFACE = "#ffffff"
TEXT = "#1f1e1d"
MUTED = "#6b6963"
BORDER = "#e3e0d6"
TROUGH = "#ebe8df"
ACCENT = "#c15f3c"
ACCENT_ACTIVE = "#a84f30"
ERROR_TEXT = "#b3261e"
#: The dotted focus ring clam draws inside a focused button or checkbox.
FOCUS_RING = "#2f4f6f"

#: Bar colours per level: the tray icon's own colours, so both agree at a glance.
LEVEL_COLOURS: dict[Level, str] = {
    level: "#{:02x}{:02x}{:02x}".format(*rgb) for level, rgb in ICON_LEVEL_COLOURS.items()
}

#: Banner background, border and title colour per tone.
TONE_COLOURS: dict[Tone, tuple[str, str, str]] = {
    "info": ("#eef3f8", "#c9d7e6", "#2f4f6f"),
    "warning": ("#fdf3e4", "#efd3a6", "#7a4a10"),
    "error": ("#fbeceb", "#efc2bf", "#8c1d18"),
}


@dataclass(frozen=True)
class Fonts:
    """The named fonts the popup uses."""

    body: tkfont.Font
    small: tkfont.Font
    title: tkfont.Font
    strong: tkfont.Font
    big: tkfont.Font


def make_fonts(root: tk.Misc) -> Fonts:
    """Fonts derived from the platform's default family (Segoe UI, SF, DejaVu Sans…)."""
    family = tkfont.nametofont("TkDefaultFont", root=root).actual("family")
    return Fonts(
        body=tkfont.Font(root=root, family=family, size=10),
        small=tkfont.Font(root=root, family=family, size=9),
        title=tkfont.Font(root=root, family=family, size=12, weight="bold"),
        strong=tkfont.Font(root=root, family=family, size=10, weight="bold"),
        big=tkfont.Font(root=root, family=family, size=11, weight="bold"),
    )


def apply_theme(root: tk.Misc, fonts: Fonts) -> ttk.Style:
    """Configure the ttk styles the popup names; based on 'clam', which takes colours."""
    style = ttk.Style(root)
    if "clam" in style.theme_names():
        style.theme_use("clam")
    style.configure(".", background=BACKGROUND, foreground=TEXT, font=fonts.body)
    style.configure("TFrame", background=BACKGROUND)
    style.configure("Card.TFrame", background=SURFACE)
    style.configure("TLabel", background=BACKGROUND, foreground=TEXT, font=fonts.body)
    style.configure("Card.TLabel", background=SURFACE)
    style.configure("Muted.TLabel", foreground=MUTED, font=fonts.small)
    style.configure("CardMuted.TLabel", background=SURFACE, foreground=MUTED, font=fonts.small)
    style.configure("CardStrong.TLabel", background=SURFACE, font=fonts.strong)
    style.configure("CardBig.TLabel", background=SURFACE, font=fonts.big)
    style.configure("Title.TLabel", font=fonts.title)
    style.configure("Stale.TLabel", foreground=LEVEL_COLOURS["warning"], font=fonts.small)
    style.configure("Error.TLabel", foreground=ERROR_TEXT, font=fonts.small)
    style.configure("TSeparator", background=BORDER)
    style.configure(
        "TButton",
        padding=(10, 4),
        width=-6,  # clam's default minimum of 11 characters makes a row of buttons too wide
        background="#f1efe8",
        bordercolor=BORDER,
        lightcolor="#f7f6f1",
        darkcolor="#e6e3da",
        focuscolor=FOCUS_RING,  # the keyboard focus ring: clearly visible
        font=fonts.body,
    )
    style.map("TButton", background=[("pressed", "#e4e1d7"), ("active", "#ebe8e0")])
    style.configure(
        "Accent.TButton",
        background=ACCENT,
        foreground="#ffffff",
        bordercolor=ACCENT_ACTIVE,
        lightcolor=ACCENT,
        darkcolor=ACCENT_ACTIVE,
        focuscolor="#ffffff",
    )
    style.map(
        "Accent.TButton",
        background=[("disabled", "#d9b3a4"), ("pressed", ACCENT_ACTIVE), ("active", "#cc6c49")],
        foreground=[("disabled", "#fbeee8")],
    )
    # Link-like buttons for the secondary actions in the footer.
    style.configure(
        "Link.TButton",
        padding=(4, 2),
        background=BACKGROUND,
        bordercolor=BACKGROUND,
        lightcolor=BACKGROUND,
        darkcolor=BACKGROUND,
        foreground=ACCENT_ACTIVE,
        focuscolor=FOCUS_RING,
        font=fonts.small,
    )
    style.map("Link.TButton", background=[("active", "#f0ede4")])
    style.configure("TEntry", fieldbackground=SURFACE, bordercolor=BORDER, padding=(6, 4))
    style.configure("TSpinbox", fieldbackground=SURFACE, bordercolor=BORDER, padding=(6, 3))
    style.configure("TCombobox", fieldbackground=SURFACE, bordercolor=BORDER, padding=(6, 3))
    style.map("TCombobox", fieldbackground=[("readonly", SURFACE)])
    style.configure(
        "TCheckbutton",
        background=BACKGROUND,
        focuscolor=FOCUS_RING,
        indicatorbackground=SURFACE,
        indicatorforeground=ACCENT_ACTIVE,
    )
    style.map("TCheckbutton", background=[("active", BACKGROUND)])
    for tone, (fill, edge, title_colour) in TONE_COLOURS.items():
        style.configure(f"{tone}.Banner.TFrame", background=fill)
        style.configure(
            f"{tone}.BannerTitle.TLabel",
            background=fill,
            foreground=title_colour,
            font=fonts.strong,
        )
        style.configure(f"{tone}.BannerBody.TLabel", background=fill, foreground=TEXT)
        style.configure(
            f"{tone}.BannerClose.TButton",
            padding=(4, 0),
            width=-2,
            background=fill,
            bordercolor=fill,
            lightcolor=fill,
            darkcolor=fill,
            foreground=title_colour,
            focuscolor=title_colour,
            font=fonts.body,
        )
        style.map(f"{tone}.BannerClose.TButton", background=[("active", edge)])
    return style
