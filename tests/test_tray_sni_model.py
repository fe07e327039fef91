"""The StatusNotifierItem parts that need no bus: the dbusmenu model, pixmaps, tooltip, advice."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from claude_tray.config import Thresholds
from claude_tray.icon import render_icon
from claude_tray.tray.advice import install_hint, no_tray_message
from claude_tray.tray.dbusmenu import MenuModel
from claude_tray.tray.pixmaps import PIXMAP_SIZES, argb32, pixmaps, split_tooltip


@pytest.fixture
def pystray_dummy(monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    import pystray

    return pystray


class Flags:
    paused = False
    logged_in = True


def menu_of(pystray: object, flags: Flags) -> tuple[object, object]:
    item = pystray.MenuItem  # type: ignore[attr-defined]
    menu = pystray.Menu(  # type: ignore[attr-defined]
        item("Show details", lambda: None, default=True),
        pystray.Menu.SEPARATOR,  # type: ignore[attr-defined]
        item("Log in_now", lambda: None, visible=lambda _: not flags.logged_in),
        item(lambda _: "Resume" if flags.paused else "Pause", lambda: None),
        pystray.Menu.SEPARATOR,  # type: ignore[attr-defined]
        item("Quit", lambda: None),
    )
    return menu, pystray.Menu.SEPARATOR  # type: ignore[attr-defined]


def test_layout_has_stable_ids_and_hidden_items_stay(pystray_dummy: object) -> None:
    """Every item has its position as id; a hidden item is sent with visible=false."""
    flags = Flags()
    model = MenuModel(*menu_of(pystray_dummy, flags))
    revision, (root, _props, children) = model.layout(0, -1, [])
    assert root == 0
    ids = [child[1][0] for child in children]
    assert ids == [1, 2, 3, 4, 5, 6]
    props = {child[1][0]: child[1][1] for child in children}
    assert props[2]["type"] == ("s", "separator")
    assert props[3]["visible"] == ("b", False)
    assert props[3]["label"] == ("s", "Log in__now")  # a literal underscore, not a mnemonic
    assert props[4]["label"] == ("s", "Pause")
    assert revision == model.layout(0, -1, [])[0]


def test_relabel_changes_one_item_in_place(pystray_dummy: object) -> None:
    """Pause -> Resume is one property change of the same id; nothing when nothing changed."""
    flags = Flags()
    model = MenuModel(*menu_of(pystray_dummy, flags))
    model.layout(0, -1, [])
    assert model.changes() == ([], [])
    flags.paused = True
    assert model.changes() == ([(4, {"label": ("s", "Resume")})], [])
    assert model.changes() == ([], [])
    flags.logged_in = False
    assert model.changes() == ([(3, {"visible": ("b", True)})], [])


def test_group_properties_filter_names(pystray_dummy: object) -> None:
    """GetGroupProperties answers the ids asked, with only the property names asked."""
    model = MenuModel(*menu_of(pystray_dummy, Flags()))
    assert model.group_properties([4, 99], ["label"]) == [(4, {"label": ("s", "Pause")})]


def test_pixmaps_are_drawn_at_each_size_not_scaled() -> None:
    """IconPixmap holds one drawing per size, each byte-identical to render_icon at that size."""
    draw = lambda size: render_icon(42.0, "normal", Thresholds(), size=size)  # noqa: E731
    maps = pixmaps(draw, draw(64))
    assert [(w, h) for w, h, _ in maps] == [(s, s) for s in PIXMAP_SIZES]
    for width, _height, data in maps:
        assert data == argb32(draw(width))
        scaled = draw(64).resize((width, width), Image.Resampling.LANCZOS)
        assert width == 64 or data != argb32(scaled)


def test_argb32_is_network_byte_order() -> None:
    """One pixel (R=1, G=2, B=3, A=4) becomes the bytes A R G B."""
    assert argb32(Image.new("RGBA", (1, 1), (1, 2, 3, 4))) == bytes([4, 1, 2, 3])


def test_tooltip_title_and_short_body() -> None:
    """The first line is the tooltip's title; the body keeps at most four short lines."""
    assert split_tooltip("Claude: 42%\n\nweek 18%\na\nb\nc\nd") == (
        "Claude: 42%",
        "week 18%\na\nb\nc",
    )
    assert split_tooltip("Claude: 42%") == ("Claude: 42%", "")
    assert split_tooltip("Claude: session 42% (resets 14:00) · week 18% · Fable 3%") == (
        "Claude: session 42% (resets 14:00)",
        "week 18%\nFable 3%",
    )


@pytest.mark.parametrize(
    ("desktop", "expected"),
    [
        ("ubuntu:GNOME", "AppIndicator extension"),
        ("GNOME", "gnome-shell-extension-appindicator"),
        ("KDE", "System Tray widget"),
        ("XFCE", "Status Tray plugin"),
        ("sway", "waybar"),
    ],
)
def test_install_hint_names_what_this_desktop_needs(desktop: str, expected: str) -> None:
    """The no-tray explanation says what to install or add for the desktop in use."""
    assert expected in install_hint({"XDG_CURRENT_DESKTOP": desktop})
    message = no_tray_message({"XDG_CURRENT_DESKTOP": desktop})
    assert "keeps running and updating" in message


def test_install_hint_without_a_desktop_names_both_kinds() -> None:
    """An unknown desktop hears of both kinds of tray."""
    hint = install_hint(
        {k: v for k, v in os.environ.items() if k != "XDG_CURRENT_DESKTOP"}
        | {"WAYLAND_DISPLAY": ""}
    )
    assert "StatusNotifierItem" in hint and "XEmbed" in hint
