#!/usr/bin/env bash
# The Windows one-folder app, built by PyInstaller under the Wine stage's Windows python and
# smoke-run under Wine against the emulator (packaging/smoke_build.py): --version, login,
# status --json (the frozen exe runs itself as its scraper child), autostart on/status/off
# in Wine's registry. Called by .ci/windows.sh after its tests, with WPY (the Windows
# python wrapper), RUN (this run's folder), CACHE (the wheel cache) and HOST_PY exported.
# Builds from a copy of the project under $RUN/src: the checkout is never written.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
: "${WPY:?}" "${RUN:?}" "${CACHE:?}" "${HOST_PY:?}"

cp -a packaging icons "$RUN/src/"
"$WPY" -m pip install -q --no-index --find-links "$CACHE/wheels" --no-warn-script-location \
  pyinstaller pyinstaller-hooks-contrib pefile pywin32-ctypes altgraph -c .ci/constraints.txt \
  </dev/null
win() { printf 'Z:%s' "${1//\//\\}"; }  # Wine's name for a Linux path (Z: is /)
"$WPY" "$(win "$RUN/src/packaging/build.py")" --dist "$(win "$RUN/build/dist")" \
  --work "$(win "$RUN/build/work")" </dev/null
exe="$RUN/build/dist/claude-tray/claude-tray.exe"
ls -l "$exe" "$RUN"/build/dist/claude-tray-*-windows-*.zip
du -sh "$RUN/build/dist/claude-tray" | sed 's/^/one-folder size on disk: /'
(cd "$RUN/build/dist" && sha256sum -c ./*.zip.sha256)
"$HOST_PY" "$ROOT/packaging/smoke_build.py" --wine "$exe"
