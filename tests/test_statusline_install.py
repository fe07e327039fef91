"""`claude-tray statusline --install/--uninstall` on a real settings.json copy.

The settings files are written here with unusual formatting on purpose (tabs,
odd spacing, unicode, nested objects), so "other keys survive byte for byte"
is checked against text a re-serialiser would change. The installed command is
then run the way Claude Code runs it (through the shell, JSON on stdin).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from claude_tray.statusline_install import SettingsError, parse, with_member, without_member
from tests.support.child import REPO
from tests.support.cli import child_env, run_cli
from tests.support.cli import restore_logging as restore_logging  # autouse fixture

OTHER_KEYS = (
    '{\n\t"model":   "opus",\n\t"permissions": {"allow": ["Bash(ls:*)", "Read"],'
    ' "deny": []},\n\t"env": {"GREETING": "grüß dich"},\n\t"hooks": {}\n}\n'
)
WITH_PREVIOUS = (
    '{\n    "model": "sonnet",\n    "statusLine": {\n        "type": "command",\n'
    '        "command": "echo previous-line",\n        "padding": 2\n    },\n'
    '    "theme":"dark"\n}\n'
)
STDIN = json.dumps(
    {
        "workspace": {"current_dir": "/tmp/p"},
        "rate_limits": {
            "five_hour": {"used_percentage": 42.0, "resets_at": 4102444800},
            "seven_day": {"used_percentage": 18.0, "resets_at": "2100-01-03T00:00:00Z"},
        },
    }
)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A Claude Code config folder with credentials, and the environment pointing at it."""
    config = tmp_path / "claude-config"
    config.mkdir()
    (config / ".credentials.json").write_text('{"claudeAiOauth": {"accessToken": "x"}}')
    env = child_env(tmp_path / "home", {"CLAUDE_CONFIG_DIR": str(config)})
    return config, env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = run_cli(["statusline", *args], env, timeout=60)
    assert "Traceback" not in done.stderr
    return done


