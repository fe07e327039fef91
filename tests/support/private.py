"""How a test checks that a file is private to the user, on POSIX and on Windows.

POSIX: the mode says so (0600 for files, 0700 for folders). Windows has no such
modes (`chmod` only toggles read-only): a file is private because it lives in the
user's profile, whose ACL grants only the user (and SYSTEM and Administrators); the
app keeps its files under %LOCALAPPDATA%/%APPDATA% (and the tests under the profile's
Temp), so that is what is checked there.

This module must not change a mode or an ACL: it only looks, so a file the app
left open to others fails the test.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def assert_private(path: Path, *, folder: bool = False) -> None:
    """`path` is readable by its owner only (POSIX mode, or inside the Windows profile)."""
    if os.name == "posix":
        expected = 0o700 if folder else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, (path, oct(path.stat().st_mode))
        return
    profile = Path(os.environ["USERPROFILE"]).resolve()
    assert path.exists(), path
    assert path.resolve().is_relative_to(profile), f"{path} is outside the profile {profile}"
