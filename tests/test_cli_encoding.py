"""`status` output when stdout is a pipe whose encoding cannot hold the text (issue 10, 1).

On Windows a piped stdout gets the ANSI code page (cp1252 here and on most Western
machines): these tests leave the child's encoding alone there. Elsewhere the same pipe
is made by giving the child PYTHONIOENCODING=cp1252. "₹" (the currency) and a Cyrillic
model name are outside cp1252.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from claude_tray.emulator import Emulator
from tests.support.cli import emulator as emulator  # fixture
from tests.support.cli import emulator_env, run_status_bytes, store_session

MODEL = "Опус"  # no Cyrillic in cp1252


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def cp1252_pipe_env(home: Path, emulator: Emulator) -> dict[str, str]:
    env = emulator_env(home, emulator)
    del env["PYTHONIOENCODING"]  # the helper asks for UTF-8; a user's shell does not
    env.pop("PYTHONUTF8", None)
    if sys.platform != "win32":
        env["PYTHONIOENCODING"] = "cp1252"  # what Windows gives a pipe
    return env


def pin_rupees(emulator: Emulator) -> None:
    emulator.set_usage(
        session=42.0,
        weekly=18.0,
        scoped={MODEL: 3.0},
        extra_enabled=True,
        extra_used=470.5,
        extra_limit=1000.0,
        currency="INR",
    )


def test_child_stdout_really_is_cp1252(home: Path, emulator: Emulator) -> None:
    """The premise: a piped child's stdout has an encoding without "₹" (else the other
    tests prove nothing)."""
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.stdout.encoding)"],
        env=cp1252_pipe_env(home, emulator),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.stdout.strip().lower() in ("cp1252", "cp-1252", "windows-1252"), probe


def test_status_json_is_utf8_bytes_on_a_cp1252_pipe(home: Path, emulator: Emulator) -> None:
    pin_rupees(emulator)
    store_session(home, emulator)
    done = run_status_bytes(["--json"], cp1252_pipe_env(home, emulator))
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in done.stderr
    document = json.loads(done.stdout.decode("utf-8"))
    assert document["extra_usage"]["currency"] == "INR"
    assert any(MODEL in limit["label"] for limit in document["limits"])
    assert MODEL.encode("utf-8") in done.stdout  # UTF-8 bytes, not \\u escapes or "?"


def test_status_text_on_a_cp1252_pipe_replaces_what_it_cannot_show(
    home: Path, emulator: Emulator
) -> None:
    pin_rupees(emulator)
    store_session(home, emulator)
    done = run_status_bytes([], cp1252_pipe_env(home, emulator))
    stderr = done.stderr.decode("cp1252", "replace")
    assert done.returncode == 0, stderr
    assert "Traceback" not in stderr and "UnicodeEncodeError" not in stderr
    text = done.stdout.decode("cp1252")  # every byte is valid cp1252
    assert "42" in text and "470" in text
    assert "?" in text  # "₹" and the Cyrillic name became "?"
    assert "₹" not in text and MODEL not in text
