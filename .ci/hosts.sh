#!/usr/bin/env bash
# CI for the host languages (issue 9), called from .ci/run:
#   .ci/hosts.sh [scratch-dir]
# - the module map checked by clang's module importer, and proof that the
#   check fails on a broken module map and on a broken header;
# - the Kotlin/JVM walkthrough (examples/kotlin/run.sh), which must pass;
# - the Swift walkthrough (examples/swift/check.sh): built and run where swiftc
#   exists, else it says plainly that it was not compiled.
# The Kotlin compiler (~95 MB from npm) and the compiled jar are cached in
# scratch-dir (default ${TMPDIR:-/tmp}/chatcore-hosts-cache), never in the tree.
# Installs clang with apt-get when it is missing. Fails, never skips, when the
# Java 25 JDK is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export CHATCORE_HOSTS_CACHE=${1:-${CHATCORE_HOSTS_CACHE:-${TMPDIR:-/tmp}/chatcore-hosts-cache}}
mkdir -p "$CHATCORE_HOSTS_CACHE"

echo "== hosts: the release library"
cargo build --release -q -p chatcore-ffi
export CHATCORE_LIB_DIR=$PWD/target/release

echo "== hosts: clang"
if ! command -v clang >/dev/null; then
    sudo=
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang >/dev/null
fi
clang --version | head -n 1

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
echo "== hosts: ok"