def _run_installed(settings: Path, env: dict[str, str]) -> str:
    """Run the statusLine command as Claude Code would: through the shell, JSON on stdin."""
    command = json.loads(settings.read_text(encoding="utf-8"))["statusLine"]["command"]
    done = subprocess.run(
        command,
        shell=True,
        input=STDIN,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("original", [OTHER_KEYS, WITH_PREVIOUS], ids=["no-previous", "previous"])
def test_install_then_uninstall_restores_the_file_byte_for_byte(
    setup: tuple[Path, dict[str, str]], original: str
) -> None:
    config, env = setup
    settings = config / "settings.json"
    settings.write_bytes(original.encode("utf-8"))
    settings.chmod(0o644)
    credentials = (config / ".credentials.json").read_bytes()

    done = _cli(env, "--install")
    assert done.returncode == 0, done.stderr
    installed = settings.read_text(encoding="utf-8")
    value = json.loads(installed)
    assert "statusline" in value["statusLine"]["command"]
    # Everything but the statusLine member is the original text, byte for byte.
    before, after = parse(original), parse(installed)
    for member in before.members:
        if member.key == "statusLine":
            continue
        twin = after.find(member.key)
        assert twin is not None
        assert (
            installed[twin.key_start : twin.value_end]
            == original[member.key_start : member.value_end]
        )
    assert oct(settings.stat().st_mode & 0o777) == "0o644"

    line = _run_installed(settings, env)
    if original is WITH_PREVIOUS:
        assert value["statusLine"]["padding"] == 2
        assert line == "previous-line · 5h 42% · 7d 18%\n"
    else:
        assert line == "5h 42% · 7d 18%\n"

    again = _cli(env, "--install")
    assert again.returncode == 0
    assert "Already installed" in again.stdout
    assert settings.read_text(encoding="utf-8") == installed

    done = _cli(env, "--uninstall")
    assert done.returncode == 0, done.stderr
    assert settings.read_bytes() == original.encode("utf-8")
    assert (config / ".credentials.json").read_bytes() == credentials


def test_uninstall_after_the_user_edited_the_file_keeps_their_edit(
    setup: tuple[Path, dict[str, str]],
) -> None:
    config, env = setup
    settings = config / "settings.json"
    settings.write_text(WITH_PREVIOUS, encoding="utf-8")
    assert _cli(env, "--install").returncode == 0
    edited = settings.read_text(encoding="utf-8").replace('"theme":"dark"', '"theme":"light"')
    settings.write_text(edited, encoding="utf-8")

    assert _cli(env, "--uninstall").returncode == 0
    assert settings.read_text(encoding="utf-8") == WITH_PREVIOUS.replace("dark", "light")


def test_install_without_a_settings_file_creates_it_and_uninstall_removes_it(
    setup: tuple[Path, dict[str, str]],
) -> None:
    config, env = setup
    settings = config / "settings.json"
    assert _cli(env, "--install").returncode == 0
    assert set(json.loads(settings.read_text(encoding="utf-8"))) == {"statusLine"}
    assert _run_installed(settings, env) == "5h 42% · 7d 18%\n"
    assert _cli(env, "--uninstall").returncode == 0
    assert not settings.exists()
    assert sorted(os.listdir(config)) == [".credentials.json"]


def test_a_settings_file_that_is_not_json_is_left_alone(
    setup: tuple[Path, dict[str, str]],
) -> None:
    config, env = setup
    settings = config / "settings.json"
    broken = '{"model": "opus",, }\n'
    settings.write_text(broken, encoding="utf-8")
    done = _cli(env, "--install")
    assert done.returncode == 1
    assert "left alone" in done.stderr
    assert settings.read_text(encoding="utf-8") == broken


def test_uninstall_when_nothing_was_installed_changes_nothing(
    setup: tuple[Path, dict[str, str]],
) -> None:
    config, env = setup
    settings = config / "settings.json"
    settings.write_text(OTHER_KEYS, encoding="utf-8")
    done = _cli(env, "--uninstall")
    assert done.returncode == 0
    assert settings.read_text(encoding="utf-8") == OTHER_KEYS


@pytest.mark.parametrize(
    "text", ['{"a": 1}', "{}", '{\n  "a": [1, {"b": 2}],\n  "c": "}"\n}', '\ufeff{"a":1}']
)
def test_member_edits_round_trip(text: str) -> None:
    parsed = parse(text)
    added = with_member(parsed, "statusLine", '{"type": "command", "command": "x"}')
    assert json.loads(added.lstrip("\ufeff"))["statusLine"]["command"] == "x"
    assert without_member(parse(added), "statusLine").replace("\n  ", "").replace(
        "\n", ""
    ) == text.replace("\n  ", "").replace("\n", "")


@pytest.mark.parametrize("text", ["", "[]", '{"a": 1', '{"a": 1} extra', "{'a': 1}"])
def test_parse_refuses_what_is_not_one_object(text: str) -> None:
    with pytest.raises(SettingsError):
        parse(text)


def test_doctor_row_says_whether_it_is_installed_and_when_it_last_fed(
    setup: tuple[Path, dict[str, str]],
) -> None:
    from datetime import datetime, timezone

    from claude_tray.doctor import check_statusline
    from claude_tray.paths import AppPaths

    config, env = setup
    paths = AppPaths.from_env(env)
    now = datetime.now(timezone.utc)
    (config / "settings.json").write_text(OTHER_KEYS, encoding="utf-8")
    assert check_statusline(paths, env, now).result.startswith("not installed")
    assert _cli(env, "--install").returncode == 0
    assert check_statusline(paths, env, now).result == "installed; no reading from Claude Code yet"
    _run_installed(config / "settings.json", env)
    row = check_statusline(paths, env, datetime.now(timezone.utc))
    assert row.verdict == "ok"
    assert row.result.startswith("installed; last reading ")
