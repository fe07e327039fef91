"""Windows: a Job object with kill-on-close that ends a scraper child and all it started.

Windows has no process groups a console-less child could be signalled
through, and `taskkill /T` cannot find a grandchild whose parent already
exited (and Wine 8's taskkill rejects `/T` outright, windows-under-wine.md
section 10). A Job object does it in the kernel: every process the child
starts is in the job too (breakaway is not allowed), and with
`JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` the system ends all of them when the last
handle to the job closes, which also happens when this process dies, however
it dies. So nothing outlives a time-out, a cancel, a normal exit that left a
grandchild behind, or the app itself.

ctypes, not pywin32: four kernel32 calls do not justify a 10 MB dependency
with its own post-install step, and ctypes is in every CPython, including the
embeddable Windows build the Wine CI stage runs (windows-under-wine.md
section 11 verified exactly these calls there).

This module must not be imported for its effects on other systems (it only
defines things unless `sys.platform == "win32"`), must not start processes,
and must not import anything from the rest of the package.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

#: JOBOBJECTINFOCLASS JobObjectExtendedLimitInformation.
_EXTENDED_LIMIT_INFORMATION = 9
#: JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE.
_KILL_ON_JOB_CLOSE = 0x2000


class _BasicLimits(ctypes.Structure):
    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    ]


class _ExtendedLimits(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION (144 bytes on x64)."""

    _fields_ = [
        ("BasicLimitInformation", _BasicLimits),
        ("IoInfo", ctypes.c_uint64 * 6),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


def _kernel32() -> Any:
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
    kernel32.SetInformationJobObject.restype = wintypes.BOOL
    kernel32.SetInformationJobObject.argtypes = [
        wintypes.HANDLE,
        ctypes.c_int,
        ctypes.c_void_p,
        wintypes.DWORD,
    ]
    kernel32.AssignProcessToJobObject.restype = wintypes.BOOL
    kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
    kernel32.TerminateJobObject.restype = wintypes.BOOL
    kernel32.TerminateJobObject.argtypes = [wintypes.HANDLE, wintypes.UINT]
    kernel32.CloseHandle.restype = wintypes.BOOL
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    return kernel32


class KillOnCloseJob:
    """One Job object; `assign` a process to it, `close` ends every process in it."""

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise OSError("Job objects exist only on Windows")
        self._k: Any = _kernel32()
        handle = self._k.CreateJobObjectW(None, None)
        if not handle:
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined,unused-ignore]
        self._handle: int | None = handle
        info = _ExtendedLimits()
        info.BasicLimitInformation.LimitFlags = _KILL_ON_JOB_CLOSE
        if not self._k.SetInformationJobObject(
            handle, _EXTENDED_LIMIT_INFORMATION, ctypes.byref(info), ctypes.sizeof(info)
        ):
            error = ctypes.get_last_error()  # type: ignore[attr-defined,unused-ignore]
            self.close()
            raise ctypes.WinError(error)  # type: ignore[attr-defined,unused-ignore]

    def assign(self, process_handle: int) -> None:
        """Put the process (a handle with PROCESS_SET_QUOTA|PROCESS_TERMINATE) in the job."""
        if self._handle is None or not self._k.AssignProcessToJobObject(
            self._handle, process_handle
        ):
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined,unused-ignore]

    def terminate(self, exit_code: int = 1) -> None:
        """End every process in the job now (the job stays open)."""
        if self._handle is not None:
            self._k.TerminateJobObject(self._handle, exit_code)

    def close(self) -> None:
        """Close the job handle: with kill-on-close, whatever is still in it ends."""
        handle, self._handle = self._handle, None
        if handle is not None:
            self._k.CloseHandle(handle)
