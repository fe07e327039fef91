"""The events the core puts on the UI's `queue.Queue`.

Plain immutable data with past-tense names. The worker creates them; the tray
and popup only read them. This module must not import Tk, pystray or anything
that does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from claude_tray.documents import UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.trend import Trend


class Status(str, Enum):
    """What the app is doing now."""

    IDLE = "idle"
    REFRESHING = "refreshing"
    LOGGING_IN = "logging_in"
    ERROR = "error"
    PAUSED = "paused"


@dataclass(frozen=True)
class UsageUpdated:
    """New numbers: fresh from a poll, or `stale` ones loaded from the cache at start.

    `live`: some of them are live from Claude Code's status line; `trends`: each
    limit's recent history, for the popup's sparklines.
    """

    document: UsageDocument
    stale: bool = False
    live: bool = False
    #: Drawing data, not part of what the event says: left out of ==.
    trends: tuple[Trend, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class RefreshFailed:
    """A poll (or another command) ended in an error document."""

    code: ErrorCode
    message: str
    retry_after: float | None = None


@dataclass(frozen=True)
class StatusChanged:
    """The app's status changed."""

    status: Status


@dataclass(frozen=True)
class RefreshRequested:
    """Someone asked for a refresh now; `accepted` is False when it was refused.

    `message` says why a refresh was refused when it was not simply "already
    refreshing" (e.g. the read budget is used up).
    """

    accepted: bool
    message: str = ""


@dataclass(frozen=True)
class SaveFailed:
    """A file could not be written (full disk, read-only folder); the numbers still show.

    `message` names the file, the reason and what to do.
    """

    path: str
    message: str


@dataclass(frozen=True)
class LoginFinished:
    """A login (browser or pasted key) or a logout ended."""

    logged_in: bool
    code: ErrorCode | None = None
    message: str = ""


@dataclass(frozen=True)
class BrowserInstalled:
    """`Core.install_browser` ended: `ok` when a browser can be used now.

    `message` is the install's one result sentence (why it failed, or where
    the browser is); the popup words it for the login panel.
    """

    ok: bool
    message: str


@dataclass(frozen=True)
class ShowPopupRequested:
    """Another `claude-tray` process asked this one to show its popup."""


Event = (
    UsageUpdated
    | RefreshFailed
    | StatusChanged
    | RefreshRequested
    | LoginFinished
    | BrowserInstalled
    | ShowPopupRequested
    | SaveFailed
)
