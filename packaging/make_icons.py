"""Write the app's icon files in `icons/` from the drawing code in `claude_tray.icon`.

Run from the repository root: `python packaging/make_icons.py [FOLDER]`
(default `icons/`). The files are committed, so a build needs no Pillow
tricks; tests check that two runs give the same bytes and that the committed
files are what the script writes. Every size is drawn at its own size (small
ones stay sharp), and nothing time- or machine-dependent goes into a file.
This script must not touch anything outside its folder.
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
#: The PNG sizes desktops ask an icon theme for (hicolor), and 512 for app stores.
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def make_icons(folder: Path) -> list[Path]:
    """Write claude-tray.png (256 px), claude-tray-N.png, .ico, .icns and a tray sample."""
    folder.mkdir(parents=True, exist_ok=True)
    big = app_icon(256)
    written = []
    png = folder / "claude-tray.png"
    big.save(png, optimize=True)
    written.append(png)
    for size in PNG_SIZES:
        sized = folder / f"claude-tray-{size}.png"
        app_icon(size).save(sized, optimize=True)
        written.append(sized)
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]).resolve() if args else ROOT / "icons"
    for path in make_icons(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
