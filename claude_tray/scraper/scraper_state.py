"""The scraper's non-secret memory between runs: until when the fast path is challenged.

When plain HTTP meets a Cloudflare challenge, the next polls go straight to the
browser path for a while instead of paying for a failed attempt first. The file
holds nothing secret. A missing or unreadable file means "no memory"; this
module must never raise because of it, and must not do network I/O.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from claude_tray.paths import AppPaths

log = logging.getLogger(__name__)

#: How long the fast path is skipped after a challenge.
CHALLENGE_MEMORY_SECONDS = 30 * 60


@dataclass(frozen=True)
class ScraperState:
    """What the scraper remembers; times are Unix seconds."""

    challenged_until: float | None = None

    def fast_path_challenged(self, now: float) -> bool:
        return self.challenged_until is not None and now < self.challenged_until


def load_state(paths: AppPaths) -> ScraperState:
    """The remembered state; an empty state when there is none or it cannot be read."""
    try:
        raw = json.loads(paths.scraper_state_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ScraperState()
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable scraper state file (%s)", type(exc).__name__)
        return ScraperState()
    until = raw.get("challenged_until") if isinstance(raw, dict) else None
    if isinstance(until, bool) or not isinstance(until, (int, float)):
        until = None
    return ScraperState(challenged_until=None if until is None else float(until))


def save_state(paths: AppPaths, state: ScraperState) -> None:
    """Write the state; a failure is logged, never raised (it is only an optimisation)."""
    from claude_tray.fileio import atomic_write  # tempfile: only when writing

    try:
        atomic_write(
            paths.scraper_state_file,
            json.dumps({"challenged_until": state.challenged_until}) + "\n",
        )
    except OSError as exc:
        log.warning("could not write the scraper state file (%s)", exc.strerror)


def remember_challenge(
    paths: AppPaths, *, now: float | None = None, seconds: float = CHALLENGE_MEMORY_SECONDS
) -> None:
    """Remember that the fast path was challenged, for `seconds` from `now`."""
    start = time.time() if now is None else now
    save_state(paths, ScraperState(challenged_until=start + seconds))
    log.info("the fast path was challenged; using the browser path for %d minutes", seconds // 60)


def forget_challenge(paths: AppPaths) -> None:
    """Forget an earlier challenge (the fast path works again)."""
    if load_state(paths).challenged_until is not None:
        save_state(paths, ScraperState())
