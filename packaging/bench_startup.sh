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

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%d ms (min %d, max %d, n=%d)", m, a[1], a[NR], NR}'; }

# The same clean environment for both: own HOME, the Xvfb display, no Python variables.
APP_ENV=(env -i HOME="$WORK/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
    DISPLAY=":$DISPLAY_NUMBER" QT_QPA_PLATFORM=xcb XDG_RUNTIME_DIR="$WORK/runtime")

window_time() {  # window_time RUN COMMAND...: ms from launch to the mapped window
    local run_id=$1 library="$WORK/lib-$1" started pid elapsed
    shift
    started=$(now_ms)
    "${APP_ENV[@]}" "$@" --library "$library" >/dev/null 2>&1 &
    pid=$!  # env execs the app: this is the app's process
    # The title names the library, so the search matches this run's window only.
    # (Polled here: `xdotool search --sync` sleeps half a second between tries.)
    elapsed=""
    while kill -0 "$pid" 2>/dev/null && (($(now_ms) - started < 30000)); do
        if DISPLAY=":$DISPLAY_NUMBER" xdotool search --onlyvisible --name "lib-$run_id/" \
            >/dev/null 2>&1; then
            elapsed=$(($(now_ms) - started))
            break
        fi
        sleep 0.01
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$library"
    [[ -z $elapsed ]] || echo "$elapsed"  # nothing for a run whose window never came
}

self_test_time() {  # self_test_time COMMAND...: ms for a whole --self-test
    local started
    started=$(now_ms)
    "${APP_ENV[@]}" "$@" --self-test >/dev/null 2>&1
    echo $(($(now_ms) - started))
}

packaged=(); source_run=(); packaged_self=(); source_self=()
# One warm-up each (disk cache), then alternate so both see the same machine load.
window_time warm "$PACKAGED" >/dev/null || true
window_time warm env PYTHONPATH="$ROOT/desktop" "$PY" -m digestdesk >/dev/null || true
for run in $(seq "$RUNS"); do
    packaged+=("$(window_time "p$run" "$PACKAGED")")
    source_run+=("$(window_time "s$run" env PYTHONPATH="$ROOT/desktop" "$PY" -m digestdesk)")
    packaged_self+=("$(self_test_time "$PACKAGED")")
    source_self+=("$(self_test_time env PYTHONPATH="$ROOT/desktop" "$PY" -m digestdesk)")
done

echo "start to window (empty library, Xvfb), median of $RUNS:"
echo "  packaged (dist/digestdesk)  $(printf '%s\n' "${packaged[@]}" | median)"
echo "  python -m digestdesk        $(printf '%s\n' "${source_run[@]}" | median)"
echo "whole --self-test (start, import sample, search, render, exit), median of $RUNS:"
echo "  packaged (dist/digestdesk)  $(printf '%s\n' "${packaged_self[@]}" | median)"
echo "  python -m digestdesk        $(printf '%s\n' "${source_self[@]}" | median)"
