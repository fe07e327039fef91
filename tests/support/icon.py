"""Helpers for the icon tests: a contact sheet of every look, pixel statistics.

Test support only; must not be imported by the application.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, ImageDraw

from claude_tray.config import Thresholds
from claude_tray.documents import ExtraUsage, Limit, Source, UsageDocument
from claude_tray.events import Status
from claude_tray.icon import ICON_LOOKS, render_icon

#: The fixed "now" of the text and icon tests.
NOW = datetime(2026, 11, 26, 15, 40, 12, tzinfo=timezone.utc)

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


def pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """The image's RGBA pixels, row by row."""
    data = image.convert("RGBA").tobytes()
    return [(data[i], data[i + 1], data[i + 2], data[i + 3]) for i in range(0, len(data), 4)]


def dominant_colour(
    image: Image.Image, box: tuple[int, int, int, int] | None = None
) -> tuple[int, int, int]:
    """The most frequent opaque RGB colour in the image (or a box of it)."""
    region = image.crop(box) if box else image
    opaque = [(p[0], p[1], p[2]) for p in pixels(region) if p[3] == 255]
    return Counter(opaque).most_common(1)[0][0]


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    """The set of opaque RGB colours in the image."""
    return {(p[0], p[1], p[2]) for p in pixels(image) if p[3] == 255}


def limit(
    limit_id: str = "session",
    percent: float = 42.0,
    resets_at: datetime | None = None,
    *,
    kind: str | None = None,
    label: str | None = None,
) -> Limit:
    """A Limit with sensible kind and label for the usual ids."""
    kinds = {"session": "session", "weekly_all": "weekly"}
    labels = {"session": "Current session", "weekly_all": "Weekly, all models"}
    kind = kind or kinds.get(limit_id, "weekly_scoped")
    default_label = f"Weekly, {limit_id.removeprefix('weekly_').capitalize()}"
    return Limit(
        id=limit_id,
        kind=kind,
        label=label or labels.get(limit_id, default_label),
        percent=percent,
        resets_at=resets_at,
    )


def usage_doc(
    *limits: Limit,
    updated: datetime = NOW,
    extra: ExtraUsage | None = None,
    source: Source = "web",
) -> UsageDocument:
    """A usage document made at `updated` with these limits."""
    return UsageDocument.build(
        source=source, limits=list(limits), extra_usage=extra, last_updated=updated
    )


@dataclass
class Snapshot:
    """The attributes of `claude_tray.state.StateSnapshot` that the icon reads."""

    status: Status = Status.IDLE
    usage: UsageDocument | None = None
    usage_stale: bool = False
    last_error: object = None
    last_poll_at: datetime | None = None
    next_poll_at: datetime | None = None
    paused: bool = False
