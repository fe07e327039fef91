"""The `status` command lines status bars run, read without argparse (issue 12).

A status bar runs `claude-tray status --format waybar --max-age 60` every few
seconds. Building the whole command line's parser for that costs about 5 ms
(argparse's import, a gettext lookup per help string, and shutil, which it
imports for the terminal's width): a quarter of what the cached answer may take
in all. `parse_status` reads `status` with its options in their plain spellings,
each at most once (`--json`, `--debug`, `--format F`, `--source S`,
`--max-age N`, the last three also as `--option=value`), and answers None for
anything else: help, an abbreviation, a repeat, a conflict, a bad value, a
value that starts with a dash. cli.py's argparse parser, the one definition of
the command line and its messages, then parses as it always did.

tests/test_quick_arguments.py holds this module to that parser: whatever it
accepts, argparse reads to the same values, and cli.py takes its choices and
its number-of-seconds rule from here.

This module must not import argparse or anything else beyond the standard
library's core (it runs before everything), and must not print or exit.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's constant without importing typing (cli.py says why)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Final

    from claude_tray.config import SourceChoice

#: The choices of `status --format` and `--source` (cli.build_parser uses these too).
STATUS_FORMATS: Final = ("text", "json", "waybar")
SOURCES: Final = ("auto", "web", "claude-code")

_SWITCHES: Final = ("--json", "--debug")
_WITH_VALUE: Final = ("--format", "--source", "--max-age")


def parse_seconds(text: str) -> float:
    """A non-negative, finite number of seconds; ValueError for anything else."""
    value = float(text)
    if not value >= 0 or value == float("inf"):  # `not >=` also refuses NaN
        raise ValueError(f"not a number of seconds: {text!r}")
    return value


class StatusArguments:
    """What argparse's namespace holds after `status ...`: the attributes cli.py reads."""

    command = "status"

    def __init__(
        self,
        *,
        json: bool = False,
        format: str | None = None,
        source: SourceChoice | None = None,
        max_age: float | None = None,
        debug: bool = False,
    ) -> None:
        self.json = json
        self.format = format
        self.source = source
        self.max_age = max_age
        self.debug = debug


def parse_status(arguments: Sequence[str]) -> StatusArguments | None:
    """`arguments` (argv without the program) if it is a plain `status` command line,
    else None: then argparse parses it, and says what is wrong with it if anything."""
    if not arguments or arguments[0] != "status":
        return None
    switches: set[str] = set()
    values: dict[str, str] = {}
    tokens = iter(arguments[1:])
    for token in tokens:
        if token in _SWITCHES and token not in switches:
            switches.add(token)
            continue
        name, equals, value = token.partition("=")
        if name not in _WITH_VALUE or name in values:
            return None
        if not equals:
            following = next(tokens, None)
            if following is None:
                return None
            value = following
        # argparse takes a dash-led word for an option, but a negative number for a
        # value: which one it is, is argparse's to say.
        if value.startswith("-"):
            return None
        values[name] = value
    fmt = values.get("--format")
    if fmt is not None and fmt not in STATUS_FORMATS:
        return None
    source = values.get("--source")
    if source is not None and source not in SOURCES:
        return None
    if "--json" in switches and fmt not in (None, "json"):
        return None  # argparse's path reports the conflict with the usage line
    max_age = None
    if "--max-age" in values:
        try:
            max_age = parse_seconds(values["--max-age"])
        except ValueError:
            return None
    return StatusArguments(
        json="--json" in switches,
        format=fmt,
        source=source,  # type: ignore[arg-type]  # one of SOURCES: checked above
        max_age=max_age,
        debug="--debug" in switches,
    )
