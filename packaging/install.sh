#!/usr/bin/env bash
# Add the unpacked EvalStudio to this user's PATH and desktop menu (no root needed):
# ~/.local/bin/evalstudio, the menu entry and icon, and *.evs session packages opening in it.
# Run from the unpacked folder: ./install.sh     Undo: ./install.sh --uninstall
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin
files=("$bin/evalstudio" "$data/applications/evalstudio.desktop"
       "$data/applications/evalstudio-open.desktop" "$data/mime/packages/evalstudio-mime.xml"
       "$data/icons/hicolor/scalable/apps/evalstudio.svg")
if [[ ${1:-} == --uninstall ]]; then
    rm -f "${files[@]}"
    echo "Removed EvalStudio from the menu and PATH (your workspaces are untouched)."
    exit 0
fi
mkdir -p "$bin" "$data/applications" "$data/mime/packages" "$data/icons/hicolor/scalable/apps"
ln -sf "$here/evalstudio" "$bin/evalstudio"
cp "$here/evalstudio.desktop" "$here/evalstudio-open.desktop" "$data/applications/"
cp "$here/evalstudio-mime.xml" "$data/mime/packages/"
cp "$here/evalstudio.svg" "$data/icons/hicolor/scalable/apps/"
command -v update-mime-database >/dev/null && update-mime-database "$data/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "Installed: run 'evalstudio' (make sure $bin is on your PATH) or pick EvalStudio in the menu."
