"""The one logging setup of the app process: the log file, optionally stderr.

The tray writes a rotating file; a one-shot command appends to it and leaves
the rotation to the next writer while the file has room (`_file_handler`).

Every handler installed here carries `RedactingFilter`, so a record from any
logger (ours, urllib, pydantic, a third-party library) is stripped of session
keys, tokens and cookie values before it is written. Every line names the
thread that wrote it, because the app runs a Tk thread, a tray thread and a
worker thread.

This module must not log secrets, must not touch the scraper child's logging
(the child logs to stderr only; the runner captures that), and must not raise:
a log folder that cannot be written falls back to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from io import TextIOWrapper
from typing import TYPE_CHECKING

from claude_tray.fileio import make_private_dir
from claude_tray.redact import RedactingFilter

if TYPE_CHECKING:
    from pathlib import Path

    from claude_tray.paths import AppPaths

#: One line per record: time, level, thread, logger, message.
LOG_FORMAT = "%(asctime)s %(levelname)-7s [%(threadName)s] %(name)s: %(message)s"
#: Rotation: about 1 MB per file and three old files, so the logs never grow past ~4 MB.
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3

#: Marks the handlers this module installed, so a second call can find and replace them.
_MARK = "_claude_tray_handler"


def _mark(handler: logging.Handler) -> logging.Handler:
    setattr(handler, _MARK, True)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def installed_handlers() -> list[logging.Handler]:
    """The handlers on the root logger that `setup_logging` installed."""
    return [h for h in logging.getLogger().handlers if getattr(h, _MARK, False)]


def teardown_logging() -> None:
    """Remove and close the handlers `setup_logging` installed (tests, shutdown)."""
    root = logging.getLogger()
    for handler in installed_handlers():
        root.removeHandler(handler)
        with contextlib.suppress(Exception):
            handler.close()


class QuietWriteErrors:
    """For file handlers: a log file that cannot be written (full disk, read-only
    folder) is said once on stderr, in one line, instead of logging's own
    "--- Logging error ---" traceback for every record (issue 7: a full disk must
    give clear messages, and the numbers must still print)."""

    baseFilename: str
    _write_failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)  # type: ignore[misc]  # a real bug: logging's report
            return
        if not self._write_failed:
            self._write_failed = True
            with contextlib.suppress(Exception):
                sys.stderr.write(
                    f"claude-tray: cannot write the log file {self.baseFilename} "
                    f"({error.strerror or error}); log lines are lost until it can.\n"
                )


class _PrivateOpen:
    """Every file the handler opens (the first and each rotated one) is mode 0600.

    The log is redacted, but it still tells when and how the user polled: keep it
    private.
    """

    baseFilename: str

    def _open(self) -> TextIOWrapper:
        stream: TextIOWrapper = super()._open()  # type: ignore[misc]
        with contextlib.suppress(OSError):
            os.chmod(self.baseFilename, 0o600)
        return stream


class _PrivateFileHandler(QuietWriteErrors, _PrivateOpen, logging.FileHandler):
    """The log file of a one-shot command, appended to without rotating."""


class _PrivateRotatingFileHandler(_PrivateFileHandler):
    """The tray's log file: a record that would take it past `max_bytes` first moves
    it to `<log>.1` (older copies move up to `<log>.<backup_count>`, the oldest goes).

    What logging.handlers.RotatingFileHandler does, in these few lines: that module
    also loads pickle and the socket, syslog, SMTP and queue handlers, about 0.5 MB
    of the idle tray's memory (issue 12).
    """

    def __init__(self, filename: Path, *, max_bytes: int, backup_count: int) -> None:
        super().__init__(filename, encoding="utf-8")
        self.max_bytes = max_bytes
        self.backup_count = backup_count

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._is_full(record):
                self._rotate()
        except Exception:
            self.handleError(record)
            return
        super().emit(record)

    def _is_full(self, record: logging.LogRecord) -> bool:
        # A log that is not a regular file (a FIFO, /dev/null) has no size to keep.
        if os.path.exists(self.baseFilename) and not os.path.isfile(self.baseFilename):
            return False
        if self.stream is None:  # closed by a failed rotation: FileHandler reopens it
            self.stream = self._open()
        self.stream.seek(0, os.SEEK_END)
        return self.stream.tell() + len(self.format(record)) + 1 >= self.max_bytes

    def _rotate(self) -> None:
        # Closed first: Windows cannot rename a file that is open.
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        for number in range(self.backup_count, 0, -1):
            newer = f"{self.baseFilename}.{number - 1}" if number > 1 else self.baseFilename
            if os.path.exists(newer):
                os.replace(newer, f"{self.baseFilename}.{number}")
        self.stream = self._open()


def _file_handler(paths: AppPaths, *, one_shot: bool) -> logging.Handler | None:
    """The log file's handler, or None when the log folder cannot be written.

    The tray rotates the file as it writes. A one-shot command writes a few
    lines: while the file has room it only appends, so the file grows past
    `MAX_BYTES` by at most one command's lines before the next writer rotates it.
    """
    try:
        make_private_dir(paths.log_dir)
        if one_shot and _size(paths.log_file) < MAX_BYTES:
            return _PrivateFileHandler(paths.log_file, encoding="utf-8")
        return _PrivateRotatingFileHandler(
            paths.log_file, max_bytes=MAX_BYTES, backup_count=BACKUP_COUNT
        )
    except OSError as exc:
        print(f"claude-tray: cannot write the log file {paths.log_file} ({exc})", file=sys.stderr)
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def setup_logging(
    paths: AppPaths, *, debug: bool = False, stderr: bool = False, one_shot: bool = False
) -> None:
    """Send every record to the log file (and to stderr with `debug` or `stderr`).

    `debug` lowers the level to DEBUG and also logs to stderr. `one_shot` is for
    a command that ends after a few lines (see `_file_handler`). Calling it again
    replaces the handlers it installed earlier instead of adding more, so the
    handler count stays the same however often it runs.
    """
    teardown_logging()
    root = logging.getLogger()
    level = logging.DEBUG if debug else logging.INFO
    root.setLevel(level)

    file_handler = _file_handler(paths, one_shot=one_shot)
    if file_handler is not None:
        file_handler.setLevel(level)
        root.addHandler(_mark(file_handler))

    if debug or stderr or file_handler is None:
        console = logging.StreamHandler(sys.stderr)
        # Without --debug the console only carries what a person must see.
        console.setLevel(level if (debug or stderr) else logging.WARNING)
        root.addHandler(_mark(console))

    # warnings.warn(...) from libraries goes through the same handlers (and the filter).
    logging.captureWarnings(True)
