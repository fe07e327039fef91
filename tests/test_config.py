"""The config loader: a broken or partly wrong file never stops the app and is never rewritten."""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_tray.config import Config, Thresholds, load_config, parse_config, save_config
from claude_tray.paths import AppPaths
from tests.support.private import assert_private


def _write(path: Path, text: str | bytes) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = text.encode("utf-8") if isinstance(text, str) else text
    path.write_bytes(raw)
    return raw


def test_missing_file_is_defaults_without_problems(app_paths: AppPaths) -> None:
    """No config file means the defaults and nothing to report."""
    loaded = load_config(app_paths.config_file)
    assert loaded.config == Config()
    assert loaded.problems == []
    assert not app_paths.config_file.exists()


def test_good_file_is_read(app_paths: AppPaths) -> None:
    """Every setting of a valid file is taken as written."""
    _write(
        app_paths.config_file,
        'interval_minutes = 10\nsource = "web"\nicon_limit = "session"\n'
        "notify_thresholds = [60, 80.5]\nnotifications = false\n"
        'browser_path = "/opt/chrome/chrome"\nlogin_timeout_seconds = 120\n'
        "[thresholds]\nmoderate = 40\nwarning = 70\ncritical = 85\n",
    )
    loaded = load_config(app_paths.config_file)
    assert loaded.problems == []
    config = loaded.config
    assert config.interval_minutes == 10
    assert config.source == "web"
    assert config.icon_limit == "session"
    assert config.notify_thresholds == (60.0, 80.5)
    assert config.notifications is False
    assert config.browser_path == "/opt/chrome/chrome"
    assert config.login_timeout_seconds == 120
    assert config.thresholds == Thresholds(moderate=40, warning=70, critical=85)


def test_broken_toml_gives_defaults_and_leaves_file_untouched(app_paths: AppPaths) -> None:
    """A file that is not TOML gives the defaults, one problem, and stays byte-identical."""
    raw = _write(app_paths.config_file, "interval_minutes = = 3\n[thresholds\n")
    before = app_paths.config_file.stat().st_mtime_ns
    loaded = load_config(app_paths.config_file)
    assert loaded.config == Config()
    assert len(loaded.problems) == 1
    assert "not valid TOML" in loaded.problems[0]
    assert app_paths.config_file.read_bytes() == raw
    assert app_paths.config_file.stat().st_mtime_ns == before


def test_wrong_types_fall_back_per_setting(app_paths: AppPaths) -> None:
    """Each wrongly typed setting falls back alone; the good ones are kept; each is named."""
    raw = _write(
        app_paths.config_file,
        'interval_minutes = "ten"\nsource = "carrier-pigeon"\nnotifications = "yes"\n'
        'icon_limit = "weekly"\npython_path = 5\n',
    )
    loaded = load_config(app_paths.config_file)
    assert loaded.config.icon_limit == "weekly"
    assert loaded.config.interval_minutes == Config().interval_minutes
    assert loaded.config.source == "auto"
    assert loaded.config.notifications is True
    assert loaded.config.python_path is None
    named = " ".join(loaded.problems)
    for key in ("interval_minutes", "source", "notifications", "python_path"):
        assert f"'{key}'" in named
    assert "icon_limit" not in named
    assert app_paths.config_file.read_bytes() == raw


@pytest.mark.parametrize("text", ["interval_minutes = true", 'interval_minutes = "10"'])
def test_no_silent_type_conversion_from_the_file(text: str) -> None:
    """A boolean or a string where a number belongs is reported, not turned into a number."""
    loaded = parse_config(text)
    assert loaded.config.interval_minutes == 5.0
    assert len(loaded.problems) == 1
    assert "interval_minutes" in loaded.problems[0]


def test_unknown_keys_are_reported_and_the_rest_kept(app_paths: AppPaths) -> None:
    """Unknown settings, also inside [thresholds], are named and ignored."""
    _write(
        app_paths.config_file,
        "interval_minutes = 7\ncolour = 'green'\n[thresholds]\ncritical = 95\nbogus = 1\n",
    )
    loaded = load_config(app_paths.config_file)
    assert loaded.config.interval_minutes == 7
    assert loaded.config.thresholds.critical == 95
    assert "unknown setting 'colour' ignored" in loaded.problems
    assert "unknown setting 'thresholds.bogus' ignored" in loaded.problems
    assert len(loaded.problems) == 2


