#!/usr/bin/env bash
# Build the tarball and the .deb twice from clean build folders and compare their checksums:
# the same commit must give the same files (SOURCE_DATE_EPOCH, PYTHONHASHSEED, fixed archive
# metadata; see build.sh). Prints both checksums; exits 1 when they differ.
# With --after-build the files already in dist/ (a clean build made just before, as CI does)
# are the first build, and only the second is made.
set -euo pipefail
cd "$(dirname "$0")/.."
build() {
    rm -rf build dist
    bash packaging/build.sh >/dev/null
    bash packaging/build_deb.sh >/dev/null
    (cd dist && sha256sum ./*.tar.gz ./*.deb)
}
if [[ ${1:-} == --after-build ]]; then
    first=$(cd dist && sha256sum ./*.tar.gz ./*.deb)
else
    first=$(build)
fi
second=$(build)
echo "$first"
if [[ $first != "$second" ]]; then
    echo "FAIL: two builds of the same commit differ:" >&2
    diff <(echo "$first") <(echo "$second") >&2 || true
    exit 1
fi
echo "OK: two clean builds gave the same tarball and .deb"
