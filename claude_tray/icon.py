"""The tray icon: the headline percentage as big digits on a coloured square.

`render_icon` is a pure, cached function of (percent, look, thresholds, size);
`size` is a side or the (width, height) of the slot the tray host offers
(trayer's 32 px panel gives 24×30, others 22×22), and the icon is drawn for
that box rather than drawn once and stretched.
The digits are drawn from our own block glyphs (a 3×5 grid whose stroke and
counter widths are fitted to the pixel size) instead of a font: no font file
exists on every platform, and rectangles snapped to whole pixels stay sharp at
16–32 px where an antialiased font turns into mush. Curved parts (background
corners, the refresh dot, the error frame, the key) are drawn at 4× and
reduced, so they are smooth. Sizes that are multiples of 16 (the 64 px image
the tray gets) lay the digits out on a 16 px grid, so a host that scales the
image to 16 or 32 px gets whole pixels back.

Looks (all on a rounded square; transparent corners, see `matte`):
- normal: the level's colour (calm green, moderate amber, warning orange,
  critical red) with white or near-black digits, whichever contrasts more;
- refreshing: the same plus a blue bar in the margin under the digits (it
  touches no digit, so none changes its reading);
- paused: a light background with the digits in the level's colour (darkened
  to stay readable): "the numbers as they were, not moving";
- stale: greyed background with a trace of the level colour, faded digits;
- no_data: grey with "--"; logged_out: grey with a key;
- error: near-black with a red frame, the last number in white ("!" in red
  when there is no number).

Number rule: the percentage is floored (99.5 shows "99", never "100" before the
limit is reached); 0–999 show as digits ("100" and "140" fit, with a narrow
"1"); 1000 and above, and +inf, show "!!". NaN and None show "--"; negative
numbers show "0".

This module must not do I/O, read the clock, or import pystray or Tk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw

from claude_tray.config import IconLimit, Thresholds
from claude_tray.documents import to_utc
from claude_tray.errors import BACKOFF_CODES, LOGIN_CODES
from claude_tray.text_format import (
    Level,
    Look,
    display_percent,
    error_code_of,
    headline_limit,
    is_stale,
    level_for,
)

__all__ = [
    "LEVEL_COLOURS",
    "IconLook",
    "Level",
    "app_icon",
    "icon_look_for",
    "icon_text",
    "level_for",
    "render_icon",
]

IconLook = Look
ICON_LOOKS: tuple[IconLook, ...] = (
    "normal",
    "no_data",
    "refreshing",
    "stale",
    "paused",
    "logged_out",
    "error",
)

RGB = tuple[int, int, int]

#: Background colour per level (material-like shades chosen to differ in hue
#: *and* brightness, so they stay apart for colour-blind users too).
LEVEL_COLOURS: dict[Level, RGB] = {
    "calm": (46, 125, 50),
    "moderate": (230, 184, 0),
    "warning": (245, 124, 0),
    "critical": (211, 47, 47),
}
_WHITE: RGB = (255, 255, 255)
_DARK: RGB = (28, 28, 28)
_GREY: RGB = (117, 117, 117)
_ERROR_BG: RGB = (48, 48, 48)
_ERROR_MARK: RGB = (244, 67, 54)
_REFRESH_MARK: RGB = (33, 150, 243)
_PAUSED_BG: RGB = (240, 240, 238)

_SUPERSAMPLE = 4

# --- glyphs --------------------------------------------------------------------------------

# Each glyph is rows of columns on the grid (stroke, counter, stroke) wide and
# (stroke, counter, stroke, counter, stroke) tall; "1" and "!" are narrow.
_WIDE_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("111", "101", "101", "101", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
    "-": ("000", "000", "111", "000", "000"),
}
# Narrow glyphs: columns (flag, stroke) for "1", a single stroke for "!".
_NARROW_GLYPHS: dict[str, tuple[str, ...]] = {
    "1": ("11", "01", "01", "01", "01"),
    "!": ("1", "1", "1", "0", "1"),
}


def icon_text(percent: float | None) -> str:
    """The characters the icon shows for a percentage (see the module's number rule)."""
    if percent is not None and math.isinf(percent) and percent > 0:
        return "!!"
    shown = display_percent(percent)
    if shown is None:
        return "--"
    if shown >= 1000:
        return "!!"
    return str(shown)


@dataclass(frozen=True)
class _Metrics:
    stroke_x: int
    stroke_y: int
    counter_x: int
    flag: int
    gap: int
    height: int

    def glyph_width(self, char: str) -> int:
        if char == "1":
            return self.flag + self.stroke_x
        if char == "!":
            return self.stroke_x
        return 2 * self.stroke_x + self.counter_x

    def text_width(self, text: str) -> int:
        return sum(self.glyph_width(c) for c in text) + self.gap * (len(text) - 1)


def _fit_metrics(text: str, width: int, height_px: int) -> _Metrics:
    """The boldest whole-pixel strokes with which `text` fits a box of width×height.

    Strokes come first, then the gap between glyphs (up to a stroke wide, so
    "99" does not melt into one blob), then the counters (the holes). The
    digits are as tall as three quarters of the box's shorter side.
    """
    side = min(width, height_px)
    pad = max(1, round(side / 16))
    avail = width - 2 * pad
    height = max(5, round(side * 0.75))
    stroke_y = max(1, round(height * 0.17))
    wide = sum(1 for c in text if c not in _NARROW_GLYPHS)
    gaps = len(text) - 1
    best: _Metrics | None = None
    for stroke_x in range(max(1, round(height * 0.2)), 0, -1):
        gap = max(1, round(stroke_x * 0.5))
        # A flag as wide as a stroke: a thinner one made "100" read "IOO" at 22 px.
        flag = stroke_x
        metrics = _Metrics(stroke_x, stroke_y, 0, flag, gap, height)
        free = avail - metrics.text_width(text)
        counter = free // wide if wide else stroke_x
        # A single digit should not be much wider than a digit is normally.
        counter = min(counter, max(1, round(height * 0.6) - 2 * stroke_x))
        best = _Metrics(stroke_x, stroke_y, counter, flag, gap, height)
        if counter >= max(1, math.ceil(stroke_x * 0.75)):
            if gaps:
                leftover = avail - best.text_width(text)
                gap += max(0, min(leftover // gaps, stroke_x - gap))
                best = _Metrics(stroke_x, stroke_y, counter, flag, gap, height)
            return best
    assert best is not None
    return best


Box = tuple[int, int, int, int]  # left, top, right, bottom (exclusive)


Size = tuple[int, int]  # width, height


def _glyph_cells(text: str, size: Size) -> list[list[Box]]:
    """Per glyph, the filled cells as pixel boxes, `text` centred in the box."""
    box_width, box_height = size
    m = _fit_metrics(text, box_width, box_height)
    inner = m.height - 3 * m.stroke_y
    upper = inner // 2
    rows = [m.stroke_y, upper, m.stroke_y, inner - upper, m.stroke_y]
    row_tops = [sum(rows[:i]) for i in range(5)]
    x = (box_width - m.text_width(text)) // 2
    y0 = (box_height - m.height) // 2
    glyphs: list[list[Box]] = []
    for char in text:
        if char in _NARROW_GLYPHS:
            bitmap = _NARROW_GLYPHS[char]
            cols = [m.flag, m.stroke_x] if char == "1" else [m.stroke_x]
        else:
            bitmap = _WIDE_GLYPHS[char]
            cols = [m.stroke_x, m.counter_x, m.stroke_x]
        col_lefts = [sum(cols[:i]) for i in range(len(cols))]
        cells: list[Box] = []
        for r, row in enumerate(bitmap):
            for c, cell in enumerate(row):
                if cell == "1" and cols[c] > 0 and rows[r] > 0:
                    left = x + col_lefts[c]
                    top = y0 + row_tops[r]
                    cells.append((left, top, left + cols[c], top + rows[r]))
        glyphs.append(cells)
        x += sum(cols) + m.gap
    return glyphs


def _design_grid(size: Size) -> Size:
    """The pixel grid glyphs are laid out on (see `_text_mask`)."""
    width, height = size
    if width == height and width >= 32 and width % 16 == 0:
        return (16, 16)
    return size


def _text_mask(text: str, size: Size) -> Image.Image:
    """A mask ("L") of `text` centred in the box, drawn with whole-pixel rectangles.

    Square sizes that are multiples of 16 from 32 up are drawn on the 16 px
    grid and enlarged: a host that is given the 64 px image and scales it down
    itself gets whole pixels back at 16 and 32 px.
    """
    grid = _design_grid(size)
    mask = Image.new("L", grid, 0)
    draw = ImageDraw.Draw(mask)
    for cells in _glyph_cells(text, grid):
        for left, top, right, bottom in cells:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=255)
    if grid != size:
        mask = mask.resize(size, Image.Resampling.NEAREST)
    return mask


def _draw_text(image: Image.Image, text: str, colour: RGB) -> None:
    """Paint `text` in `colour` onto the image."""
    image.paste((*colour, 255), (0, 0), _text_mask(text, image.size))


# --- colours -------------------------------------------------------------------------------


def _luminance(colour: RGB) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: RGB, b: RGB) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_for(background: RGB) -> RGB:
    """White or near-black, whichever contrasts more with the background (WCAG)."""
    return _WHITE if _contrast(_WHITE, background) >= _contrast(_DARK, background) else _DARK


def _mix(a: RGB, b: RGB, share_of_b: float) -> RGB:
    r, g, bl = (round(x + (y - x) * share_of_b) for x, y in zip(a, b, strict=True))
    return (r, g, bl)


# --- drawing -------------------------------------------------------------------------------


def _smooth_layer(size: int | Size, paint: Any) -> Image.Image:
    """An RGBA layer drawn at 4× by `paint(draw, scale)` and reduced, for smooth curves."""
    width, height = (size, size) if isinstance(size, int) else size
    big = Image.new("RGBA", (width * _SUPERSAMPLE, height * _SUPERSAMPLE), (0, 0, 0, 0))
    paint(ImageDraw.Draw(big), _SUPERSAMPLE)
    # An area average (reduce), not LANCZOS: no ringing, so flat areas keep their exact colour.
    return big.reduce(_SUPERSAMPLE)


def _radius(size: Size) -> float:
    return min(size) * 0.2


def _background(size: Size, colour: RGB) -> Image.Image:
    def paint(draw: ImageDraw.ImageDraw, s: int) -> None:
        width, height = size[0] * s, size[1] * s
        radius = round(_radius(size) * s)
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=radius, fill=(*colour, 255))

    return _smooth_layer(size, paint)


