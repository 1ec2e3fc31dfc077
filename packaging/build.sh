#!/usr/bin/env bash
# Build the EvalStudio binary: dist/evalstudio/ (run dist/evalstudio/evalstudio) and, unless
# --no-archive, dist/evalstudio-<version>-linux-x86_64.tar.xz to hand out.
# Usage: packaging/build.sh [--no-archive] [--dist DIR]   (make binary runs it in the venv)
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DIST=dist
ARCHIVE=yes
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-archive) ARCHIVE=no ;;
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

if [[ $ARCHIVE == yes ]]; then
    version=$("$DIST/evalstudio/evalstudio" --version | awk '{print $NF}')
    archive="$DIST/evalstudio-$version-linux-x86_64.tar.xz"
    # xz: 175 MB against 210 MB for gzip (the model barely compresses; the rest does).
    tar -C "$DIST" -cf - evalstudio | xz -6 -T0 > "$archive"
    echo "Packed $archive ($(du -h "$archive" | cut -f1))"
fi
