"""The quick reader of config.toml agrees with the config loader (issue 12).

`status` starts its scraper child with `quick_settings.read_settings` before the
config module is imported, and `status --max-age` prints with it. Whenever it
answers, each of its settings must be exactly what `config.load_config` gives
for the same file; when it cannot be sure it answers None (the full path runs).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_tray.config import Config, load_config
from claude_tray.quick_settings import QuickSettings, read_settings, settings_in

#: What the quick reader answers, with `Config`'s names (the thresholds as a triple).
READ = (
    "source",
    "icon_limit",
    "thresholds",
    "python_path",
    "browser_path",
    "poll_timeout_seconds",
    "login_timeout_seconds",
)


def _values(settings: QuickSettings | Config) -> dict[str, object]:
    values = {name: getattr(settings, name) for name in READ}
    t = settings.thresholds
    values["thresholds"] = (t.moderate, t.warning, t.critical)
    return values


toml_value = (
    st.sampled_from(["auto", "web", "claude-code", "highest", "session", "weekly", "x"])
    | st.sampled_from(["", "  ", "/usr/bin/python3", " /opt/chromium ", "C:\\Python\\py.exe"])
    | st.booleans()
    | st.integers(-5, 4000)
    | st.floats(-5, 4000, allow_nan=False)
    | st.sampled_from([math.inf, -math.inf, math.nan, 5, 600, 10, 3600, 600.0001, 4.9999])
    | st.lists(st.integers(0, 100), max_size=2)
)
thresholds_table = st.dictionaries(
    st.sampled_from(["moderate", "warning", "critical", "other"]), toml_value, max_size=3
)
config_tables = st.fixed_dictionaries(
    {},
    optional={
        "source": toml_value,
        "icon_limit": toml_value,
        "thresholds": thresholds_table | toml_value,
        "python_path": toml_value,
        "browser_path": toml_value,
        "poll_timeout_seconds": toml_value,
        "login_timeout_seconds": toml_value,
        # Settings it does not read: whatever they hold, its answer stands.
        "interval_minutes": toml_value,
        "poll_mode": toml_value,
    },
)


def _toml(table: dict[str, Any]) -> str:
    import tomli_w

    return tomli_w.dumps(table)


def _complaints_about_what_it_reads(problems: list[str]) -> list[str]:
    """The loader's complaints about a setting the quick reader reads (or a whole file)."""
    named = [(p, p.split("'")[1:2]) for p in problems]
    return [
        p
        for p, name in named
        if not name or name[0].split(".")[0] in READ  # no name: the whole file
    ]


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quick-settings") / "config.toml"


@settings(max_examples=400, deadline=None)
@given(table=config_tables)
def test_whenever_it_answers_it_answers_what_the_loader_gives(
    config_file: Path, table: dict[str, Any]
) -> None:
    """Each setting it reads equals the full loader's; it defers only when the loader
    has something to say about one of them."""
    config_file.write_text(_toml(table), encoding="utf-8")
    quick = settings_in(config_file)
    loaded = load_config(config_file)
    if quick is None:
        assert _complaints_about_what_it_reads(loaded.problems), loaded.problems
        return
    assert _values(quick) == _values(loaded.config)
    # Same types too: a 30 in the file is the float 30.0 for both.
    for name in ("poll_timeout_seconds", "login_timeout_seconds"):
        assert type(getattr(quick, name)) is type(getattr(loaded.config, name)) is float


def test_a_missing_file_is_the_defaults(tmp_path: Path) -> None:
    quick = settings_in(tmp_path / "config.toml")
    assert quick is not None
    assert _values(quick) == _values(Config())


@pytest.mark.parametrize(
    "content",
    [b"source = [", b"\xff\xfesource = 'web'", b'source = "web"\nsource = "auto"\n'],
    ids=["not-toml", "not-utf-8", "twice"],
)
def test_a_file_it_cannot_read_gives_none(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    assert settings_in(path) is None
    assert load_config(path).problems  # and the full loader says what is wrong


def test_a_folder_in_place_of_the_file_gives_none(tmp_path: Path) -> None:
    (tmp_path / "config.toml").mkdir()
    assert settings_in(tmp_path / "config.toml") is None


def test_the_runner_settings_it_reads() -> None:
    text = (
        'python_path = "/opt/py/bin/python3"\nbrowser_path = "  "\n'
        "poll_timeout_seconds = 30\nlogin_timeout_seconds = 120.5\n"
    )
    quick = read_settings(text)
    assert quick is not None
    assert (quick.python_path, quick.browser_path) == ("/opt/py/bin/python3", None)
    assert (quick.poll_timeout_seconds, quick.login_timeout_seconds) == (30.0, 120.5)
    assert read_settings("poll_timeout_seconds = 4\n") is None  # the loader's floor is 5
    assert read_settings("python_path = 3\n") is None
