"""The app's commands: what the tray, the popup and the command line ask the core to do.

`Core` wires the runner (child processes), the state (lock, numbers, status)
and the polling worker (one thread) together, and turns every outcome into
events on the UI's `queue.Queue`.

Two kinds of methods, one lock and one state:
- non-blocking (`poll_usage`, `refresh_now`, `check_session`, `manual_login`,
  `logout`, …) for the UI: safe from any thread, return at once; the work runs
  on the worker thread and its result comes back as events (and, when given,
  through an `on_done(document)` callback on the worker thread);
- blocking (`*_blocking`) for the command line: the same work on the calling
  thread, returning the document.

At most one scraper child runs at a time: the state's run lock is taken
without waiting, so a refresh asked for while one runs is answered "already
refreshing" (`RefreshRequested(accepted=False)`), never queued.

Cancelling is done from the calling thread, never queued behind the work it
cancels: `logout()`, `cancel_login()` and `cancel_running()` set the running
child's cancel event at once (the runner ends the child within a tick), and a
cancelled refresh is not retried. Each refresh and each login has its own
cancel event, so cancelling one never cancels the next.

This module must not import Tk, pystray or Playwright, must not start processes
itself (the runner does) and must never block a caller of a non-blocking method.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from claude_tray.config import Config
from claude_tray.documents import (
    Document,
    ErrorDocument,
    SessionDocument,
    UsageDocument,
)
from claude_tray.enrich import FEED_POLL_SECONDS, Enricher
from claude_tray.errors import BACKOFF_CODES, LOGIN_CODES, ErrorCode
from claude_tray.events import (
    BrowserInstalled,
    Event,
    LoginFinished,
    RefreshFailed,
    RefreshRequested,
    SaveFailed,
    Status,
    StatusChanged,
    UsageUpdated,
)
from claude_tray.paths import AppPaths
from claude_tray.read_budget import ReadBudget
from claude_tray.redact import add_secret
from claude_tray.runner import KILL_GRACE_SECONDS, ScraperRunner, StartedChild, poll_args
from claude_tray.state import AppState, utc_now
from claude_tray.worker import (
    LADDER_CODES,
    Clock,
    PollingWorker,
    RetryPolicy,
    Waiter,
    event_wait,
    run_with_retries,
)

log = logging.getLogger(__name__)

OnDone = Callable[[Document], None]

#: After the platform says the network is back, the next poll comes this soon
#: (a moment for DNS and routes to settle).
NETWORK_BACK_DELAY_SECONDS = 2.0
#: A poll refused by the read budget is tried again no sooner than this.
BUDGET_MIN_WAIT_SECONDS = 30.0

#: How long a logout waits for a running child it has cancelled to go away.
LOGOUT_WAIT_SECONDS = KILL_GRACE_SECONDS + 5.0
#: How long a logout waits for the scraper lock a child of another claude-tray
#: process holds (a `status` in a terminal); deleting under it would let that
#: child write rotated cookies back, so the session would come back.
LOGOUT_LOCK_WAIT_SECONDS = 5.0
#: A timeout that took at least this share of its time limit used the whole
#: limit: retrying it at once at full length would only wait as long again.
WHOLE_TIME_LIMIT_SHARE = 0.9

BUSY_MESSAGE = "A refresh is already running; its result will show in a moment."

if TYPE_CHECKING:
    from claude_tray.runner import Runner


def busy_document() -> ErrorDocument:
    """The answer of a blocking command while another scraper child runs (`busy`)."""
    return ErrorDocument(error=ErrorCode.BUSY, message=BUSY_MESSAGE)


def _cancelled_document(command: str) -> ErrorDocument:
    if command == "login":
        return ErrorDocument(error=ErrorCode.LOGIN_CANCELLED, message="The login was cancelled.")
    return ErrorDocument(
        error=ErrorCode.TIMEOUT, message="The refresh was stopped before it finished."
    )


class Core:
    """The commands of the app, on one state, one run lock and one worker thread."""

    def __init__(
        self,
        paths: AppPaths,
        config: Config,
        events: queue.Queue[Event],
        *,
        runner: Runner | None = None,
        clock: Clock | None = None,
        wall: Clock | None = None,
        wake: Callable[[], None] | None = None,
        wait: Waiter | None = None,
        policy: RetryPolicy | None = None,
        rand: Callable[[], float] = random.random,
        budget: ReadBudget | None = None,
    ) -> None:
        """`clock` (monotonic seconds) and `wait` drive the schedule, `wall` (Unix
        seconds) tells a suspend; tests pass fakes.

        `wake()` is called after every event put on `events`, so a UI loop can
        sleep until there is something to show. `budget` counts every poll child
        (all claude-tray processes share the one in the data folder).
        """
        self.paths = paths
        self.config = config
        self._events = events
        self._wake = wake
        self._runner: Runner = (
            runner
            if runner is not None
            else ScraperRunner(paths, config, while_running=self._load_poll_result_modules)
        )
        self._policy = policy or RetryPolicy()
        self._rand = rand
        self.budget = budget if budget is not None else ReadBudget.for_paths(paths)
        #: Set by `_refresh` when its (last) attempt was refused by the read budget.
        self._refused_wait: float | None = None
        self._clock = clock or time.monotonic
        self._wait: Waiter = wait or event_wait
        self.state = AppState(paths, on_status=self._status_changed)
        #: History, status-line feed and pace: what the parent adds to a poll.
        self.enricher = Enricher(paths, retention_days=config.history_days)
        self._worker = PollingWorker(
            self._scheduled_poll,
            interval_seconds=config.interval_minutes * 60,
            clock=self._clock,
            wall=wall or time.time,
            wait=self._wait,
            on_schedule=self._schedule_moved,
        )
        self._flags = threading.Lock()  # guards the fields below
        self._refresh_pending = False
        self._active_cancel: threading.Event | None = None
        self._active_command: str | None = None
        # The running refresh's cancel event, for its attempts and the waits between them.
        self._refresh_cancel: threading.Event | None = None
        # One cancel event per login asked for and not yet finished (queued or running).
        self._login_cancels: list[threading.Event] = []
        self._backoff_streak = 0
        #: Consecutive network_error/timeout/busy results (the retry ladder's step).
        self._ladder_step = 0
        #: Adaptive polling: the previous good numbers and how many polls they stayed put.
        self._previous_usage: UsageDocument | None = None
        self._idle_polls = 0
        self._shut_down = False
        cached = self.state.load_cache()
        if cached is not None:
            self._emit(UsageUpdated(cached, stale=True))

    def _load_poll_result_modules(self) -> None:
        """Import what recording a good poll needs, while its child runs (issue 12).

        The history (with sqlite3), the status-line feed, the pace and the adaptive
        wait are imported where they are used, after the child answered: a one-shot
        `status` would wait for them then. On a second core they load meanwhile; a
        tray that polled before has them already (but not sqlite3: the tray's history
        store runs its reads and writes in a child, history_child.py).
        """
        self.enricher.preload()
        from claude_tray import adaptive  # noqa: F401

    # -- events ---------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        self._events.put(event)
        if self._wake is not None:
            try:
                self._wake()
            except Exception:  # a UI that is going away must not break the worker
                log.exception("the UI wake-up callback failed")

    def _status_changed(self, status: Status) -> None:
        self._emit(StatusChanged(status))

    def _schedule_moved(self, seconds: float | None) -> None:
        self.state.set_next_poll(
            None if seconds is None else utc_now() + timedelta(seconds=seconds)
        )

    def _emit_fresh(self, document: UsageDocument) -> None:
        """Show new numbers (a poll's or the status-line feed's), with the feed's state."""
        self._emit(
            UsageUpdated(
                document, stale=False, live=self.enricher.live, trends=self.enricher.trends
            )
        )

    # -- running one child ------------------------------------------------------

    def _run(
        self,
        command: str,
        args: list[str],
        *,
        stdin: str | None = None,
        cancel: threading.Event | None = None,
        started: StartedChild | None = None,
    ) -> Document:
        """Run one scraper command under `cancel` (a new event if None), in the
        `started` child if there is one (`ScraperRunner.start`).

        The event is the running child's until it ends: shutdown, logout,
        `cancel_login` and `cancel_running` set it from their own thread.
        """
        cancel = cancel if cancel is not None else threading.Event()
        with self._flags:
            if self._shut_down:
                cancel.set()
            self._active_cancel = cancel
            self._active_command = command
        try:
            if cancel.is_set():
                return _cancelled_document(command)
            if started is not None and isinstance(self._runner, ScraperRunner):
                return self._runner.run(command, args, stdin=stdin, cancel=cancel, started=started)
            return self._runner.run(command, args, stdin=stdin, cancel=cancel)
        except Exception:  # the runner never raises for a child; this is a bug
            log.exception("running the scraper failed")
            return ErrorDocument(
                error=ErrorCode.INTERNAL_ERROR,
                message=f"claude-tray hit a bug; details are in the log ({self.paths.log_file}).",
            )
        finally:
            with self._flags:
                self._active_cancel = None
                self._active_command = None

    def _source_args(self) -> list[str]:
        return ["--source", self.config.source]

    @staticmethod
    def _expect(document: Document, kind: type[UsageDocument] | type[SessionDocument]) -> Document:
        if isinstance(document, (ErrorDocument, kind)):
            return document
        log.warning(
            "the scraper answered a %s document where %s was expected",
            type(document).__name__,
            kind.__name__,
        )
        return ErrorDocument(
            error=ErrorCode.INVALID_OUTPUT,
            message="The scraper answered with the wrong kind of document. Details are in the log.",
        )

    # -- polling ----------------------------------------------------------------

    def _poll_once(
        self, cancel: threading.Event | None = None, started: StartedChild | None = None
    ) -> Document:
        args = poll_args(self.config)
        return self._expect(self._run("poll", args, cancel=cancel, started=started), UsageDocument)

    def _poll_time_limit(self) -> float:
        """The time budget of one poll child: what the child may use before it gives up."""
        default_timeout = getattr(self._runner, "default_timeout", None)
        limit = (
            float(default_timeout("poll"))
            if callable(default_timeout)
            else float(self.config.poll_timeout_seconds)
        )
        child_budget = getattr(self._runner, "child_budget", None)
        return float(child_budget(limit)) if callable(child_budget) else limit

    def _refresh(self, *, retry: bool, ahead: StartedChild | None = None) -> Document | None:
        """One refresh (with retries of transient failures); None if a child already runs.

        The refresh has one cancel event for all its attempts: once set, the
        running child ends, the retry wait is cut short and no attempt follows.
        An attempt that timed out after using (nearly) its whole time limit is
        not retried at full length either: the next poll comes on the schedule.
        """
        if not self.state.try_begin(Status.REFRESHING):
            return None
        cancel = threading.Event()
        with self._flags:
            self._refresh_cancel = cancel
            if self._shut_down:
                cancel.set()
        used_whole_time_limit = False
        # Seconds until the read budget allows a read, when it refused the last attempt.
        refused_wait: float | None = None

        def attempt() -> Document:
            nonlocal used_whole_time_limit, refused_wait
            if not self.budget.try_take():
                # The read budget (all claude-tray processes together) is used up.
                refused_wait = self.budget.seconds_until_available()
                # retry_after stays None: it is the service's word; the message says when.
                return ErrorDocument(
                    error=ErrorCode.RATE_LIMITED,
                    message=self.budget.describe_refusal(refused_wait),
                )
            refused_wait = None
            limit = self._poll_time_limit()
            started = time.monotonic()
            document = self._poll_once(cancel, ahead)  # a retry finds it taken: a new child
            used = time.monotonic() - started
            used_whole_time_limit = (
                isinstance(document, ErrorDocument)
                and document.error is ErrorCode.TIMEOUT
                and used >= WHOLE_TIME_LIMIT_SHARE * limit
            )
            return document

        def sleep(seconds: float) -> bool:
            """Wait before a retry; True (no retry) when cancelled or the time limit was used."""
            if cancel.is_set() or used_whole_time_limit:
                if used_whole_time_limit:
                    log.info("not retrying at once: the attempt used its whole time limit")
                return True
            return self._wait(cancel, seconds) or self._worker.stopping

        try:
            if retry:
                document = run_with_retries(
                    attempt, policy=self._policy, sleep=sleep, rand=self._rand
                )
            else:
                document = attempt()
            self._refused_wait = refused_wait
            if refused_wait is not None:
                # Not a failure of the service: nothing to show, the numbers stay;
                # the schedule waits for the next free read.
                self._worker.poll_after(max(refused_wait, BUDGET_MIN_WAIT_SECONDS))
            else:
                document = self._apply_poll_result(document, cancelled=cancel.is_set())
        finally:
            with self._flags:
                self._refresh_cancel = None
            self.state.end()
        return document

    def _apply_poll_result(self, document: Document, *, cancelled: bool = False) -> Document:
        """Record a poll's outcome; returns the document as shown (usage: enriched)."""
        with self._flags:
            shutting_down = self._shut_down
        if (shutting_down or cancelled) and isinstance(document, ErrorDocument):
            # The child was ended on purpose (shutdown, logout, a cancel):
            # not a failure worth showing; the schedule goes on as usual.
            if not shutting_down:
                self._worker.poll_after(self._worker.interval_seconds)
            return document
        if isinstance(document, UsageDocument):
            document = self.enricher.after_poll(document)
            problem = self.state.record_usage(document)
            self._emit_fresh(document)
            for notice in document.notices:
                log.warning("the scraper says: %s", notice)
            if problem is not None:
                # The numbers are shown all the same; the person learns what to fix.
                self._emit(SaveFailed(str(self.paths.usage_cache_file), problem))
        elif isinstance(document, ErrorDocument):
            self.state.record_error(document)
            self._emit(RefreshFailed(document.error, document.message, document.retry_after))
        with self._flags:
            if isinstance(document, ErrorDocument) and document.error in BACKOFF_CODES:
                self._backoff_streak += 1
            else:
                self._backoff_streak = 0
            if isinstance(document, ErrorDocument) and document.error in LADDER_CODES:
                self._ladder_step += 1
            else:
                self._ladder_step = 0
            streak, step = self._backoff_streak, self._ladder_step
        delay = self._policy.next_poll_delay(
            document, self._worker.interval_seconds, streak, ladder_step=step
        )
        if step:
            code = getattr(document, "error", "")
            log.info("next poll in %.0f s (%s, try %d in a row)", delay, code, step)
        if isinstance(document, UsageDocument) and self.config.poll_mode == "adaptive":
            delay = self._adaptive_wait(document)
        if isinstance(document, UsageDocument) and self.enricher.live:
            # Claude Code's status line is feeding the main numbers: the service
            # is asked much less often (only for what the feed does not carry).
            delay = max(delay, float(FEED_POLL_SECONDS))
        if delay > self._worker.interval_seconds:
            log.info(
                "next poll in %.0f s (backing off after %s)", delay, getattr(document, "error", "")
            )
        self._worker.poll_after(delay)
        return document

    def _adaptive_wait(self, document: UsageDocument) -> float:
        """The wait after a good poll in adaptive mode (`adaptive.next_wait`)."""
        from claude_tray.adaptive import next_wait, unchanged

        previous = self._previous_usage
        self._idle_polls = self._idle_polls + 1 if unchanged(document, previous) else 0
        self._previous_usage = document
        thresholds = [
            *self.config.notify_thresholds,
            self.config.thresholds.warning,
            self.config.thresholds.critical,
        ]
        decision = next_wait(
            document,
            previous,
            longest=float(self._worker.interval_seconds),
            idle_polls=self._idle_polls,
            thresholds=thresholds,
            budget_reads=self.budget.limit,
            budget_window=self.budget.window_seconds,
            now=utc_now(),
            rand=self._rand(),
        )
        log.info("next poll in %.0f s (adaptive: %s)", decision.seconds, decision.why)
        return decision.seconds

    def _scheduled_poll(self) -> None:
        if self._refresh(retry=True) is None:
            log.info("scheduled poll skipped: a scraper child is already running")

    def _refresh_task(self, on_done: OnDone | None) -> None:
        with self._flags:
            self._refresh_pending = False
        document = self._refresh(retry=True)
        if document is None:
            self._emit(RefreshRequested(accepted=False))
            document = busy_document()
        elif self._refused_wait is not None:
            minutes = max(1, round(self._refused_wait / 60))
            note = f"Read limit: next read in {minutes} min"
            self._emit(RefreshRequested(accepted=False, message=note))
        self._done(on_done, document)

    def _done(self, on_done: OnDone | None, document: Document) -> None:
        if on_done is not None:
            try:
                on_done(document)
            except Exception:
                log.exception("an on_done callback failed")

    def _submit(self, task: Callable[[], object], *, first: bool = False) -> bool:
        with self._flags:
            if self._shut_down:
                log.info("ignored a command: claude-tray is shutting down")
                return False
        self._worker.start()
        return self._worker.submit(task, first=first)

    # -- non-blocking commands (UI) -----------------------------------------------

    def refresh_now(self, on_done: OnDone | None = None) -> bool:
        """Poll now on the worker; False (and `RefreshRequested(False)`) if one already runs,
        or while claude.ai's rate-limit back-off lasts (the event then says until when).

        The back-off is checked here, not in each caller, so the tray menu's Refresh
        and the popup's button follow one rule: a poll during a 429 back-off would be
        refused again and only lengthen the wait.
        """
        waiting = self.rate_limit_wait_note()
        if waiting is not None:
            self._emit(RefreshRequested(accepted=False, message=waiting))
            return False
        with self._flags:
            accepted = not (self._shut_down or self._refresh_pending or self.state.busy)
            if accepted:
                self._refresh_pending = True
        self._emit(RefreshRequested(accepted=accepted))
        if accepted and not self._submit(lambda: self._refresh_task(on_done)):
            with self._flags:
                self._refresh_pending = False
            return False
        return accepted

    def rate_limit_wait_note(self) -> str | None:
        """While claude.ai asked to wait (HTTP 429) and the worker's next try is still
        ahead: the sentence saying when that try is; else None."""
        last = self.state.snapshot().last_error
        if last is None or last.error is not ErrorCode.RATE_LIMITED:
            return None
        seconds = self._worker.seconds_until_poll()
        if seconds is None or seconds <= 0:
            return None
        from claude_tray.text_format import rate_limit_wait_text  # a rare path (issue 12)

        return rate_limit_wait_text(utc_now() + timedelta(seconds=seconds))

    def poll_usage(self, on_done: OnDone | None = None) -> bool:
        """The seed's name for `refresh_now`: poll now, on the worker thread."""
        return self.refresh_now(on_done)

    def check_session(self, on_done: OnDone | None = None) -> None:
        """Ask the scraper whether a usable session is stored; problems come as RefreshFailed."""

        def task() -> None:
            document = self.check_session_blocking()
            if isinstance(document, ErrorDocument):
                self._emit(RefreshFailed(document.error, document.message, document.retry_after))
            self._done(on_done, document)

        self._submit(task)

    def manual_login(self, session_key: str | None = None, on_done: OnDone | None = None) -> None:
        """Log in on the worker: with a pasted key (over stdin), or in a browser window.

        Ends with `LoginFinished`; on success the numbers are refreshed at once.
        """
        if session_key:
            add_secret(session_key.strip())
        cancel = threading.Event()  # this login's own: a later login gets a new one

        def task() -> None:
            try:
                if cancel.is_set():
                    document: Document = _cancelled_document("login")
                else:
                    document = self.login_blocking(session_key, cancel=cancel)
            finally:
                with self._flags:
                    if cancel in self._login_cancels:
                        self._login_cancels.remove(cancel)
            self._finish_login(document)
            self._done(on_done, document)
            if isinstance(document, SessionDocument) and document.logged_in:
                self._refresh(retry=True)

        with self._flags:
            self._login_cancels.append(cancel)
        if not self._submit(task):
            with self._flags:
                self._login_cancels.remove(cancel)

    def install_browser(self) -> None:
        """Download Playwright's Chromium on the worker (no Chrome/Chromium/Edge here).

        Ends with `BrowserInstalled`. The runner runs the command line's
        `install-browser` in a child; `cancel_login`/`cancel_running` end it.
        """
        cancel = threading.Event()

        def task() -> None:
            try:
                install = getattr(self._runner, "install_browser", None)
                if cancel.is_set():
                    result = (False, "The browser download was cancelled.")
                elif not callable(install):
                    result = (False, "This claude-tray cannot download a browser itself.")
                else:
                    try:
                        result = install(cancel)
                    except Exception:  # the runner never raises for a child; a bug
                        log.exception("installing a browser failed")
                        where = self.paths.log_file
                        result = (False, f"claude-tray hit a bug; the log has details ({where}).")
            finally:
                with self._flags:
                    if cancel in self._login_cancels:
                        self._login_cancels.remove(cancel)
            self._emit(BrowserInstalled(bool(result[0]), str(result[1])))

        with self._flags:
            self._login_cancels.append(cancel)
        if not self._submit(task):
            with self._flags:
                self._login_cancels.remove(cancel)
            self._emit(BrowserInstalled(False, "claude-tray is shutting down."))

    def _finish_login(self, document: Document) -> None:
        if isinstance(document, SessionDocument):
            self._emit(LoginFinished(document.logged_in, None, document.message))
        elif isinstance(document, ErrorDocument):
            self._emit(LoginFinished(False, document.error, document.message))

    def cancel_login(self) -> None:
        """End the logins asked for so far (running or queued): `login_cancelled`.

        A login asked for after this call is not affected.
        """
        with self._flags:
            for cancel in self._login_cancels:
                cancel.set()
            if self._active_command == "login" and self._active_cancel is not None:
                self._active_cancel.set()

    def cancel_running(self) -> None:
        """End the running child (poll, login, check-session) from this thread, at once.

        A cancelled refresh is not retried; a cancelled login stores nothing.
        The command line calls this from its SIGINT/SIGTERM/SIGHUP handler.
        """
        with self._flags:
            running = [self._active_cancel, self._refresh_cancel, *self._login_cancels]
        for event in running:
            if event is not None:
                event.set()

    def logout(self, on_done: OnDone | None = None) -> None:
        """Delete the stored session and forget the numbers; ends with `LoginFinished(False)`.

        A running poll or login is cancelled from this (the calling) thread
        first, and the logout runs before any task queued on the worker, so
        it never waits behind a hung poll and its retries.
        """
        self.cancel_running()

        def task() -> None:
            document = self.logout_blocking()
            if isinstance(document, ErrorDocument):
                self._emit(LoginFinished(False, document.error, document.message))
            else:
                self._emit(LoginFinished(False, None, document.message))
            self._done(on_done, document)

        self._submit(task, first=True)

    def check_feed(self) -> bool:
        """Show new numbers from Claude Code's status line, if its feed file changed,
        and stop calling them live once they are no longer fresh.

        Cheap when nothing changed (one stat); safe from any thread (the app calls it
        from its feed watch, `file_watch.FileWatch`). True when new numbers (or the
        end of "live") were shown.
        """
        quiet = self.enricher.went_quiet()
        if not (self.enricher.feed_changed() or quiet):
            return False
        shown = self.state.snapshot().usage
        if shown is None:
            return False
        document = self.enricher.refresh(shown)
        if quiet:
            # Claude Code went idle: not "live" any more, and the service is read again
            # soon instead of waiting out the feed's 30 minutes.
            self._worker.poll_soon(60.0, "Claude Code's status line went quiet")
        elif document == shown:
            return False
        self.state.update_numbers(document)
        self._emit_fresh(document)
        return True

    def feed_quiet_in(self) -> float | None:
        """Seconds until the numbers shown as live stop being fresh (then `check_feed`
        must run once more), or None while nothing is live. Any thread."""
        until = self.enricher.live_until if self.enricher.live else None
        if until is None:
            return None
        # A second late, so the check surely finds them stale (no second, early look).
        return (until - utc_now()).total_seconds() + 1.0

    def network_back(self) -> None:
        """The platform says the network is back (any thread): if the last poll failed
        for want of it, poll in a moment instead of at the ladder's next step."""
        with self._flags:
            waiting = self._ladder_step > 0 and not self._shut_down
        if waiting:
            self._worker.poll_soon(NETWORK_BACK_DELAY_SECONDS, "the network is back")

    def start_polling(self) -> None:
        """Poll now and then every interval (on the worker thread)."""
        with self._flags:
            if self._shut_down:
                return
        self._worker.start()
        self._worker.start_polling(first_in=0.0)

    def stop_polling(self) -> None:
        """No more automatic polls; commands still work."""
        self._worker.stop_polling()

    def pause(self) -> None:
        """Stop automatic polls and show the paused status."""
        self._worker.stop_polling()
        self.state.set_paused(True)

    def resume(self) -> None:
        """Poll now and then every interval again."""
        self.state.set_paused(False)
        self.start_polling()

    def update_config(self, config: Config) -> None:
        """Use new settings: the interval at once, the rest from the next run on."""
        self.config = config
        self.enricher.retention_days = config.history_days
        set_config = getattr(self._runner, "set_config", None)
        if callable(set_config):
            set_config(config)
        if round(config.interval_minutes * 60) != self._worker.interval_seconds:
            self._worker.set_interval(config.interval_minutes * 60)

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop the worker and end any running child within `timeout`; True if all ended."""
        with self._flags:
            self._shut_down = True
        self.cancel_running()
        self._worker.stop_polling()
        return self._worker.stop(timeout)

    # -- blocking commands (command line) -------------------------------------------

    def poll_usage_blocking(
        self, *, retry: bool = False, started: StartedChild | None = None
    ) -> Document:
        """Poll on this thread; the document (a busy error if a child already runs).

        One attempt by default: the command line answers at once and a status
        bar asks again on its own schedule; `retry=True` retries like the worker.
        `started` is a poll child the caller started ahead (`ScraperRunner.start`):
        it gets its hand-off line only once the run lock and the read budget are
        taken; when they are not (busy, refused, cancelled, an error), it is
        ended, having asked nothing of the service.
        """
        try:
            document = self._refresh(retry=retry, ahead=started)
        finally:
            if started is not None:
                started.close()  # nothing to do if the poll took it
        return busy_document() if document is None else document

    def check_session_blocking(self) -> Document:
        """Ask the scraper whether a usable session is stored, on this thread."""
        if not self.state.try_begin(Status.REFRESHING):
            return busy_document()
        try:
            return self._expect(self._run("check-session", self._source_args()), SessionDocument)
        finally:
            self.state.end()

    def login_blocking(
        self, session_key: str | None, *, cancel: threading.Event | None = None
    ) -> Document:
        """Log in on this thread: the key goes over stdin; without one, a browser window.

        `cancel` (set from another thread or a signal handler) ends this login.
        """
        key = None if session_key is None else session_key.strip()
        if key is not None and not key:
            return ErrorDocument(
                error=ErrorCode.NO_SESSION,
                message="The session key is empty. Paste the value of the sessionKey cookie.",
            )
        if not self.state.try_begin(Status.LOGGING_IN):
            return busy_document()
        try:
            if key is not None:
                add_secret(key)
                document = self._run("login", ["--session-key-stdin"], stdin=key, cancel=cancel)
            else:
                seconds = round(self.config.login_timeout_seconds)
                document = self._run("login", ["--timeout", str(seconds)], cancel=cancel)
            document = self._expect(document, SessionDocument)
            last = self.state.snapshot().last_error
            if (
                isinstance(document, SessionDocument)
                and document.logged_in
                and last is not None
                and last.error in LOGIN_CODES
            ):
                self.state.clear_error()  # "log in again" no longer applies
            return document
        finally:
            self.state.end()

    def logout_blocking(self) -> ErrorDocument | SessionDocument:
        """Delete the stored session (and browser profile) and forget the numbers.

        Under the scraper lock, so no child of another claude-tray process can
        write the session back meanwhile; afterwards it checks that the file
        and the profile folder are really gone and says what is left if not.
        """
        self.cancel_running()
        if not self._take_for_logout():
            return busy_document()
        try:
            from claude_tray.scraper.lock import LockBusyError, ScraperLock

            try:
                with ScraperLock(self.paths.scraper_lock_file, wait=LOGOUT_LOCK_WAIT_SECONDS):
                    return self._delete_session()
            except LockBusyError:
                return ErrorDocument(
                    error=ErrorCode.BUSY,
                    message=(
                        "Not logged out: another claude-tray process is using the session "
                        "right now (a refresh or a login in a terminal). Try again when it "
                        "has finished."
                    ),
                )
            except OSError as exc:  # the lock file's folder cannot be written
                log.warning("logout: could not take the scraper lock: %s", exc)
                return self._delete_session()
        finally:
            self.state.end()

    def _delete_session(self) -> ErrorDocument | SessionDocument:
        from claude_tray.scraper.session_store import delete_session

        problem = ""
        try:
            delete_session(self.paths)
        except OSError as exc:
            log.warning("logout: could not delete the session: %s", exc)
            problem = f" ({exc.strerror or exc})"
        left = [
            str(path)
            for path in (self.paths.session_file, self.paths.browser_profile_dir)
            if path.exists()
        ]
        if left:
            log.warning("logout: still there after deleting: %s", ", ".join(left))
            return ErrorDocument(
                error=ErrorCode.INTERNAL_ERROR,
                message=(
                    f"Not fully logged out: {' and '.join(left)} could not be deleted"
                    f"{problem}. Close any browser using it and delete it by hand."
                ),
            )
        self.state.clear_usage()
        # The logged-out look at once (icon and tooltip), not "no data" until the
        # next poll says no_session.
        self.state.record_error(
            ErrorDocument(
                error=ErrorCode.NO_SESSION,
                message="Logged out. Log in again to see the usage of this account.",
            )
        )
        with self._flags:
            self._backoff_streak = 0
        return SessionDocument(
            source="web",
            logged_in=False,
            message="Logged out: the stored claude.ai session and browser profile are deleted.",
        )

    def _take_for_logout(self) -> bool:
        """The run lock for a logout: a running poll is ended first, so it cannot
        write numbers back after they are forgotten."""
        if self.state.try_begin(Status.REFRESHING):
            return True
        self.cancel_running()
        deadline = time.monotonic() + LOGOUT_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if self.state.try_begin(Status.REFRESHING):
                return True
        return False

    # -- for tests and diagnostics ----------------------------------------------------

    @property
    def worker(self) -> PollingWorker:
        return self._worker
