#!/usr/bin/env bash
# Install Digest Desk from the unpacked tarball (the folder holding this script).
#
#   ./install.sh                 for you: the app in ~/.local/opt/digestdesk, the launcher
#                                ~/.local/bin/digestdesk, menu entry and icons in ~/.local/share
#   ./install.sh --prefix DIR    the app in DIR/opt/digestdesk, the launcher in DIR/bin,
#                                menu entry, icons and metainfo in DIR/share
#   sudo ./install.sh --system   for everyone: the app in /opt/digestdesk, the launcher in
#                                /usr/local/bin, the rest in /usr/local/share
#   --app-dir DIR                put the app folder in DIR instead
#   --force                      replace a launcher, menu entry or icon not installed here
#
# Everything installed is listed in APP_DIR/install-manifest.txt; uninstall.sh (also copied
# to APP_DIR) removes exactly that. Installing again replaces the previous installation.
# The library (~/.local/share/digestdesk), settings and logs are never touched.
# Run by bash even when started as `sh install.sh`.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

APP=digestdesk
APP_ID=org.digestdesk.DigestDesk  # the desktop-file id: desktop file, metainfo, icon, MIME
MANIFEST_NAME=install-manifest.txt

usage() { sed -n '2,16s/^# \{0,1\}//p' "$0"; }
die() { echo "install.sh: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE="$HERE/$APP"
PREFIX="${HOME:?HOME is not set}/.local"
APP_DIR=""
FORCE=0
while (($#)); do
    case $1 in
        --prefix) [[ $# -ge 2 ]] || die "--prefix needs a folder"; PREFIX=$2; shift ;;
        --prefix=*) PREFIX=${1#--prefix=} ;;
        --system) PREFIX=/usr/local; APP_DIR=/opt/$APP ;;
        --app-dir) [[ $# -ge 2 ]] || die "--app-dir needs a folder"; APP_DIR=$2; shift ;;
        --app-dir=*) APP_DIR=${1#--app-dir=} ;;
        --force) FORCE=1 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

[[ -x $SOURCE/$APP && -d $SOURCE/_internal ]] ||
    die "no app folder at $SOURCE: run install.sh from the unpacked tarball"

# Absolute paths without creating anything (every folder made is recorded, see make_dirs).
HOME_DIR=$(realpath -m "$HOME")
PREFIX=$(realpath -m "$PREFIX")
APP_DIR=$(realpath -m "${APP_DIR:-$PREFIX/opt/$APP}")
BIN_DIR="$PREFIX/bin"
SHARE_DIR="$PREFIX/share"
if [[ $PREFIX == "$HOME_DIR/.local" && -n ${XDG_DATA_HOME:-} ]]; then
    SHARE_DIR=$(realpath -m "$XDG_DATA_HOME")  # where the desktop looks for user entries
fi
RESOURCES="$SOURCE/_internal/resources"
MANIFEST="$APP_DIR/$MANIFEST_NAME"

# The library lives in the user data dir's digestdesk folder: never install there.
LIBRARY_DIR=$(realpath -m "${XDG_DATA_HOME:-$HOME/.local/share}/$APP")
case "$APP_DIR/" in
    "$LIBRARY_DIR/" | "$LIBRARY_DIR"/*)
        die "$APP_DIR is the library's folder; choose another --app-dir" ;;
    / | "$HOME_DIR/" | /usr/ | /usr/local/ | /opt/ | "$PREFIX/")
        die "refusing to use $APP_DIR as the app folder" ;;
esac
if [[ -e $APP_DIR && ! -f $MANIFEST && -n $(ls -A "$APP_DIR" 2>/dev/null) ]]; then
    die "$APP_DIR exists and was not installed by install.sh; remove it or choose --app-dir"
fi

# ------------------------------------------------------------------ what goes where
# MODE, SOURCE and TARGET joined by tabs; MODE "link" makes TARGET a symbolic link to SOURCE.
plan=()
add() { plan+=("$1"$'\t'"$2"$'\t'"$3"); }
add link "$APP_DIR/$APP" "$BIN_DIR/$APP"
desktop_file=$(mktemp)
trap 'rm -f "$desktop_file"' EXIT
exec_path="$APP_DIR/$APP"
case $exec_path in
    *[\"\`\$\\]*) die "the app folder's path may not contain \" \` \$ or \\ (a .desktop file limit)" ;;
    *[[:space:]]*) exec_path="\"$exec_path\"" ;;
esac
sed_escaped=$(printf '%s' "$exec_path" | sed -e 's/[&|]/\\&/g')
# An absolute Exec (the main entry and each desktop action) works even where ~/.local/bin is
# not on the desktop session's PATH.
sed -e "s|^Exec=$APP\\b|Exec=$sed_escaped|" "$RESOURCES/$APP_ID.desktop" > "$desktop_file"
add 0644 "$desktop_file" "$SHARE_DIR/applications/$APP_ID.desktop"
for png in "$RESOURCES"/icons/"$APP"-*.png; do
    [[ -e $png ]] || continue
    size=${png##*-}; size=${size%.png}
    add 0644 "$png" "$SHARE_DIR/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
if [[ -f $RESOURCES/icons/$APP.svg ]]; then
    add 0644 "$RESOURCES/icons/$APP.svg" "$SHARE_DIR/icons/hicolor/scalable/apps/$APP_ID.svg"
fi
[[ ! -f $RESOURCES/$APP_ID.metainfo.xml ]] ||
    add 0644 "$RESOURCES/$APP_ID.metainfo.xml" "$SHARE_DIR/metainfo/$APP_ID.metainfo.xml"
[[ ! -f $RESOURCES/$APP_ID.xml ]] ||
    add 0644 "$RESOURCES/$APP_ID.xml" "$SHARE_DIR/mime/packages/$APP_ID.xml"
# The man page and completions, generated from the command table at build time.
MANUAL="$RESOURCES/manual"
[[ ! -f $MANUAL/$APP.1 ]] || add 0644 "$MANUAL/$APP.1" "$SHARE_DIR/man/man1/$APP.1"
[[ ! -f $MANUAL/$APP.bash ]] ||
    add 0644 "$MANUAL/$APP.bash" "$SHARE_DIR/bash-completion/completions/$APP"
[[ ! -f $MANUAL/_$APP ]] || add 0644 "$MANUAL/_$APP" "$SHARE_DIR/zsh/site-functions/_$APP"
[[ ! -f $MANUAL/$APP.fish ]] ||
    add 0644 "$MANUAL/$APP.fish" "$SHARE_DIR/fish/vendor_completions.d/$APP.fish"

# ------------------------------------------------------------------ refuse, or replace
# Anything in the way that the previous installation did not put there belongs to someone
# else (say, a `pip install --user` launcher): refuse before changing anything.
previous=""
previous_caches=""
if [[ -f $MANIFEST ]]; then
    previous=$(sed -n 's/^file //p' "$MANIFEST")
    previous_caches=$(sed -n 's/^cache //p' "$MANIFEST")
fi
for line in "${plan[@]}"; do
    target=${line##*$'\t'}
    if [[ -e $target || -L $target ]] && ! grep -qxF -- "$target" <<< "$previous" && ((!FORCE)); then
        die "$target exists and was not installed by install.sh; remove it or use --force"
    fi
done
if [[ -f $MANIFEST ]]; then
    echo "Replacing the installation in $APP_DIR"
    bash "$HERE/uninstall.sh" --quiet --keep-caches --manifest "$MANIFEST"
fi

# ------------------------------------------------------------------ install
entries=()  # manifest lines: "file PATH", "dir PATH" (a folder made here), "cache PATH"
record() { entries+=("$1 $2"); }
make_dirs() {  # mkdir -p, recording each folder it makes
    local dir=$1 missing=()
    while [[ ! -d $dir ]]; do missing=("$dir" "${missing[@]}"); dir=$(dirname "$dir"); done
    for dir in "${missing[@]}"; do mkdir "$dir" && record dir "$dir"; done
}

make_dirs "$(dirname "$APP_DIR")"
staging="$APP_DIR.installing.$$"
trap 'rm -f "$desktop_file"; rm -rf "$staging"' EXIT
rm -rf "$staging"
cp -a "$SOURCE" "$staging"
install -m 0755 "$HERE/uninstall.sh" "$staging/uninstall.sh"
[[ ! -e $APP_DIR ]] || rmdir "$APP_DIR"  # empty: the checks above refused anything else
mv "$staging" "$APP_DIR"

for line in "${plan[@]}"; do
    IFS=$'\t' read -r mode source target <<< "$line"
    make_dirs "$(dirname "$target")"
    if [[ $mode == link ]]; then
        ln -sfn "$source" "$target"
    else
        rm -f "$target"  # --force over a symbolic link: replace the link, not its target
        install -m "$mode" "$source" "$target"
    fi
    record file "$target"
done

# ------------------------------------------------------------------ caches
# Per user, only caches that already exist are refreshed: one created here would outlive
# an uninstall, and desktops rescan the folders without one. System-wide the MIME cache is
# made if missing (recorded, so uninstall.sh removes it again when nothing else needs it).
if command -v update-desktop-database >/dev/null; then
    if [[ -f $SHARE_DIR/applications/mimeinfo.cache ]]; then
        update-desktop-database -q "$SHARE_DIR/applications" || true
        # Made by the installation this one replaces: still ours to remove.
        ! grep -qxF -- "$SHARE_DIR/applications/mimeinfo.cache" <<< "$previous_caches" ||
            record cache "$SHARE_DIR/applications/mimeinfo.cache"
    elif [[ $PREFIX != "$HOME_DIR"/* ]]; then
        update-desktop-database -q "$SHARE_DIR/applications" || true
        [[ ! -f $SHARE_DIR/applications/mimeinfo.cache ]] ||
            record cache "$SHARE_DIR/applications/mimeinfo.cache"
    fi
fi
if command -v update-mime-database >/dev/null; then
    if [[ -f $SHARE_DIR/mime/mime.cache ]]; then
        update-mime-database "$SHARE_DIR/mime" >/dev/null 2>&1 || true
    elif [[ $PREFIX != "$HOME_DIR"/* ]]; then
        update-mime-database "$SHARE_DIR/mime" >/dev/null 2>&1 || true
    fi
fi
if command -v gtk-update-icon-cache >/dev/null && [[ -f $SHARE_DIR/icons/hicolor/icon-theme.cache ]]; then
    gtk-update-icon-cache -q -t -f "$SHARE_DIR/icons/hicolor" || true
fi

# ------------------------------------------------------------------ manifest
{
    echo "# Installed by Digest Desk's install.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); read by uninstall.sh"
    echo "app $APP_DIR"
    printf '%s\n' "${entries[@]}"
} > "$MANIFEST"

version=$("$APP_DIR/$APP" --version 2>/dev/null | awk '{print $2}') || version="?"
echo "Installed Digest Desk $version in $APP_DIR"
echo "  launcher    $BIN_DIR/$APP"
echo "  menu entry  $SHARE_DIR/applications/$APP_ID.desktop"
echo "  uninstall   $APP_DIR/uninstall.sh"
case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) echo "Note: $BIN_DIR is not on your PATH; add it there, or start $APP_DIR/$APP" ;;
esac
