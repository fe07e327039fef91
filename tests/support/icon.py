"""Helpers for the icon tests: a contact sheet of every look, pixel statistics.

Test support only; must not be imported by the application.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from claude_tray.config import Thresholds
from claude_tray.icon import ICON_LOOKS, render_icon

SHEET_SIZES = (16, 22, 24, 32, 64)
SHEET_PERCENTS: tuple[float | None, ...] = (
    None,
    0,
    7,
    42,
    50,
    74.9,
    75,
    89,
    90,
    99.5,
    100,
    140,
    1000,
)
ZOOM = 4


def _cell(percent: float | None, look: str, size: int, direct: bool) -> Image.Image:
    """One icon as the tray host would show it: drawn at `size`, or drawn at 64 and scaled."""
    if direct:
        return render_icon(percent, look, Thresholds(), size)
    return render_icon(percent, look, Thresholds(), 64).resize(
        (size, size), Image.Resampling.LANCZOS
    )


def contact_sheet(
    path: Path,
    *,
    looks: Sequence[str] = ICON_LOOKS,
    percents: Sequence[float | None] = SHEET_PERCENTS,
    sizes: Sequence[int] = SHEET_SIZES,
) -> Path:
    """Write a PNG: a row per (look, percent); per size the scaled 64 px icon, then a direct one."""
    label_w = 110
    col_w = [size * ZOOM + 8 for size in sizes]
    width = label_w + 2 * sum(col_w) + 20
    row_h = max(sizes) * ZOOM + 8
    rows = [(look, p) for look in looks for p in percents]
    sheet = Image.new("RGB", (width, 24 + row_h * len(rows)), (236, 236, 236))
    draw = ImageDraw.Draw(sheet)
    draw.text((4, 4), "look / %", fill=(0, 0, 0))
    x = label_w
    for direct in (False, True):
        for size, w in zip(sizes, col_w, strict=True):
            draw.text((x, 4), f"{size}{'d' if direct else 's'}", fill=(0, 0, 0))
            x += w
        x += 20
    for r, (look, percent) in enumerate(rows):
        y = 24 + r * row_h
        draw.text((4, y + 4), f"{look} {percent}", fill=(0, 0, 0))
        x = label_w
        for direct in (False, True):
            for size, w in zip(sizes, col_w, strict=True):
                cell = _cell(percent, look, size, direct)
                big = cell.resize((size * ZOOM, size * ZOOM), Image.Resampling.NEAREST)
                # a mid-dark panel colour behind, like most tray bars
                panel = Image.new("RGBA", big.size, (60, 60, 60, 255))
                panel.alpha_composite(big)
                sheet.paste(panel.convert("RGB"), (x, y))
                x += w
            x += 20
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def dominant_colour(
    image: Image.Image, box: tuple[int, int, int, int] | None = None
) -> tuple[int, ...]:
    """The most frequent opaque RGB colour in the image (or a box of it)."""
    region = image.crop(box) if box else image
    pixels = [p[:3] for p in region.convert("RGBA").getdata() if p[3] == 255]
    return Counter(pixels).most_common(1)[0][0]


def colours(image: Image.Image) -> set[tuple[int, ...]]:
    """The set of opaque RGB colours in the image."""
    return {p[:3] for p in image.convert("RGBA").getdata() if p[3] == 255}
