"""The icon and tooltip as StatusNotifierItem carries them: ARGB32 pixmaps, title and body.

Pure functions on Pillow images and strings. This module must NOT import
pystray or a D-Bus library (tests and `tray.sni` both use it).
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

#: Sizes drawn for IconPixmap: hosts pick the nearest to their panel (16 to 64 px).
PIXMAP_SIZES = (16, 22, 24, 32, 48, 64)

Pixmap = tuple[int, int, bytes]


def argb32(image: Image.Image) -> bytes:
    """The image as ARGB32 in network byte order (A, R, G, B bytes per pixel), as SNI wants."""
    red, green, blue, alpha = image.convert("RGBA").split()
    return Image.merge("RGBA", (alpha, red, green, blue)).tobytes()


def pixmaps(draw: Callable[[int], Image.Image] | None, image: Image.Image) -> list[Pixmap]:
    """IconPixmap's value: `draw` at each size, or `image` alone when there is no renderer."""
    if draw is None:
        rgba = image.convert("RGBA")
        return [(rgba.width, rgba.height, argb32(rgba))]
    out = []
    for size in PIXMAP_SIZES:
        drawn = draw(size)
        out.append((drawn.width, drawn.height, argb32(drawn)))
    return out


#: How the app's one-line tooltip separates its parts ("session 42% · week 18% · …").
PART_SEPARATOR = " · "


def split_tooltip(text: str) -> tuple[str, str]:
    """The tooltip's title and a short body (at most four lines).

    A multi-line text: the first line, then the rest. The app's one-line
    tooltip ("Claude: session 42% (resets 14:00) · week 18% · Fable 3%"): its
    first part as the title, one further part per body line, which SNI hosts
    show as a heading and a few lines instead of one long line.
    """
    text = text.strip()
    if "\n" not in text and PART_SEPARATOR in text:
        first, *parts = (part.strip() for part in text.split(PART_SEPARATOR))
        return first, "\n".join([part for part in parts if part][:4])
    first, _, rest = text.partition("\n")
    lines = [line.strip() for line in rest.splitlines() if line.strip()]
    return first.strip(), "\n".join(lines[:4])
