"""Draw a `trend.Trend` as a small antialiased sparkline image with Pillow.

Each window is its own line (the line breaks at a reset instead of falling);
a lone reading is a dot; a faint line marks 100 %. Drawn at 4x and scaled
down, so it looks smooth at any size.

This module must not import Tk or read files: the popup turns the image into
a Tk photo itself.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from claude_tray.trend import Trend

SUPERSAMPLE = 4


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def draw_sparkline(
    trend: Trend,
    size: tuple[int, int],
    *,
    colour: str,
    guide: str,
    background: str,
    line_width: float = 1.5,
) -> Image.Image:
    """An RGB image of `size` with the trend's segments over its whole time span."""
    width, height = size
    big_w, big_h = width * SUPERSAMPLE, height * SUPERSAMPLE
    image = Image.new("RGB", (big_w, big_h), _rgb(background))
    draw = ImageDraw.Draw(image)
    pad = line_width * SUPERSAMPLE
    top = max([100.0] + [p for segment in trend.segments for _t, p in segment])
    span = max(trend.end - trend.start, 1.0)

    def xy(t: float, p: float) -> tuple[float, float]:
        x = pad + (t - trend.start) / span * (big_w - 2 * pad)
        y = big_h - pad - min(max(p, 0.0), top) / top * (big_h - 2 * pad)
        return x, y

    guide_y = xy(trend.start, 100.0)[1]
    draw.line([(0, guide_y), (big_w, guide_y)], fill=_rgb(guide), width=SUPERSAMPLE)
    stroke = max(1, round(line_width * SUPERSAMPLE))
    for segment in trend.segments:
        points = [xy(t, p) for t, p in segment]
        if len(points) == 1:
            x, y = points[0]
            r = stroke
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_rgb(colour))
        else:
            draw.line(points, fill=_rgb(colour), width=stroke, joint="curve")
    return image.resize((width, height), Image.Resampling.LANCZOS)
