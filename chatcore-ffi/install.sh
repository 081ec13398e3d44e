#!/usr/bin/env bash
# Installs chatcore's C library the way C libraries are installed:
#
#   chatcore-ffi/install.sh --prefix DIR      # e.g. /usr/local or $HOME/.local
#
# Builds the release library and installs, under DIR:
#   include/chatcore/chatcore.h          the header
#   include/chatcore/module.modulemap    the Clang module (Swift: import ChatCore)
#   lib/libchatcore_ffi.so.A.X.Y.Z       the shared library, SONAME libchatcore_ffi.so.A
#   lib/libchatcore_ffi.so.A             -> libchatcore_ffi.so.A.X.Y.Z (what programs load)
#   lib/libchatcore_ffi.so               -> libchatcore_ffi.so.A (what -lchatcore_ffi finds)
#   lib/libchatcore_ffi.a                the static library
#   lib/pkgconfig/chatcore.pc            for pkg-config (Libs.private: what the
#                                        static library needs, from rustc)
# where A is CHAT_ABI_VERSION (it changes whenever the ABI breaks, so programs
# built against one ABI never load another) and X.Y.Z the crate's version.
# Then:
#   export PKG_CONFIG_PATH=DIR/lib/pkgconfig      # unless DIR is a system prefix
#   cc app.c $(pkg-config --cflags --libs chatcore) -o app
# (a prefix outside the loader's search path also wants
#  -Wl,-rpath,"$(pkg-config --variable=libdir chatcore)" or LD_LIBRARY_PATH).
#
# The SONAME is set at link time for this build only (cargo rustc passes
# -C link-arg=-Wl,-soname,... to the chatcore-ffi crate alone), so the
# in-tree target/release/libchatcore_ffi.so used by the tests keeps none;
# a later `cargo build --release -p chatcore-ffi` rebuilds it without one.
# Linux (ELF) only. Needs cargo and a C toolchain; honours CARGO_TARGET_DIR.
set -euo pipefail

usage() {
    echo "usage: $0 --prefix DIR" >&2
    exit 2
}
prefix=
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        -h | --help) sed -n '2,28p' "$0"; exit 0 ;;
        *) usage ;;
    esac
done
[ -n "$prefix" ] || usage
if [ "$(uname -s)" != Linux ]; then
    echo "error: install.sh installs ELF shared libraries (Linux) only" >&2
    exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
abi=$(sed -n 's/^pub const CHAT_ABI_VERSION: u32 = \([0-9]*\);$/\1/p' "$here/src/lib.rs")
if [ -z "$version" ] || [ -z "$abi" ]; then
    echo "error: cannot read the version ('$version') or CHAT_ABI_VERSION ('$abi')" >&2
    exit 1
fi
soname=libchatcore_ffi.so.$abi
real=$soname.$version

# Where cargo puts its output: honours CARGO_TARGET_DIR and .cargo/config.
target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ -z "$target_dir" ]; then
    echo "error: cargo metadata did not say where the target directory is" >&2
    exit 1
fi
out=$target_dir/release

echo "install: building chatcore-ffi $version (ABI $abi) in release"
notes=$(mktemp)
trap 'rm -f "$notes"' EXIT
# One compile for both: the link argument only reaches the cdylib's link.
(cd "$root" && cargo rustc -q --release -p chatcore-ffi --lib --crate-type cdylib,staticlib -- \
    -C "link-arg=-Wl,-soname,$soname" --print native-static-libs) 2>"$notes" || {
    cat "$notes" >&2
    exit 1
}
static_libs=$(sed -n 's/.*native-static-libs: //p' "$notes" | tail -n 1)
if [ -z "$static_libs" ]; then
    # cargo replays the note from its cache only when rustc ran; ask again.
    touch "$here/src/lib.rs"
    (cd "$root" && cargo rustc -q --release -p chatcore-ffi --lib --crate-type cdylib,staticlib -- \
        -C "link-arg=-Wl,-soname,$soname" --print native-static-libs) 2>"$notes"
    static_libs=$(sed -n 's/.*native-static-libs: //p' "$notes" | tail -n 1)
fi
if [ -z "$static_libs" ]; then
    echo "error: rustc did not print the static library's native libraries" >&2
    exit 1
fi

echo "install: into $prefix"
install -d "$prefix/include/chatcore" "$prefix/lib/pkgconfig"
install -m 644 "$root/include/chatcore.h" "$root/include/module.modulemap" "$prefix/include/chatcore/"
install -m 755 "$out/libchatcore_ffi.so" "$prefix/lib/$real"
ln -sfn "$real" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/libchatcore_ffi.so"
install -m 644 "$out/libchatcore_ffi.a" "$prefix/lib/libchatcore_ffi.a"
cat >"$prefix/lib/pkgconfig/chatcore.pc" <<EOF
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include/chatcore
abi=$abi

Name: chatcore
Description: An embedded chat store (C ABI $abi)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lchatcore_ffi
Libs.private: $static_libs
EOF
for file in include/chatcore/chatcore.h include/chatcore/module.modulemap "lib/$real" \
    "lib/$soname" lib/libchatcore_ffi.so lib/libchatcore_ffi.a lib/pkgconfig/chatcore.pc; do
    echo "  $prefix/$file"
done
