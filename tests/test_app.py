"""The app's wiring in-process: waking Tk from other threads, events to popup and tray,
notifications, settings, quitting; and the demo's environment.

These run a real Tk on a private Xvfb with pystray's headless `dummy` backend
(the tray loop is not started, so updates stay in the `Tray` object where the
test can read them); the real backends are covered by the GUI tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import threading
import time
import tkinter as tk
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from datetime import time as dt_time
from pathlib import Path

import pytest

from claude_tray.app import StartOptions, TrayApp, Waker, WakingQueue
from claude_tray.config import Config, load_config
from claude_tray.demo import DEMO_INTERVAL_MINUTES, demo_config, demo_environment, demo_home
from claude_tray.documents import ErrorDocument, Limit, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.events import LoginFinished, RefreshFailed, ShowPopupRequested, UsageUpdated
from claude_tray.paths import AppPaths
from claude_tray.scraper.browser_discovery import browser_environment
from claude_tray.tray import TrayCommand, load_backend, x11_title
from tests.support.child import run_module
from tests.support.display import XvfbDisplay, xvfb_display

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def display() -> Iterator[XvfbDisplay]:
    """An Xvfb for the in-process Tk, alive until the whole test session ends.

    Tk 8.6 never closes an X connection before the process exits (the call to
    TkCloseDisplay in tkWindow.c is under `#ifdef NOT_YET`), and every later Tk
    event loop in this pytest process services it: stopping this Xvfb after
    the module made the next module's Tk die on the broken connection (exit 1).
    """
    with xvfb_display() as running:
        yield running


@pytest.fixture
def root(display: XvfbDisplay) -> Iterator[tk.Tk]:
    window = tk.Tk(screenName=display.name)
    window.withdraw()
    try:
        yield window
    finally:
        with contextlib.suppress(tk.TclError):
            window.destroy()


def pump(root: tk.Tk, until: object, timeout: float = 10.0) -> None:
    """Run Tk's event loop until `until()` is true (the test is the Tk thread)."""
    deadline = time.monotonic() + timeout
    while not until():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out pumping Tk events"
        root.update()
        time.sleep(0.01)


def usage(percent: float, minutes_ago: float = 0.0) -> UsageDocument:
    resets = datetime.now(timezone.utc) + timedelta(hours=2)
    return UsageDocument.build(
        source="web",
        limits=[Limit(id="session", kind="session", label="Current session", percent=percent,
                      resets_at=resets)],
        last_updated=datetime.now(timezone.utc) - timedelta(minutes=minutes_ago),
    )  # fmt: skip


# --- Waker ----------------------------------------------------------------------------


@pytest.mark.display
def test_wake_from_other_thread_runs_callback_on_tk_thread(root: tk.Tk) -> None:
    """wake() from any thread makes Tk call on_wake on its own thread."""
    calls: list[str] = []
    waker = Waker(root, lambda: calls.append(threading.current_thread().name))
    thread = threading.Thread(target=waker.wake, name="other")
    thread.start()
    thread.join()
    pump(root, lambda: calls)
    assert calls == [threading.main_thread().name]
    waker.close()


@pytest.mark.display
def test_wake_never_blocks_while_tk_is_busy(root: tk.Tk) -> None:
    """Many wakes from another thread return at once even while the Tk thread is busy."""
    calls: list[int] = []
    waker = Waker(root, lambda: calls.append(1))
    finished = threading.Event()

    def hammer() -> None:
        for _ in range(100_000):  # far more than a pipe buffer holds
            waker.wake()
        finished.set()

    thread = threading.Thread(target=hammer)
    thread.start()
    # The Tk thread does not serve events meanwhile: a blocking wake would hang here.
    assert finished.wait(30)
    thread.join()
    pump(root, lambda: calls)
    assert 1 <= len(calls) < 100_000  # wakes are merged, not queued one by one
    waker.close()


def test_waking_queue_wakes_on_put() -> None:
    """Every put on the event queue also wakes the UI."""
    wakes: list[int] = []
    events = WakingQueue(lambda: wakes.append(1))
    events.put(ShowPopupRequested())
    events.put(ShowPopupRequested())
    assert wakes == [1, 1]
    assert events.qsize() == 2


# --- the app, in-process ----------------------------------------------------------------


