#!/usr/bin/env bash
# Start-to-window time of the packaged app beside `python -m digestdesk`, in the same run.
#
#   bash packaging/bench_startup.sh [RUNS]      (default 5; needs Xvfb and xdotool)
#
# Each run starts the app on an empty library under a private Xvfb display and stops the
# clock when xdotool sees its window mapped (a real X11 window, not --self-test's offscreen
# one). A second table times `--self-test` (start, import the sample, search, render, exit)
# the same way for both. Prints medians (and min/max) in milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${1:-5}
PACKAGED=${PACKAGED:-$ROOT/dist/digestdesk/digestdesk}
PY=${PYTHON:-$ROOT/.venv/bin/python}
[[ -x $PACKAGED ]] || { echo "bench_startup.sh: no $PACKAGED; run make package" >&2; exit 1; }
command -v Xvfb >/dev/null && command -v xdotool >/dev/null ||
    { echo "bench_startup.sh: needs Xvfb and xdotool" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/digestdesk-bench.XXXXXX")
mkdir -m 700 "$WORK/runtime"
DISPLAY_NUMBER=$((90 + RANDOM % 100))
Xvfb ":$DISPLAY_NUMBER" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
trap 'kill $XVFB_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
    xdotool getdisplaygeometry --display ":$DISPLAY_NUMBER" >/dev/null 2>&1 && break
    sleep 0.1
done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%d ms (min %d, max %d, n=%d)", m, a[1], a[NR], NR}'; }

# The same clean environment for both: own HOME, the Xvfb display, no Python variables.
APP_ENV=(env -i HOME="$WORK/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
    DISPLAY=":$DISPLAY_NUMBER" QT_QPA_PLATFORM=xcb XDG_RUNTIME_DIR="$WORK/runtime")

LIBRARY="$WORK/library"
SAMPLE="$ROOT/desktop/digestdesk/samples/hf-daily-sample.json"
TICKS=$(getconf CLK_TCK)

window_time() {  # window_time COMMAND...: "wall_ms cpu_ms" from launch to the mapped window
    local started pid wall="" cpu fields
    started=$(now_ms)
    "${APP_ENV[@]}" "$@" --library "$LIBRARY" >/dev/null 2>&1 &
    pid=$!  # env execs the app: this is the app's process
    # Polled here: `xdotool search --sync` sleeps half a second between tries.
    while kill -0 "$pid" 2>/dev/null && (($(now_ms) - started < 30000)); do
        if DISPLAY=":$DISPLAY_NUMBER" xdotool search --onlyvisible --name "Digest Desk" \
            >/dev/null 2>&1; then
            wall=$(($(now_ms) - started))
            # CPU time so far (user + system): what the start costs, whatever the load.
            read -ra fields < "/proc/$pid/stat"
            cpu=$(((fields[13] + fields[14]) * 1000 / TICKS))
            break
        fi
        sleep 0.05  # 20 polls a second: finer polling would slow the app it measures
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [[ -z $wall ]] || echo "$wall $cpu"  # nothing for a run whose window never came
}

self_test_time() {  # self_test_time COMMAND...: ms for a whole --self-test
    local started
    started=$(now_ms)
    # The crash dialog of an unexpected error would wait for a click: give up after 2 minutes.
    timeout 120 "${APP_ENV[@]}" "$@" --self-test >/dev/null 2>&1 || return 0
    echo $(($(now_ms) - started))
}

# A library with the sample in it, opened by every run (the usual start: no migration).
"${APP_ENV[@]}" "$PACKAGED" --library "$LIBRARY" import "$SAMPLE" >/dev/null

packaged=(); source_run=(); packaged_self=(); source_self=()
SOURCE=(env PYTHONPATH="$ROOT/desktop" "$PY" -m digestdesk)
# One warm-up each (disk cache), then alternate so both see the same machine load.
window_time "$PACKAGED" >/dev/null || true
window_time "${SOURCE[@]}" >/dev/null || true
for _ in $(seq "$RUNS"); do
    packaged+=("$(window_time "$PACKAGED")")
    source_run+=("$(window_time "${SOURCE[@]}")")
    packaged_self+=("$(self_test_time "$PACKAGED")")
    source_self+=("$(self_test_time "${SOURCE[@]}")")
done

column() { printf '%s\n' "${@:2}" | awk -v c="$1" 'NF {print $c}' | median; }
echo "load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
echo "start to window (library with the sample, Xvfb), median of $RUNS:"
echo "  packaged (dist/digestdesk)  wall $(column 1 "${packaged[@]}"); CPU $(column 2 "${packaged[@]}")"
echo "  python -m digestdesk        wall $(column 1 "${source_run[@]}"); CPU $(column 2 "${source_run[@]}")"
echo "whole --self-test (start, import sample, search, render, exit), median of $RUNS:"
echo "  packaged (dist/digestdesk)  wall $(column 1 "${packaged_self[@]}")"
echo "  python -m digestdesk        wall $(column 1 "${source_self[@]}")"
