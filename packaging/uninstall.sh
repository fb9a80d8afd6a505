#!/usr/bin/env bash
# Uninstall Digest Desk: remove exactly what install.sh listed in its manifest.
#
#   ~/.local/opt/digestdesk/uninstall.sh     the copy install.sh leaves in the app folder
#   ./uninstall.sh                           from the tarball: the per-user installation
#   ./uninstall.sh --prefix DIR | --system | --app-dir DIR   as given to install.sh
#   --manifest FILE                          the manifest to follow
#
# The library (~/.local/share/digestdesk), settings and logs stay: delete them yourself if
# you want them gone.
# Run by bash even when started as `sh uninstall.sh`.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

APP=digestdesk
MANIFEST_NAME=install-manifest.txt

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }
die() { echo "uninstall.sh: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX="${HOME:?HOME is not set}/.local"
APP_DIR=""
MANIFEST=""
QUIET=0
KEEP_CACHES=0  # install.sh replacing an installation refreshes the caches itself
while (($#)); do
    case $1 in
        --prefix) [[ $# -ge 2 ]] || die "--prefix needs a folder"; PREFIX=$2; shift ;;
        --prefix=*) PREFIX=${1#--prefix=} ;;
        --system) PREFIX=/usr/local; APP_DIR=/opt/$APP ;;
        --app-dir) [[ $# -ge 2 ]] || die "--app-dir needs a folder"; APP_DIR=$2; shift ;;
        --app-dir=*) APP_DIR=${1#--app-dir=} ;;
        --manifest) [[ $# -ge 2 ]] || die "--manifest needs a file"; MANIFEST=$2; shift ;;
        --quiet) QUIET=1 ;;
        --keep-caches) KEEP_CACHES=1 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
say() { ((QUIET)) || echo "$@"; }

if [[ -z $MANIFEST ]]; then
    if [[ -z $APP_DIR && -f $HERE/$MANIFEST_NAME ]]; then
        MANIFEST="$HERE/$MANIFEST_NAME"  # run from the installed app folder
    else
        MANIFEST="$(realpath -m "${APP_DIR:-$PREFIX/opt/$APP}")/$MANIFEST_NAME"
    fi
fi
[[ -f $MANIFEST ]] || die "no installation found ($MANIFEST is missing)"

app_dir=$(sed -n 's/^app //p' "$MANIFEST" | head -n 1)
[[ -n $app_dir ]] || die "$MANIFEST names no app folder"
# The manifest sits in the app folder it names, and the app folder holds the app: anything
# else is not a manifest written by install.sh, and nothing is removed.
[[ $(realpath -m "$(dirname "$MANIFEST")") == "$(realpath -m "$app_dir")" && -e $app_dir/$APP ]] ||
    die "$MANIFEST does not describe the folder it is in; not removing anything"
LIBRARY_DIR=$(realpath -m "${XDG_DATA_HOME:-$HOME/.local/share}/$APP")

mapfile -t lines < <(grep -v '^#' "$MANIFEST")
dirs=()
caches=()
for line in "${lines[@]}"; do
    kind=${line%% *}
    path=${line#* }
    case $kind in
        file)
            # Only what install.sh puts there; never anything inside the library.
            case "$path/" in "$LIBRARY_DIR"/*) continue ;; esac
            if [[ -L $path || -f $path ]]; then
                rm -f -- "$path"
                say "removed $path"
            fi ;;
        dir) dirs+=("$path") ;;
        cache) caches+=("$path") ;;
    esac
done

# Caches: refresh them for the files just removed; drop the ones install.sh created when
# nothing else needs them.
if ((!KEEP_CACHES)); then
    for cache in "${caches[@]}"; do
        folder=$(dirname "$cache")
        if compgen -G "$folder/*.desktop" >/dev/null; then
            update-desktop-database -q "$folder" 2>/dev/null || true
        else
            rm -f -- "$cache"
        fi
    done
    while IFS= read -r share; do
        if [[ -f $share/applications/mimeinfo.cache ]] && command -v update-desktop-database >/dev/null; then
            update-desktop-database -q "$share/applications" || true
        fi
        if [[ -f $share/icons/hicolor/icon-theme.cache ]] && command -v gtk-update-icon-cache >/dev/null; then
            gtk-update-icon-cache -q -t -f "$share/icons/hicolor" || true
        fi
        if [[ -f $share/mime/mime.cache ]] && command -v update-mime-database >/dev/null; then
            update-mime-database "$share/mime" >/dev/null 2>&1 || true
        fi
    done < <(sed -n 's|^file \(.*\)/applications/[^/]*\.desktop$|\1|p' "$MANIFEST")
fi

# The app folder, then the folders install.sh made, deepest first, if they are empty now.
rm -rf -- "$app_dir"
say "removed $app_dir"
for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
    rmdir -- "${dirs[i]}" 2>/dev/null || true
done
say "Digest Desk is uninstalled. Your library and settings were kept."
