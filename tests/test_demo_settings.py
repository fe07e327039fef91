"""The demo keeps to its own home (log and settings included) and its seconds; Settings'
Advanced part, Browse… and wrapped errors, on a real Tk on Xvfb."""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray.config import Config, save_config
from claude_tray.demo import DEMO_INTERVAL_MINUTES, demo_config, demo_environment, demo_home
from claude_tray.logsetup import setup_logging, teardown_logging
from claude_tray.paths import AppPaths
from claude_tray.popup.settings import (
    DEMO_SECONDS,
    MINUTES,
    SettingsDialog,
    SettingsForm,
    SettingsInvalid,
    config_from_form,
)
from claude_tray.popup.theme import apply_theme, make_fonts
from tests.support.display import XvfbDisplay, xvfb  # noqa: F401  (fixture)


@pytest.fixture
def user_paths(tmp_path: Path) -> Iterator[AppPaths]:
    """A user's home with logging set up there, as `claude-tray demo` finds it."""
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tmp_path / "user")})
    paths.ensure()
    setup_logging(paths)
    try:
        yield paths
    finally:
        teardown_logging()


def test_the_demo_logs_into_its_own_home(user_paths: AppPaths) -> None:
    """While the demo runs, log lines go to the demo's log; the user's log gets none."""
    before = user_paths.log_file.read_text() if user_paths.log_file.exists() else ""
    with demo_environment(user_paths, Config()) as setup:
        logging.getLogger("claude_tray.test").info("a line from inside the demo")
        demo_log = setup.paths.log_file
    assert "a line from inside the demo" in demo_log.read_text()
    assert demo_log.is_relative_to(demo_home(user_paths))
    after = user_paths.log_file.read_text() if user_paths.log_file.exists() else ""
    assert "demo" not in after[len(before) :]
    logging.getLogger("claude_tray.test").info("back in the user's log")
    assert "back in the user's log" in user_paths.log_file.read_text()


def test_demo_settings_are_kept_for_the_next_demo_run(user_paths: AppPaths) -> None:
    """Settings saved in the demo (30 s, other thresholds) are what the next demo starts with."""
    first = demo_config(Config(), demo_home(user_paths) / "config" / "config.toml")
    assert first.interval_minutes == DEMO_INTERVAL_MINUTES  # 15 s the first time
    form = SettingsForm.from_config(first, DEMO_SECONDS)
    assert form.interval_minutes == "15"  # shown as seconds
    changed = config_from_form(first, _with(form, interval="30", warning="70"), DEMO_SECONDS)
    assert changed.interval_minutes == 0.5
    with demo_environment(user_paths, Config()) as setup:
        save_config(setup.paths.config_file, changed)  # what the app's Save does
    with demo_environment(user_paths, Config()) as setup:
        assert setup.config.interval_minutes == 0.5
        assert setup.config.thresholds.warning == 70
    assert not (user_paths.config_file).exists()  # the user's own settings untouched


def test_the_real_app_keeps_its_minutes() -> None:
    """Seconds are the demo's: the real rule refuses 0.25 minutes, the demo's refuses 2 s."""
    form = SettingsForm.from_config(Config())
    with pytest.raises(SettingsInvalid) as caught:
        config_from_form(Config(), _with(form, interval="0.25"), MINUTES)
    assert caught.value.problems == ["The refresh interval must be between 1 and 1440 minutes."]
    with pytest.raises(SettingsInvalid) as caught:
        config_from_form(Config(), _with(form, interval="2"), DEMO_SECONDS)
    assert caught.value.problems == ["The refresh interval must be between 5 and 3600 seconds."]


def _with(
    form: SettingsForm, *, interval: str | None = None, warning: str | None = None
) -> SettingsForm:
    from dataclasses import replace

    return replace(
        form,
        interval_minutes=interval if interval is not None else form.interval_minutes,
        warning=warning if warning is not None else form.warning,
    )


@pytest.mark.display
def test_settings_advanced_browse_and_wrapped_errors(xvfb: XvfbDisplay) -> None:  # noqa: F811
    """Python sits folded under Advanced, Browse… fills the browser, errors wrap in the dialog."""
    root = tk.Tk(screenName=xvfb.name)
    root.withdraw()
    chosen: list[dict[str, object]] = []

    def choose(**options: object) -> str:
        chosen.append(options)
        return "/opt/browsers/chromium"

    try:
        fonts = make_fonts(root)
        apply_theme(root, fonts)
        dialog = SettingsDialog(
            root, fonts, Config(), on_save=lambda _c: None, on_close=lambda: None,
            choose_file=choose,
        )  # fmt: skip
        dialog.deiconify()
        dialog.update()
        assert not dialog.python_path.winfo_viewable()  # folded: most people never need it
        assert dialog.advanced_button.cget("text") == "▸ Advanced"
        dialog.advanced_button.invoke()
        dialog.update()
        assert dialog.python_path.winfo_viewable()
        dialog.browse_button.invoke()
        assert dialog.browser_path.get() == "/opt/browsers/chromium"
        assert chosen and chosen[0]["parent"] is dialog
        width = dialog.winfo_width()
        dialog.interval.delete(0, tk.END)
        dialog.interval.insert(0, "many many minutes " * 8)
        dialog.moderate.delete(0, tk.END)
        dialog.moderate.insert(0, "lots")
        dialog.save()
        dialog.update()
        assert dialog.error_text
        assert dialog.winfo_width() == width  # the long message wrapped, the dialog kept its width
        assert dialog.error.winfo_width() <= width
        assert dialog.error.winfo_height() > 2 * fonts.small.metrics("linespace")
    finally:
        root.destroy()


def test_demo_config_without_a_saved_file_uses_the_users(tmp_path: Path) -> None:
    """The first demo starts from the user's settings (web source, 15 s)."""
    config = demo_config(Config(source="claude-code", interval_minutes=30), tmp_path / "none.toml")
    assert (config.source, config.interval_minutes) == ("web", DEMO_INTERVAL_MINUTES)
