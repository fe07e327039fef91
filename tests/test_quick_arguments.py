"""quick_arguments.parse_status against cli.py's argparse parser, the command line's definition.

Whatever the quick reader accepts, argparse must read to the same values (and the
same output format); what it refuses, argparse parses (or refuses) as always. The
command lines are drawn from the words that matter to either: the options,
their values, bad values, dash-led values, abbreviations, repeats, `=` forms.
"""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_tray import cli
from claude_tray.quick_arguments import StatusArguments, parse_seconds, parse_status

_OPTIONS = ["--json", "--debug", "--format", "--source", "--max-age", "--form", "--max", "--json=1"]
_VALUES = [
    "text", "json", "waybar", "yaml", "auto", "web", "claude-code", "Web", "60", "0", "0.5",
    "1e3", "-5", "-0", "-0e0", "-.5", "nan", "inf", " 7", "1_0", "x", "", "--json",
]  # fmt: skip
_ODD = ["-h", "--help", "--", "run", "status", "--format=", "--format=waybar=x"]
#: A command line: options, each often followed by a value (alone, or as `--option=value`).
_ARGUMENT_LISTS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(_OPTIONS)).map(list),
        st.tuples(st.sampled_from(_OPTIONS), st.sampled_from(_VALUES)).map(list),
        st.tuples(st.sampled_from(_OPTIONS), st.sampled_from(_VALUES)).map(lambda p: ["=".join(p)]),
        st.tuples(st.sampled_from(_ODD)).map(list),
    ),
    max_size=5,
).map(lambda parts: [word for part in parts for word in part])


def _argparse(arguments: list[str]) -> argparse.Namespace | None:
    """argparse's namespace, or None where it exits (help, or an error)."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return cli.build_parser().parse_args(arguments)
        except SystemExit:
            return None


def _values(args: argparse.Namespace | StatusArguments) -> tuple[object, ...]:
    return (args.command, args.json, args.format, args.source, args.max_age, args.debug)


def _format(args: argparse.Namespace | StatusArguments) -> str | None:
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            return cli._status_format(args)
        except SystemExit:
            return None


@settings(max_examples=1000, deadline=None)
@given(_ARGUMENT_LISTS)
def test_what_the_quick_reader_accepts_argparse_reads_the_same(words: list[str]) -> None:
    arguments = ["status", *words]
    quick = parse_status(arguments)
    if quick is None:
        return
    full = _argparse(arguments)
    assert full is not None, arguments  # the quick reader took a line argparse refuses
    assert _values(quick) == _values(full), arguments
    assert _format(quick) == _format(full) is not None, arguments


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["status"], ("status", False, None, None, None, False)),
        (["status", "--json"], ("status", True, None, None, None, False)),
        (
            ["status", "--format", "waybar", "--source", "web", "--max-age", "60"],
            ("status", False, "waybar", "web", 60.0, False),
        ),
        (
            ["status", "--max-age=0.5", "--format=text", "--debug"],
            ("status", False, "text", None, 0.5, True),
        ),
        (["status", "--json", "--format", "json"], ("status", True, "json", None, None, False)),
    ],
)
def test_the_status_lines_status_bars_run_are_read_quickly(
    arguments: list[str], expected: tuple[object, ...]
) -> None:
    quick = parse_status(arguments)
    assert quick is not None
    assert _values(quick) == expected
    full = _argparse(arguments)
    assert full is not None and _values(full) == expected


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["run"],
        ["--debug", "status"],  # the global option before the command
        ["status", "--help"],
        ["status", "--form", "waybar"],  # an abbreviation: argparse's to expand
        ["status", "--json", "--json"],
        ["status", "--max-age", "60", "--max-age", "30"],
        ["status", "--json", "--format", "waybar"],  # the conflict: argparse's message
        ["status", "--format", "yaml"],
        ["status", "--max-age", "-0"],  # dash-led: argparse decides what it is
        ["status", "--max-age", "-0e0"],  # for argparse an option, not a number: an error
        ["status", "--max-age", "nan"],
        ["status", "--max-age"],
        ["status", "--source", "Web"],
        ["status", "--"],
    ],
)
def test_anything_else_is_left_to_argparse(arguments: list[str]) -> None:
    assert parse_status(arguments) is None


def test_a_conflict_still_gets_argparse_s_usage_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["status", "--json", "--format", "waybar"])
    assert exited.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "usage: claude-tray status" in err
    assert "--json and --format are different formats" in err


@pytest.mark.parametrize("text", ["60", "0", "0.25", "1e3", " 7 "])
def test_seconds_are_one_rule_for_both_readers(text: str) -> None:
    assert parse_seconds(text) == float(text)
    assert cli._seconds(text) == float(text)


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "1e400", "soon", ""])
def test_bad_seconds_are_refused_by_both_readers(text: str) -> None:
    with pytest.raises(ValueError):
        parse_seconds(text)
    with pytest.raises(argparse.ArgumentTypeError, match="not a number of seconds"):
        cli._seconds(text)
