#!/usr/bin/env bash
# Checks include/module.modulemap with clang's module importer (the one Swift
# uses): builds examples/swift/module-check.m, which does `@import ChatCore;`
# and uses every C name the Swift wrapper uses, links it and runs it.
#
#   examples/swift/module-check.sh [include-dir]   # default: include/
#
# The include dir is given only through -fmodule-map-file, never -I, so
# chatcore.h is reachable only through the module: a module map that names a
# missing header, or a header that lost a name the wrapper uses, fails here.
# Also checks that the module's `link "chatcore_ffi"` reaches the object as
# autolink metadata (GNU ld ignores it on Linux, so the link itself is -l).
# Uses $CHATCORE_LIB_DIR, else builds the release library.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
include=$(cd "${1:-$root/include}" && pwd)

if ! command -v clang >/dev/null; then
    echo "error: clang is needed for the module-map check (apt-get install clang); it did NOT run." >&2
    exit 1
fi
if [ -n "${CHATCORE_LIB_DIR:-}" ]; then
    lib_dir=$(cd "$CHATCORE_LIB_DIR" && pwd)
else
    (cd "$root" && cargo build --release -q -p chatcore-ffi)
    # Where cargo put it: CARGO_TARGET_DIR and .cargo/config honoured.
    lib_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-x objective-c -fmodules -fmodules-cache-path="$out/module-cache"
       -fmodule-map-file="$include/module.modulemap" -Wall -Wextra -Werror)

clang "${flags[@]}" -S -emit-llvm -o "$out/module-check.ll" "$here/module-check.m"
if ! grep -q '!{!"lib", !"chatcore_ffi"}' "$out/module-check.ll"; then
    echo "error: the module ChatCore does not ask to link chatcore_ffi (link directive)" >&2
    exit 1
fi
clang "${flags[@]}" "$here/module-check.m" -L"$lib_dir" -lchatcore_ffi \
    -Wl,-rpath,"$lib_dir" -o "$out/module-check"
"$out/module-check"
