"""HTTP plumbing: a ThreadingHTTPServer whose handler turns requests into `route()` calls.

Reads the request, asks `routes.route` for the answer, writes it, records the
request (booleans only). This module must never listen on anything but
127.0.0.1, must never log a header value, cookie or query string, and logs
nothing at all unless the emulator is verbose.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final
from urllib.parse import urlsplit

from claude_tray.emulator.recorder import RecordedRequest, RequestLog
from claude_tray.emulator.replies import Reply, Request, parse_cookie_header
from claude_tray.emulator.routes import CONTROL_PREFIX, route
from claude_tray.emulator.state import EmulatorState
from claude_tray.redact import redact

LOOPBACK: Final = "127.0.0.1"
#: Longest a `hang` request is held when nobody stops the emulator.
HANG_SECONDS: Final = 600.0
_MAX_BODY: Final = 64 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    """The server; carries the state the handler needs."""

    daemon_threads = True  # a held (`hang`) connection must not keep the process alive
    allow_reuse_address = True

    def __init__(self, port: int, state: EmulatorState, log: RequestLog, *, verbose: bool) -> None:
        self.state = state
        self.log = log
        self.verbose = verbose
        #: Set by stop(): releases every held `hang` request at once.
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((LOOPBACK, port), EmulatorHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        # socketserver prints a traceback for every client that hangs up mid-answer
        # (a timed-out test, a closed browser): normal here, so stay quiet.
        if self.verbose:
            error = sys.exc_info()[1]
            sys.stderr.write(f"emulator: connection ended: {type(error).__name__}\n")

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """End every open connection (idle keep-alive ones too), so no thread lingers."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class EmulatorHandler(BaseHTTPRequestHandler):
    """One request → one `route()` call."""

    server: EmulatorHTTPServer
    # claude.ai answers through Cloudflare; its responses say so.
    server_version = "cloudflare"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 60

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        path = urlsplit(self.path).path or "/"
        headers = {name.lower(): value for name, value in self.headers.items()}
        cookies = parse_cookie_header(headers.get("cookie", ""))
        if self.server.state.scenario == "drop" and not path.startswith(CONTROL_PREFIX):
            # Recorded (status 0) so tests can count the attempts; the body is never read.
            self._record(
                Request(method=self.command, path=path, headers=headers, cookies=cookies), 0
            )
            self._drop()
            return
        body = self._read_body(headers)
        request = Request(
            method=self.command, path=path, headers=headers, cookies=cookies, body=body
        )
        try:
            reply = route(self.server.state, self.server.log, request)
        except Exception as error:  # a bug in the emulator must not kill the connection silently
            reply = Reply(status=500, body=b'{"type":"error","error":{"type":"api_error"}}')
            if self.server.verbose:
                sys.stderr.write(f"emulator: route failed: {type(error).__name__}\n")
        self._record(request, reply.status)
        if reply.hang:
            # Hold the connection without a byte of answer until the emulator stops.
            self.server.stopping.wait(HANG_SECONDS)
            self.close_connection = True
            return
        self._write(reply)

    def _drop(self) -> None:
        """End the connection without a byte of answer, with a reset (`drop` scenario).

        The client sees what a dead network gives it (connection reset).
        """
        self.close_connection = True
        with contextlib.suppress(OSError):
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _read_body(self, headers: dict[str, str]) -> bytes:
        try:
            length = int(headers.get("content-length", "0") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return b""
        return self.rfile.read(min(length, _MAX_BODY))

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in reply.headers:
            self.send_header(name, value)
        for cookie in reply.set_cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _record(self, request: Request, status: int) -> None:
        if request.path.startswith(CONTROL_PREFIX):
            return
        self.server.log.add(
            RecordedRequest(
                request.method,
                request.path,
                status,
                had_session_cookie=bool(request.cookies.get("sessionKey")),
                had_authorization="authorization" in request.headers,
                had_clearance=bool(request.cookies.get("cf_clearance")),
                at=self.server.state.now(),
            )
        )

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.verbose:
            path = urlsplit(self.path).path
            sys.stderr.write(f"emulator: {self.command} {path} -> {code}\n")

    def log_error(self, format: str, *args: object) -> None:
        if self.server.verbose:
            sys.stderr.write("emulator: " + redact(format % args) + "\n")