@pytest.fixture
def app(
    root: tk.Tk, app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch, display: XvfbDisplay
) -> Iterator[TrayApp]:
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    monkeypatch.setenv("DISPLAY", display.name)
    app_paths.config_file.write_text('interval_minutes = "often"\nbogus = 1\n')
    loaded = load_config(app_paths.config_file)
    running = TrayApp(
        app_paths,
        loaded.config,
        root=root,
        backend=load_backend("linux"),
        config_problems=loaded.problems,
        options=StartOptions(),
    )
    try:
        yield running
    finally:
        running.quit()


def deliver(app: TrayApp, *events: object) -> None:
    """Hand events to the app as the core does: state first, then the event."""
    for event in events:
        if isinstance(event, UsageUpdated):
            app.core.state.record_usage(event.document)
        elif isinstance(event, RefreshFailed):
            app.core.state.record_error(ErrorDocument(error=event.code, message=event.message))
        app.events.put(event)
    pump(app.root, lambda: app.events.empty())


@pytest.mark.display
def test_config_problems_are_shown_once_in_the_popup_banner(app: TrayApp) -> None:
    """A partly wrong config file is named in the popup's banner at start."""
    banner = app.popup.current_banner
    assert banner is not None
    assert banner.title == "Some settings were ignored"
    assert "interval_minutes" in banner.body and "bogus" in banner.body


@pytest.mark.display
def test_usage_event_updates_tray_image_title_and_menu(app: TrayApp) -> None:
    """New numbers reach the tray through the one update path: image, tooltip, menu state."""
    before = app.tray.view
    deliver(app, UsageUpdated(usage(42.0)))
    view = app.tray.view
    assert view.image is not before.image
    assert view.title.startswith("Claude: ") and "42%" in view.title
    assert view.logged_in is True


@pytest.mark.display
def test_expired_session_offers_log_in(app: TrayApp) -> None:
    """After session_expired the tray menu offers Log in… instead of Log out."""
    deliver(app, UsageUpdated(usage(42.0)))
    deliver(app, RefreshFailed(ErrorCode.SESSION_EXPIRED, "Your session has expired."))
    assert app.tray.view.logged_in is False
    assert "Log in…" in app.tray.menu_texts()
    deliver(app, LoginFinished(True))
    assert "Log out" in app.tray.menu_texts()


@pytest.mark.display
def test_crossing_a_threshold_notifies_once_in_the_banner(app: TrayApp) -> None:
    """Without tray notifications, crossing 90 % shows one banner, not one per poll."""
    deliver(app, UsageUpdated(usage(50.0)))
    while app.popup.current_banner is not None:  # the notes so far, seen (their ×)
        app.popup.dismiss_banner()
    deliver(app, UsageUpdated(usage(93.0)))
    banner = app.popup.current_banner
    assert banner is not None and "90" in banner.title
    app.popup.dismiss_banner()
    deliver(app, UsageUpdated(usage(94.0)))
    assert app.popup.current_banner is None or "90" not in app.popup.current_banner.title


@pytest.mark.display
def test_pause_command_from_tray_reaches_core_and_menu(app: TrayApp) -> None:
    """The tray's Pause (from another thread) pauses the core and flips the menu item."""
    thread = threading.Thread(target=app.tray.run_command_of, args=("Pause auto-refresh",))
    thread.start()
    thread.join()
    pump(app.root, lambda: app.tray.view.paused)
    assert app.core.state.snapshot().paused
    assert "Resume auto-refresh" in app.tray.menu_texts()
    assert app.tray.view.title.endswith("auto-refresh paused")


@pytest.mark.display
def test_show_request_from_second_instance_opens_popup(app: TrayApp) -> None:
    """A ShowPopupRequested event (a second instance) maps the popup."""
    deliver(app, ShowPopupRequested())
    pump(app.root, lambda: app.popup.visible)


@pytest.mark.display
def test_saved_settings_are_written_and_used(app: TrayApp, app_paths: AppPaths) -> None:
    """Saving settings writes the config file and the core uses the new interval."""
    new = Config(interval_minutes=12, icon_limit="session")
    app.save_settings(new)
    assert load_config(app_paths.config_file).config == new
    assert app.core.config == new
    assert app.core.worker.interval_seconds == 12 * 60


