"""The popup placement rule: inside the work area, against the icon's panel edge."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claude_tray.popup.placement import Desktop, Extents, Rect, cut_band, panel_edge, place

SCREEN = Rect(0, 0, 1280, 800)
FRAME = (340, 420)


def desktop_with_panel(edge: str, size: int = 32) -> Desktop:
    work = {
        "bottom": Rect(0, 0, 1280, 800 - size),
        "top": Rect(0, size, 1280, 800),
        "left": Rect(size, 0, 1280, 800),
        "right": Rect(0, 0, 1280 - size, 800),
    }[edge]
    return Desktop(SCREEN, work)


# An icon in each panel: near the panel's far end, where trays sit.
ICONS = {
    "bottom": Rect.of(1240, 772, 24, 24),
    "top": Rect.of(1240, 4, 24, 24),
    "left": Rect.of(4, 760, 24, 24),
    "right": Rect.of(1252, 760, 24, 24),
}


@pytest.mark.parametrize("edge", ["bottom", "top", "left", "right"])
def test_popup_lies_in_the_work_area_against_the_icons_panel(edge: str) -> None:
    """The whole outer frame is inside the work area, touching the side facing the panel
    (within the gap), and never over the icon."""
    desktop = desktop_with_panel(edge)
    found, x, y = place(FRAME, ICONS[edge], desktop)
    frame = Rect.of(x, y, *FRAME)
    assert found == edge
    assert frame.inside(desktop.work_area)
    assert not frame.intersects(ICONS[edge])
    work = desktop.work_area
    distance = {
        "bottom": work.bottom - frame.bottom,
        "top": frame.top - work.top,
        "left": frame.left - work.left,
        "right": work.right - frame.right,
    }[edge]
    assert 0 <= distance <= 8


def test_popup_is_centred_on_the_icon_where_there_is_room() -> None:
    desktop = desktop_with_panel("bottom")
    icon = Rect.of(600, 772, 24, 24)
    _, x, _ = place(FRAME, icon, desktop)
    assert x + FRAME[0] // 2 == icon.centre[0]


def test_the_frame_size_counts_not_the_client_size() -> None:
    """A title bar of 30 px and borders of 4 px move the frame up by that much: the
    bottom of the decorated window, not of its client area, meets the work area's edge."""
    desktop = desktop_with_panel("bottom", 40)
    client = (332, 386)
    outer = Extents(4, 30, 4, 4).outer(*client)
    assert outer == (340, 420)
    _, _, y_outer = place(outer, ICONS["bottom"], desktop)
    _, _, y_client = place(client, ICONS["bottom"], desktop)
    assert y_outer + outer[1] <= desktop.work_area.bottom
    assert y_client - y_outer == 34


def test_without_an_anchor_the_popup_goes_to_the_tray_corner_inside_the_work_area() -> None:
    """After a second-instance hand-over no click says where the icon is."""
    bottom = desktop_with_panel("bottom")
    edge, x, y = place(FRAME, None, bottom, fallback_edge="bottom")
    frame = Rect.of(x, y, *FRAME)
    assert edge == "bottom" and frame.inside(bottom.work_area)
    assert frame.right > 1200 and frame.bottom > 700
    top = desktop_with_panel("top")
    edge, x, y = place(FRAME, None, top, fallback_edge="top")
    frame = Rect.of(x, y, *FRAME)
    assert edge == "top" and frame.inside(top.work_area) and frame.top < 60


def test_an_icon_inside_the_work_area_goes_by_the_nearest_monitor_edge() -> None:
    """No panel reserves space (a floating tray): the nearest screen edge decides."""
    desktop = Desktop(SCREEN, SCREEN)
    assert panel_edge(Rect.point(1270, 790), desktop) == "bottom"
    assert panel_edge(Rect.point(1270, 5), desktop) == "top"
    assert panel_edge(Rect.point(3, 400), desktop) == "left"
    assert panel_edge(Rect.point(1277, 400), desktop) == "right"


def test_the_icons_monitor_is_used_not_the_first() -> None:
    """On a second monitor to the right, the popup stays on that monitor."""
    second = Desktop(Rect(1280, 0, 2560, 1024), Rect(1280, 0, 2560, 984))
    icon = Rect.of(2500, 990, 24, 24)
    _, x, y = place(FRAME, icon, second)
    assert Rect.of(x, y, *FRAME).inside(second.work_area)


@pytest.mark.parametrize(
    ("click", "edge"), [((1260, 12), "top"), ((1260, 788), "bottom"), ((10, 400), "left"),
                        ((1270, 400), "right")],
)  # fmt: skip
def test_a_panel_without_a_strut_still_keeps_the_popup_off_its_icon(
    click: tuple[int, int], edge: str
) -> None:
    """trayer without a window manager reserves nothing: the icon is inside the work area,
    and the popup opens beside it, not over it."""
    desktop = Desktop(SCREEN, SCREEN)
    icon = Rect.around(*click)
    found, x, y = place(FRAME, icon, desktop)
    frame = Rect.of(x, y, *FRAME)
    assert found == edge
    assert frame.inside(SCREEN)
    assert not frame.intersects(icon)


def test_cut_band_removes_a_taskbar_from_any_edge() -> None:
    work = Rect(0, 0, 1024, 768)
    assert cut_band(work, Rect(0, 748, 1024, 768)) == Rect(0, 0, 1024, 748)
    assert cut_band(work, Rect(0, 0, 1024, 30)) == Rect(0, 30, 1024, 768)
    assert cut_band(work, Rect(0, 0, 40, 768)) == Rect(40, 0, 1024, 768)
    assert cut_band(work, Rect(990, 0, 1024, 768)) == Rect(0, 0, 990, 768)
    assert cut_band(work, Rect(2000, 0, 2100, 768)) == work  # another monitor's bar


@given(
    edge=st.sampled_from(["bottom", "top", "left", "right"]),
    panel=st.integers(16, 64),
    width=st.integers(100, 900),
    height=st.integers(100, 700),
    along=st.integers(0, 1279),
)
def test_any_popup_that_fits_lies_inside_the_work_area(
    edge: str, panel: int, width: int, height: int, along: int
) -> None:
    desktop = desktop_with_panel(edge, panel)
    inset, size = panel // 4, panel // 2  # an icon within its panel
    if edge in ("bottom", "top"):
        y = 800 - panel + inset if edge == "bottom" else inset
        icon = Rect.of(min(along, 1280 - size), y, size, size)
    else:
        x = inset if edge == "left" else 1280 - panel + inset
        icon = Rect.of(x, min(along, 800 - size), size, size)
    found, x, y = place((width, height), icon, desktop)
    frame = Rect.of(x, y, width, height)
    assert found == edge
    assert frame.inside(desktop.work_area)
    assert not frame.intersects(icon)