def test_bad_threshold_keeps_the_good_ones() -> None:
    """One bad value in [thresholds] falls back alone."""
    loaded = parse_config('[thresholds]\nwarning = "high"\ncritical = 95\n')
    assert loaded.config.thresholds == Thresholds(critical=95)
    assert loaded.problems == [
        "setting 'thresholds.warning' ignored (Input should be a valid number); using the default"
    ]


def test_unordered_thresholds_fall_back_together() -> None:
    """Thresholds that are valid alone but out of order give the default thresholds."""
    loaded = parse_config("[thresholds]\nmoderate = 80\n")
    assert loaded.config.thresholds == Thresholds()
    assert len(loaded.problems) == 1
    assert "ordered" in loaded.problems[0]


@pytest.mark.parametrize("values", ["[75, nan]", "[-5]", "[5000]", "[[1]]", '["75"]'])
def test_bad_notify_thresholds_are_reported(values: str) -> None:
    """Notification thresholds outside 0–1000, NaN or of the wrong type are ignored."""
    loaded = parse_config(f"notify_thresholds = {values}\n")
    assert loaded.config.notify_thresholds == (75.0, 90.0)
    assert len(loaded.problems) == 1


def test_empty_browser_path_means_discover() -> None:
    """An empty browser or python path means 'find it', not a path called ''."""
    loaded = parse_config('browser_path = ""\npython_path = "  "\n')
    assert loaded.config.browser_path is None
    assert loaded.config.python_path is None
    assert loaded.problems == []


def test_deeply_nested_file_does_not_crash() -> None:
    """A pathologically nested file is reported, not a crash."""
    loaded = parse_config("a = " + "[" * 20_000 + "]" * 20_000)
    assert loaded.config == Config()
    assert len(loaded.problems) == 1


def test_unreadable_file_is_reported(app_paths: AppPaths) -> None:
    """A config path that is a folder, or not UTF-8, gives the defaults and a problem."""
    app_paths.config_file.mkdir(parents=True)
    loaded = load_config(app_paths.config_file)
    assert loaded.config == Config()
    assert "could not read" in loaded.problems[0]
    app_paths.config_file.rmdir()
    raw = _write(app_paths.config_file, b"interval_minutes = 3\n# \xff\xfe\n")
    loaded = load_config(app_paths.config_file)
    assert loaded.config == Config()
    assert "could not read" in loaded.problems[0]
    assert app_paths.config_file.read_bytes() == raw


def test_save_then_load_round_trips_privately(app_paths: AppPaths) -> None:
    """A saved config reads back equal, with no problems, from a file only the user can read."""
    config = Config(
        interval_minutes=12.5,
        source="claude-code",
        icon_limit="weekly",
        thresholds=Thresholds(moderate=10, warning=20, critical=30),
        notify_thresholds=(50.0,),
        notifications=False,
        browser_path="/usr/bin/chromium",
    )
    save_config(app_paths.config_file, config)
    assert_private(app_paths.config_file)
    loaded = load_config(app_paths.config_file)
    assert loaded.problems == []
    assert loaded.config == config


_toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=20),
)
_toml_values = st.one_of(
    _toml_scalars,
    st.lists(_toml_scalars, max_size=4),
    st.dictionaries(st.sampled_from(["moderate", "warning", "critical", "x"]), _toml_scalars),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*(item.name for item in fields(Config)), "unknown", "thresholds"]),
        _toml_values,
        max_size=8,
    )
)
def test_any_toml_document_loads(raw: dict[str, object]) -> None:
    """Whatever values a TOML file holds, loading gives a valid Config and never raises."""
    import tomli_w

    try:
        text = tomli_w.dumps(raw)
    except (TypeError, ValueError):  # a value TOML cannot hold
        return
    loaded = parse_config(text)
    assert isinstance(loaded.config, Config)
    config = loaded.config
    assert 1 <= config.interval_minutes <= 24 * 60
    assert all(not math.isnan(value) for value in config.notify_thresholds)
    # Every known setting that was not reported as a problem is taken as written.
    reported = " ".join(loaded.problems)
    for key, value in raw.items():
        if key in ("thresholds", "unknown") or f"'{key}'" in reported:
            continue
        if "settings ignored" in reported:
            break
        expected = tuple(value) if isinstance(value, list) else value
        if isinstance(expected, str) and not expected.strip():
            expected = None
        assert getattr(config, key) == expected, key


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_loads(text: str) -> None:
    """Arbitrary text never makes the loader raise."""
    loaded = parse_config(text)
    assert isinstance(loaded.config, Config)