@pytest.mark.display
def test_quit_command_ends_the_loop(app: TrayApp) -> None:
    """Quit from the tray stops the core and leaves Tk's mainloop."""
    app.root.after(50, lambda: app._on_tray_command(TrayCommand.QUIT))
    started = time.monotonic()
    app.root.mainloop()
    assert time.monotonic() - started < 10
    assert app.core.refresh_now() is False  # shut down: commands are refused


# --- small pieces -----------------------------------------------------------------------


def test_browser_env_restores_library_path_in_frozen_linux_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A frozen Linux build gives the browser the original LD_LIBRARY_PATH back."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    env = {"LD_LIBRARY_PATH": "/tmp/_MEI123", "LD_LIBRARY_PATH_ORIG": "/usr/local/lib"}
    assert browser_environment(env)["LD_LIBRARY_PATH"] == "/usr/local/lib"
    assert "LD_LIBRARY_PATH" not in browser_environment({"LD_LIBRARY_PATH": "/tmp/_MEI123"})


def test_browser_env_untouched_when_not_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """From source, the browser gets the environment as it is."""
    monkeypatch.delattr(sys, "frozen", raising=False)
    env = {"LD_LIBRARY_PATH": "/opt/lib"}
    assert browser_environment(env) == env


def test_x11_title_is_latin1_safe() -> None:
    """Tooltip texts with … and – become latin-1 text python-xlib can write."""
    title = x11_title("Claude: session 42% · week 18% – reading…")
    title.encode("latin-1")
    assert title == "Claude: session 42% · week 18% - reading..."


def test_demo_settings_and_home(app_paths: AppPaths) -> None:
    """The demo reads the web source every 15 s and lives under <cache>/demo."""
    config = demo_config(Config(source="claude-code", interval_minutes=30))
    assert config.source == "web"
    assert config.interval_minutes == DEMO_INTERVAL_MINUTES == 0.25
    assert demo_home(app_paths) == app_paths.cache_dir / "demo"


def test_demo_environment_points_children_at_emulator_and_restores(app_paths: AppPaths) -> None:
    """Inside the demo the scraper's variables name the emulator and the demo home;
    afterwards they are as before and the emulator is gone."""
    before = {k: os.environ.get(k) for k in ("CLAUDE_TRAY_HOME", "CLAUDE_TRAY_BASE_URL")}
    with demo_environment(app_paths, Config()) as setup:
        assert os.environ["CLAUDE_TRAY_BASE_URL"] == setup.base_url
        assert setup.base_url.startswith("http://127.0.0.1:")
        assert os.environ["CLAUDE_TRAY_HOME"] == str(demo_home(app_paths))
        assert setup.paths.data_dir == demo_home(app_paths) / "data"
        assert setup.session_key.startswith("sk-ant-sid01-")
        port = int(setup.base_url.rsplit(":", 1)[1])
    assert {k: os.environ.get(k) for k in before} == before
    import socket

    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


