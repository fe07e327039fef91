"""Build the standalone app with PyInstaller: `python packaging/build.py [--onefile]`.

The default is the one-folder build (`dist/claude-tray/claude-tray`, starts
fast); `--onefile` makes one executable (`dist/claude-tray-onefile/claude-tray`,
unpacks itself on every start). Both are for the platform the script runs on.
Then the build is packed for download: a `.tar.gz` on Linux and macOS, a
`.zip` on Windows, each with a `.sha256` file in `sha256sum` format
(`--no-archive` skips that).

Options: `--dist DIR` (default `dist/`), `--work DIR` (default `build/`),
`--clean` (drop PyInstaller's cache first). Prints the executable's path, then
the archive's. Needs `pip install pyinstaller` (the `build` extra). This
script only builds: it must not install or download anything, nor write
outside the two folders.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import platform
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "claude-tray.spec"
#: The spec reads this to make the one-file flavour (PyInstaller runs the spec as code).
ONEFILE_ENV = "CLAUDE_TRAY_ONEFILE"
#: gzip level: 6 packs the one-folder build within 1 % of level 9 at half the time.
GZIP_LEVEL = 6


def _version() -> str:
    text = (ROOT / "claude_tray" / "__init__.py").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError("claude_tray/__init__.py has no __version__")


def platform_tag() -> str:
    """`linux-x86_64`, `windows-amd64`, `macos-arm64`, … for archive names."""
    system = {"win32": "windows", "darwin": "macos"}.get(
        sys.platform, sys.platform.rstrip("0123456789")
    )
    return f"{system}-{platform.machine().lower() or 'unknown'}"


def executable_path(dist: Path, *, onefile: bool = False) -> Path:
    """Where the build puts the `claude-tray` executable inside `dist`."""
    name = "claude-tray.exe" if sys.platform == "win32" else "claude-tray"
    return dist / ("claude-tray-onefile" if onefile else "claude-tray") / name


def build_environment(
    base: dict[str, str] | None = None, *, onefile: bool = False
) -> dict[str, str]:
    """The environment for PyInstaller."""
    env = dict(os.environ if base is None else base)
    # pystray's PyInstaller hook imports pystray; without a display that raises
    # DisplayNameError (not ImportError). The dummy backend imports cleanly and
    # every backend is still bundled (platform.md).
    env["PYSTRAY_BACKEND"] = "dummy"
    # The spec imports nothing of ours, but the analysis must find the checkout.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env[ONEFILE_ENV] = "1" if onefile else "0"
    return env


def build(dist: Path, work: Path, *, clean: bool = False, onefile: bool = False) -> Path:
    """Run PyInstaller on the spec; return the executable's path (raises on failure)."""
    # Each flavour in its own subfolder, so a one-file build never lands in (or
    # empties) the one-folder build's folder.
    target = dist / ("claude-tray-onefile" if onefile else "")
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(target if onefile else dist),
        "--workpath",
        str(work / ("onefile" if onefile else "onedir")),
    ]
    if clean:
        command.append("--clean")
    subprocess.run(command, check=True, cwd=ROOT, env=build_environment(onefile=onefile))
    exe = executable_path(dist, onefile=onefile)
    if not exe.is_file():
        raise FileNotFoundError(f"PyInstaller finished but {exe} is missing")
    return exe


@dataclass(frozen=True)
class Archive:
    """A packed build and its checksum file."""

    path: Path
    checksum_file: Path
    sha256: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _members(top: Path) -> list[Path]:
    """`top` and everything under it, sorted, so two packs of one build list the same order."""
    if top.is_file():
        return [top]
    return [top, *sorted(top.rglob("*"))]


def archive(
    exe: Path, dist: Path, *, onefile: bool = False, zip_format: bool | None = None
) -> Archive:
    """Pack the build next to it: `claude-tray-VERSION-PLATFORM[-onefile].tar.gz` (or `.zip`)."""
    zip_format = sys.platform == "win32" if zip_format is None else zip_format
    top = exe if onefile else exe.parent
    stem = f"claude-tray-{_version()}-{platform_tag()}{'-onefile' if onefile else ''}"
    icon = ROOT / "icons" / "claude-tray-256.png"
    if zip_format:
        path = dist / f"{stem}.zip"
        with zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=GZIP_LEVEL
        ) as out:
            for member in _members(top):
                out.write(member, Path(stem) / member.relative_to(top.parent))
            out.write(icon, Path(stem) / "claude-tray.png")
    else:
        path = dist / f"{stem}.tar.gz"
        # mtime=0 in the gzip header: the archive's bytes depend only on its contents.
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as out,
        ):
            for member in _members(top):
                # Symbolic links (PyInstaller makes a few) are stored as links.
                out.add(
                    member,
                    arcname=str(Path(stem) / member.relative_to(top.parent)),
                    recursive=False,
                )
            out.add(icon, arcname=f"{stem}/claude-tray.png")
    digest = _sha256(path)
    checksum_file = path.with_name(path.name + ".sha256")
    # The `sha256sum -c` format: the digest, two spaces, the file name.
    checksum_file.write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    return Archive(path, checksum_file, digest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--onefile", action="store_true", help="one executable instead of a folder")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--clean", action="store_true")
    parser.add_argument("--no-archive", action="store_true", help="do not pack the build")
    args = parser.parse_args(argv)
    dist = args.dist.resolve()
    try:
        exe = build(dist, args.work.resolve(), clean=args.clean, onefile=args.onefile)
        packed = None if args.no_archive else archive(exe, dist, onefile=args.onefile)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(exe)
    if packed is not None:
        print(packed.path)
        print(f"sha256 {packed.sha256} ({packed.checksum_file.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
