#!/usr/bin/env bash
# CI for the host languages (issue 9), called from .ci/run:
#   .ci/hosts.sh [scratch-dir]
# - the module map checked by clang's module importer, and proof that the
#   check fails on a broken module map and on a broken header;
# - the Kotlin/JVM walkthrough (examples/kotlin/run.sh), which must pass;
# - the Swift walkthrough (examples/swift/check.sh): built and run where swiftc
#   exists, else it says plainly that it was not compiled;
# - the C library installed like one (chatcore-ffi/install.sh) into a temporary
#   prefix: its SONAME and symlinks, then examples/c/quickstart.c built from a
#   directory outside the repository with pkg-config alone (shared, and static
#   with the .pc's Libs.private) and run twice from /.
# The Kotlin compiler (~95 MB from npm) and the compiled jar are cached in
# scratch-dir (default ${TMPDIR:-/tmp}/chatcore-hosts-cache), never in the tree.
# Installs clang and pkg-config with apt-get when they are missing. Fails,
# never skips, when no JDK 22 or later is found (see examples/kotlin/run.sh).
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

export CHATCORE_HOSTS_CACHE=${1:-${CHATCORE_HOSTS_CACHE:-${TMPDIR:-/tmp}/chatcore-hosts-cache}}
mkdir -p "$CHATCORE_HOSTS_CACHE"

echo "== hosts: the release library"
cargo build --release -q -p chatcore-ffi
# Where cargo put it: CARGO_TARGET_DIR and .cargo/config honoured.
target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
export CHATCORE_LIB_DIR=$target_dir/release
test -f "$CHATCORE_LIB_DIR/libchatcore_ffi.so"

echo "== hosts: clang and pkg-config"
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
clang --version | head -n 1
pkg-config --version

echo "== hosts: the module map, through clang's module importer"
examples/swift/module-check.sh include

echo "== hosts: the module-map check fails on a broken module map or header"
broken=$(mktemp -d)
trap 'rm -rf "$broken"' EXIT
# Each case is a copy of include/ with one deliberate break.
mkdir "$broken/map" "$broken/header" "$broken/link"
cp include/chatcore.h include/module.modulemap "$broken/map/"
sed -i 's/header "chatcore.h"/header "chatcore_missing.h"/' "$broken/map/module.modulemap"
cp include/chatcore.h include/module.modulemap "$broken/header/"
sed -i '/^enum chat_status chat_unread_count(/,/;$/d' "$broken/header/chatcore.h"
cp include/chatcore.h include/module.modulemap "$broken/link/"
sed -i '/link "chatcore_ffi"/d' "$broken/link/module.modulemap"
for case in map header link; do
    if cmp -s "include/chatcore.h" "$broken/$case/chatcore.h" &&
        cmp -s "include/module.modulemap" "$broken/$case/module.modulemap"; then
        echo "error: the '$case' break changed nothing; fix this script" >&2
        exit 1
    fi
    if examples/swift/module-check.sh "$broken/$case" >"$broken/$case.log" 2>&1; then
        echo "error: the module-map check passed with a broken $case" >&2
        exit 1
    fi
    echo "ok   a broken $case fails it: $(grep -m1 -E 'error' "$broken/$case.log")"
done

echo "== hosts: kotlin"
examples/kotlin/run.sh

echo "== hosts: swift"
examples/swift/check.sh

# Last: install.sh relinks target/release's .so with a SONAME (the checks
# above link against the in-tree one, which has none).
echo "== hosts: install into a temporary prefix; quickstart from outside the repository with pkg-config"
scratch=$(mktemp -d)
trap 'rm -rf "$broken" "$scratch"' EXIT
prefix=$scratch/prefix
chatcore-ffi/install.sh --prefix "$prefix"
abi=$(sed -n 's/^#define CHAT_ABI_VERSION //p' include/chatcore.h)
soname=$(readelf -d "$prefix/lib/libchatcore_ffi.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" != "libchatcore_ffi.so.$abi" ]; then
    echo "error: the installed library's SONAME is '$soname', not libchatcore_ffi.so.$abi" >&2
    exit 1
fi
echo "ok   SONAME $soname; $(cd "$prefix/lib" && ls -l libchatcore_ffi.so* | awk '{print $9, $10, $11}' | paste -sd ' ' -)"
outside=$scratch/app
mkdir "$outside"
cp examples/c/quickstart.c "$outside/"
root=$PWD
(
    cd "$outside"
    export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
    pkg-config --exists --print-errors chatcore
    echo "pkg-config --cflags --libs chatcore: $(pkg-config --cflags --libs chatcore)"
    # Shared: the program records the SONAME and finds it through the rpath.
    cc -std=c11 -Wall -Wextra -Werror quickstart.c $(pkg-config --cflags --libs chatcore) \
        -Wl,-rpath,"$(pkg-config --variable=libdir chatcore)" -o quickstart
    # Static: the archive and the system libraries from Libs.private.
    cc -std=c11 -Wall -Wextra -Werror quickstart.c $(pkg-config --cflags chatcore) \
        "$(pkg-config --variable=libdir chatcore)/libchatcore_ffi.a" \
        $(pkg-config --static --libs-only-l chatcore | sed 's/-lchatcore_ffi//') -o quickstart-static
    if grep -rq "$root" quickstart.c; then
        echo "error: the copied quickstart names the repository" >&2
        exit 1
    fi
)
needed=$(readelf -d "$outside/quickstart" | sed -n 's/.*(NEEDED).*\[\(libchatcore.*\)\]/\1/p')
if [ "$needed" != "$soname" ]; then
    echo "error: quickstart needs '$needed', not the SONAME $soname" >&2
    exit 1
fi
if readelf -d "$outside/quickstart-static" | grep -q libchatcore; then
    echo "error: the static quickstart still needs libchatcore_ffi.so" >&2
    exit 1
fi
# From /, twice in a row: each run makes (and removes) a fresh temporary database.
for exe in quickstart quickstart quickstart-static; do
    (cd / && env -u LD_LIBRARY_PATH "$outside/$exe" >"$scratch/$exe.out")
    grep -qx "done" "$scratch/$exe.out"
    echo "ok   $exe ran from /: $(grep -m1 '^registered' "$scratch/$exe.out")"
done
echo "== hosts: ok"
