"""Watch one file for changes made by other processes, without waking up in between.

The tray shows Claude Code's status-line feed (`feed.py`) within moments of
another process (`claude-tray statusline`) replacing the file. On Linux a
daemon thread blocks on inotify (through ctypes: the standard library has no
binding), watching the file's folder, because the file is replaced by rename
(a watch on the file itself would follow the old inode away). The thread
sleeps in the kernel until the folder changes or until the one moment the
caller asks about (`next_check`: when the numbers shown as live stop being
fresh); nothing runs on a timer (issue 12: no wake-ups between polls).

Where inotify is missing (Windows, macOS, an exhausted watch limit) the same
thread looks every `FALLBACK_SECONDS` instead: a slow timer, but still off the
UI thread.

`on_change` runs on the watch's thread: it must be thread-safe, and it may take
a moment (the core's `check_feed` reads the file, may ask the history, which in
the tray is a short child process, and posts an event), since nothing else
waits on this thread.

This module must not parse the file, know what it holds, or touch the UI.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: Seconds between looks at the file where inotify is missing.
FALLBACK_SECONDS = 5.0

# <sys/inotify.h>
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_FROM = 0x00000040
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_DELETE = 0x00000200
_IN_DELETE_SELF = 0x00000400
_IN_MOVE_SELF = 0x00000800
_IN_Q_OVERFLOW = 0x00004000
_IN_IGNORED = 0x00008000
_IN_ONLYDIR = 0x01000000
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
#: What changes the watched file's content or existence inside its folder.
_FOLDER_MASK = (
    _IN_CLOSE_WRITE
    | _IN_MOVED_TO
    | _IN_MOVED_FROM
    | _IN_CREATE
    | _IN_DELETE
    | _IN_DELETE_SELF
    | _IN_MOVE_SELF
    | _IN_ONLYDIR
)
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len (then len bytes of name)


class _Inotify:
    """One inotify descriptor watching one folder (Linux)."""

    def __init__(self, folder: Path) -> None:
        # The process's own symbols, libc's among them (find_library would run ldconfig).
        libc = ctypes.CDLL(None, use_errno=True)
        fd = int(libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC))
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        watch = int(libc.inotify_add_watch(fd, os.fsencode(folder), _FOLDER_MASK))
        if watch < 0:
            errno = ctypes.get_errno()
            os.close(fd)
            raise OSError(errno, f"inotify_add_watch failed for {folder}")
        self.fd = fd

    def names(self) -> tuple[set[str], bool]:
        """The names of the entries that changed, and whether the watch itself ended
        (folder gone or moved, events lost): then anything may have changed."""
        names: set[str] = set()
        ended = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return names, ended
            offset = 0
            while offset + _EVENT.size <= len(data):
                _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                offset += _EVENT.size
                raw = data[offset : offset + length].split(b"\0", 1)[0]
                offset += length
                if mask & (_IN_Q_OVERFLOW | _IN_IGNORED | _IN_DELETE_SELF | _IN_MOVE_SELF):
                    ended = True
                if raw:
                    names.add(os.fsdecode(raw))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class FileWatch:
    """Calls `on_change()` on its own thread soon after `path` changes.

    Also once when started, and when `next_check()` (seconds from now, or None)
    comes due: the caller's one timed question, asked again after every call.
    """

    def __init__(
        self,
        path: Path,
        on_change: Callable[[], object],
        *,
        next_check: Callable[[], float | None] = lambda: None,
        name: str = "file-watch",
        use_inotify: bool = True,
    ) -> None:
        self.path = path
        self._on_change = on_change
        self._next_check = next_check
        self._name = name
        self._use_inotify = use_inotify and sys.platform.startswith("linux")
        self._stop_r: int | None
        self._stop_w: int | None
        self._stop_r, self._stop_w = os.pipe()
        self._pipe_lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        #: True once the thread watches with inotify (False: the fallback timer).
        self.event_driven = False
        self._ready = threading.Event()

    def start(self) -> None:
        """Start watching (once). Returns when the watch is in place."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        self._ready.wait(10.0)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread (from any other thread)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        with self._pipe_lock, contextlib.suppress(OSError):
            if self._stop_w is not None:
                os.write(self._stop_w, b"x")
        thread = self._thread
        if thread is None:
            self._close_pipe()  # never started: nobody else closes it
        elif thread is not threading.current_thread():
            thread.join(timeout)

    def _close_pipe(self) -> None:
        # Under the lock, so `stop` never writes to a number the OS gave out again.
        with self._pipe_lock:
            for fd in (self._stop_r, self._stop_w):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._stop_r = self._stop_w = None

    def _open(self) -> _Inotify | None:
        if not self._use_inotify:
            return None
        try:
            return _Inotify(self.path.parent)
        except (OSError, AttributeError) as exc:  # AttributeError: a libc without inotify
            log.info("cannot watch %s with inotify (%s); looking every %.0f s",
                     self.path.parent, exc, FALLBACK_SECONDS)  # fmt: skip
            return None

    def _call(self) -> None:
        try:
            self._on_change()
        except Exception:  # one bad read must not end the watch
            log.exception("handling a change of %s failed", self.path)

    def _timeout(self, watching: bool) -> float | None:
        try:
            due = self._next_check()
        except Exception:
            log.exception("asking when to look at %s again failed", self.path)
            due = None
        if due is not None:
            due = max(0.0, due)
        if watching:
            return due
        return FALLBACK_SECONDS if due is None else min(due, FALLBACK_SECONDS)

    def _run(self) -> None:
        inotify = self._open()
        self.event_driven = inotify is not None
        self._ready.set()
        try:
            # Whatever happened before the watch was in place is seen now.
            self._call()
            while not self._stopped.is_set():
                timeout = self._timeout(inotify is not None)
                if inotify is None:
                    # The fallback (Windows' select takes sockets only): a plain timed wait.
                    if self._stopped.wait(timeout):
                        return
                    self._call()
                    continue
                assert self._stop_r is not None  # closed only when this loop has ended
                readable, _, _ = select.select([self._stop_r, inotify.fd], [], [], timeout)
                if self._stopped.is_set():
                    return
                if inotify.fd in readable:
                    names, ended = inotify.names()
                    if ended:
                        # The folder went away or events were lost: look, and watch again.
                        inotify.close()
                        inotify = self._reopen()
                        self._call()
                    elif self.path.name in names:
                        self._call()
                else:
                    self._call()  # next_check came due
        finally:
            if inotify is not None:
                inotify.close()
            # Closed here, by the thread that selects on it, once it no longer does.
            self._close_pipe()

    def _reopen(self) -> _Inotify | None:
        for _ in range(3):
            if self._stopped.is_set():
                return None
            watch = self._open()
            if watch is not None:
                return watch
            time.sleep(0.5)
        self.event_driven = False
        return None
