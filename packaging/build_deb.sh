#!/usr/bin/env bash
# Build a Debian package from the built app folder (run packaging/build.sh first):
#
#   bash packaging/build_deb.sh            # dist/digestdesk_VERSION_ARCH.deb
#
# The app goes to /opt/digestdesk with /usr/bin/digestdesk linking to it; the desktop file,
# icons, AppStream metainfo, MIME type, man page and shell completions go to their places
# under /usr/share. Depends lists the packages that provide the libraries the bundle leaves to
# the host (packaging/host-libraries.txt and what Qt loads), found with dpkg -S on the build
# machine. Built with dpkg-deb, reproducibly (SOURCE_DATE_EPOCH, as build.sh). Install with
# `sudo apt-get install ./dist/digestdesk_*.deb`; remove with `sudo apt-get remove digestdesk`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
[[ -x $PY ]] || PY=$(command -v python3)

APP=digestdesk
ID=org.digestdesk.DigestDesk
APP_DIR="dist/$APP"
[[ -x $APP_DIR/$APP ]] || { echo "build_deb.sh: no $APP_DIR; run packaging/build.sh" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build_deb.sh: dpkg-deb is missing" >&2; exit 1; }

VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(dpkg --print-architecture)
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || stat -c %Y pyproject.toml)
fi
export SOURCE_DATE_EPOCH
RESOURCES="$APP_DIR/_internal/resources"

STAGE=build/deb/root
rm -rf build/deb
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin"
cp -a "$APP_DIR" "$STAGE/opt/$APP"
ln -s "/opt/$APP/$APP" "$STAGE/usr/bin/$APP"

share="$STAGE/usr/share"
install -D -m 0644 "$RESOURCES/$ID.desktop" "$share/applications/$ID.desktop"
install -D -m 0644 "$RESOURCES/$ID.metainfo.xml" "$share/metainfo/$ID.metainfo.xml"
install -D -m 0644 "$RESOURCES/$ID.xml" "$share/mime/packages/$ID.xml"
for png in "$RESOURCES"/icons/$APP-*.png; do
    size=${png##*-}; size=${size%.png}
    install -D -m 0644 "$png" "$share/icons/hicolor/${size}x${size}/apps/$ID.png"
done
install -D -m 0644 "$RESOURCES/icons/$APP.svg" "$share/icons/hicolor/scalable/apps/$ID.svg"
install -d "$share/man/man1"
gzip -9n < "$RESOURCES/manual/$APP.1" > "$share/man/man1/$APP.1.gz"
install -D -m 0644 "$RESOURCES/manual/$APP.bash" "$share/bash-completion/completions/$APP"
install -D -m 0644 "$RESOURCES/manual/_$APP" "$share/zsh/vendor-completions/_$APP"
install -D -m 0644 "$RESOURCES/manual/$APP.fish" "$share/fish/vendor_completions.d/$APP.fish"

doc="$share/doc/$APP"
install -d "$doc"
cat > "$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Digest Desk
Source: https://digestdesk.org/

Files: *
Copyright: 2026 The Digest Desk developers
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this
 software and associated documentation files (the "Software"), to deal in the Software
 without restriction, including without limitation the rights to use, copy, modify, merge,
 publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
 to whom the Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
 INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
 PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
 FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
 DEALINGS IN THE SOFTWARE.
 .
 The bundled Python, Qt (LGPL-3), PySide6 (LGPL-3), SQLAlchemy, Alembic, Whoosh, qtawesome
 and platformdirs keep their own licences; see /opt/digestdesk/_internal.
COPYRIGHT
changelog_date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf '%s\n' "$APP ($VERSION) unstable; urgency=medium" "" \
    "  * Release $VERSION (see https://digestdesk.org/)." "" \
    " -- The Digest Desk developers <developers@digestdesk.org>  $changelog_date" \
    | gzip -9n > "$doc/changelog.gz"


# Lintian tags a self-contained bundle in /opt cannot avoid, each with its reason.
install -d "$share/lintian/overrides"
cat > "$share/lintian/overrides/$APP" <<'OVERRIDES'
# Digest Desk ships as one self-contained folder (its own Python, Qt and the app, frozen by
# PyInstaller) in /opt, like other vendor packages; Debian's rules for archive packages built
# from split system libraries do not fit such a bundle.
digestdesk: dir-or-file-in-opt [opt/*]
# The bundled Python, Qt and PySide6 find their libraries next to themselves ($ORIGIN rpaths).
digestdesk: custom-library-search-path *
# Libraries of the bundle's own Python and Qt builds (PyPI wheels): the bundle must not mix
# them with the host's versions, except those host-libraries.txt leaves to the host.
digestdesk: embedded-library *
digestdesk: shared-library-lacks-prerequisites *
digestdesk: library-not-linked-against-libc *
# PyInstaller's bootloader is linked as it ships it.
digestdesk: hardening-no-pie [opt/digestdesk/digestdesk]
OVERRIDES

# Depends: the Debian packages of the libraries the bundle links to but does not carry.
depends=$("$PY" packaging/deb_depends.py "$STAGE/opt/$APP")
installed_size=$(du -sk --apparent-size "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: $APP
Version: $VERSION
Architecture: $ARCH
Maintainer: The Digest Desk developers <developers@digestdesk.org>
Installed-Size: $installed_size
Depends: $depends
Section: science
Priority: optional
Homepage: https://digestdesk.org/
Description: keyboard-driven reading manager for research-paper digests
 Digest Desk keeps the papers of daily digests (Hugging Face daily papers,
 arXiv listings) in a local library and makes reading them fast: triage with
 the keyboard, reading status, tags and notes, instant full-text search,
 trends over your archive, and headless commands for scripts.
CONTROL

# Libraries are not executables (lintian: shared-library-is-executable).
find "$STAGE/opt" -type f -name '*.so*' -exec chmod 0644 {} +
# Fixed times and modes, then dpkg-deb (which honours SOURCE_DATE_EPOCH for its own times).
find "$STAGE" -path "$STAGE/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
DEB="dist/${APP}_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "== built $DEB ($(numfmt --to=si --suffix=B --format='%.1f' "$(stat -c %s "$DEB")"))"
