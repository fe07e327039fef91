"""The tray icon: colours per threshold, every look, legibility at small sizes, which look when."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from claude_tray.config import Thresholds
from claude_tray.documents import ErrorDocument, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.events import RefreshFailed, Status
from claude_tray.icon import (
    ICON_LOOKS,
    LEVEL_COLOURS,
    Level,
    app_icon,
    icon_look_for,
    icon_text,
    level_for,
    render_icon,
    text_colour_for,
)
from claude_tray.state import StateSnapshot
from tests.support.icon import (
    NOW,
    Snapshot,
    colours,
    contact_sheet,
    dominant_colour,
    limit,
    pixels,
    usage_doc,
)

DEFAULT = Thresholds()
CUSTOM = Thresholds(moderate=10, warning=20, critical=30)


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _ink_mask(image: Image.Image) -> int:
    """The pixels that are not the background colour, as one big bit mask."""
    rgba = image.convert("RGBA")
    background = dominant_colour(rgba)
    bits = 0
    for index, pixel in enumerate(pixels(rgba)):
        if pixel[3] < 128:
            continue
        if sum(abs(a - b) for a, b in zip(pixel[:3], background, strict=True)) > 120:
            bits |= 1 << index
    return bits


def _tray_scaled(percent: float | None, look: str, size: int) -> Image.Image:
    """The 64 px icon scaled down the way pystray's xorg backend does (LANCZOS)."""
    return render_icon(percent, look, DEFAULT, 64).resize((size, size), Image.Resampling.LANCZOS)


# --- levels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thresholds", "percent", "expected"),
    [
        (DEFAULT, 0, "calm"),
        (DEFAULT, 49.99, "calm"),
        (DEFAULT, 50, "moderate"),
        (DEFAULT, 74.99, "moderate"),
        (DEFAULT, 75, "warning"),
        (DEFAULT, 89.99, "warning"),
        (DEFAULT, 90, "critical"),
        (DEFAULT, 140, "critical"),
        (CUSTOM, 9.9, "calm"),
        (CUSTOM, 10, "moderate"),
        (CUSTOM, 19.9, "moderate"),
        (CUSTOM, 20, "warning"),
        (CUSTOM, 29.9, "warning"),
        (CUSTOM, 30, "critical"),
        (Thresholds(moderate=80, warning=80, critical=80), 79.9, "calm"),
        (Thresholds(moderate=80, warning=80, critical=80), 80, "critical"),
        (DEFAULT, None, "calm"),
        (DEFAULT, math.nan, "calm"),
    ],
)
def test_level_for_threshold_edges(thresholds: Thresholds, percent: float, expected: str) -> None:
    """A level starts exactly at its threshold and ends just below the next one."""
    assert level_for(percent, thresholds) == expected


@pytest.mark.parametrize(
    ("thresholds", "percent", "level"),
    [
        (DEFAULT, 49.9, "calm"),
        (DEFAULT, 50, "moderate"),
        (DEFAULT, 74.9, "moderate"),
        (DEFAULT, 75, "warning"),
        (DEFAULT, 89.9, "warning"),
        (DEFAULT, 90, "critical"),
        (CUSTOM, 9.9, "calm"),
        (CUSTOM, 10, "moderate"),
        (CUSTOM, 20, "warning"),
        (CUSTOM, 30, "critical"),
    ],
)
def test_background_colour_follows_the_level(
    thresholds: Thresholds, percent: float, level: Level
) -> None:
    """The icon's dominant colour is the level's colour, just below and at every threshold."""
    image = render_icon(percent, "normal", thresholds, 64)
    assert dominant_colour(image) == LEVEL_COLOURS[level]


@pytest.mark.parametrize("level", list(LEVEL_COLOURS))
def test_digits_contrast_with_every_level_colour(level: Level) -> None:
    """The digit colour chosen for each background has a WCAG contrast of at least 4.5."""
    background = LEVEL_COLOURS[level]
    assert _contrast(text_colour_for(background), background) >= 4.5


@pytest.mark.parametrize("percent", [0, 7, 42, 99.5, 100, 140])
def test_digits_are_drawn_in_the_contrast_colour(percent: float) -> None:
    """The number's pixels are the contrast colour and cover a real share of the square."""
    image = render_icon(percent, "normal", DEFAULT, 64)
    background = dominant_colour(image)
    ink = text_colour_for(background)
    all_pixels = pixels(image)
    share = sum(1 for p in all_pixels if p[:3] == ink) / len(all_pixels)
    assert 0.08 < share < 0.6


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "text"),
    [
        (0, "0"),
        (0.4, "0"),
        (42.0, "42"),
        (99.5, "99"),
        (99.999, "99"),
        (100, "100"),
        (140, "140"),
        (999.9, "999"),
        (1000, "!!"),
        (math.inf, "!!"),
        (-5, "0"),
        (-math.inf, "0"),
        (None, "--"),
        (math.nan, "--"),
    ],
)
def test_icon_text_floors_and_caps(percent: float | None, text: str) -> None:
    """The icon floors (99.5 is 99), shows up to three digits and '!!' from 1000 on."""
    assert icon_text(percent) == text


