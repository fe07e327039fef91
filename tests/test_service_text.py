"""`service_text`: one printable line, bounded; and that it reaches every place text is shown.

The second half runs the real chain: the emulator serves a body with a
5,000-character model name and "Opus\\n4.5", the scraper child reads it, and
the tooltip, the Waybar line (`claude-tray status --format waybar`), the
`status` text and a notification all show short, one-line names.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claude_tray.documents import UsageDocument, load_document
from claude_tray.emulator import Emulator
from claude_tray.notifications import ThresholdNotifier
from claude_tray.service_text import (
    ID_MAX,
    LABEL_MAX,
    bounded,
    clean_id,
    clean_label,
    clean_optional_label,
    one_line,
)
from claude_tray.text_format import TOOLTIP_MAX, tooltip_text
from claude_tray.usage_parser import parse_usage_body
from tests.support.cli import emulator_env, run_cli
from tests.support.cli import store_session as cli_store_session
from tests.support.scraper import run_scraper, scraper_env, store_session
from tests.support.usage_cases import LONG_NAME, row

# --- the pure functions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Opus\n4.5", "Opus 4.5"),
        ("  Son\tnet \r\n 4  ", "Son net 4"),
        ("Quill\x00\x07\x1b", "Quill"),
        ("\u202eledom\u202c", "ledom"),  # a bidi override cannot flip the line
        ("zero\u200bwidth", "zerowidth"),
        ("line\u2028sep\u00a0nbsp", "line sep nbsp"),
        ("Épée 4", "Épée 4"),
        ("", ""),
        ("\n\t ", ""),
    ],
)
def test_one_line(raw: str, clean: str) -> None:
    assert one_line(raw) == clean


def test_label_is_bounded_with_an_ellipsis() -> None:
    label = clean_label(LONG_NAME)
    assert len(label) == LABEL_MAX and label.endswith("…") and label.startswith("Quill xxx")
    assert clean_label("short") == "short"
    assert clean_label("a" * LABEL_MAX) == "a" * LABEL_MAX
    assert clean_label("word, " * 20, 12) == "word, word…"  # no dangling comma before the dots


def test_bounded_refuses_a_useless_limit() -> None:
    with pytest.raises(ValueError):
        bounded("text", 0)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Opus 4.5", "opus_4_5"),
        ("Épée", "epee"),
        ("claude/all_models", "claude_all_models"),
        ("--x--", "x"),
        ("!!!", ""),
    ],
)
def test_clean_id(raw: str, clean: str) -> None:
    assert clean_id(raw) == clean


def test_clean_id_of_a_name_without_ascii_letters_is_stable() -> None:
    first = clean_id("クロード")
    assert first == clean_id("クロード") and first.startswith("u") and first != clean_id("ソネット")
    assert len(clean_id("x" * 500)) == ID_MAX


def test_clean_optional_label() -> None:
    assert clean_optional_label(" Fable\n") == "Fable"
    assert clean_optional_label("\x00\n") is None
    assert clean_optional_label(42) is None


@given(st.text(max_size=400))
def test_property_label_is_one_printable_bounded_line(text: str) -> None:
    label = clean_label(text)
    assert len(label) <= LABEL_MAX
    assert label == label.strip() and "  " not in label
    for char in label:
        assert unicodedata.category(char) not in {"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"}
    assert clean_label(label) == label  # cleaning twice changes nothing


@given(st.text(max_size=400))
def test_property_id_is_short_ascii(text: str) -> None:
    slug = clean_id(text)
    assert len(slug) <= ID_MAX and slug.isascii()
    assert not slug.startswith("_") and not slug.endswith("_") and "__" not in slug


# --- everywhere the user reads it ----------------------------------------------------------

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def odd_body(opus: float, quill: float) -> str:
    return json.dumps(
        {
            "limits": [
                row("weekly_scoped", opus, group="weekly", model="Opus\n4.5"),
                row("weekly_scoped", quill, group="weekly", model=LONG_NAME),
            ],
            "extra_usage": {"is_enabled": True, "monthly_limit": 2000, "currency": "USD"},
        }
    )


@pytest.fixture
def odd_emulator() -> Iterator[Emulator]:
    with Emulator("ok") as emu:
        emu.set_usage_body(odd_body(81.0, 40.0))
        yield emu


def _looks_normal(text: str, *, max_line: int) -> None:
    assert "Opus 4.5" in text
    assert "Opus\n" not in text and "xxxxxxxxxx" * 7 not in text
    assert all(len(line) <= max_line for line in text.splitlines()), text


def test_odd_names_look_normal_in_the_tooltip_and_a_notification(odd_emulator: Emulator) -> None:
    """The child's document gives a one-line tooltip and a short notification."""
    store_session(odd_emulator.session_key)
    run = run_scraper(["poll", "--source", "web"], scraper_env(base_url=odd_emulator.base_url))
    assert run.returncode == 0, run.stderr
    doc = load_document(run.stdout)
    assert isinstance(doc, UsageDocument)
    tip = tooltip_text(doc, NOW)
    assert "\n" not in tip and len(tip) <= TOOLTIP_MAX
    _looks_normal(tip, max_line=TOOLTIP_MAX)

    notifier = ThresholdNotifier((75.0, 90.0))
    notifier.prime(parse_usage_body(odd_body(50.0, 40.0), source="web", now=NOW))
    notes = notifier.update(parse_usage_body(odd_body(92.0, 95.0), source="web", now=NOW))
    assert len(notes) == 2
    for note in notes:
        assert "\n" not in note.title + note.body
        assert len(note.title) <= 90 and len(note.body) <= 120, note
    _looks_normal(notes[0].title + " " + notes[0].body, max_line=220)
    assert notes[1].body.startswith("Weekly, Quill xxx") and "…" in notes[1].body


def test_odd_names_look_normal_in_waybar_and_status(odd_emulator: Emulator, tmp_path: Path) -> None:
    """The Waybar line and `status` show the names cleaned and the unknown amount as unknown."""
    home = tmp_path / "cli-home"
    cli_store_session(home, odd_emulator)
    env = emulator_env(home, odd_emulator)
    waybar = run_cli(["status", "--format", "waybar"], env)
    assert waybar.returncode == 0, waybar.stderr
    (line,) = waybar.stdout.splitlines()
    payload = json.loads(line)
    assert payload["text"] == "81%"
    _looks_normal(payload["tooltip"], max_line=120)
    assert "amount unknown (cap $20.00)" in payload["tooltip"]

    status = run_cli(["status"], env)
    assert status.returncode == 0, status.stderr
    _looks_normal(status.stdout, max_line=120)
    assert "Extra usage" in status.stdout and "amount unknown (cap $20.00)" in status.stdout
    assert "0.00 of" not in status.stdout
