"""A one-shot alarm on the clock that keeps counting while the computer sleeps (Linux).

Python's timed waits (`Event.wait`, `time.sleep`) run on CLOCK_MONOTONIC, which
stops during a suspend on Linux: a wait of 5 minutes begun before a night's
sleep ends 5 minutes after waking, not at the time it was meant for. The poll
worker used to wake every 10 s to compare the clocks instead (issue 7), which
costs six wake-ups a minute between polls (issue 12). A timerfd on
CLOCK_BOOTTIME counts the suspend too: armed for the next poll, it fires at
that moment in real elapsed time, or at once on resume if that moment passed
during the sleep. A daemon thread blocks on it and calls `on_fire`; between
alarms nothing runs.

`BootAlarm.open` returns None where there is no timerfd (Windows, macOS, an
old kernel): the caller keeps its own slow check there.

This module must not know what the alarm is for (`worker.py` decides).
`on_fire` can come early in one race (the timer fired just as it was re-armed),
so it must be harmless then (the worker only looks at its clocks again).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import sys
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

_CLOCK_BOOTTIME = 7  # <linux/time.h>
_TFD_CLOEXEC = 0o2000000
_TFD_NONBLOCK = 0o4000


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def _timespec(seconds: float) -> _Timespec:
    whole = int(seconds)
    return _Timespec(whole, int((seconds - whole) * 1e9))


class BootAlarm:
    """One timerfd on CLOCK_BOOTTIME and the daemon thread that waits on it."""

    def __init__(self, libc: ctypes.CDLL, fd: int, on_fire: Callable[[], None], name: str) -> None:
        self._libc = libc
        self._fd = fd
        self._on_fire = on_fire
        self._lock = threading.Lock()  # guards the descriptors once `close` runs
        self._stop_r, self._stop_w = os.pipe()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, on_fire: Callable[[], None], *, name: str = "boot-alarm") -> BootAlarm | None:
        """The alarm, or None where CLOCK_BOOTTIME timers are missing."""
        if not sys.platform.startswith("linux"):
            return None
        try:
            # The process's own symbols, libc's among them (find_library would run ldconfig).
            libc = ctypes.CDLL(None, use_errno=True)
            libc.timerfd_settime.argtypes = [
                ctypes.c_int,
                ctypes.c_int,
                ctypes.POINTER(_Itimerspec),
                ctypes.POINTER(_Itimerspec),
            ]
            fd = int(libc.timerfd_create(_CLOCK_BOOTTIME, _TFD_CLOEXEC | _TFD_NONBLOCK))
        except (OSError, AttributeError) as exc:
            log.info("no CLOCK_BOOTTIME timer (%s)", exc)
            return None
        if fd < 0:
            log.info("no CLOCK_BOOTTIME timer (errno %d)", ctypes.get_errno())
            return None
        return cls(libc, fd, on_fire, name)

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def arm(self, seconds: float | None) -> None:
        """Fire once, `seconds` of real elapsed time from now (suspends included);
        None disarms. Replaces any earlier setting."""
        value = _Timespec(0, 0) if seconds is None else _timespec(max(seconds, 0.001))
        spec = _Itimerspec(_Timespec(0, 0), value)
        with self._lock:
            if self._closed:
                return
            if self._libc.timerfd_settime(self._fd, 0, ctypes.byref(spec), None) != 0:
                log.warning("arming the boot-time alarm failed (errno %d)", ctypes.get_errno())

    def close(self) -> None:
        """Stop the thread (it closes the descriptors once it no longer waits on them)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(OSError):
                os.write(self._stop_w, b"x")

    def _run(self) -> None:
        try:
            while True:
                readable, _, _ = select.select([self._fd, self._stop_r], [], [])
                if self._stop_r in readable:
                    return
                try:
                    os.read(self._fd, 8)  # the expiry count; clears the readiness
                except BlockingIOError:  # re-armed between select and read: not due
                    continue
                try:
                    self._on_fire()
                except Exception:
                    log.exception("the boot-time alarm's callback failed")
        finally:
            with self._lock:
                self._closed = True
                for fd in (self._fd, self._stop_r, self._stop_w):
                    with contextlib.suppress(OSError):
                        os.close(fd)
