"""No console window ever flashes on Windows (issue 10, item 5).

The tray runs without a console (pythonw.exe, the windowed build); any console program
it starts without CREATE_NO_WINDOW opens a black window. Every process the app's code
starts passes `creationflags` (CREATE_NO_WINDOW is 0 off Windows), except the few
listed here, each with the reason it cannot reach Windows' tray process.
"""

from __future__ import annotations

import ast
from pathlib import Path

import claude_tray

PACKAGE = Path(claude_tray.__file__).parent
STARTERS = {"Popen", "run", "call", "check_call", "check_output"}
#: (module, first argument's text) that never run in the Windows tray process.
EXEMPT = {
    # macOS keychain (`security`): darwin only.
    ("scraper/claude_code.py", "*"),
    # `<browser> --version`: the Windows branch reads the file's version resource instead.
    ("scraper/browser_discovery.py", "[os.fspath(path), '--version']"),
    # xdg-open: the frozen Linux build only.
    ("app.py", "['xdg-open', url]"),
    # Claude Code's status line runs `claude-tray statusline` in its own console.
    ("statusline.py", "*"),
}


def process_starts() -> list[tuple[str, str, bool]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if not (isinstance(owner, ast.Name) and owner.id == "subprocess"):
                continue
            if node.func.attr not in STARTERS:
                continue
            first = ast.unparse(node.args[0]) if node.args else ""
            flagged = any(k.arg == "creationflags" for k in node.keywords)
            found.append((module, first, flagged))
    return found


def test_every_process_the_app_starts_hides_its_console_on_windows() -> None:
    starts = process_starts()
    assert len(starts) >= 4  # the scan sees the calls at all
    unflagged = [
        (module, first)
        for module, first, flagged in starts
        if not flagged and (module, first) not in EXEMPT and (module, "*") not in EXEMPT
    ]
    assert unflagged == [], "these start a console window on Windows: add creationflags"
