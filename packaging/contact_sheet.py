"""Draw every look of the tray icon at 16, 22, 24, 32 and 48 px (and 24×30) on one sheet.

    python packaging/contact_sheet.py [OUT]      # default: icons/contact-sheet.png

For a reviewer: each row is one look (and the numbers that are hardest to
read small: "88", "100"), each column one slot size, drawn at that size by
`claude_tray.icon.render_icon` (not scaled from a bigger image), on a light
and on a dark panel, then enlarged 4× with whole pixels so single pixels show.
The output is checked into `icons/`; `tests/test_icon_slots.py` regenerates it
and compares. This script must not import Tk or pystray.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from claude_tray.icon import render_icon

#: (label, percent, look) per row.
ROWS: tuple[tuple[str, float | None, str], ...] = (
    ("42 normal", 42.0, "normal"),
    ("60 moderate", 60.0, "normal"),
    ("88 warning", 88.0, "normal"),
    ("100 critical", 100.0, "normal"),
    ("140 over", 140.0, "normal"),
    ("7 one digit", 7.0, "normal"),
    ("42 refreshing", 42.0, "refreshing"),
    ("88 stale", 88.0, "stale"),
    ("42 paused", 42.0, "paused"),
    ("no data", None, "no_data"),
    ("logged out", None, "logged_out"),
    ("88 error", 88.0, "error"),
    ("error, no number", None, "error"),
)
#: Slot sizes (width, height): the square sizes hosts ask for, and trayer's 24×30.
SIZES: tuple[tuple[int, int], ...] = ((16, 16), (22, 22), (24, 24), (32, 32), (48, 48), (24, 30))
PANELS = ((255, 255, 255), (40, 40, 40))
ZOOM = 3  # whole-pixel enlargement, so single pixels show
CELL = 52  # px per slot before zooming (48 + a margin)
LABEL = 110  # px of the label column
HEADER = 20


def _columns() -> list[tuple[tuple[int, int], tuple[int, int, int]]]:
    return [(size, panel) for panel in PANELS for size in SIZES]


def contact_sheet() -> Image.Image:
    """The sheet as an RGB image."""
    font = ImageFont.load_default()
    step = CELL * ZOOM
    sheet = Image.new(
        "RGB", (LABEL + len(_columns()) * step, HEADER + len(ROWS) * step), (225, 225, 225)
    )
    draw = ImageDraw.Draw(sheet)
    for column, ((w, h), panel) in enumerate(_columns()):
        shade = "light" if panel == PANELS[0] else "dark"
        draw.text((LABEL + column * step + 4, 4), f"{w}x{h} {shade}", fill=(0, 0, 0), font=font)
    for row, (label, percent, look) in enumerate(ROWS):
        y = HEADER + row * step
        draw.text((4, y + step // 2 - 6), label, fill=(0, 0, 0), font=font)
        for column, ((w, h), panel) in enumerate(_columns()):
            cell = Image.new("RGBA", (CELL, CELL), (*panel, 255))
            cell.alpha_composite(render_icon(percent, look, size=(w, h)), (2, 2))
            big = cell.convert("RGB").resize((step, step), Image.Resampling.NEAREST)
            sheet.paste(big, (LABEL + column * step, y))
    return sheet


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "icons"
    if out.is_dir() or not out.suffix:
        out = out / "contact-sheet.png"
    contact_sheet().save(out, optimize=True)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