def test_995_renders_like_99_and_not_like_100() -> None:
    """A limit at 99.5 % is drawn exactly like 99 %, never like 100 %."""
    assert render_icon(99.5, "normal", DEFAULT).tobytes() == render_icon(99, "normal").tobytes()
    assert render_icon(99.5, "normal", DEFAULT).tobytes() != render_icon(100, "normal").tobytes()


@pytest.mark.parametrize("size", [16, 22, 24, 32])
def test_every_number_up_to_200_is_distinct_at_small_sizes(size: int) -> None:
    """Scaled down to tray sizes, any two numbers 0–200 differ in at least two digit pixels."""
    masks = {n: _ink_mask(_tray_scaled(n, "normal", size)) for n in range(0, 201)}
    # Colour changes with the level, so compare the digit shapes, not the colours.
    worst = min(
        bin(masks[a] ^ masks[b]).count("1") for a in range(0, 201) for b in range(a + 1, 201)
    )
    assert worst >= 2


@pytest.mark.parametrize("size", [16, 22, 24, 32, 64])
@pytest.mark.parametrize("percent", [0, 42, 100, 140])
def test_number_stays_inside_the_square(size: int, percent: float) -> None:
    """The digits leave the outermost pixel ring free, so the rounded corners never clip them."""
    image = render_icon(percent, "normal", DEFAULT, size)
    background = dominant_colour(image)
    width = image.width
    every = pixels(image)
    edge = [every[y * width + x] for x in range(width) for y in (0, width - 1)]
    edge += [every[y * width + x] for y in range(width) for x in (0, width - 1)]
    assert all(p[3] < 255 or p[:3] == background for p in edge)


# --- looks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [16, 22, 24, 32, 64])
@pytest.mark.parametrize("percent", [None, 42, 100])
def test_every_look_differs_from_every_other(size: int, percent: float | None) -> None:
    """For one number, the looks that can show it all differ, also after scaling to 16 px."""
    images = {look: _tray_scaled(percent, look, size).tobytes() for look in ICON_LOOKS}
    if percent is None:
        images.pop("normal")  # with no number "normal" is the no-data look
        images.pop("stale")
    assert len(set(images.values())) == len(images)


def test_no_data_is_grey_with_dashes() -> None:
    """No data: a grey square without any level colour, with light marks on it."""
    image = render_icon(None, "no_data", DEFAULT)
    assert dominant_colour(image) == (117, 117, 117)
    assert not colours(image) & set(LEVEL_COLOURS.values())
    assert len(colours(image)) > 1


def test_refreshing_keeps_the_number_and_adds_a_mark() -> None:
    """Refreshing keeps almost every digit pixel of the normal look and adds blue pixels."""
    normal = render_icon(42, "normal", DEFAULT)
    refreshing = render_icon(42, "refreshing", DEFAULT)
    normal_ink = _ink_mask(normal)
    kept = normal_ink & _ink_mask(refreshing)
    assert bin(kept).count("1") >= 0.9 * bin(normal_ink).count("1")
    assert any(b > 200 and r < 80 for r, g, b, a in pixels(refreshing) if a == 255)
    assert dominant_colour(refreshing) == LEVEL_COLOURS["calm"]


def test_stale_is_a_faded_version_with_the_same_digits() -> None:
    """Stale shows the same digit shape on a greyer background than the normal look."""
    normal = render_icon(95, "normal", DEFAULT)
    stale = render_icon(95, "stale", DEFAULT)
    assert _ink_mask(stale) == _ink_mask(normal)

    def saturation(rgb: tuple[int, ...]) -> int:
        return max(rgb[:3]) - min(rgb[:3])

    assert saturation(dominant_colour(stale)) < saturation(dominant_colour(normal)) / 2


def test_logged_out_shows_no_number() -> None:
    """Logged out draws the same key whatever the last number was."""
    assert render_icon(42, "logged_out").tobytes() == render_icon(None, "logged_out").tobytes()
    assert render_icon(42, "logged_out").tobytes() != render_icon(None, "no_data").tobytes()