def _refresh_bar(text: str, size: Size, colour: RGB) -> Image.Image:
    """A bar in the margin under the digits, one pixel clear of them.

    It covers no part of any digit (a dot over the last digit's corner turned
    "42" into "4?" at 16 px and hid a stroke at 22 px).
    """
    grid = _design_grid(size)
    scale_y = size[1] / grid[1]
    cells = [cell for glyph in _glyph_cells(text, grid) for cell in glyph]
    digits_bottom = max(bottom for _l, _t, _r, bottom in cells) * scale_y
    inset = _radius(size)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    top = math.ceil(digits_bottom) + 1
    bottom = min(size[1], top + max(1, round(min(size) / 10)))
    if top < bottom:
        ImageDraw.Draw(layer).rectangle(
            (round(inset), top, size[0] - 1 - round(inset), bottom - 1), fill=(*colour, 255)
        )
    return layer


def _frame(size: Size, colour: RGB) -> Image.Image:
    """A ring along the icon's edge, one 16 px-grid pixel wide, outside the digits."""

    def paint(draw: ImageDraw.ImageDraw, s: int) -> None:
        width = max(1, round(min(size) / 16)) * s
        draw.rounded_rectangle(
            (0, 0, size[0] * s - 1, size[1] * s - 1),
            radius=round(_radius(size) * s),
            outline=(*colour, 255),
            width=width,
        )

    return _smooth_layer(size, paint)


