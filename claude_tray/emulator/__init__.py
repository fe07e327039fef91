"""A local claude.ai look-alike for the demo mode and the tests.

`Emulator` serves, on 127.0.0.1 only, what claude.ai and the OAuth usage
endpoint serve (see `claude-service.md`): login pages, session cookies,
organizations, usage bodies in their real shapes, and switchable faults.
This package must never listen on another address, never contact the real
service, and never log a key or token.
"""

from __future__ import annotations

from claude_tray.emulator.emulator import KEEP, Emulator
from claude_tray.emulator.recorder import RecordedRequest
from claude_tray.emulator.scenarios import SCENARIOS
from claude_tray.emulator.usage_values import UsageValues

__all__ = ["KEEP", "SCENARIOS", "Emulator", "RecordedRequest", "UsageValues"]
