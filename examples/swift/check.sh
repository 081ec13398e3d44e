#!/usr/bin/env bash
# Builds and runs the Swift walkthrough wherever a Swift toolchain exists;
# otherwise says plainly that it was not compiled, and exits 0 (set
# CHATCORE_REQUIRE_SWIFT=1 to make a missing swiftc an error). The C module
# it imports is checked by clang either way: examples/swift/module-check.sh.
# Uses $CHATCORE_LIB_DIR, else builds the release library.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if ! command -v swiftc >/dev/null; then
    echo "swift: NOT COMPILED HERE: this machine has no swiftc. The Swift wrapper and walkthrough"
    echo "swift: (examples/swift/Sources/walkthrough) were neither built nor run; only the module"
    echo "swift: map they import was checked, by clang (examples/swift/module-check.sh)."
    if [ "${CHATCORE_REQUIRE_SWIFT:-0}" = 1 ]; then exit 1; fi
    exit 0
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
swiftc --version
swiftc -I "$root/include" -L "$lib_dir" -lchatcore_ffi -Xlinker -rpath -Xlinker "$lib_dir" \
    "$here/Sources/walkthrough/ChatCore.swift" "$here/Sources/walkthrough/main.swift" \
    -o "$out/walkthrough"
"$out/walkthrough" "$out/walkthrough.db"