@pytest.mark.posix_only
def test_run_without_display_says_use_status(tmp_path: Path) -> None:
    """Without a display, `claude-tray run` says to use `status` and exits 1, no traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("PYSTRAY_BACKEND", None)
    env.update(CLAUDE_TRAY_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    result = run_module("claude_tray", ["run"], env, stdin=None, timeout=120)
    assert result.returncode == 1
    assert "claude-tray status" in result.stderr
    assert "Traceback" not in result.stderr
    # The failed start left no lock behind: the next start is not told "already running".
    assert not (tmp_path / "home" / "data" / "instance.lock").exists()


@pytest.mark.display
def test_icon_colour_follows_the_forecast_only_when_asked(app: TrayApp) -> None:
    """Issue 14: 30 % used but heading for 95 % at the reset: coloured by the forecast (opt-in)."""
    from claude_tray.documents import Pace

    heading = usage(30.0)
    limit = heading.limits[0]
    ahead = Limit(**{**limit.__dict__, "pace": Pace(elapsed_percent=20.0, projected_percent=95.0)})
    document = UsageDocument.build(source="web", limits=[ahead], last_updated=heading.last_updated)
    deliver(app, UsageUpdated(document))
    off = app.tray.view.image.tobytes()
    app.config = dataclasses.replace(app.config, icon_colour_follows_pace=True)
    app.refresh_tray()
    on = app.tray.view.image.tobytes()
    assert on != off  # the same 30 %, another colour
    deliver(app, UsageUpdated(heading))  # no pace known: the percent used decides
    assert app.tray.view.image.tobytes() == off


@pytest.mark.display
def test_login_expiry_is_announced_once_with_log_in(app: TrayApp, app_paths: AppPaths) -> None:
    """Issue 14: a stored login ending in 2 days gives one banner with the Log in action."""
    from claude_tray.scraper.session_store import WebSession, save_session

    ends = datetime.now(timezone.utc) + timedelta(days=2)
    save_session(app_paths, WebSession(session_key="sk-ant-sid01-expiry-test", key_expires_at=ends))
    while app.popup.current_banner is not None:  # the config note from the fixture
        app.popup.dismiss_banner()
    deliver(app, UsageUpdated(usage(42.0)))
    banner = app.popup.current_banner
    assert banner is not None
    assert banner.title.startswith("Your claude.ai login ends in 1 d 23 h")
    assert banner.action == "login"
    app.popup.dismiss_banner()
    deliver(app, UsageUpdated(usage(43.0)))
    assert app.popup.current_banner is None


@pytest.mark.display
@pytest.mark.posix_only
def test_the_status_line_feed_reaches_the_tray_from_its_watch_not_a_tk_timer(
    app: TrayApp, app_paths: AppPaths, tray_home: Path
) -> None:
    """A real `claude-tray statusline` (another process) writes the feed; the app's feed
    watch reads it on its own thread and the tray's tooltip shows the fed number. No Tk
    timer is involved: before, only a 5 s Tk `after` looked at the feed (and read it and
    the history on the Tk thread); this test never starts that loop."""
    shown = usage(30.0)
    deliver(app, UsageUpdated(shown))
    assert "30%" in app.tray.view.title
    reset = shown.limits[0].resets_at
    assert reset is not None
    app.feed_watch.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_")},
        "CLAUDE_TRAY_HOME": str(tray_home),
        "PYTHONPATH": str(REPO),
    }
    stdin = json.dumps(
        {
            "rate_limits": {
                "five_hour": {"used_percentage": 47.0, "resets_at": int(reset.timestamp())}
            }
        }
    )
    fed = run_module("claude_tray", ["statusline"], env, stdin=stdin, timeout=60)
    assert fed.returncode == 0, fed.stderr
    assert app_paths.statusline_feed_file.exists()
    pump(app.root, lambda: "47%" in app.tray.view.title, timeout=60)
    assert app.feed_watch.event_driven


@pytest.mark.display
def test_the_icon_turns_stale_by_itself_at_that_moment_with_no_minute_tick(
    app: TrayApp,
) -> None:
    """Fresh numbers on a 60 min interval: the app's one timer is for the moment they turn
    stale (two intervals), not a minute from now. Numbers about to turn stale get the
    stale look when that moment comes, with no event (before: a fixed 60 s tick that
    `run()` started, which this test never calls)."""
    app.config = dataclasses.replace(app.config, interval_minutes=60)
    fresh = usage(30.0, minutes_ago=1)
    deliver(app, UsageUpdated(fresh))
    stale_at = fresh.last_updated + timedelta(minutes=120)
    local = datetime.now().astimezone()
    midnight = datetime.combine(local.date() + timedelta(days=1), dt_time(0), local.tzinfo)
    # That moment, or local midnight if sooner (a reset's weekday becomes "today").
    assert app.next_tick_at is not None
    assert min(abs((app.next_tick_at - moment).total_seconds()) for moment in
               (stale_at, midnight)) < 1  # fmt: skip
    app.config = dataclasses.replace(app.config, interval_minutes=1)
    almost = usage(35.0, minutes_ago=2 - 3 / 60)  # stale in about 3 s
    deliver(app, UsageUpdated(almost))
    if datetime.now(timezone.utc) < almost.last_updated + timedelta(minutes=2, seconds=-1):
        assert "updated" not in app.tray.view.title  # (a very slow machine is past it)
    pump(app.root, lambda: "min ago" in app.tray.view.title, timeout=60)
    # Stale now: the next look is when "2 min ago" becomes "3 min ago" (or midnight).
    assert app.next_tick_at is not None
    assert datetime.now(timezone.utc) < app.next_tick_at
    assert app.next_tick_at <= almost.last_updated + timedelta(minutes=3, seconds=1)
