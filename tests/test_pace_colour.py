"""The opt-in icon colour that follows the forecast: the band, its hysteresis, the drawing."""

from __future__ import annotations

from datetime import datetime, timezone

from claude_tray.config import Config, Thresholds
from claude_tray.documents import Limit, Pace
from claude_tray.icon import render_icon
from claude_tray.pace_colour import HYSTERESIS, ForecastColour, forecast_percent

T = Thresholds()  # 50 / 75 / 90


def test_off_by_default() -> None:
    assert Config().icon_colour_follows_pace is False


def test_the_forecast_is_the_projection_never_below_what_is_used() -> None:
    limit = Limit(id="session", kind="session", label="S", percent=30.0,
                  resets_at=datetime(2026, 11, 29, 18, tzinfo=timezone.utc))  # fmt: skip
    assert forecast_percent(limit) == 30.0  # no pace yet: the percent used
    ahead = Pace(elapsed_percent=20.0, projected_percent=92.0, runs_out_at=None)
    assert forecast_percent(Limit(**{**limit.__dict__, "pace": ahead})) == 92.0
    odd = Pace(elapsed_percent=20.0, projected_percent=10.0, runs_out_at=None)
    assert forecast_percent(Limit(**{**limit.__dict__, "pace": odd})) == 30.0


def test_up_at_once_down_only_clearly_below_with_no_flicker() -> None:
    colour = ForecastColour()
    assert colour.update(60.0, T) == "moderate"
    assert colour.update(76.0, T) == "warning"  # up at once
    # Wobbling around 75 %: stays amber-orange instead of flickering.
    for wobble in (74.0, 75.5, 72.0, 76.0, 71.0):
        assert colour.update(wobble, T) == "warning"
    assert colour.update(75.0 - HYSTERESIS - 0.1, T) == "moderate"  # clearly below
    assert colour.update(91.0, T) == "critical"
    assert colour.update(10.0, T) == "calm"  # far below: straight down
    colour.reset()
    assert colour.level is None


def test_render_icon_takes_the_forecast_band() -> None:
    plain = render_icon(30.0, "normal", T)
    forecast = render_icon(30.0, "normal", T, level="critical")
    same = render_icon(30.0, "normal", T, level="calm")
    assert plain.tobytes() == same.tobytes()  # 30 % is calm either way
    assert plain.tobytes() != forecast.tobytes()  # the same number, the critical colour


def test_the_setting_is_in_the_settings_form() -> None:
    import dataclasses

    from claude_tray.popup.settings import SettingsForm, config_from_form

    base = Config()
    form = SettingsForm.from_config(base)
    assert not form.colour_follows_pace
    on = config_from_form(base, dataclasses.replace(form, colour_follows_pace=True))
    assert on.icon_colour_follows_pace
    assert SettingsForm.from_config(on).colour_follows_pace
