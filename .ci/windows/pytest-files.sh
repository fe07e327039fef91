#!/usr/bin/env bash
# Runs test files under the Windows python of the Wine stage, one pytest process per file
# (pytest-timeout's thread method ends the whole process on Windows, so a hang costs one
# file, not the run), three at a time (Wine processes wait on children and sockets much
# of the time; three keep the two cores busier than two). Needs CLAUDE_TRAY_WINE_ROOT and CLAUDE_TRAY_WPY
# (set by .ci/windows.sh). Prints each file's summary and the output of every failing
# file; exits 1 if any file failed. A file whose every test is deselected here (browser or
# display tests only) is listed as such.
set -uo pipefail
RUN=${CLAUDE_TRAY_WINE_ROOT:?run from .ci/windows.sh}
WPY=${CLAUDE_TRAY_WPY:?run from .ci/windows.sh}
OUT="$RUN/pytest"
mkdir -p "$OUT"
cd "$RUN/src"
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(grep -v '^#' "$(dirname "$0")/test-files.txt" | grep .)
fi

run_one() {
  local file=$1 name rc start
  name=$(basename "$file" .py)
  start=$(date +%s)
  # A generous per-test timeout; the outer one catches a Wine-level hang of the process.
  timeout 600 "$WPY" -m pytest -p no:cacheprovider -q -rfE --timeout 120 \
    -m "not browser and not display" "$file" </dev/null >"$OUT/$name.log" 2>&1
  rc=$?
  # Wine's own CreateProcess failure under load ("[WinError 1359] Internal error", seen
  # once in about ten runs) is not the app's: that file, and only for that, runs once
  # more, and the first log is kept beside the second.
  if [ "$rc" != 0 ] && tr -d '\r' <"$OUT/$name.log" | grep -q 'WinError 1359\] Internal error'; then
    mv "$OUT/$name.log" "$OUT/$name.first.log"
    echo "$name: Wine's CreateProcess failed (WinError 1359); running the file once more"
    timeout 600 "$WPY" -m pytest -p no:cacheprovider -q -rfE --timeout 120 \
      -m "not browser and not display" "$file" </dev/null >"$OUT/$name.log" 2>&1
    rc=$?
  fi
  echo "$rc" >"$OUT/$name.rc"
  printf '%-40s rc=%s %4ds  %s\n' "$name" "$rc" $(( $(date +%s) - start )) \
    "$(tr -d '\r' <"$OUT/$name.log" | grep -E '(passed|failed|error|deselected|skipped)' | tail -1)"
}
export -f run_one
export WPY OUT
printf '%s\n' "${files[@]}" | xargs -P 3 -I{} bash -c 'run_one "$@"' _ {}

status=0
for file in "${files[@]}"; do
  name=$(basename "$file" .py)
  rc=$(cat "$OUT/$name.rc" 2>/dev/null || echo missing)
  case "$rc" in
    0) ;;
    5) echo "$name: every test here needs a browser or a display (deselected under Wine)" ;;
    *) status=1
       printf '\n---- %s failed under Windows (rc=%s) ----\n' "$name" "$rc"
       tr -d '\r' <"$OUT/$name.log" | tail -80 ;;
  esac
done
exit "$status"
