"""Cleaning the text the service sends before it enters our documents.

Model names, kinds and other strings from the usage body end up in the popup,
the tray tooltip, the Waybar line and notifications. Any of them could be very
long, hold line breaks, tabs or control characters (a stray `\\x1b[2J` in a
terminal, a bidi override in a label). Every function here returns one line of
printable text within a fixed length, so no caller has to think about it.

Pure functions only: this module must not do I/O, must not log and must not
know the shape of the usage body (that is `usage_parser`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

#: A label is one line of at most this many characters (interface.md).
LABEL_MAX: Final = 60
#: An id is at most this many characters.
ID_MAX: Final = 64
ELLIPSIS: Final = "…"

# Unicode categories that are never shown as text: controls (Cc), format
# characters such as bidi overrides and zero-width joiners (Cf), unassigned
# (Cn), private use (Co) and lone surrogates (Cs).
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cn", "Co", "Cs"})
# Line and paragraph separators (Zl, Zp) and every other kind of space (Zs)
# become one plain space, like the ASCII whitespace controls.
_SPACES: Final = frozenset({"Zl", "Zp", "Zs"})
_WHITESPACE_CONTROLS: Final = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85")
_RUNS_OF_SPACES: Final = re.compile(r" {2,}")
_NOT_ID: Final = re.compile(r"[^a-z0-9]+")


def one_line(text: str) -> str:
    """`text` as one line: whitespace and line breaks collapsed, invisible characters gone."""
    kept: list[str] = []
    for char in text:
        if char in _WHITESPACE_CONTROLS:
            kept.append(" ")
            continue
        category = unicodedata.category(char)
        if category in _SPACES:
            kept.append(" ")
        elif category not in _INVISIBLE:
            kept.append(char)
    return _RUNS_OF_SPACES.sub(" ", "".join(kept)).strip()


def bounded(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when it was cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip(" ,·-") + ELLIPSIS


def clean_label(text: str, limit: int = LABEL_MAX) -> str:
    """One printable line of at most `limit` characters ('' when nothing printable is left)."""
    return bounded(one_line(text), limit)


def clean_id(text: str, limit: int = ID_MAX) -> str:
    """A stable id: lower-case letters, digits and single underscores, at most `limit` long.

    Accents fold to their base letter ("Épée" → "epee"); everything else that
    is not a letter or digit becomes one underscore. Cut without an ellipsis
    (ids are compared, not read), and never ending in an underscore. A name
    with letters but none in ASCII ("クロード") gets a short digest of itself,
    so it still has an id that is the same at every poll; '' only when `text`
    has no letter or digit at all.
    """
    folded = unicodedata.normalize("NFKD", text)
    ascii_only = folded.encode("ascii", "ignore").decode("ascii")
    slug = _NOT_ID.sub("_", ascii_only.lower()).strip("_")
    if not slug:
        printable = one_line(text)
        if not any(char.isalnum() for char in printable):
            return ""
        import hashlib  # rare: only names without one ASCII letter or digit

        slug = "u" + hashlib.sha256(printable.encode("utf-8")).hexdigest()[:12]
    return slug[:limit].rstrip("_")


def clean_optional_label(value: object, limit: int = LABEL_MAX) -> str | None:
    """`clean_label` of a string that has something printable in it, else None."""
    if not isinstance(value, str):
        return None
    return clean_label(value, limit) or None