@pytest.mark.parametrize("percent", [7, 42, 100, 140])
def test_error_keeps_the_number_visible_with_a_red_mark(percent: float) -> None:
    """The error look still contains every pixel of the number, in white, plus red pixels."""
    normal = render_icon(percent, "normal", DEFAULT)
    error = render_icon(percent, "error", DEFAULT)
    ink = text_colour_for(dominant_colour(normal))
    normal_ink = {i for i, p in enumerate(pixels(normal)) if p[:3] == ink}
    assert len(normal_ink) > 100
    error_pixels = pixels(error)
    assert all(error_pixels[i][:3] == (255, 255, 255) for i in normal_ink)
    assert any(r > 200 and g < 100 and b < 100 for r, g, b, a in error_pixels if a == 255)


def test_error_without_a_number_is_a_red_mark() -> None:
    """An error before any numbers shows red marks and no level colour."""
    image = render_icon(None, "error", DEFAULT)
    assert any(r > 200 and g < 100 for r, g, b, a in pixels(image) if a == 255)
    assert not colours(image) & set(LEVEL_COLOURS.values())


def test_two_percentages_render_different_images() -> None:
    """Different numbers (in one colour band) give different images."""
    assert render_icon(41, "normal").tobytes() != render_icon(42, "normal").tobytes()


def test_unknown_look_is_drawn_as_normal() -> None:
    """A look name the icon does not know falls back to the normal look."""
    assert render_icon(42, "sparkly").tobytes() == render_icon(42, "normal").tobytes()


def test_rendering_is_cached_and_callers_get_their_own_copy() -> None:
    """Scribbling on a returned image does not change the next image returned."""
    first = render_icon(42, "normal", DEFAULT)
    first.paste((1, 2, 3, 255), (0, 0, 64, 64))
    second = render_icon(42.7, "normal", DEFAULT)
    assert second.getpixel((32, 32)) != (1, 2, 3, 255)
    assert second.tobytes() == render_icon(42, "normal", DEFAULT).tobytes()


def test_matte_fills_the_corners() -> None:
    """With a matte colour the corners are opaque in that colour and the rest is unchanged."""
    plain = render_icon(42, "normal", DEFAULT)
    matted = render_icon(42, "normal", DEFAULT, matte=(10, 20, 30))
    assert plain.getpixel((0, 0)) == (0, 0, 0, 0)
    assert matted.getpixel((0, 0)) == (10, 20, 30, 255)
    assert all(p[3] == 255 for p in pixels(matted))
    assert matted.getpixel((32, 32)) == plain.getpixel((32, 32))


@pytest.mark.parametrize("size", [16, 22, 24, 32, 48, 64, 128])
def test_icon_has_the_requested_size(size: int) -> None:
    """The image is an RGBA square of the requested size."""
    image = render_icon(42, "normal", DEFAULT, size)
    assert image.mode == "RGBA"
    assert image.size == (size, size)


@settings(max_examples=150, deadline=None)
@given(
    percent=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    look=st.sampled_from([*ICON_LOOKS, "bogus"]),
    size=st.integers(min_value=-5, max_value=100),
)
def test_render_icon_never_raises(percent: float | None, look: str, size: int) -> None:
    """Any float (NaN, ±inf, negative, huge), any look name and size gives an image."""
    image = render_icon(percent, look, DEFAULT, size)
    assert image.width == image.height >= 8


def test_contact_sheet_of_every_look(tmp_path: Path) -> None:
    """The contact sheet of all looks at 16–64 px is written (an artifact to look at)."""
    sheet = contact_sheet(tmp_path / "icon_sheet.png")
    with Image.open(sheet) as image:
        assert image.width > 600 and image.height > 1000


def test_app_icon_is_the_committed_png() -> None:
    """icons/claude-tray.png is what `app_icon(256)` draws (packaging/make_icons.py writes it)."""
    committed = Path(__file__).resolve().parent.parent / "icons" / "claude-tray.png"
    with Image.open(committed) as image:
        assert image.convert("RGBA").tobytes() == app_icon(256).tobytes()


# --- which look ----------------------------------------------------------------------------


def _doc(session: float = 42.0, weekly: float = 18.0, updated_ago: float = 1.0) -> UsageDocument:
    return usage_doc(
        limit("session", session),
        limit("weekly_all", weekly),
        updated=NOW - timedelta(minutes=updated_ago),
    )


def test_look_normal_with_fresh_numbers() -> None:
    """Fresh numbers and no error: the normal look with the highest limit."""
    assert icon_look_for(Snapshot(usage=_doc()), NOW, 5) == (42.0, "normal")


@pytest.mark.parametrize(
    ("icon_limit", "expected"), [("highest", 60.0), ("session", 42.0), ("weekly", 60.0)]
)
def test_look_uses_the_chosen_limit(icon_limit: str, expected: float) -> None:
    """The icon shows the highest, the session or the weekly limit as configured."""
    snapshot = Snapshot(usage=_doc(session=42, weekly=60))
    assert icon_look_for(snapshot, NOW, 5, icon_limit)[0] == expected


