"""Where claude-tray keeps its files: one object built from platformdirs.

`CLAUDE_TRAY_HOME` puts everything under one folder (portable mode, tests).
This module only computes paths; it must not create, read or write files
except in `ensure()`, and it must not compute anything at import time, so
tests can point a whole run at a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TYPE_CHECKING = False  # typing's constant without importing typing (see below)
if TYPE_CHECKING:
    from collections.abc import Mapping

APP_NAME = "claude-tray"


class AppPaths:
    """The four folders the app uses and the files inside them.

    A plain class, not a dataclass, and no typing import: `status --max-age` finds
    the cache through it, and dataclasses (with inspect) and typing take about 8 ms
    to import, more than the rest of that path (issue 12).
    """

    __slots__ = ("cache_dir", "config_dir", "data_dir", "log_dir")

    def __init__(self, config_dir: Path, data_dir: Path, cache_dir: Path, log_dir: Path) -> None:
        self.config_dir = config_dir
        self.data_dir = data_dir
        self.cache_dir = cache_dir
        self.log_dir = log_dir

    def __repr__(self) -> str:
        return f"AppPaths({self.as_dict()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AppPaths) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.as_dict().values()))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppPaths:
        """Build the paths from `CLAUDE_TRAY_HOME`, else from platformdirs."""
        env = os.environ if env is None else env
        home = env.get("CLAUDE_TRAY_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(root / "config", root / "data", root / "cache", root / "logs")
        import platformdirs  # imported late: only needed without CLAUDE_TRAY_HOME

        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            Path(dirs.user_config_dir),
            Path(dirs.user_data_dir),
            Path(dirs.user_cache_dir),
            Path(dirs.user_log_dir),
        )

    # Config
    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    # Data: secrets live here, files are written with mode 0600.
    @property
    def session_file(self) -> Path:
        """The stored claude.ai web session (sessionKey, org, cookies)."""
        return self.data_dir / "web_session.json"

    @property
    def browser_profile_dir(self) -> Path:
        """The persistent Chromium profile used for login and the browser path."""
        return self.data_dir / "browser-profile"

    @property
    def scraper_state_file(self) -> Path:
        """Non-secret scraper memory: e.g. until when the fast path is challenged."""
        return self.data_dir / "scraper_state.json"

    @property
    def scraper_lock_file(self) -> Path:
        """Held by a scraper child while it runs, so two processes never poll at once."""
        return self.data_dir / "scraper.lock"

    @property
    def instance_lock_file(self) -> Path:
        """Held by the running tray app; names its PID and control port."""
        return self.data_dir / "instance.lock"

    @property
    def statusline_feed_file(self) -> Path:
        """The readings Claude Code's status line last piped to `claude-tray statusline`."""
        return self.data_dir / "statusline_feed.json"

    @property
    def statusline_install_file(self) -> Path:
        """What `statusline --install` changed in Claude Code's settings, for `--uninstall`."""
        return self.data_dir / "statusline_install.json"

    @property
    def history_file(self) -> Path:
        """The SQLite database of every reading (`claude-tray history`)."""
        return self.data_dir / "history.sqlite3"

    # Cache
    @property
    def usage_cache_file(self) -> Path:
        """The last good usage document, shown (as stale) right after a restart."""
        return self.cache_dir / "last_usage.json"

    @property
    def handshake_cache_file(self) -> Path:
        """The runner's cached proof that an interpreter can run the scraper."""
        return self.cache_dir / "handshake.json"

    # Logs
    @property
    def log_file(self) -> Path:
        return self.log_dir / "claude-tray.log"

    @property
    def scraper_log_file(self) -> Path:
        return self.log_dir / "scraper.log"

    def ensure(self) -> None:
        """Create the folders (data and config readable by the user alone)."""
        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for private in (self.data_dir, self.config_dir):
            # Not our folder, or a filesystem without modes: nothing more to do.
            with contextlib.suppress(OSError):
                private.chmod(0o700)

    def as_dict(self) -> dict[str, str]:
        return {
            "config": str(self.config_dir),
            "data": str(self.data_dir),
            "cache": str(self.cache_dir),
            "logs": str(self.log_dir),
        }