def _key(size: Size, colour: RGB) -> Image.Image:
    """A key lying on its side: ring on the left, shaft and two teeth to the right."""

    def paint(draw: ImageDraw.ImageDraw, s: int) -> None:
        side = min(size)
        u = side * s / 16  # design units on a 16-unit grid, centred in the box
        dx = (size[0] - side) * s / 2
        dy = (size[1] - side) * s / 2
        stroke = 2.2 * u
        cy = 8 * u + dy
        draw.ellipse((dx + 1.5 * u, cy - 4 * u, dx + 9.5 * u, cy + 4 * u), fill=(*colour, 255))
        hole = 4 * u - stroke
        centre = dx + 5.5 * u
        draw.ellipse((centre - hole, cy - hole, centre + hole, cy + hole), fill=(0, 0, 0, 0))
        draw.rectangle(
            (dx + 9 * u, cy - stroke / 2, dx + 14.8 * u, cy + stroke / 2), fill=(*colour, 255)
        )
        draw.rectangle((dx + 12.6 * u, cy, dx + 14.8 * u, cy + 4 * u), fill=(*colour, 255))
        draw.rectangle((dx + 10 * u, cy, dx + 11.8 * u, cy + 3 * u), fill=(*colour, 255))

    return _smooth_layer(size, paint)