def test_missing_chosen_limit_falls_back_to_the_highest() -> None:
    """Without a session window, the 'session' setting shows the highest limit instead."""
    doc = usage_doc(limit("weekly_all", 30), limit("weekly_fable", 55))
    assert icon_look_for(Snapshot(usage=doc), NOW, 5, "session") == (55.0, "normal")


def test_look_no_data_before_any_numbers() -> None:
    """No numbers and no error: no data."""
    assert icon_look_for(Snapshot(), NOW, 5) == (None, "no_data")


def test_look_no_data_for_an_account_without_limits() -> None:
    """A document without any limit (credits only) has no number to show."""
    assert icon_look_for(Snapshot(usage=usage_doc()), NOW, 5) == (None, "no_data")


def test_look_stale_after_two_intervals() -> None:
    """Numbers older than two intervals are stale; at exactly two intervals they are not."""
    assert icon_look_for(Snapshot(usage=_doc(updated_ago=10)), NOW, 5) == (42.0, "normal")
    assert icon_look_for(Snapshot(usage=_doc(updated_ago=10.1)), NOW, 5) == (42.0, "stale")
    assert icon_look_for(Snapshot(usage=_doc(updated_ago=50)), NOW, 30) == (42.0, "normal")


def test_look_stale_for_cached_numbers() -> None:
    """Numbers loaded from the cache at start are stale however young."""
    assert icon_look_for(Snapshot(usage=_doc(), usage_stale=True), NOW, 5)[1] == "stale"


@pytest.mark.parametrize(
    "error",
    [
        ErrorCode.SESSION_EXPIRED,
        "no_session",
        RefreshFailed(ErrorCode.NO_SESSION, "not logged in"),
        ErrorDocument(error=ErrorCode.SESSION_EXPIRED, message="expired"),
    ],
)
def test_look_logged_out_on_login_errors(error: object) -> None:
    """no_session and session_expired (as a code, string, event or document) mean logged out."""
    snapshot = Snapshot(usage=_doc(), last_error=error, status=Status.ERROR)
    assert icon_look_for(snapshot, NOW, 5) == (42.0, "logged_out")


def test_look_refreshing_keeps_the_number() -> None:
    """While refreshing the icon keeps the last number."""
    snapshot = Snapshot(usage=_doc(), status=Status.REFRESHING)
    assert icon_look_for(snapshot, NOW, 5) == (42.0, "refreshing")


@pytest.mark.parametrize(
    "code", [ErrorCode.NETWORK_ERROR, ErrorCode.PARSE_ERROR, ErrorCode.FORBIDDEN]
)
def test_look_error_keeps_the_last_number(code: ErrorCode) -> None:
    """A failed poll shows the error look with the last number."""
    snapshot = Snapshot(usage=_doc(), last_error=code, status=Status.ERROR)
    assert icon_look_for(snapshot, NOW, 5) == (42.0, "error")
    assert icon_look_for(Snapshot(last_error=code), NOW, 5) == (None, "error")


@pytest.mark.parametrize("code", [ErrorCode.BLOCKED, ErrorCode.RATE_LIMITED])
def test_look_blocked_or_rate_limited_is_not_alarming(code: ErrorCode) -> None:
    """Blocked and rate limited keep the normal look (stale once old): the app retries itself."""
    assert icon_look_for(Snapshot(usage=_doc(), last_error=code), NOW, 5) == (42.0, "normal")
    old = Snapshot(usage=_doc(updated_ago=60), last_error=code)
    assert icon_look_for(old, NOW, 5) == (42.0, "stale")


@pytest.mark.parametrize(
    ("error", "status", "expected"),
    [
        (None, Status.IDLE, "normal"),
        (
            ErrorDocument(error=ErrorCode.SESSION_EXPIRED, message="expired"),
            Status.ERROR,
            "logged_out",
        ),
        (ErrorDocument(error=ErrorCode.TIMEOUT, message="slow"), Status.ERROR, "error"),
        (None, Status.REFRESHING, "refreshing"),
    ],
)
def test_look_accepts_the_real_state_snapshot(
    error: ErrorDocument | None, status: Status, expected: str
) -> None:
    """The core's own StateSnapshot (last_error an ErrorDocument) gives the same looks."""
    snapshot = StateSnapshot(
        status=status,
        usage=_doc(),
        usage_stale=False,
        last_error=error,
        last_poll_at=NOW,
        next_poll_at=NOW,
        paused=False,
    )
    assert icon_look_for(snapshot, NOW, 5) == (42.0, expected)
