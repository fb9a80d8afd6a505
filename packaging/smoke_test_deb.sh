#!/usr/bin/env bash
# Install the .deb with apt-get, check what it put where, run the app headless, offscreen and
# on Xvfb from a temporary HOME, then remove the package and check nothing is left but the
# user's library. Needs root (CI runs it as root).
#
#   sudo bash packaging/smoke_test_deb.sh [dist/digestdesk_VERSION_ARCH.deb]
set -euo pipefail
cd "$(dirname "$0")/.."
DEB=${1:-$(ls -t dist/digestdesk_*.deb 2>/dev/null | head -n 1)}
[[ -n $DEB && -f $DEB ]] || { echo "smoke_test_deb.sh: no .deb; run packaging/build_deb.sh" >&2; exit 1; }
DEB=$(realpath "$DEB")
[[ $(id -u) == 0 ]] || { echo "smoke_test_deb.sh: run as root (it installs a package)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/digestdesk-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
mkdir -p "$WORK/home" "$WORK/runtime"
chmod 700 "$WORK/runtime"
run_clean() {
    env -i HOME="$WORK/home" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 XDG_RUNTIME_DIR="$WORK/runtime" "$@"
}

step "apt-get install $(basename "$DEB")"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >/dev/null
ID=org.digestdesk.DigestDesk
for path in /opt/digestdesk/digestdesk /usr/bin/digestdesk \
    /usr/share/applications/$ID.desktop /usr/share/metainfo/$ID.metainfo.xml \
    /usr/share/mime/packages/$ID.xml /usr/share/icons/hicolor/256x256/apps/$ID.png \
    /usr/share/icons/hicolor/scalable/apps/$ID.svg /usr/share/man/man1/digestdesk.1.gz \
    /usr/share/bash-completion/completions/digestdesk /usr/share/zsh/vendor-completions/_digestdesk \
    /usr/share/fish/vendor_completions.d/digestdesk.fish /usr/share/doc/digestdesk/copyright; do
    [[ -e $path ]] || fail "the package did not install $path"
done
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate /usr/share/applications/$ID.desktop || fail "desktop-file-validate"
fi

step "digestdesk --version"
run_clean digestdesk --version | grep -q "^digestdesk " || fail "--version"

step "digestdesk --self-test (no display: offscreen)"
(cd "$WORK" && run_clean timeout 180 digestdesk --self-test --screenshot "$WORK/shot.png") ||
    fail "--self-test exited $?"
[[ -s $WORK/shot.png ]] || fail "no screenshot"

if command -v Xvfb >/dev/null; then
    step "digestdesk --self-test on Xvfb"
    display=:$((90 + RANDOM % 500))
    Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X${display#:} ]] && break; sleep 0.1; done
    (cd "$WORK" && run_clean env DISPLAY="$display" timeout 180 digestdesk --self-test \
        --screenshot "$WORK/shot-x11.png") || { kill "$xvfb_pid"; fail "--self-test on X exited $?"; }
    kill "$xvfb_pid" 2>/dev/null || true
fi

step "headless commands"
run_clean digestdesk import /opt/digestdesk/_internal/digestdesk/samples/hf-daily-sample.json \
    >/dev/null || fail "import exited $?"
run_clean digestdesk stats | grep -Eq "^entries +8 " || fail "stats does not show the 8 entries"

step "apt-get remove digestdesk"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq digestdesk >/dev/null
for path in /opt/digestdesk /usr/bin/digestdesk /usr/share/applications/$ID.desktop; do
    [[ ! -e $path ]] || fail "apt-get remove left $path"
done
[[ -f $WORK/home/.local/share/digestdesk/library.sqlite3 ]] || fail "the library is gone"
echo "PASS: the .deb installs, starts (offscreen and on X), runs commands and removes cleanly"
