"""`file_watch.FileWatch`: a file replaced by another process is seen through inotify,
with no timer; the one timed question (`next_check`) is answered; stop ends the thread.

Real parts: the changes come from real child processes replacing the file by
rename, as `claude-tray statusline` does. No test asserts a time: waits are
generous and only bound how long a broken watch may hang the test.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from claude_tray import file_watch
from claude_tray.file_watch import FileWatch

#: Replaces argv[1] by rename (a temp file in the same folder), as feed.py does.
REPLACE = """
import os, sys, tempfile
path = sys.argv[1]
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".x.", suffix=".tmp")
with os.fdopen(fd, "w") as handle:
    handle.write(sys.argv[2])
os.replace(tmp, path)
"""


class Calls:
    """Counts on_change calls (on the watch's thread) and lets the test wait for them."""

    def __init__(self) -> None:
        self.count = 0
        self.threads: set[str] = set()
        self._cond = threading.Condition()

    def __call__(self) -> None:
        with self._cond:
            self.count += 1
            self.threads.add(threading.current_thread().name)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 60.0) -> int:
        with self._cond:
            assert self._cond.wait_for(lambda: self.count >= count, timeout), (
                f"on_change was called {self.count} times, not {count}"
            )
            return self.count


def replace_in_child(path: Path, text: str) -> None:
    subprocess.run([sys.executable, "-c", REPLACE, str(path), text], check=True, timeout=60)


@pytest.mark.posix_only
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_a_file_replaced_by_another_process_is_seen_through_inotify(tmp_path: Path) -> None:
    """Once at start, then once per replacement of the file itself; other files in the
    folder (the app's own cache, history, locks) cause no call."""
    target = tmp_path / "feed.json"
    calls = Calls()
    watch = FileWatch(target, calls, name="test-watch")
    watch.start()
    try:
        assert watch.event_driven
        calls.wait_for(1)  # the look at start
        replace_in_child(tmp_path / "other.json", "{}")  # not ours: no call
        replace_in_child(target, '{"a": 1}')
        assert calls.wait_for(2) == 2
        replace_in_child(target, '{"a": 2}')
        # Exactly one more: the unrelated file before it counted for nothing, and no
        # timer adds calls of its own.
        assert calls.wait_for(3) == 3
        assert calls.threads == {"test-watch"}
    finally:
        watch.stop()
    assert watch._thread is not None and not watch._thread.is_alive()


@pytest.mark.posix_only
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_the_file_appearing_later_is_seen(tmp_path: Path) -> None:
    """No file at start (Claude Code never ran): its first write is seen."""
    target = tmp_path / "feed.json"
    calls = Calls()
    watch = FileWatch(target, calls)
    watch.start()
    try:
        calls.wait_for(1)
        replace_in_child(target, "{}")
        calls.wait_for(2)
    finally:
        watch.stop()


def test_next_check_is_answered_once_when_due(tmp_path: Path) -> None:
    """The caller's one timed question: on_change once when it comes due, then nothing
    more while it says None (live numbers that went stale need one look, not a timer)."""
    answers = [0.05]
    calls = Calls()

    def next_check() -> float | None:
        return answers.pop() if answers else None

    watch = FileWatch(tmp_path / "feed.json", calls, next_check=next_check)
    watch.start()
    try:
        calls.wait_for(2)  # the look at start, then the one asked for
        assert not answers
    finally:
        watch.stop()
    if watch.event_driven:
        assert calls.count == 2


def test_without_inotify_the_file_is_looked_at_on_a_slow_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portable fallback (Windows, macOS): still off the caller's thread."""
    monkeypatch.setattr(file_watch, "FALLBACK_SECONDS", 0.05)
    calls = Calls()
    watch = FileWatch(tmp_path / "feed.json", calls, use_inotify=False, name="fallback")
    watch.start()
    try:
        assert not watch.event_driven
        calls.wait_for(3)
        assert calls.threads == {"fallback"}
    finally:
        watch.stop()
    assert watch._thread is not None and not watch._thread.is_alive()


def test_stop_without_start_and_twice_is_harmless(tmp_path: Path) -> None:
    watch = FileWatch(tmp_path / "feed.json", lambda: None)
    watch.stop()
    watch.stop()
