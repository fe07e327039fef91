"""One tray app per user: a lock file naming the running instance, and a tiny control port.

The running app writes `instance.lock` (mode 0600) with its PID, a TCP port on
127.0.0.1 and a random token. A second `claude-tray` reads the file; when the
PID is alive and the port answers, it sends the token and "show", the first
instance shows its popup, and the second one exits. A lock whose PID is dead,
or whose port nobody listens on (the PID was reused after a crash or a reboot),
is stale and taken over.

This module must NOT import Tk or pystray, and the listener must not act on
anything itself: it only calls the `on_show` callback, which in the app hands a
`ShowPopupRequested` event to the UI thread. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from claude_tray.fileio import atomic_write

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
#: Seconds a second instance waits for the first one to answer.
ASK_TIMEOUT = 3.0
#: How often acquiring retries after taking over a stale lock that someone else grabbed.
ACQUIRE_ATTEMPTS = 5
SHOW_COMMAND = "show"
OK_ANSWER = "ok"
_MAX_REQUEST = 256


def new_token() -> str:
    """32 URL-safe characters from 24 random bytes (what `secrets.token_urlsafe(24)` gives)."""
    return base64.urlsafe_b64encode(os.urandom(24)).rstrip(b"=").decode("ascii")


def same_token(given: bytes, expected: bytes) -> bool:
    """Whether the tokens are equal, in time that does not depend on where they differ.

    Written out instead of `hmac.compare_digest`: `hmac` (and `secrets`, which
    imports it) load OpenSSL's libcrypto, about 3 MB resident in the tray for
    one comparison (issue 12). Like compare_digest, only the length shows.
    """
    if len(given) != len(expected):
        return False
    difference = 0
    for mine, theirs in zip(given, expected, strict=True):
        difference |= mine ^ theirs
    return difference == 0


@dataclass(frozen=True)
class LockInfo:
    """What the lock file says about the running instance."""

    pid: int
    port: int
    token: str

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "port": self.port, "token": self.token})

    @classmethod
    def from_text(cls, text: str) -> LockInfo | None:
        """The lock's content, or None when the file is empty, half-written or not ours."""
        try:
            raw = json.loads(text)
            return cls(pid=int(raw["pid"]), port=int(raw["port"]), token=str(raw["token"]))
        except (ValueError, KeyError, TypeError):
            return None


class AnotherInstance(Exception):
    """Raised by `acquire` when another instance runs but did not take the request."""

    def __init__(self, pid: int, reason: str) -> None:
        super().__init__(
            f"Another claude-tray (PID {pid}) seems to be running but did not answer "
            f"({reason}). Quit it, or end that process, and try again."
        )
        self.pid = pid


