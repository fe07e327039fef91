"""`claude-tray install-browser`: Playwright's own Chromium, for machines without Chrome/Edge.

Runs the Playwright driver that ships with the app (the wheel's, or the one
bundled in a frozen build) as `node cli.js install chromium`, shows its
download progress as it comes, and checks afterwards that browser discovery
finds the new browser. Where nothing can be downloaded (no network, a proxy,
a firewall) it ends with one clear sentence saying why and what to do instead.

Only when no Chrome, Chromium or Edge is found (or with `--force`): a user's
own browser is preferred anyway (browser_discovery). This module must not
install anything but Playwright's Chromium into Playwright's own cache folder,
must not launch a browser, and runs in the command-line process only (never
in the tray process: the popup's "Install a browser…" runs the command line
as a child through the runner, tied to the app by the scraper's lifeline).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, BinaryIO, TextIO

from claude_tray.errors import ClaudeTrayError
from claude_tray.scraper.browser_discovery import (
    ENV_VAR,
    browser_environment,
    find_browser,
    playwright_cache_dirs,
)

#: Seconds the whole download may take (Chromium is about 170 MB).
INSTALL_TIMEOUT = 30 * 60
#: The end of the driver's output kept for the error message.
_TAIL_BYTES = 8192


@dataclass(frozen=True)
class InstallResult:
    """How `install_chromium` ended."""

    ok: bool
    #: A sentence for the user: where the browser is now, or why it failed and what to do.
    message: str


def driver_command() -> list[str]:
    """The bundled Playwright driver's `install chromium` command line."""
    # The driver's own helper knows where the wheel (or a frozen build) keeps Node
    # and cli.js; importing it loads only Playwright's small path helpers.
    from playwright._impl._driver import compute_driver_executable

    node, cli = compute_driver_executable()
    return [node, cli, "install", "chromium"]


def driver_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The driver's environment: the user's (library path restored in a frozen build)."""
    from playwright._impl._driver import get_driver_env

    result = browser_environment(env)
    # Playwright's markers (language, version) that its CLI expects from a binding.
    for key, value in get_driver_env().items():
        if key.startswith("PW_"):
            result[key] = value
    return result


#: Node's error codes for "cannot reach the server", most telling first.
_NETWORK_CODES = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ETIMEDOUT",
    "ECONNRESET",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "SELF_SIGNED_CERT_IN_CHAIN",
)
_HOST = re.compile(r"hostname:\s*'([^']+)'|https?://([^/\s:]+)")


def explain_failure(output: str, code: int) -> str:
    """One clear paragraph from the driver's output: what went wrong and what to do."""
    instead = (
        "Or install Chrome, Chromium or Edge instead (Debian/Ubuntu: sudo apt install "
        f"chromium; Fedora: sudo dnf install chromium), or set {ENV_VAR} to one; then run "
        "`claude-tray doctor`."
    )
    network = next((name for name in _NETWORK_CODES if name in output), None)
    if network is not None:
        hosts = [a or b for a, b in _HOST.findall(output)]
        where = f" {hosts[-1]}" if hosts else ""
        return (
            "Could not download Chromium: this machine cannot reach Playwright's download "
            f"server{where} ({network}). Check the internet connection or the proxy "
            f"(HTTPS_PROXY) and try again. {instead}"
        )
    errors = [line.strip() for line in output.splitlines() if line.strip().startswith("Error")]
    reason = errors[0] if errors else f"the installer exited with code {code}"
    return f"Could not install Chromium: {reason}. {instead}"


def _pump(source: IO[bytes], sink: BinaryIO | None, tail: bytearray) -> None:
    """Copy the driver's output to `sink` as it comes (progress bars use CR) and keep its end."""
    while True:
        chunk = source.read1(4096) if hasattr(source, "read1") else source.read(4096)
        if not chunk:
            return
        if sink is not None:
            sink.write(chunk)
            sink.flush()
        tail.extend(chunk)
        del tail[:-_TAIL_BYTES]


def install_chromium(
    env: Mapping[str, str] | None = None,
    *,
    progress: BinaryIO | None = None,
    command: Sequence[str] | None = None,
    timeout: float = INSTALL_TIMEOUT,
) -> InstallResult:
    """Run the driver's installer, streaming its output to `progress`; then find the browser.

    `command` replaces the driver's command line (tests run a stand-in).
    """
    env = os.environ if env is None else env
    try:
        argv = list(command) if command is not None else driver_command()
    except Exception as exc:  # no driver in this install: say so instead of a trace
        return InstallResult(False, f"Playwright's driver is missing from this install ({exc}).")
    tail = bytearray()
    try:
        proc = subprocess.Popen(
            argv,
            env=driver_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Started from the tray (no console), node.exe would open a console window.
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except OSError as exc:
        return InstallResult(False, f"Could not start Playwright's installer ({exc}).")
    try:
        assert proc.stdout is not None
        _pump(proc.stdout, progress, tail)
        code = proc.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        proc.kill()
        proc.wait()
        raise
    output = tail.decode("utf-8", errors="replace")
    if code != 0:
        return InstallResult(False, explain_failure(output, code))
    try:
        found = find_browser({k: v for k, v in env.items() if k != ENV_VAR}, None)
    except ClaudeTrayError:
        folders = ", ".join(str(p) for p in playwright_cache_dirs(env, sys.platform))
        return InstallResult(
            False,
            f"Playwright reported success, but no Chromium was found in {folders}. "
            "Run `claude-tray doctor` to see what is missing.",
        )
    return InstallResult(True, f"Chromium is installed: {found}. You can log in now.")


def run_command(force: bool, out: TextIO, err: TextIO) -> int:
    """The command line's body: 0 installed (or not needed), 1 on an error."""
    from claude_tray.scraper import lifeline

    # Run by the tray (runner.install_browser): end, driver included, with the app.
    lifeline.install(os.environ)
    if not force:
        try:
            found = find_browser()
        except ClaudeTrayError:
            pass
        else:
            print(
                f"A browser is already there: {found}. Nothing to install "
                "(`claude-tray install-browser --force` installs Playwright's Chromium anyway).",
                file=out,
            )
            return 0
    print("Downloading Playwright's Chromium (about 170 MB)…", file=out, flush=True)
    binary = getattr(out, "buffer", None)
    result = install_chromium(progress=binary)
    print(result.message, file=out if result.ok else err)
    return 0 if result.ok else 1
