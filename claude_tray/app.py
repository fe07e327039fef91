"""The tray app: wires Tk, the tray icon, the popup and the core together.

Threads: Tk owns the main thread (`root.withdraw(); root.mainloop()`); the tray
loop runs in a daemon thread; the core runs the scraper on its single worker
thread. Nothing polls: the core's events and the tray's commands go on queues
whose `put` also wakes Tk through a pipe watched by Tk's own event loop (a
Tcl file handler), so an idle app costs no CPU (platform.md: all idle CPU of
tray + Tk came from an `after()` poll). Where Tcl has no file handlers
(Windows) a slow `after()` poll is the fallback. Claude Code's status-line feed
is watched by `file_watch.FileWatch` on its own thread (inotify on Linux), which
also reads it: no Tk timer looks at files.

Everything the user sees changes on the Tk thread, and the tray is updated by
exactly one method, `TrayApp.refresh_tray`.

This module must NOT do I/O on the Tk thread beyond reading the state snapshot
(the core's worker runs every scraper command), must NOT block in a tray
callback, and must NOT import Playwright (the scraper child does that).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from PIL import Image

from claude_tray.autostart import StartAtLogin
from claude_tray.config import Config, load_config, save_config
from claude_tray.errors import LOGIN_CODES
from claude_tray.events import (
    Event,
    LoginFinished,
    RefreshFailed,
    ShowPopupRequested,
    UsageUpdated,
)
from claude_tray.first_run import FirstRun, Welcome
from claude_tray.paths import AppPaths
from claude_tray.tray import (
    Backend,
    Tray,
    TrayCommand,
    TrayUnavailable,
    TrayView,
    darwin_icon_options,
    load_backend,
)

if TYPE_CHECKING:
    from claude_tray.popup.window import Popup

log = logging.getLogger(__name__)

#: Milliseconds between checks of the wake flag where Tcl has no file handlers
#: (Windows). platform.md measured 0.05 % CPU for a 500 ms poll.
FALLBACK_POLL_MS = 500
#: The longest single wait for the icon's next change by itself (`view_changes`:
#: the stale look, the age in the tooltip, a reset's weekday at midnight); then it
#: looks again. Tcl's `after` takes milliseconds as a C int.
MAX_TICK_MS = 24 * 3600 * 1000
#: A second full redraw this long after the icon first shows: a tray host may
#: still be embedding it when the first one happens.
SETTLE_REDRAW_MS = 2_000
#: Milliseconds after start without a tray host before the popup opens as a window
#: that explains (a panel starting with the session usually comes within this).
NO_TRAY_GRACE_MS = 2_000
#: Milliseconds between an XEmbed tray appearing and moving the icon there, so an
#: SNI host that came with it registers the item first.
XEMBED_SWITCH_GRACE_MS = 1_500
#: Seconds Quit may take before the process ends itself anyway.
QUIT_DEADLINE = 1.8
#: Seconds the core gets to stop its worker and end a running scraper child.
CORE_SHUTDOWN_TIMEOUT = 1.2
#: Environment variable: a file the app writes its sorted `sys.modules` keys to
#: after start and after each poll (benchmarks and tests check for Playwright).
DEBUG_MODULES_ENV = "CLAUDE_TRAY_DEBUG_MODULES_FILE"

EXIT_OK = 0
EXIT_ERROR = 1


# --- waking Tk from other threads -------------------------------------------------------


class Waker:
    """Wakes Tk's mainloop from any thread without blocking the caller.

    A byte written to a pipe makes Tcl's event loop call `on_wake` on the Tk
    thread. Calling Tk itself from another thread would block that thread until
    Tk serves the call, which deadlocks when Tk is at that moment waiting for
    the tray thread (pystray's xorg backend forwards icon changes to its own
    thread and waits for them).
    """

    def __init__(self, root: tk.Tk, on_wake: Callable[[], None]) -> None:
        self._root = root
        self._on_wake = on_wake
        self._flag = threading.Event()
        self._read_fd: int | None = None
        self._write_fd: int | None = None
        self._poll_job: str | None = None
        self._closed = False
        if hasattr(root.tk, "createfilehandler"):  # Tcl on Unix and macOS
            self._read_fd, self._write_fd = os.pipe()
            os.set_blocking(self._read_fd, False)
            os.set_blocking(self._write_fd, False)
            root.tk.createfilehandler(self._read_fd, tk.READABLE, self._readable)
        else:  # pragma: no cover - Windows
            self._poll_job = root.after(FALLBACK_POLL_MS, self._poll)

    @property
    def signal_fd(self) -> int | None:
        """A non-blocking fd for `signal.set_wakeup_fd`, so signals wake Tk too."""
        return self._write_fd

    def wake(self) -> None:
        """Ask for `on_wake` on the Tk thread soon. Never blocks; safe from any thread."""
        self._flag.set()
        if self._write_fd is not None:
            with contextlib.suppress(BlockingIOError, OSError):  # full pipe: a wake is pending
                os.write(self._write_fd, b"w")

    def _readable(self, fd: int, _mask: int) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(fd, 4096):
                pass
        self._run()

    def _poll(self) -> None:  # pragma: no cover - Windows
        self._poll_job = None
        if self._closed:
            return
        if self._flag.is_set():
            self._run()
        self._poll_job = self._root.after(FALLBACK_POLL_MS, self._poll)

    def _run(self) -> None:
        self._flag.clear()
        try:
            self._on_wake()
        except Exception:  # one bad event must not end the app's event loop
            log.exception("error while handling events on the UI thread")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._read_fd is not None:
            with contextlib.suppress(Exception):
                self._root.tk.deletefilehandler(self._read_fd)
        for fd in (self._read_fd, self._write_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._read_fd = self._write_fd = None


class WakingQueue(queue.Queue[Any]):
    """A queue whose `put` also wakes the UI thread (the core's event queue)."""

    def __init__(self, wake: Callable[[], None]) -> None:
        super().__init__()
        self._wake = wake

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        self._wake()


# --- opening the usage page -------------------------------------------------------------


def open_url(url: str) -> None:
    """Open `url` in the user's browser from a short-lived thread (never blocks the UI)."""

    def opener() -> None:
        # The frozen-build library path is undone the same way as for the scraper's browser.
        from claude_tray.scraper.browser_discovery import browser_environment

        try:
            if getattr(sys, "frozen", False) and sys.platform.startswith("linux"):
                subprocess.Popen(
                    ["xdg-open", url],
                    env=browser_environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            else:
                import webbrowser  # rare (a click), and 0.7 MB for the whole run (issue 12)

                webbrowser.open(url)
        except Exception:
            log.warning("could not open %s in a browser", url, exc_info=True)

    threading.Thread(target=opener, name="open-url", daemon=True).start()


# --- the app ----------------------------------------------------------------------------


@dataclass
class StartOptions:
    """What differs between `claude-tray run` and `claude-tray demo`."""

    #: Called on the Tk thread once the UI is up, before polling starts; returns
    #: True when it started polling itself (the demo logs in first).
    on_started: Callable[[Any], bool] | None = None
    #: Extra words in the window title and tooltip ("demo").
    label: str = ""
    #: The read budget's limit (reads an hour, all processes of this home); None:
    #: the default. The demo reads its own local emulator, which has no budget.
    reads_per_hour: int | None = None
    #: The settings dialog's start-at-login switch (start_app gives the real one;
    #: None hides it, as in-process tests want).
    start_at_login: StartAtLogin | None = None
    #: Welcome the user on the first start on this machine (start_app turns it on;
    #: in-process tests leave it off).
    first_run: bool = False
    #: How Settings shows and limits the interval (popup.settings.IntervalRule); None:
    #: minutes, 1 to 1440. The demo counts in seconds.
    interval_rule: Any = None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TrayApp:
    """The running app. Construct on the main thread, then `run()`; everything else on Tk."""

    def __init__(
        self,
        paths: AppPaths,
        config: Config,
        *,
        root: tk.Tk,
        backend: Backend,
        config_problems: list[str] | None = None,
        options: StartOptions | None = None,
        instance_lock: Any = None,
        exit_deadline: float | None = None,
    ) -> None:
        """`exit_deadline`: seconds after Quit starts at which the process ends itself
        even if something hangs (the real app sets it; in-process tests do not)."""
        from claude_tray.core import Core
        from claude_tray.lazy_popup import LazyPopup
        from claude_tray.notifications import ThresholdNotifier

        self.paths = paths
        self._forecast_colour: Any = None  # pace_colour.ForecastColour, made when first used
        self.config = config
        self.root = root
        self.options = options or StartOptions()
        self._instance_lock = instance_lock
        self._exit_deadline = exit_deadline
        self._quitting = False
        self._logged_in: bool | None = None
        self._image_key: tuple[Any, ...] | None = None
        self._image: Image.Image | None = None
        self._draw: Callable[[int], Image.Image] | None = None
        self._tick_job: str | None = None
        #: When the icon looks at the time again by itself (None: not until an event).
        self.next_tick_at: datetime | None = None
        self._redraw_tray = False
        self._settle_redraw = False
        self._debug_modules_file = os.environ.get(DEBUG_MODULES_ENV)

        self.waker = Waker(root, self._on_wake)
        self.events = WakingQueue(self.waker.wake)
        self.commands: queue.SimpleQueue[TrayCommand] = queue.SimpleQueue()
        from claude_tray.read_budget import ReadBudget

        budget = None
        if self.options.reads_per_hour is not None:
            budget = ReadBudget.for_paths(paths, limit=self.options.reads_per_hour)
        self.core = Core(paths, config, self.events, budget=budget)
        from claude_tray.history_child import for_this_process

        # SQLite stays out of the long-running tray: each history write and read after
        # a poll runs in a short child (about 1.4 MB idle, issue 12).
        self.core.enricher.store = for_this_process()
        from claude_tray.network_watch import NetworkWatch

        # NetworkManager's "connected again" (Linux; optional): poll at once after an outage.
        self._network = NetworkWatch(self.core.network_back)
        from claude_tray.file_watch import FileWatch

        # Numbers from Claude Code's status line show within moments, between polls.
        self.feed_watch = FileWatch(
            paths.statusline_feed_file,
            self.core.check_feed,
            next_check=self.core.feed_quiet_in,
            name="feed-watch",
        )
        self.notifier = ThresholdNotifier(thresholds=tuple(config.notify_thresholds))
        self.first_run = FirstRun(paths.data_dir) if self.options.first_run else None

        snapshot = self.core.state.snapshot()
        if snapshot.usage is not None:
            # The cached numbers are the baseline: no notification for crossings
            # that happened before this start.
            self.notifier.prime(snapshot.usage)
        # macOS (untested here): pystray attaches to Tk's NSApplication.
        icon_options = darwin_icon_options() if backend.name == "darwin" else {}
        self._host_changed = threading.Event()
        self._no_tray_shown = False
        self._told_no_tray = False
        self._xembed_appeared = threading.Event()
        self._xembed_watch: Any = None
        self._watcher_appeared = threading.Event()
        self._watcher_watch: Any = None
        self._no_tray_job: str | None = None
        #: Notifications the desktop could not show (bus thread -> Tk thread).
        self._lost_notes: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.tray = Tray(
            backend,
            self._view_for(snapshot),
            self._on_tray_command,
            on_shown=self._on_tray_shown,
            on_host_changed=self._on_tray_host_changed,
            **icon_options,
        )
        self.desktop_notifier = self._open_desktop_notifier()
        # Built on first use (lazy_popup.py): its modules and widgets are about 5 MB
        # and 0.2 s between start and the first icon (issue 12).
        self.popup: Popup = cast("Popup", LazyPopup(self._build_popup))
        self.popup.apply_snapshot(snapshot)
        for problem in config_problems or []:
            log.warning("config: %s", problem)
        if config_problems:
            self._notice(
                "Some settings were ignored",
                "; ".join(config_problems)[:400] + ". The defaults are used for those.",
            )

    def _build_popup(self) -> Popup:
        from claude_tray.popup.window import Popup

        return Popup(
            self.root,
            self.core,
            self.config,
            on_quit=self.quit,
            on_save_config=self.save_settings,
            open_url=open_url,
            start_at_login=self.options.start_at_login,
            interval_rule=self.options.interval_rule,
            # The worker's own next try (the back-off banner names it); memory only.
            next_poll_at=lambda: self.core.state.snapshot().next_poll_at,
        )

    # Starting and stopping -----------------------------------------------------------------

    def run(self) -> int:
        """Show the icon, start polling and run Tk's loop until Quit."""
        self.tray.start()
        self._install_signal_handlers()
        self.root.after_idle(self._started)
        self._no_tray_job = self.root.after(NO_TRAY_GRACE_MS, self._check_tray_host)
        self._watch_for_sni_watcher()
        self._schedule_tick(self.core.state.snapshot())
        self.root.mainloop()
        return EXIT_OK

    def _started(self) -> None:
        if self._instance_lock is not None:
            self._instance_lock.set_on_show(lambda: self.events.put(ShowPopupRequested()))
        polling = False
        if self.options.on_started is not None:
            polling = self.options.on_started(self.core)
        if not polling:
            self.core.start_polling()
        # Connecting to the system bus is I/O: never on the Tk thread.
        threading.Thread(target=self._network.start, name="network-watch", daemon=True).start()
        # Claude Code's status line: the feed is read on the watch's thread when the
        # file changes (inotify on Linux), and its event wakes Tk like a poll's.
        self.feed_watch.start()
        self._write_debug_modules()

    def _install_signal_handlers(self) -> None:
        # Tk's loop sleeps in C, so a Python signal handler would wait for the
        # next X event; the wake-up fd makes the signal itself wake Tk.
        if (
            self.waker.signal_fd is None
            or threading.current_thread() is not threading.main_thread()
        ):
            return
        with contextlib.suppress(ValueError, OSError):
            signal.set_wakeup_fd(self.waker.signal_fd, warn_on_full_buffer=False)
        # SIGHUP: the terminal or the X session went away; quit cleanly like SIGTERM
        # (the scraper child ends with us anyway: runner.py's lifeline).
        signums = [signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)]
        for signum in signums:
            if signum is not None:
                signal.signal(
                    signum, lambda _signum, _frame: self._on_tray_command(TrayCommand.QUIT)
                )

    def quit(self) -> None:
        """Stop polling, end any scraper child, remove the icon and end Tk's loop."""
        if self._quitting:
            return
        self._quitting = True
        log.info("quitting")
        if self._exit_deadline is not None:
            # A safety net: whatever hangs from here on (a stuck tray thread, a
            # non-daemon thread at interpreter exit), the process still ends.
            watchdog = threading.Timer(self._exit_deadline, self._force_exit)
            watchdog.daemon = True
            watchdog.start()
        with contextlib.suppress(Exception):
            self.popup.hide()
        self.tray.stop()
        self._network.stop()
        if self.desktop_notifier is not None:
            with contextlib.suppress(Exception):
                self.desktop_notifier.close()
        if self._watcher_watch is not None:
            with contextlib.suppress(Exception):
                self._watcher_watch.stop()
        try:
            self.core.shutdown(timeout=CORE_SHUTDOWN_TIMEOUT)
        except Exception:
            log.warning("the core did not shut down cleanly", exc_info=True)
        if self._instance_lock is not None:
            self._instance_lock.close()
        self.feed_watch.stop(timeout=0.3)
        for job in (self._tick_job,):
            if job is not None:
                with contextlib.suppress(Exception):
                    self.root.after_cancel(job)
        with contextlib.suppress(ValueError, OSError):
            if threading.current_thread() is threading.main_thread():
                signal.set_wakeup_fd(-1)
        self.waker.close()
        self.root.quit()

    def _force_exit(self) -> None:
        log.error("quit took longer than %.1f s; ending the process", self._exit_deadline)
        logging.shutdown()
        os._exit(EXIT_OK)

    # Cross-thread inputs -------------------------------------------------------------------

    def _on_tray_command(self, command: TrayCommand) -> None:
        """Called on the tray thread (or a signal handler): hand over and wake Tk."""
        self.commands.put(command)
        self.waker.wake()

    def _on_tray_shown(self) -> None:
        """Called on the tray's thread once the icon is visible: redraw everything."""
        self._redraw_tray = True
        self._settle_redraw = True
        self.waker.wake()

    def _on_tray_host_changed(self, _present: bool) -> None:
        """Called on a tray thread when a tray host starts showing the icon, or goes."""
        self._host_changed.set()
        self.waker.wake()

    def _on_wake(self) -> None:
        if self._quitting:
            return
        if self._xembed_appeared.is_set():
            self._xembed_appeared.clear()
            # A panel that hosts both kinds (xfce) takes the X selection a moment
            # before its watcher accepts the item: let SNI win that race.
            self.root.after(XEMBED_SWITCH_GRACE_MS, self._use_xembed_tray)
        if self._watcher_appeared.is_set():
            self._watcher_appeared.clear()
            self._use_sni_host()
        if self._host_changed.is_set():
            self._host_changed.clear()
            if self.tray.host_present:
                self._check_tray_host()
            elif self._no_tray_job is None:
                # A panel that restarts is back within a moment: give it the same grace.
                self._no_tray_job = self.root.after(NO_TRAY_GRACE_MS, self._check_tray_host)
        while True:
            try:
                title, body = self._lost_notes.get_nowait()
            except queue.Empty:
                break
            self._notice(title, body)
        changed = False
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                break
            self._run_command(command)
            if self._quitting:
                return
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            self._apply_event(event)
            changed = True
        if changed:
            self._write_debug_modules()
        self.refresh_tray()

    def _run_command(self, command: TrayCommand) -> None:
        log.debug("tray command: %s", command.value)
        if command is TrayCommand.SHOW_DETAILS:
            self.popup.toggle(self._click_position())
        elif command is TrayCommand.REFRESH:
            self.core.refresh_now()
        elif command is TrayCommand.LOGIN:
            self.popup.show_login()
        elif command is TrayCommand.LOGOUT:
            self.core.logout()
        elif command is TrayCommand.PAUSE:
            self.core.pause()
        elif command is TrayCommand.RESUME:
            self.core.resume()
        elif command is TrayCommand.OPEN_USAGE_PAGE:
            open_url(self.popup.usage_url)
        elif command is TrayCommand.SETTINGS:
            self.popup.open_settings()
        elif command is TrayCommand.QUIT:
            self.quit()

    def _click_position(self) -> tuple[int, int] | None:
        """Where the user clicked the icon: the xorg backend knows; elsewhere the
        pointer is still on the icon (or on its menu, next to it) at this moment."""
        if self.tray.last_click is not None:
            return self.tray.last_click
        try:
            x, y = self.root.winfo_pointerxy()
        except tk.TclError:
            return None
        return (x, y) if x >= 0 and y >= 0 else None

    def _apply_event(self, event: Event) -> None:
        if isinstance(event, ShowPopupRequested):
            self.popup.show()
            return
        try:
            self.popup.apply_event(event)
        except Exception:
            log.exception("the popup could not show an event")
        if isinstance(event, UsageUpdated) and not event.stale:
            self._logged_in = True if event.document.source == "web" else self._logged_in
            self._notify_thresholds(event)
            if event.document.source == "web":
                self._warn_login_expiry()
        elif isinstance(event, RefreshFailed) and event.code in LOGIN_CODES:
            self._logged_in = False
        elif isinstance(event, LoginFinished):
            self._logged_in = event.logged_in
        if self.first_run is not None:
            self._welcome(self.first_run.decide(event))

    def _welcome(self, welcome: Welcome | None) -> None:
        """The first start's welcome (first_run.py decides which)."""
        if welcome is Welcome.LOG_IN:
            log.info("first run: no login found; showing the ways to log in")
            self.popup.show_welcome()
        elif welcome is Welcome.CLAUDE_CODE:
            log.info("first run: reading the usage through Claude Code's login")
            title = "Reading your usage through Claude Code"
            body = (
                "claude-tray found Claude Code's login on this machine and reads your plan "
                "usage with it (read-only). To use a claude.ai web session instead, log in "
                "from this window."
            )
            self._notice(title, body)
            self.tray.notify(title, body)

    # Notifications -------------------------------------------------------------------------

    def _notify_thresholds(self, event: UsageUpdated) -> None:
        notes = self.notifier.update(event.document)
        if not self.config.notifications:
            return
        for note in notes:
            log.info("notification: %s", note.title)
            if self.desktop_notifier is not None:
                # Answers (or the lack of a server) come back through `_lost_notes`.
                self.desktop_notifier.notify(f"{note.kind}:{note.limit_id}", note.title, note.body)
            elif not self.tray.notify(note.title, note.body):
                self._notice(note.title, note.body)

    def _open_desktop_notifier(self) -> Any:
        """Linux: notifications over D-Bus, whatever the tray backend (None elsewhere)."""
        if not sys.platform.startswith("linux") or self.tray.has_notification:
            return None
        try:
            from claude_tray.desktop_notify import DesktopNotifier
            from claude_tray.icon import app_icon
        except ImportError:  # jeepney missing from an odd install: the banner still works
            log.info("no D-Bus library; notifications go to the popup's banner")
            return None

        def lost(title: str, body: str) -> None:  # bus thread
            self._lost_notes.put((title, body))
            self.waker.wake()

        return DesktopNotifier.open(
            app_icon(64),
            on_activated=lambda: self._on_tray_command(TrayCommand.SHOW_DETAILS),
            on_failed=lost,
        )

    # No tray host --------------------------------------------------------------------------

    def _watch_for_xembed_tray(self) -> None:
        """SNI found no host: an XEmbed tray (trayer, polybar, i3bar) starting later should
        get the icon too, so watch the X display for one (once; its thread blocks)."""
        display = os.environ.get("DISPLAY")
        if self.tray.backend.name != "sni" or self.tray.backend.forced or not display:
            return
        if self._xembed_watch is not None:
            return
        from claude_tray.tray.hosts import XEmbedWatch

        def appeared() -> None:  # the watch's thread
            self._xembed_appeared.set()
            self.waker.wake()

        self._xembed_watch = XEmbedWatch(display, appeared)
        self._xembed_watch.start()

    def _watch_for_sni_watcher(self) -> None:
        """On xorg: a StatusNotifierWatcher that appears later (a panel, the GNOME
        extension turned on) takes the icon, as SNI is the better host."""
        if self.tray.backend.name != "xorg" or self._watcher_watch is not None:
            return
        if not sys.platform.startswith("linux") or self.tray.backend.forced:
            return  # a forced backend stays
        from claude_tray.tray.hosts import WatcherWatch

        def appeared() -> None:  # the watch's bus thread
            self._watcher_appeared.set()
            self.waker.wake()

        watch = WatcherWatch(appeared)
        if watch.start():
            self._watcher_watch = watch

    def _use_sni_host(self) -> None:
        if self.tray.backend.name != "xorg":
            return
        from claude_tray.tray.choice import TrayUnavailable, load_sni_backend

        try:
            backend = load_sni_backend()
        except TrayUnavailable as exc:
            log.warning("a StatusNotifierWatcher appeared but %s", exc)
            return
        log.info("a StatusNotifierWatcher appeared: moving the icon to it")
        if self._watcher_watch is not None:
            self._watcher_watch.stop()
            self._watcher_watch = None
        self.tray.switch_to(backend)
        self._redraw_tray = True

    def _use_xembed_tray(self) -> None:
        if self.tray.host_present or self.tray.backend.name != "sni":
            return  # an SNI host came first: stay
        from claude_tray.tray.choice import TrayUnavailable, load_xorg_backend

        try:
            backend = load_xorg_backend()
        except TrayUnavailable as exc:
            log.warning("an XEmbed tray appeared but the xorg backend cannot start: %s", exc)
            return
        log.info("an XEmbed tray appeared and no SNI host is there: moving the icon to it")
        self.tray.switch_to(backend)
        self._redraw_tray = True
        self._xembed_watch = None  # it fired and ended; SNI may find no host again later
        self._watch_for_sni_watcher()

    def _check_tray_host(self) -> None:
        """Open the popup as a window that explains when no tray shows the icon (undone
        when one does)."""
        from claude_tray.tray.advice import NO_TRAY_TITLE, no_tray_message

        self._no_tray_job = None
        if self._quitting:
            return
        present = self.tray.host_present
        if not present and not self._no_tray_shown:
            self._no_tray_shown = True
            if not self._told_no_tray:
                self._told_no_tray = True
                log.warning(
                    "no tray host found (backend %s); showing the window instead",
                    self.tray.backend.name,
                )
            else:
                log.info("the tray host is gone; showing the window instead")
            self.popup.set_standalone((NO_TRAY_TITLE, no_tray_message(os.environ)))
            self.popup.show()
            self._watch_for_xembed_tray()
        elif present and self._no_tray_shown:
            self._no_tray_shown = False
            log.info("a tray host shows the icon now")
            self.popup.set_standalone(None)

    def _warn_login_expiry(self) -> None:
        """Once, a few days before the stored claude.ai login ends: say so, with Log in."""
        from claude_tray.login_expiry import check

        try:
            warning = check(self.paths, _utc_now())
        except Exception:
            log.exception("checking when the login ends failed")
            return
        if warning is None:
            return
        self.popup.show_message(warning.title, warning.body, action="login", tone="warning")
        if self.config.notifications:
            self.tray.notify(warning.title, warning.body)

    def _notice(self, title: str, body: str) -> None:
        """A message in the popup's banner (where the tray has no notifications)."""
        self.popup.show_message(title, body)

    # The tray: one place -------------------------------------------------------------------

    def _forecast_level(self, snapshot: Any, look: str) -> Any:
        """The icon's colour band from the forecast (opt-in setting), else None."""
        if not self.config.icon_colour_follows_pace or look != "normal":
            return None
        from claude_tray.pace_colour import ForecastColour, forecast_percent
        from claude_tray.text_format import headline_limit

        limit = headline_limit(snapshot.usage, self.config.icon_limit)
        if limit is None:
            return None
        if self._forecast_colour is None:
            self._forecast_colour = ForecastColour()
        return self._forecast_colour.update(forecast_percent(limit), self.config.thresholds)

    def _view_for(self, snapshot: Any) -> TrayView:
        from claude_tray.icon import icon_look_for, icon_text, render_icon
        from claude_tray.text_format import tooltip_text

        now = _utc_now()
        percent, look = icon_look_for(
            snapshot, now, self.config.interval_minutes, self.config.icon_limit
        )
        level = self._forecast_level(snapshot, look)
        key = (percent, look, self.config.thresholds, level)
        if key != self._image_key or self._image is None:
            self._image = render_icon(percent, look, self.config.thresholds, level=level)
            self._image_key = key
            self._draw = functools.partial(
                render_icon, percent, look, self.config.thresholds, level=level
            )
        title = tooltip_text(
            snapshot.usage,
            now,
            look=look,
            error=snapshot.last_error,
            icon_limit=self.config.icon_limit,
            paused=bool(snapshot.paused),
        )
        if self.options.label:
            title = f"{title} ({self.options.label})"[:127]
        logged_in = self._logged_in if self._logged_in is not None else look != "logged_out"
        label = f"{icon_text(percent)}%" if percent is not None and look != "logged_out" else ""
        return TrayView(
            self._image, title, logged_in, bool(snapshot.paused), draw=self._draw, label=label
        )

    def refresh_tray(self) -> None:
        """Show the current state in the tray: image, tooltip and menu. Tk thread only."""
        if self._quitting:
            return
        force, self._redraw_tray = self._redraw_tray, False
        snapshot = self.core.state.snapshot()
        self.tray.update(self._view_for(snapshot), force=force)
        self._schedule_tick(snapshot)
        if self._settle_redraw:
            self._settle_redraw = False
            self.root.after(SETTLE_REDRAW_MS, self._force_redraw)

    def _force_redraw(self) -> None:
        self._redraw_tray = True
        self.refresh_tray()

    def _schedule_tick(self, snapshot: Any) -> None:
        """One Tk timer for the moment the icon or tooltip next changes by itself, or
        none: no fixed tick between polls (issue 12). Events schedule it anew."""
        from claude_tray.view_changes import next_change

        if self._tick_job is not None:
            with contextlib.suppress(tk.TclError):
                self.root.after_cancel(self._tick_job)
            self._tick_job = None
        now = _utc_now()
        moment = next_change(snapshot, now, interval_minutes=self.config.interval_minutes)
        self.next_tick_at = None if self._quitting else moment
        if moment is None or self._quitting:
            return
        # A moment late, so the look it brings is surely there when we look.
        delay = (moment - now).total_seconds() * 1000 + 50
        self._tick_job = self.root.after(int(min(MAX_TICK_MS, max(delay, 50))), self._tick)

    def _tick(self) -> None:
        self._tick_job = None
        self.refresh_tray()

    # Settings ------------------------------------------------------------------------------

    def save_settings(self, config: Config) -> None:
        """Save the user's settings and use them at once (from the popup's settings dialog)."""
        try:
            save_config(self.paths.config_file, config)
        except OSError as exc:
            log.error("could not save the settings: %s", exc)
            self._notice("Settings not saved", f"The file could not be written ({exc}).")
            return
        self.config = config
        self.core.update_config(config)
        self.notifier = self._new_notifier(config)
        self.refresh_tray()

    def _new_notifier(self, config: Config) -> Any:
        from claude_tray.notifications import ThresholdNotifier

        notifier = ThresholdNotifier(thresholds=tuple(config.notify_thresholds))
        usage = self.core.state.snapshot().usage
        if usage is not None:
            notifier.prime(usage)
        return notifier

    # Debug hook ----------------------------------------------------------------------------

    def _write_debug_modules(self) -> None:
        if not self._debug_modules_file:
            return
        with (
            contextlib.suppress(OSError),
            open(self._debug_modules_file, "w", encoding="utf-8") as handle,
        ):
            handle.write("\n".join(sorted(sys.modules)) + "\n")
        # Beside it, each thread's name and kernel id (benchmarks attribute wake-ups).
        with (
            contextlib.suppress(OSError),
            open(f"{self._debug_modules_file}.threads", "w", encoding="utf-8") as handle,
        ):
            for thread in threading.enumerate():
                handle.write(f"{thread.native_id} {thread.name}\n")


# --- entry point ------------------------------------------------------------------------


def _make_root(label: str) -> tk.Tk:
    root = tk.Tk(className="claude-tray")
    root.withdraw()
    root.title(f"claude-tray{' ' + label if label else ''}")
    return root


def run_app(paths: AppPaths, config: Config, *, demo: bool = False) -> int:
    """Run the tray app until Quit (`claude-tray run` / `claude-tray demo`); the exit code."""
    if demo:
        from claude_tray.demo import run_demo

        return run_demo(paths, config)
    return start_app(paths, config)


def start_app(paths: AppPaths, config: Config, options: StartOptions | None = None) -> int:
    """The tray app for these paths and settings (the demo passes its own)."""
    from claude_tray.single_instance import AnotherInstance, InstanceLock, acquire

    options = options or StartOptions()
    if options.start_at_login is None:
        options = dataclasses.replace(options, start_at_login=StartAtLogin(), first_run=True)
    paths.ensure()
    try:
        lock = acquire(paths.instance_lock_file)
    except AnotherInstance as exc:
        print(f"claude-tray: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not isinstance(lock, InstanceLock):
        log.info("claude-tray already runs (PID %d); asked it to show its popup", lock.pid)
        print(f"claude-tray is already running (PID {lock.pid}); showing its window.")
        return EXIT_OK
    try:
        try:
            backend = load_backend()
            root = _make_root(options.label)
        except (TrayUnavailable, tk.TclError) as exc:
            message = str(exc) if isinstance(exc, TrayUnavailable) else None
            log.error("cannot start the tray: %s", exc)
            print(
                f"claude-tray: {message or 'no display (' + str(exc) + ').'}"
                + ("" if message else " Use `claude-tray status` on the command line instead."),
                file=sys.stderr,
            )
            return EXIT_ERROR
        problems = load_config(paths.config_file).problems
        app = TrayApp(
            paths,
            config,
            root=root,
            backend=backend,
            config_problems=problems,
            options=options,
            instance_lock=lock,
            exit_deadline=QUIT_DEADLINE,
        )
        code = app.run()
        with contextlib.suppress(tk.TclError):
            root.destroy()
        return code
    finally:
        lock.close()
