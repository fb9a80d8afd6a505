#!/usr/bin/env bash
# Build the packaged Digest Desk for Linux (called by `make package`).
#
#   bash packaging/build.sh            # onedir app + dist/digestdesk-VERSION-linux-ARCH.tar.gz
#   DIGESTDESK_ONEFILE=1 bash packaging/build.sh   # a single executable: dist/onefile/digestdesk
#
# The tarball holds one folder, digestdesk-VERSION-linux-ARCH/, with the app folder
# digestdesk/, install.sh and uninstall.sh. Prints the sizes and the build time.
# PYTHON selects the interpreter (default: .venv/bin/python, with PyInstaller installed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
[[ -x $PY ]] || PY=$(command -v python3)

read -r NAME VERSION < <("$PY" -c '
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print(project["name"], project["version"])')
ARCH=$(uname -m)
STEM="$NAME-$VERSION-linux-$ARCH"

if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
    echo "build.sh: PyInstaller is missing; run: $PY -m pip install -e '.[package]'" >&2
    exit 1
fi

# Reproducible builds (https://reproducible-builds.org): the same commit gives the same
# tarball. Times come from the commit (SOURCE_DATE_EPOCH, also read by PyInstaller and the
# man page), hashes are seeded, and the archive's names, owners and times are fixed.
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
    SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || stat -c %Y pyproject.toml)
fi
export SOURCE_DATE_EPOCH
export PYTHONHASHSEED=0

human() { numfmt --to=si --suffix=B --format='%.1f' "$1"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
seconds() { printf '%d.%d s' $(( $1 / 1000 )) $(( $1 % 1000 / 100 )); }

started=$(now_ms)
if [[ ${DIGESTDESK_ONEFILE:-} == 1 ]]; then
    echo "== PyInstaller (onefile)"
    "$PY" -m PyInstaller --noconfirm --log-level WARN \
        --distpath dist/onefile --workpath build/pyinstaller-onefile packaging/digestdesk.spec
    echo "== built dist/onefile/$NAME"
    echo "executable  $(human "$(stat -c %s "dist/onefile/$NAME")")"
    echo "build time  $(seconds $(( $(now_ms) - started )))"
    exit 0
fi

echo "== PyInstaller (onedir)"
rm -rf "dist/$NAME"
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/digestdesk.spec
built=$(now_ms)

echo "== portable: glibc baseline and host libraries"
"$PY" packaging/check_bundle.py "dist/$NAME"

echo "== tarball"
STAGE="build/stage/$STEM"
rm -rf build/stage
mkdir -p "$STAGE"
cp -a "dist/$NAME" "$STAGE/$NAME"
install -m 0755 packaging/install.sh packaging/uninstall.sh "$STAGE/"
TARBALL="dist/$STEM.tar.gz"
# Sorted names, fixed owners, times and modes keep the archive the same from one build to
# the next (gzip -n: no name or time in its header).
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    --mode=go-w --format=gnu -C build/stage -cf - "$STEM" \
    | gzip -6 -n > "$TARBALL.part"
mv "$TARBALL.part" "$TARBALL"
finished=$(now_ms)

unpacked=$(du -sb "dist/$NAME" | cut -f1)
echo "== built $TARBALL"
echo "app folder  dist/$NAME  $(human "$unpacked") unpacked (budget 150 MB)"
echo "tarball     $TARBALL  $(human "$(stat -c %s "$TARBALL")") (budget 70 MB)"
echo "build time  $(seconds $(( finished - started ))) (PyInstaller $(seconds $(( built - started ))), tarball $(seconds $(( finished - built ))); budget 180 s)"
