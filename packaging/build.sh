#!/usr/bin/env bash
# Build the EvalStudio binary: dist/evalstudio/ (run dist/evalstudio/evalstudio: for
# developers) and, unless --no-onefile, the one file to hand out,
# dist/evalstudio-<version>-linux-x86_64 (packaging/README.md).
# Usage: packaging/build.sh [--no-onefile] [--dist DIR]   (make binary runs it in the venv)
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DIST=dist
ONEFILE=yes
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-onefile) ONEFILE=no ;;
        --dist) DIST=$2; shift ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done

"$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath build/pyinstaller packaging/evalstudio.spec
cp packaging/evalstudio.desktop packaging/evalstudio-open.desktop packaging/evalstudio-mime.xml \
    packaging/evalstudio.svg packaging/install.sh "$DIST/evalstudio/"
echo "Built $DIST/evalstudio/evalstudio ($(du -sh "$DIST/evalstudio" | cut -f1) unpacked)"

if [[ $ONEFILE == yes ]]; then
    version=$("$DIST/evalstudio/evalstudio" --version | awk '{print $NF}')
    "$PYTHON" packaging/onefile/make_onefile.py --version "$version" \
        "$DIST/evalstudio" "$DIST/evalstudio-$version-linux-x86_64"
fi