def _normalise(percent: float | None) -> float | None:
    if percent is None or math.isnan(percent):
        return None
    return percent


@lru_cache(maxsize=256)
def _render_cached(text: str, level: Level, look: IconLook, size: Size) -> Image.Image:
    level_colour = LEVEL_COLOURS[level]
    has_number = text != "--"
    if look == "logged_out":
        image = _background(size, _GREY)
        image.alpha_composite(_key(size, _mix(_GREY, _WHITE, 0.85)))
        return image
    if look == "no_data" or (not has_number and look in ("normal", "stale")):
        image = _background(size, _GREY)
        _draw_text(image, "--", _mix(_GREY, _WHITE, 0.8))
        return image
    if look == "error":
        image = _background(size, _ERROR_BG)
        # The frame first: its rounded inner corners would otherwise nick the digits.
        image.alpha_composite(_frame(size, _ERROR_MARK))
        _draw_text(image, text if has_number else "!", _WHITE if has_number else _ERROR_MARK)
        return image
    if look == "paused":
        image = _background(size, _PAUSED_BG)
        image.alpha_composite(_frame(size, _mix(_GREY, _WHITE, 0.45)))  # an edge on light panels
        shown = text if has_number else "--"
        ink = _mix(level_colour, _DARK, 0.35) if has_number else _GREY
        _draw_text(image, shown, ink)
        return image
    if look == "stale":
        background = _mix(_GREY, level_colour, 0.25)
        image = _background(size, background)
        _draw_text(image, text, _mix(background, _WHITE, 0.75))
        return image
    background = level_colour if has_number else _GREY
    image = _background(size, background)
    _draw_text(image, text, text_colour_for(background))
    if look == "refreshing":
        image.alpha_composite(_refresh_bar(text, size, _REFRESH_MARK))
    return image


