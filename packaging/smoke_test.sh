#!/usr/bin/env bash
# Smoke test of the packaged binary, as a new user would get it (run after `make package`):
# unpack the tarball, install.sh into a temporary HOME, run the installed launcher with
# --self-test offscreen and a PATH without the development virtualenv, check the screenshot,
# --version and a headless command, the window with a large file (its import and index build
# in child processes), then uninstall.sh and check that only the library (and the app's logs
# and settings) is left.
#
#   bash packaging/smoke_test.sh [dist/digestdesk-VERSION-linux-ARCH.tar.gz]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

TARBALL=${1:-$(ls -t dist/digestdesk-*-linux-*.tar.gz 2>/dev/null | head -n 1)}
[[ -n $TARBALL && -f $TARBALL ]] || { echo "smoke_test.sh: no tarball; run make package" >&2; exit 1; }
TARBALL=$(realpath "$TARBALL")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/digestdesk-smoke.XXXXXX")
cleanup() { [[ -n ${KEEP_SMOKE:-} ]] || rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

TEST_HOME="$WORK/home"
mkdir -p "$TEST_HOME" "$WORK/unpacked" "$WORK/runtime"
chmod 700 "$WORK/runtime"
# A clean environment: the temporary HOME, system tools only on PATH (nothing from the
# virtualenv), no Python variables, offscreen Qt.
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
run_clean() {
    env -i HOME="$TEST_HOME" PATH="$TEST_HOME/.local/bin:$CLEAN_PATH" LANG=C.UTF-8 \
        QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$WORK/runtime" "$@"
}

step "unpack $(basename "$TARBALL")"
tar -xzf "$TARBALL" -C "$WORK/unpacked"
PACKAGE_DIR=$(find "$WORK/unpacked" -mindepth 1 -maxdepth 1 -type d | head -n 1)
for item in digestdesk/digestdesk install.sh uninstall.sh; do
    [[ -e $PACKAGE_DIR/$item ]] || fail "the tarball has no $item"
done

step "install.sh (HOME=$TEST_HOME)"
run_clean bash "$PACKAGE_DIR/install.sh"
LAUNCHER="$TEST_HOME/.local/bin/digestdesk"
[[ -x $LAUNCHER ]] || fail "no launcher at $LAUNCHER"
ID=org.digestdesk.DigestDesk
SHARE="$TEST_HOME/.local/share"
DESKTOP_FILE="$SHARE/applications/$ID.desktop"
[[ -f $DESKTOP_FILE ]] || fail "no menu entry"
[[ -f $SHARE/icons/hicolor/256x256/apps/$ID.png ]] || fail "no 256 px icon"
[[ -f $SHARE/icons/hicolor/scalable/apps/$ID.svg ]] || fail "no SVG icon"
[[ -f $SHARE/metainfo/$ID.metainfo.xml ]] || fail "no AppStream metainfo"
[[ -f $SHARE/mime/packages/$ID.xml ]] || fail "no MIME type"
[[ -f $SHARE/man/man1/digestdesk.1 ]] || fail "no man page"
[[ -f $SHARE/bash-completion/completions/digestdesk ]] || fail "no bash completion"
[[ -f $SHARE/zsh/site-functions/_digestdesk ]] || fail "no zsh completion"
[[ -f $SHARE/fish/vendor_completions.d/digestdesk.fish ]] || fail "no fish completion"
# The main entry and every desktop action start the installed app.
[[ $(grep -c "^Exec=$TEST_HOME/.local/opt/digestdesk/digestdesk" "$DESKTOP_FILE") -eq 4 ]] ||
    fail "Exec is not the installed app in every entry"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$DESKTOP_FILE" | grep -v "hint:" || true
fi

found=$(run_clean sh -c 'command -v digestdesk')
[[ $found == "$LAUNCHER" ]] || fail "digestdesk on PATH is $found, not the installed launcher"

step "install.sh again (replaces the installation)"
run_clean bash "$PACKAGE_DIR/install.sh" >/dev/null

step "digestdesk --version"
version=$(run_clean digestdesk --version)
expected=$("$ROOT/.venv/bin/python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])' 2>/dev/null ||
    python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
[[ $version == "digestdesk $expected" ]] || fail "--version printed '$version', not 'digestdesk $expected'"
echo "$version"

step "digestdesk --self-test --screenshot (no display, no platform chosen: falls back to offscreen)"
SHOT="$WORK/shot.png"
# A timeout: an unexpected error opens the crash dialog, which waits for a click even offscreen.
(cd "$WORK" && run_clean env -u VIRTUAL_ENV -u PYTHONPATH -u PYTHONHOME -u QT_QPA_PLATFORM \
    -u DISPLAY -u WAYLAND_DISPLAY \
    timeout 180 digestdesk --self-test --screenshot "$SHOT") || fail "--self-test exited $? (124: timed out)"
[[ -s $SHOT ]] || fail "no screenshot"
# Decode the PNG with the standard library only (no Pillow): size, and that it is not one colour.
python3 - "$SHOT" <<'EOF' || fail "the screenshot is blank"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, header = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    chunk = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        header = struct.unpack(">IIBBBBB", chunk)
    elif kind == b"IDAT":
        idat += chunk
    pos += 12 + length
width, height, depth, colour_type = header[:4]
raw = zlib.decompress(idat)
channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour_type] if depth == 8 else None
assert channels, f"unexpected PNG format {header}"
stride = width * channels
# Sample rows (un-filtering is not needed to tell one colour from many: the filtered bytes
# of a single-colour image are all alike too).
rows = {bytes(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]) for y in range(0, height, 7)}
distinct = len({raw[i] for i in range(0, len(raw), 97)})
print(f"screenshot {width}x{height}, {len(rows)} distinct sampled rows, {distinct} byte values")
assert width >= 400 and height >= 300, "too small"
assert len(rows) > 10 and distinct > 10, "one colour"
EOF