class InstanceLock:
    """The lock held by this (the first) instance, with its control listener."""

    def __init__(self, path: Path, server: socket.socket, info: LockInfo) -> None:
        self.path = path
        self.info = info
        self._server = server
        self._on_show: Callable[[], None] | None = None
        self._pending_show = False
        self._guard = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="instance-listener", daemon=True)
        self._thread.start()

    def set_on_show(self, on_show: Callable[[], None]) -> None:
        """Call `on_show` (from the listener thread) when another instance asks; replays one
        request that came before the app was ready."""
        with self._guard:
            self._on_show = on_show
            pending, self._pending_show = self._pending_show, False
        if pending:
            on_show()

    def _serve(self) -> None:
        # Blocking accept: no CPU while idle. close() ends it by closing the socket.
        while True:
            try:
                conn, _addr = self._server.accept()
            except OSError:
                return
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(ASK_TIMEOUT)
        try:
            request = _read_line(conn)
        except OSError:
            return
        token, _, command = request.partition(" ")
        if not same_token(token.encode(), self.info.token.encode()):
            log.warning("instance control: a request with a wrong token was ignored")
            return
        if command != SHOW_COMMAND:
            log.warning("instance control: unknown command ignored")
            return
        with contextlib.suppress(OSError):
            conn.sendall(f"{OK_ANSWER}\n".encode())
        log.info("another claude-tray asked to show the popup")
        with self._guard:
            callback = self._on_show
            if callback is None:
                self._pending_show = True
        if callback is not None:
            callback()

    def close(self) -> None:
        """Stop listening and remove the lock file if it is still ours."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._server.close()
        try:
            current = LockInfo.from_text(self.path.read_text(encoding="utf-8"))
        except OSError:
            return
        if current == self.info:
            with contextlib.suppress(OSError):
                self.path.unlink()

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_line(conn: socket.socket) -> str:
    data = b""
    while b"\n" not in data and len(data) < _MAX_REQUEST:
        chunk = conn.recv(_MAX_REQUEST)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists (it may belong to someone else)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _pid_alive_windows(pid)
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OSError:
        return False
    return True


def _pid_alive_windows(pid: int) -> bool:  # pragma: no cover - not testable on Linux
    # On Windows os.kill(pid, 0) would terminate the process; ask the kernel instead.
    import ctypes

    process_query_limited_information = 0x1000
    still_active = 259
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return False
        return bool(code.value == still_active)
    finally:
        kernel32.CloseHandle(handle)


def ask_to_show(info: LockInfo, timeout: float = ASK_TIMEOUT) -> bool:
    """Ask the instance in `info` to show its popup. True when it answered "ok".

    Raises ConnectionRefusedError when nobody listens on the port (a stale lock).
    """
    with socket.create_connection((HOST, info.port), timeout=timeout) as conn:
        conn.settimeout(timeout)
        conn.sendall(f"{info.token} {SHOW_COMMAND}\n".encode())
        try:
            return _read_line(conn) == OK_ANSWER
        except OSError:
            return False


def _listen() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        server.bind((HOST, 0))
        # listen() before the lock file exists: a second instance that reads the
        # file can always connect (the backlog holds it until accept runs).
        server.listen(4)
    except OSError:
        server.close()
        raise
    return server


def _create_exclusive(path: Path, content: str) -> bool:
    """Create `path` with `content` in one step; False when it already exists.

    Written to a private temp file first and hard-linked into place, so a reader
    never sees an empty or half-written lock.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    atomic_write(tmp, content, mode=0o600)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError:
        # A filesystem without hard links: exclusive create, then write.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return True


def acquire(path: Path) -> InstanceLock | LockInfo:
    """Take the single-instance lock, or find the instance that holds it.

    Returns an `InstanceLock` when this process is now the instance, or the
    other instance's `LockInfo` after it accepted the request to show its
    popup. Raises `AnotherInstance` when a live instance holds the lock but did
    not answer.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(ACQUIRE_ATTEMPTS):
        server = _listen()
        info = LockInfo(pid=os.getpid(), port=server.getsockname()[1], token=new_token())
        try:
            created = _create_exclusive(path, info.to_json())
        except BaseException:
            server.close()
            raise
        if created:
            log.info("instance lock taken: %s (control port %d)", path, info.port)
            return InstanceLock(path, server, info)
        server.close()
        other = _read_lock(path)
        if other is None or other.pid == os.getpid() or not pid_alive(other.pid):
            log.info("taking over a stale instance lock: %s", path)
            _remove_if_unchanged(path, other)
            continue
        try:
            if ask_to_show(other):
                return other
            raise AnotherInstance(other.pid, "it did not confirm the request")
        except (ConnectionRefusedError, ConnectionResetError):
            # Nobody listens on the port: the PID belongs to another program now.
            log.info("taking over an instance lock whose port is closed: %s", path)
            _remove_if_unchanged(path, other)
            continue
        except OSError as exc:
            raise AnotherInstance(other.pid, type(exc).__name__) from exc
    raise AnotherInstance(-1, "the lock file kept changing")


def _read_lock(path: Path) -> LockInfo | None:
    try:
        return LockInfo.from_text(path.read_text(encoding="utf-8"))
    except OSError:
        return None


def _remove_if_unchanged(path: Path, seen: LockInfo | None) -> None:
    """Remove a stale lock, unless another process replaced it meanwhile."""
    if _read_lock(path) == seen:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
