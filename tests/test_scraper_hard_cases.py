"""The parser's hard cases (issue 8) through the real scraper child against the emulator.

The emulator serves each body of `tests/support/usage_cases.py` byte for byte
(`Emulator.set_usage_body`); `python -m claude_tray.scraper poll` reads it as
it would read claude.ai and prints one document. What the child prints must
be what the parser tests expect, the child's log must name the fields it left
out, and no key may reach any output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claude_tray.emulator import Emulator
from tests.support.scraper import (
    ScraperRun,
    assert_no_secrets,
    logged_text,
    run_scraper,
    scraper_env,
    store_session,
    write_credentials,
)
from tests.support.usage_cases import ALL_CASES, NOTHING_LEFT, BadCase, Case, Money


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """One emulator for the module: each test sets the body it serves."""
    with Emulator("ok") as emu:
        yield emu


def _poll(emu: Emulator, body: str | bytes) -> ScraperRun:
    emu.set_usage_body(body)
    store_session(emu.session_key)
    run = run_scraper(["poll", "--source", "web"], scraper_env(base_url=emu.base_url))
    assert_no_secrets(logged_text(run), {emu.session_key})
    return run


def _money(doc: dict[str, Any]) -> Money:
    extra = doc["extra_usage"]
    if extra is None:
        return None
    return (extra["used"], extra["limit"], extra["currency"], extra["percent"])


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_child_prints_the_expected_document(emulator: Emulator, case: Case) -> None:
    """Every hard case, through HTTP and the child: the same limits, money and warnings."""
    run = _poll(emulator, json.dumps(case.body))
    assert run.returncode == 0, run.stdout + run.stderr
    doc = run.document
    assert doc["status"] == "success"
    got = [(lim["id"], lim["kind"], lim["label"], lim["percent"]) for lim in doc["limits"]]
    assert got == case.limits
    money = _money(doc)
    if case.money is None or money is None:
        assert money == case.money
    else:
        assert money == pytest.approx(case.money)
    log = logged_text(run)
    for name in case.dropped:
        assert name in log
    if not case.dropped:
        assert "left out unreadable" not in log


@pytest.mark.parametrize("case", NOTHING_LEFT, ids=lambda case: case.name)
def test_child_reports_parse_error_when_nothing_is_usable(
    emulator: Emulator, case: BadCase
) -> None:
    """Only unreadable usage fields: the child prints a parse_error document, never a trace."""
    run = _poll(emulator, json.dumps(case.body))
    assert run.returncode != 0
    assert run.document["status"] == "error"
    assert run.error == "parse_error"
    assert "Traceback" not in run.stdout + run.stderr


def test_oauth_source_gets_the_same_cleaning(emulator: Emulator) -> None:
    """The Claude Code source reads the same odd body into the same clean document."""
    case = next(case for case in ALL_CASES if case.name == "line_break_in_a_model_name")
    emulator.set_usage_body(json.dumps(case.body))
    # conftest points CLAUDE_CONFIG_DIR at an empty folder of this test's own.
    write_credentials(Path(os.environ["CLAUDE_CONFIG_DIR"]), emulator.oauth_token, expires_at=None)
    env = scraper_env(base_url=emulator.base_url, api_url=emulator.base_url)
    run = run_scraper(["poll", "--source", "claude-code"], env)
    assert run.returncode == 0, run.stderr
    assert [lim["label"] for lim in run.document["limits"]] == ["Weekly, Opus 4.5"]
    assert_no_secrets(logged_text(run), {emulator.oauth_token})


def test_emulator_serves_the_body_byte_for_byte(emulator: Emulator) -> None:
    """Bytes that are not even UTF-8 reach the child as they are: a parse error, no crash."""
    run = _poll(emulator, b'{"five_hour": {"utilization": 5, "x": "\xff\xfe"}}')
    assert run.error == "parse_error"
    emulator.set_usage_body(None)
    store_session(emulator.session_key)
    run = run_scraper(["poll", "--source", "web"], scraper_env(base_url=emulator.base_url))
    assert run.returncode == 0 and run.document["status"] == "success"


def test_the_organization_name_is_cleaned_too(emulator: Emulator) -> None:
    """The stored organization name (the service's text) reaches `account` as one short line."""
    emulator.set_usage_body(None)
    store_session(
        emulator.session_key,
        org_uuid=emulator.chat_org_uuid,
        org_name="Northwind\n\x1b[2JLabs " + "y" * 300,
    )
    run = run_scraper(["poll", "--source", "web"], scraper_env(base_url=emulator.base_url))
    assert run.returncode == 0, run.stderr
    organization = run.document["account"]["organization"]
    assert organization.startswith("Northwind [2JLabs yyy") and len(organization) == 60
