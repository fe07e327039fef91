"""Write the app's icon files in `icons/` from the drawing code in `claude_tray.icon`.

Run from the repository root: `python packaging/make_icons.py`. The files are
committed, so a build needs no Pillow tricks; a test checks the PNG still
matches `app_icon(256)`. This script must not touch anything outside `icons/`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from claude_tray.config import Thresholds  # noqa: E402
from claude_tray.icon import app_icon, render_icon  # noqa: E402

ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def make_icons(folder: Path) -> list[Path]:
    """Write claude-tray.png (256 px), .ico (16–256 px), .icns and a tray sample; return them."""
    folder.mkdir(parents=True, exist_ok=True)
    big = app_icon(256)
    written = []
    png = folder / "claude-tray.png"
    big.save(png, optimize=True)
    written.append(png)
    ico = folder / "claude-tray.ico"
    # Each ICO size drawn at its own size, so the small ones stay sharp.
    app_icon(256).save(ico, sizes=ICO_SIZES, append_images=[app_icon(s) for s, _ in ICO_SIZES])
    written.append(ico)
    icns = folder / "claude-tray.icns"
    app_icon(512).save(icns)
    written.append(icns)
    sample = folder / "tray-sample-42.png"
    render_icon(42, "normal", Thresholds(), 64).save(sample, optimize=True)
    written.append(sample)
    return written


def main() -> int:
    for path in make_icons(ROOT / "icons"):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
