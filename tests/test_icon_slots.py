"""The icon drawn for its slot: digits' pixel columns at every size, corners, marks, looks.

The first tests read the rendered images column by column (no display); the
last ones read a real trayer on Xvfb, at two panel heights, where the icon
window's own pixels are compared with the drawing for that window's size.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from claude_tray.config import Thresholds
from claude_tray.emulator import Emulator
from claude_tray.icon import ICON_LOOKS, LEVEL_COLOURS, render_icon, text_colour_for
from tests.support.display import start_xvfb
from tests.support.gui import (
    TrayHost,
    app_env,
    find_icon,
    start_app,
    start_trayer,
    store_session,
    trayer_args,
    wait_for,
    write_config,
)

REPO = Path(__file__).resolve().parent.parent
SIZES: list[tuple[int, int]] = [(16, 16), (22, 22), (24, 24), (32, 32), (48, 48), (24, 30)]


def _ink(image: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """A "1" mask of the pixels painted exactly in `colour` (the digits)."""
    rgb = image.convert("RGB")
    target = Image.new("RGB", rgb.size, colour)
    diff = ImageChops.difference(rgb, target).convert("L")
    return diff.point(lambda value: 255 if value == 0 else 0).convert("1")


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """(start, length) of each run of True."""
    runs: list[tuple[int, int]] = []
    start = None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


def _columns(mask: Image.Image) -> list[bool]:
    return [any(mask.getpixel((x, y)) for y in range(mask.height)) for x in range(mask.width)]


def _digit_ink(percent: float) -> tuple[int, int, int]:
    from claude_tray.text_format import level_for

    return text_colour_for(LEVEL_COLOURS[level_for(percent, Thresholds())])


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_digits_have_their_own_columns_at_every_size(size: tuple[int, int]) -> None:
    """ "88", "100" and "42": one run of ink columns per digit, gaps between, whole pixels."""
    for percent, digits in ((88.0, 2), (100.0, 3), (42.0, 2)):
        image = render_icon(percent, "normal", size=size)
        assert image.size == size  # drawn for the slot, not a square stretched into it
        runs = _runs(_columns(_ink(image, _digit_ink(percent))))
        assert len(runs) == digits, (percent, size, runs)
        assert runs[0][0] > 0 and runs[-1][0] + runs[-1][1] < size[0]  # inside the edge
        if digits == 2:
            assert runs[0][1] == runs[1][1]  # both digits equally wide: nothing stretched


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_88_is_not_00_and_100_is_not_ioo(size: tuple[int, int]) -> None:
    """An 8 has three bars across its counter, a 0 two; a 1 has a flag, an I has none."""
    for percent, bars in ((88.0, 3), (100.0, 2)):
        image = render_icon(percent, "normal", size=size)
        mask = _ink(image, _digit_ink(percent))
        runs = _runs(_columns(mask))
        glyph = runs[-1]  # the last digit: 8, or the last 0 of 100
        middle = glyph[0] + glyph[1] // 2
        rows = _runs([bool(mask.getpixel((middle, y))) for y in range(size[1])])
        assert len(rows) == bars, (percent, size, rows)
    mask = _ink(render_icon(100.0, "normal", size=size), _digit_ink(100.0))
    one = _runs(_columns(mask))[0]
    flag_x, stem_x = one[0], one[0] + one[1] - 1
    flag_rows = [y for y in range(size[1]) if mask.getpixel((flag_x, y))]
    stem_rows = [y for y in range(size[1]) if mask.getpixel((stem_x, y))]
    assert flag_rows and len(flag_rows) < len(stem_rows) / 2, (size, flag_rows, stem_rows)
    assert min(flag_rows) == min(stem_rows)  # the flag hangs from the top: a 1, not an I


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_corners_transparent_or_matted_and_the_refresh_mark_clear_of_digits(
    size: tuple[int, int],
) -> None:
    """Corners are see-through (or the matte); the refreshing bar touches no digit pixel."""
    w, h = size
    for look in ICON_LOOKS:
        image = render_icon(42.0, look, size=size)
        for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
            assert image.getpixel(corner)[3] == 0, (look, size, corner)
        matted = render_icon(42.0, look, size=size, matte=(10, 20, 30))
        assert matted.getpixel((0, 0)) == (10, 20, 30, 255)
    ink = _digit_ink(42.0)
    normal = _ink(render_icon(42.0, "normal", size=size), ink)
    refreshing = _ink(render_icon(42.0, "refreshing", size=size), ink)
    assert normal.tobytes() == refreshing.tobytes()  # every digit pixel still there, no more
    assert (
        render_icon(42.0, "refreshing", size=size).tobytes()
        != render_icon(42.0, "normal", size=size).tobytes()
    )


def test_paused_has_its_own_look() -> None:
    """Paused differs from every other look at every size."""
    for size in SIZES:
        paused = render_icon(42.0, "paused", size=size).tobytes()
        others = [render_icon(42.0, look, size=size).tobytes() for look in ICON_LOOKS]
        assert others.count(paused) == 1, size


def test_contact_sheet_in_icons_is_up_to_date(tmp_path: Path) -> None:
    """icons/contact-sheet.png is what packaging/contact_sheet.py draws today."""
    sys.path.insert(0, str(REPO / "packaging"))
    try:
        from contact_sheet import contact_sheet
    finally:
        sys.path.remove(str(REPO / "packaging"))
    drawn = contact_sheet()
    with Image.open(REPO / "icons" / "contact-sheet.png") as stored:
        assert stored.convert("RGB").tobytes() == drawn.tobytes(), (
            "run: python packaging/contact_sheet.py"
        )


# --- on a real tray ---------------------------------------------------------------------------


@pytest.fixture(params=[24, 48], ids=["panel-24", "panel-48"])
def panel(request: pytest.FixtureRequest) -> Iterator[TrayHost]:
    """trayer at another height than the other GUI tests' 32 px: another slot size.

    Test equipment: when trayer cannot open a fresh Xvfb (seen twice on the shared
    machine, the server gone under it), one more Xvfb is started.
    """
    for attempt in range(2):
        display = start_xvfb()
        try:
            trayer = start_trayer(display, args=trayer_args("top", height=request.param))
        except AssertionError:
            display.stop()
            if attempt:
                raise
            continue
        host = TrayHost(display, trayer)
        try:
            yield host
        finally:
            host.stop()
            display.stop()
        return


@pytest.mark.display
def test_icon_on_a_real_panel_is_drawn_for_its_slot(panel: TrayHost, tmp_path: Path) -> None:
    """On trayer the icon window shows the drawing for its own size, the panel in its corners."""
    with Emulator() as emulator:
        emulator.set_usage(session=88.0, weekly=10.0)
        home = tmp_path / "home"
        env = app_env(panel, home, emulator.base_url)
        store_session(env, emulator.session_key)
        write_config(home, interval_minutes=60)
        app = start_app(panel, env, tmp_path / "app.log")
        try:
            icon = find_icon(panel, 60)

            def drawn() -> Image.Image | None:
                shot = icon.screenshot().convert("RGB")
                expected = render_icon(88.0, "normal", size=shot.size)
                ink = _digit_ink(88.0)
                if _ink(shot, ink).tobytes() == _ink(expected, ink).tobytes():
                    return shot
                return None

            shot = wait_for(drawn, 60, "the icon drawn for its slot")
            w, h = shot.size
            panel_colour = shot.getpixel((0, 0))
            assert panel_colour != (0, 0, 0), "black corners"
            for corner in ((w - 1, 0), (0, h - 1), (w - 1, h - 1)):
                assert shot.getpixel(corner) == panel_colour
            background = LEVEL_COLOURS["warning"]
            assert shot.getpixel((w // 2, 1)) == background or shot.getpixel((w // 2, 2)) == (
                background
            )
            big = shot.resize((w * 8, h * 8), Image.Resampling.NEAREST)
            big.save(tmp_path / f"icon-{w}x{h}.png")
        finally:
            app.stop()
            assert app.process.returncode == 0, app.output()[-2000:]