def render_icon(
    percent: float | None,
    look: IconLook | str,
    thresholds: Thresholds | None = None,
    size: int | tuple[int, int] = 64,
    *,
    matte: RGB | None = None,
    level: Level | None = None,
) -> Image.Image:
    """The tray image (RGBA) for a percentage in a look, `size` square or (width, height).

    `level` overrides the colour band the percentage would give (the opt-in
    colour that follows the forecast, `pace_colour`).

    Cached: equal inputs (after flooring the percentage) reuse one drawing; the
    caller gets its own copy, so changing it cannot spoil the cache. Never raises
    for any float (NaN, ±inf, negative, huge); an unknown look draws "normal".

    `matte` fills the transparent corners with a colour, for hosts that cannot
    show transparency: pystray's xorg backend pastes the image onto black
    (pystray/_xorg.py `_assert_icon_data`), so the corners would turn black.
    """
    width, height = (size, size) if isinstance(size, int) else size
    box = (max(8, min(int(width), 1024)), max(8, min(int(height), 1024)))
    chosen: IconLook = look if look in ICON_LOOKS else "normal"
    value = _normalise(percent)
    band = level if level is not None else level_for(value, thresholds or Thresholds())
    image = _render_cached(icon_text(value), band, chosen, box)
    if matte is None:
        return image.copy()
    backdrop = Image.new("RGBA", image.size, (*matte, 255))
    backdrop.alpha_composite(image)
    return backdrop


def app_icon(size: int = 256) -> Image.Image:
    """The application's own icon (installers, window icons): a gauge at 70 % on a warm square."""
    brand: RGB = (217, 119, 87)
    track = _mix(brand, _WHITE, 0.35)

    def paint(draw: ImageDraw.ImageDraw, s: int) -> None:
        full = size * s
        draw.rounded_rectangle(
            (0, 0, full - 1, full - 1), radius=round(full * 0.22), fill=(*brand, 255)
        )
        margin = full * 0.16
        box = (margin, margin, full - margin, full - margin)
        width = round(full * 0.13)
        # Pillow's angles run clockwise from three o'clock: 135..405 is a gauge open at the bottom.
        draw.arc(box, start=135, end=405, fill=(*track, 255), width=width)
        end = 135 + 270 * 0.7
        draw.arc(box, start=135, end=end, fill=(*_WHITE, 255), width=width)
        centre = full / 2
        reach = (full / 2 - margin) - width * 1.4
        tip = (
            centre + reach * math.cos(math.radians(end)),
            centre + reach * math.sin(math.radians(end)),
        )
        draw.line((centre, centre, *tip), fill=(*_WHITE, 255), width=round(full * 0.06))
        dot = full * 0.085
        draw.ellipse((centre - dot, centre - dot, centre + dot, centre + dot), fill=(*_WHITE, 255))

    return _smooth_layer(size, paint)


# --- which look ----------------------------------------------------------------------------


def icon_look_for(
    snapshot: Any,
    now: datetime,
    interval_minutes: float,
    icon_limit: IconLimit | str = "highest",
) -> tuple[float | None, IconLook]:
    """The percentage and look the icon shows for a state snapshot.

    `snapshot` is a `claude_tray.state.StateSnapshot` or anything with its
    attributes (`status`, `usage`, `usage_stale`, `last_error`). Order of
    precedence: logged out (`no_session`/`session_expired`) > refreshing >
    error > no data > paused (auto-refresh off) > stale (numbers older than two
    intervals, or loaded from the cache) > normal. `blocked` and `rate_limited`
    are not shown as errors: the app waits and retries by itself, and the last
    numbers stay valid.
    """
    usage = getattr(snapshot, "usage", None)
    top = headline_limit(usage, icon_limit)
    percent: float | None = (
        top.percent if top is not None else getattr(usage, "usage_percent", None)
    )
    code = error_code_of(getattr(snapshot, "last_error", None))
    status = getattr(snapshot, "status", None)
    status_name = getattr(status, "value", status)

    if code in LOGIN_CODES:
        return percent, "logged_out"
    if status_name == "refreshing":
        return percent, "refreshing"
    if code is not None and code not in BACKOFF_CODES:
        return percent, "error"
    if usage is None or percent is None:
        return None, "no_data"
    if getattr(snapshot, "paused", False):
        return percent, "paused"
    from_cache = bool(getattr(snapshot, "usage_stale", False))
    if is_stale(usage, from_cache=from_cache, now=to_utc(now), interval_minutes=interval_minutes):
        return percent, "stale"
    return percent, "normal"
