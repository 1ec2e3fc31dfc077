# The one-file EvalStudio's start (packaging/README.md): unpack the app once into a versioned
# cache folder, then run it. The ELF stub (stub.c) runs this as
#   sh -c <this script> evalstudio <the one-file's path> [the user's arguments...]
# make_onefile.py fills in the four @...@ values. POSIX sh: dash runs it on Debian and Ubuntu.
set -eu
self=$1
shift
version=@VERSION@
hash=@HASH@
payload_bytes=@PAYLOAD_BYTES@
entries=@ENTRIES@ # files and folders in the unpacked app, the marker included

cache=${XDG_CACHE_HOME:-$HOME/.cache}/evalstudio
name=app-$version-$hash
dir=$cache/$name

say() {
    echo "evalstudio: $1" >&2
    # Started from a file manager there is no terminal to read this: tell the desktop too.
    if [ ! -t 2 ] && command -v notify-send >/dev/null 2>&1; then
        notify-send --app-name=EvalStudio "EvalStudio" "$1" 2>/dev/null || true
    fi
}

# Complete: the marker written last, the program, and every file there (a cleaner or a
# person may have deleted some). Counting ~1,500 entries takes milliseconds.
complete() {
    [ -f "$dir/.unpacked" ] && [ -x "$dir/evalstudio" ] &&
        [ "$(find "$dir" | wc -l)" -eq "$entries" ]
}

unpack() {
    # Leftovers of a start killed while unpacking, or a damaged folder: start afresh.
    rm -rf "$dir" "$cache/.$name.unpack-"*
    tmp=$(mktemp -d "$cache/.$name.unpack-XXXXXX")
    say "unpacking EvalStudio $version once into $dir (about 10 s; later starts are immediate)"
    if ! tail -c "$payload_bytes" "$self" | xz -dc -T0 | tar -x -C "$tmp" ||
        [ "$(find "$tmp/evalstudio" 2>/dev/null | wc -l)" -ne $((entries - 1)) ]; then
        rm -rf "$tmp"
        say "$self is damaged or incomplete: download it again (nothing was changed)"
        exit 1
    fi
    : >"$tmp/evalstudio/.unpacked"
    # Atomic: the folder appears whole or not at all, whatever kills this start. (-T: never
    # into a folder that is there already, should a start without flock have won the race.)
    mv -T "$tmp/evalstudio" "$dir" 2>/dev/null || complete
    rm -rf "$tmp"
}

if ! complete; then
    command -v xz >/dev/null 2>&1 || {
        say "unpacking needs xz: install it (Debian and Ubuntu: sudo apt-get install xz-utils)"
        exit 1
    }
    mkdir -p "$cache"
    # One start unpacks; others started meanwhile wait here, then find the folder complete.
    # The kernel drops the lock of a killed start. flock is util-linux (on every Linux).
    exec 9>"$cache/.$name.lock"
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    complete || unpack
    exec 9>&-
fi

case ${1:-} in
--install | --uninstall) exec "$dir/install.sh" "$1" --launcher "$self" ;;
esac
exec "$dir/evalstudio" "$@"
