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


def split_tooltip(text: str) -> tuple[str, str]:
    """The tooltip's title (first line) and body (the rest, a few short lines)."""
    first, _, rest = text.strip().partition("\n")
    lines = [line.strip() for line in rest.splitlines() if line.strip()]
    return first.strip(), "\n".join(lines[:4])
