#!/usr/bin/env bash
# Put EvalStudio on this user's PATH and in the desktop menu (no root needed):
# ~/.local/bin/evalstudio, the menu entry and icon, and *.evs session packages opening in it.
# The menu entries name ~/.local/bin/evalstudio by its absolute path, so they work whether or
# not ~/.local/bin is on the PATH.
#   From the app folder:    ./install.sh               (links ~/.local/bin/evalstudio here)
#   The one file does:      install.sh --launcher FILE (copies FILE to ~/.local/bin/evalstudio)
#   Undo either:            --uninstall
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin
action=install
launcher=
while [[ $# -gt 0 ]]; do
    case $1 in
        --install) action=install ;;
        --uninstall) action=uninstall ;;
        --launcher) launcher=$2; shift ;;
        *) echo "install.sh: unknown option: $1 (use --install, --uninstall, --launcher FILE)" >&2
           exit 2 ;;
    esac
    shift
done
files=("$bin/evalstudio" "$data/applications/evalstudio.desktop"
       "$data/applications/evalstudio-open.desktop" "$data/mime/packages/evalstudio-mime.xml"
       "$data/icons/hicolor/scalable/apps/evalstudio.svg")
refresh() {
    command -v update-mime-database >/dev/null && update-mime-database "$data/mime" || true
    command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
}
if [[ $action == uninstall ]]; then
    rm -f "${files[@]}"
    refresh
    echo "Removed EvalStudio from the menu and PATH (your workspaces are untouched)."
    exit 0
fi
mkdir -p "$bin" "$data/applications" "$data/mime/packages" "$data/icons/hicolor/scalable/apps"
if [[ -n $launcher ]]; then
    target=$(cd "$(dirname "$launcher")" && pwd)/$(basename "$launcher")
    if [[ $target != "$bin/evalstudio" ]]; then
        # Copied beside, then renamed over: an EvalStudio running from the old copy goes on.
        cp "$target" "$bin/.evalstudio.new"
        mv -f "$bin/.evalstudio.new" "$bin/evalstudio"
    fi
else
    ln -sfn "$here/evalstudio" "$bin/evalstudio"
fi
# Exec names the program by its absolute path, quoted as the desktop entry spec says: " ` $ \
# escaped by a backslash, then every backslash doubled (the string rule), % doubled.
q=${bin}/evalstudio
q=${q//\\/\\\\}; q=${q//\"/\\\"}; q=${q//\`/\\\`}; q=${q//\$/\\\$}
q=${q//\\/\\\\}; q=${q//%/%%}
for entry in evalstudio.desktop evalstudio-open.desktop; do
    while IFS= read -r line; do
        [[ $line == Exec=evalstudio* ]] && line="Exec=\"$q\"${line#Exec=evalstudio}"
        printf '%s\n' "$line"
    done < "$here/$entry" > "$data/applications/$entry"
done
cp "$here/evalstudio-mime.xml" "$data/mime/packages/"
cp "$here/evalstudio.svg" "$data/icons/hicolor/scalable/apps/"
refresh
echo "Installed: EvalStudio is in the menu, and '$bin/evalstudio' runs it."
case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "($bin is not on your PATH: add it to type just 'evalstudio'.)" ;;
esac