if command -v Xvfb >/dev/null; then
    step "digestdesk --self-test on a real X display (Xvfb: the host's X11 libraries, xcb plugin)"
    display=:$((90 + RANDOM % 500))
    Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X${display#:} ]] && break; sleep 0.1; done
    (cd "$WORK" && run_clean env -u QT_QPA_PLATFORM DISPLAY="$display" \
        timeout 180 digestdesk --self-test --screenshot "$WORK/shot-x11.png") ||
        { kill "$xvfb_pid" 2>/dev/null; fail "--self-test on X exited $?"; }
    kill "$xvfb_pid" 2>/dev/null || true
    [[ -s $WORK/shot-x11.png ]] || fail "no screenshot on X"
else
    echo "(no Xvfb: the self-test on a real X display is skipped)"
fi

step "headless commands"
LIBRARY="$WORK/library"
run_clean digestdesk --library "$LIBRARY" import "$PACKAGE_DIR/digestdesk/_internal/digestdesk/samples/hf-daily-sample.json" \
    || fail "import exited $?"
stats=$(run_clean digestdesk --library "$LIBRARY" stats) || fail "stats exited $?"
echo "$stats"
grep -Eq "^entries +8 " <<< "$stats" || fail "stats does not show the 8 sample entries"
run_clean digestdesk --library "$LIBRARY" search attention >/dev/null || fail "search exited $?"
# The default library (in the user data dir) must survive uninstall.sh.
run_clean digestdesk stats >/dev/null || fail "stats on the default library exited $?"
DEFAULT_LIBRARY="$TEST_HOME/.local/share/digestdesk"
[[ -f $DEFAULT_LIBRARY/library.sqlite3 ]] || fail "no default library at $DEFAULT_LIBRARY"

step "the window with a large file: the import and the index build run in child processes"
# The packaged app starts itself as its child (DIGESTDESK_INDEX_WORKER=1, see app.main): a file
# of 1 MiB or more is imported in a child, and an index catch-up of 2,000 entries or more is
# built in one (ui/tuning.py). A child that cannot start falls back to a thread with a
# warning, so the log must say which ran.
BIG="$WORK/large-digest.json"
python3 - "$BIG" <<'EOF'
# 2,400 invented papers in the shape of the Hugging Face daily-papers API (about 1.7 MB).
import json, sys
items = []
for n in range(1, 2401):
    title = f"Invented Paper {n} on Packaged Index Builds"
    paper = {
        "id": f"2511.{n:05d}", "title": title,
        "summary": f"We propose method {n} for building search indexes in a child process "
        "of a frozen application, and measure it on invented digests.",
        "authors": [{"_id": "1", "name": "Ada Lovelace", "hidden": False}],
        "publishedAt": "2025-11-18T00:00:00.000Z",
        "submittedOnDailyAt": "2025-11-20T00:00:00.000Z", "upvotes": n % 40,
    }
    items.append({"paper": paper, "title": title, "publishedAt": paper["publishedAt"]})
json.dump(items, open(sys.argv[1], "w"), indent=1)
EOF
[[ $(stat -c %s "$BIG") -ge 1048576 ]] || fail "the generated file is under 1 MiB"
LOG_FILE="$TEST_HOME/.local/state/digestdesk/log/digestdesk.log"
logged_before=$(wc -l < "$LOG_FILE" 2>/dev/null || echo 0)
new_log() { tail -n +$((logged_before + 1)) "$LOG_FILE" 2>/dev/null || true; }
BIG_LIBRARY="$WORK/large-library"
# Not run_clean: $! must be the app itself (env and the launcher link exec it).
env -i HOME="$TEST_HOME" PATH="$TEST_HOME/.local/bin:$CLEAN_PATH" LANG=C.UTF-8 \
    QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$WORK/runtime" \
    "$LAUNCHER" --library "$BIG_LIBRARY" "$BIG" >"$WORK/large.out" 2>&1 &
app_pid=$!
for _ in $(seq 360); do
    new_log | grep -q "index in a child process" && break
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.5
done
kill -TERM "$app_pid" 2>/dev/null || true
code=0
wait "$app_pid" || code=$?
[[ $code == 0 ]] || { cat "$WORK/large.out" >&2; fail "the window exited $code on SIGTERM"; }
new_log | grep -E "in a child process|instead" || true
new_log | grep -q "import in a child process" || fail "the import did not run in a child process"
new_log | grep -q "index in a child process" || fail "the index was not built in a child process"
run_clean digestdesk --library "$BIG_LIBRARY" check || fail "check exited $?"
stats=$(run_clean digestdesk --library "$BIG_LIBRARY" stats) || fail "stats exited $?"
grep -Eq "^entries +2400 " <<< "$stats" || fail "stats does not show the 2,400 entries"
grep -Eq "^index .*\(2400 documents\)" <<< "$stats" || fail "the index does not hold the 2,400 entries"

step "uninstall.sh (the copy in the app folder)"
run_clean bash "$TEST_HOME/.local/opt/digestdesk/uninstall.sh"
[[ -f $DEFAULT_LIBRARY/library.sqlite3 ]] || fail "uninstall.sh removed the library"
# Left: the library, and what the app itself wrote (logs, settings, index cache).
leftover=$(cd "$TEST_HOME" && find . -mindepth 1 \( -type f -o -type l \) \
    | grep -Ev '^\./\.local/share/digestdesk/|^\./\.local/state/digestdesk/|^\./\.cache/digestdesk/|^\./\.config/digestdesk/' || true)
[[ -z $leftover ]] || fail "uninstall.sh left: $leftover"
for gone in .local/opt .local/bin .local/share/applications .local/share/icons .local/share/metainfo \
    .local/share/mime .local/share/man .local/share/bash-completion .local/share/zsh .local/share/fish; do
    [[ ! -e $TEST_HOME/$gone ]] || fail "uninstall.sh left the folder ~/$gone"
done
echo "left in HOME:"
(cd "$TEST_HOME" && find . -mindepth 1 -type f | sed 's/^\./  ~/')
echo "PASS: packaged Digest Desk installs, starts, renders, runs commands and uninstalls"
