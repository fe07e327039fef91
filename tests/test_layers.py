"""The package's layers point one way; read from the source, imports inside functions included."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "claude_tray"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def imports_of(path: Path) -> frozenset[str]:
    """Every module `path` imports anywhere in its body (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base)
                found.add(f"{prefix}.{node.module}" if node.module else prefix)
            elif node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(found)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def importers_of(top_level: str) -> set[str]:
    return {
        name
        for name, path in MODULES.items()
        if any(imported.split(".")[0] == top_level for imported in imports_of(path))
    }


def test_the_reader_sees_lazy_imports() -> None:
    """The check itself works: a lazy import inside a function is found."""
    assert "claude_tray.app" in imports_of(MODULES["claude_tray.cli"]) or any(
        name.startswith("claude_tray.app") for name in imports_of(MODULES["claude_tray.cli"])
    )


def test_playwright_only_in_the_scraper_browser_modules() -> None:
    """Only the scraper's browser modules import Playwright, so the tray process never does."""
    assert importers_of("playwright") <= {
        "claude_tray.scraper.browser_transport",
        "claude_tray.scraper.browser_login",
        # Only the driver's path helpers, for `claude-tray install-browser`.
        "claude_tray.scraper.browser_install",
    }


def test_tk_only_in_the_popup_and_app() -> None:
    """Only the popup modules and the app wiring import Tk: the command line needs no display."""
    allowed = {name for name in MODULES if name.startswith("claude_tray.popup")}
    assert importers_of("tkinter") <= allowed | {"claude_tray.app"}


def test_pystray_only_in_the_tray_and_app() -> None:
    """Only the tray package's modules and the app wiring import pystray or Xlib (and the
    popup's placement, which reads the X11 work area, monitors and panel struts)."""
    allowed = {name for name in MODULES if name.startswith("claude_tray.tray.")}
    allowed.add("claude_tray.app")
    assert importers_of("pystray") <= allowed
    # popup.placement reads the work area, popup.x11 sets the window-manager hints
    # Tk cannot (skip-taskbar, no title bar).
    assert importers_of("Xlib") <= allowed | {
        "claude_tray.popup.placement",
        "claude_tray.popup.x11",
        # Opens the connections of all of them, with only the X extensions each uses.
        "claude_tray.xlib_connect",
    }


TRAY_MODULES = sorted(name for name in MODULES if name.startswith("claude_tray.tray."))


def tray_imports_of(name: str) -> set[str]:
    """The tray package's own modules that `name` imports (the package itself included)."""
    return {
        imported if imported in MODULES else imported.rsplit(".", 1)[0]
        for imported in imports_of(MODULES[name])
        if imported == "claude_tray.tray" or imported.startswith("claude_tray.tray.")
    } - {name}


@pytest.mark.parametrize("name", TRAY_MODULES)
def test_tray_modules_import_siblings_not_the_package(name: str) -> None:
    """A tray module imports the sibling it needs, never the package (which imports them all)."""
    assert "claude_tray.tray" not in tray_imports_of(name)


def test_tray_modules_have_no_import_cycle() -> None:
    """The tray package's modules import each other one way (view at the bottom)."""
    graph = {name: tray_imports_of(name) for name in TRAY_MODULES}
    assert graph["claude_tray.tray.view"] == set()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name in done:
            return
        for imported in graph.get(name, set()):
            visit(imported, (*path, name))
        done.add(name)

    for name in TRAY_MODULES:
        visit(name, ())


UI_AND_APP = (
    "claude_tray.app",
    "claude_tray.tray",
    "claude_tray.popup",
    "claude_tray.demo",
    "claude_tray.single_instance",
    "claude_tray.cli",
    "claude_tray.doctor",
    "claude_tray.core",
    "claude_tray.worker",
    "claude_tray.state",
    "claude_tray.runner",
)


@pytest.mark.parametrize(
    "name", sorted(name for name in MODULES if name.startswith("claude_tray.scraper"))
)
def test_scraper_never_imports_the_app_side(name: str) -> None:
    """The scraper child program never imports the UI, the core or the app side."""
    bad = [
        imported
        for imported in imports_of(MODULES[name])
        if imported.split(".")[0] in {"tkinter", "pystray", "Xlib"}
        or any(imported == up or imported.startswith(up + ".") for up in UI_AND_APP)
        or imported.startswith("claude_tray.popup")
    ]
    assert bad == []


BOTTOM = {
    "claude_tray.errors": set(),
    "claude_tray.paths": set(),
    "claude_tray.fileio": set(),
    "claude_tray.redact": set(),
    "claude_tray.documents": {"claude_tray.errors"},
    "claude_tray.events": {"claude_tray.documents", "claude_tray.errors", "claude_tray.trend"},
    "claude_tray.trend": {"claude_tray.reset_window"},  # plain sparkline data (UsageUpdated)
    "claude_tray.reset_window": set(),
    "claude_tray.config": {"claude_tray.fileio"},
    "claude_tray.service_text": set(),
    "claude_tray.usage_parser": {
        "claude_tray.documents",
        "claude_tray.errors",
        "claude_tray.service_text",
    },
}


@pytest.mark.parametrize("name", sorted(BOTTOM))
def test_bottom_layer_imports_only_below_itself(name: str) -> None:
    """Models, errors, paths and the parser import nothing above them in the package."""
    own = {
        imported if imported in MODULES else imported.rsplit(".", 1)[0]
        for imported in imports_of(MODULES[name])
        if imported.startswith("claude_tray")
    }
    assert own <= BOTTOM[name]


def test_only_the_runner_starts_processes_in_the_app() -> None:
    """Outside the scraper child, only the runner (and the app's URL opener) start processes.

    `statusline` is Claude Code's child, not the app's: it runs the user's own
    chained status-line command, never a scraper. `history_child` runs the tray's
    history reads and writes (our own code, no network, its own time limit), so the
    tray never loads SQLite.
    """
    starters = {
        name for name in importers_of("subprocess") if not name.startswith("claude_tray.scraper")
    }
    allowed = {"claude_tray.runner", "claude_tray.app", "claude_tray.statusline"}
    assert starters <= allowed | {"claude_tray.history_child"}
