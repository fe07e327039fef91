"""What the command line writes to stdout and stderr, whatever they are connected to.

On Windows a redirected or piped stdout uses the ANSI code page (cp1252 on most Western
machines), which has no "₹", "₩" or Cyrillic: Python's default "strict" error handler
then raises UnicodeEncodeError from `print` in the middle of the output. Two rules:

- JSON (documents, Waybar lines, history) is always written as UTF-8 bytes, the
  encoding JSON readers expect (RFC 8259 §8.1), whatever the console's code page.
- Text for people is written in the stream's own encoding (the console's, or the
  code page a pipe gets), with characters it cannot hold replaced by "?": never a
  traceback.

This module must NOT change the streams' encodings (a console window and a pipe each
keep their own), close them, or write anything itself.
"""

from __future__ import annotations

import contextlib
import sys

# Not `from typing import ...`: `status --max-age` must not pay about 2 ms for typing
# just for an annotation (mypy treats this constant as typing's TYPE_CHECKING).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def tolerate_unencodable(*streams: TextIO | None) -> None:
    """Make text streams replace what their encoding cannot hold instead of raising."""
    for stream in streams or (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue  # a StringIO or a wrapper without an encoding: nothing to fail
        with contextlib.suppress(ValueError, OSError):  # a closed or detached stream
            reconfigure(errors="replace")


def write_json_line(text: str, stream: TextIO | None = None) -> None:
    """Write one JSON text and a newline to `stream` (stdout) as UTF-8 bytes."""
    out = sys.stdout if stream is None else stream
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a text-only stream (tests' StringIO): it holds str, not bytes
        out.write(text + "\n")
        return
    out.flush()  # text already written through the wrapper goes first
    buffer.write(text.encode("utf-8") + b"\n")
    buffer.flush()
