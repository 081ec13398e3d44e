#!/usr/bin/env bash
# Builds and runs the Kotlin/JVM walkthrough against libchatcore_ffi.
#
#   examples/kotlin/run.sh            # builds the release library first
#   CHATCORE_LIB_DIR=target/release examples/kotlin/run.sh   # uses a built one
#
# Runs from any directory; without CHATCORE_LIB_DIR it finds the library
# where cargo put it (CARGO_TARGET_DIR honoured, through cargo metadata).
#
# Needs: a JDK 22 or later (java.lang.foreign is final from Java 22; the
# binding is compiled against the Java 22 API and for Java 22 bytecode) --
# CHATCORE_JDK=<its home>, else JAVA_HOME, else the newest JDK >= 22 under
# /usr/lib/jvm, else `java` on PATH -- and npm to fetch the Kotlin compiler
# once. Debian 12 packages only openjdk-17 (too old); see examples/README.md.
# The compiler and the compiled jar are cached in $CHATCORE_HOSTS_CACHE
# (default ${TMPDIR:-/tmp}/chatcore-hosts-cache), never in the repository.
# Ends with the walkthrough's "kotlin: N passed, M failed"; exits non-zero on
# any failure, and fails (never skips) when the JDK or the compiler is missing.
#
# How native memory is checked: valgrind on a JVM is impractical (the JVM's
# own allocator noise and JIT swamp it), so the binding proves it from its
# side instead. Every pointer chatcore hands out (store, session, user,
# thread, message, every page kind, search hits' pages too) goes through
# NativeOwnership.take on arrival and NativeOwnership.release right before its
# chat_*_free, keyed by address and kind: a double free or a free by the wrong
# function throws, and the walkthrough's last check fails unless nothing is
# left live ("every native object freed (61 handed out)"); a copy of the
# walkthrough with one resumed session left unclosed fails it with "still
# live: {chat_session=1}" and exit 1 (tried by hand when this was written).
# Inner pointers (a thread's `other` and `last_message`, a search hit's
# `message`, `other`, `snippet` and `matches`, list items, cursors) belong to
# their parent and are only read, never freed, as chatcore.h says. Arguments
# are allocated in a confined Arena closed by `use` at the end of each call.
# What this does not prove is that chatcore's own frees release everything:
# that is the C examples' run under valgrind in the chatcore-ffi tests.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kotlin_version=2.4.20
cache=${CHATCORE_HOSTS_CACHE:-${TMPDIR:-/tmp}/chatcore-hosts-cache}
mkdir -p "$cache"

# --- a JDK 22 or later (java.lang.foreign is final from Java 22 on)
min_java=22
java_major() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java.specification.version = //p' | cut -d. -f1
}
new_enough() {
    local major
    major=$(java_major "$1")
    [ -x "$1/bin/javac" ] && [ "${major:-0}" -ge "$min_java" ] 2>/dev/null
}
# An explicit CHATCORE_JDK (or the older name CHATCORE_JDK25) is used as is
# (and refused below if too old); else the first new enough of JAVA_HOME, the
# newest JDK under /usr/lib/jvm, and the javac on PATH.
jdk=${CHATCORE_JDK:-${CHATCORE_JDK25:-}}
if [ -z "$jdk" ]; then
    best=0
    for candidate in /usr/lib/jvm/*; do
        [ -x "$candidate/bin/java" ] && new_enough "$candidate" || continue
        major=$(java_major "$candidate")
        if [ "$major" -gt "$best" ]; then jdk=$candidate; best=$major; fi
    done
    if [ -n "${JAVA_HOME:-}" ] && new_enough "$JAVA_HOME"; then
        jdk=$JAVA_HOME
    elif [ -z "$jdk" ] && command -v javac >/dev/null; then
        on_path=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
        if new_enough "$on_path"; then jdk=$on_path; fi
    fi
fi
if [ -z "$jdk" ] || [ ! -x "$jdk/bin/java" ]; then
    echo "error: examples/kotlin needs a JDK $min_java or later and found none; install one (see" >&2
    echo "       examples/README.md) or set CHATCORE_JDK to its home. The Kotlin walkthrough did NOT run." >&2
    exit 1
fi
java_version=$(java_major "$jdk")
if ! [ "${java_version:-0}" -ge "$min_java" ] 2>/dev/null; then
    echo "error: $jdk is Java '$java_version'; java.lang.foreign needs $min_java or later." >&2
    echo "       The Kotlin walkthrough did NOT run." >&2
    exit 1
fi
echo "kotlin: JDK $java_version at $jdk"

# --- the library
case "$(uname -s)" in
    Darwin) lib_name=libchatcore_ffi.dylib ;;
    *) lib_name=libchatcore_ffi.so ;;
esac
if [ -n "${CHATCORE_LIB_DIR:-}" ]; then
    lib_dir=$(cd "$CHATCORE_LIB_DIR" && pwd)
else
    (cd "$root" && cargo build --release -q -p chatcore-ffi)
    # Where cargo put it: CARGO_TARGET_DIR and .cargo/config honoured.
    lib_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release
fi
lib=$lib_dir/$lib_name
if [ ! -f "$lib" ]; then
    echo "error: no $lib" >&2
    exit 1
fi
echo "kotlin: library $lib"

# --- the compiler, fetched once from the npm registry
kotlinc=$cache/kotlinc-$kotlin_version/node_modules/kotlin-compiler/bin/kotlinc
if [ ! -x "$kotlinc" ]; then
    if ! command -v npm >/dev/null; then
        echo "error: npm is needed to fetch the Kotlin compiler. The Kotlin walkthrough did NOT run." >&2
        exit 1
    fi
    echo "kotlin: fetching kotlin-compiler@$kotlin_version into $cache"
    npm install --silent --no-audit --no-fund --no-save --prefix "$cache/kotlinc-$kotlin_version" \
        "kotlin-compiler@$kotlin_version" >&2
fi

# --- compile (cached by the sources' hash) and run
sources=("$here/ChatCore.kt" "$here/Search.kt" "$here/Walkthrough.kt")
key=$(cat "${sources[@]}" | sha256sum | cut -c1-16)
jar=$cache/walkthrough-$kotlin_version-java$min_java-$key.jar
if [ ! -f "$jar" ]; then
    echo "kotlin: compiling ${sources[*]##*/}"
    rm -f "$cache"/walkthrough-*.jar  # jars of older sources
    # -Xjdk-release: compiled against the Java 22 API (javac --release 22),
    # so a JDK 22 runs the jar even when a newer one compiled it.
    JAVA_HOME=$jdk PATH="$jdk/bin:$PATH" "$kotlinc" -jdk-home "$jdk" -jvm-target $min_java \
        -Xjdk-release=$min_java -Werror \
        -include-runtime -d "$cache/partial-$key.jar" "${sources[@]}"
    mv "$cache/partial-$key.jar" "$jar"  # kotlinc wants the .jar suffix; a killed compile leaves no jar
fi
# What the C compiler makes of chatcore.h's structs, for the walkthrough to
# compare with the binding's hand-written layouts.
layouts=$cache/layouts-$$
cc -Wall -Wextra -Werror -I"$root/include" "$here/layouts.c" -o "$layouts"
"$layouts" >"$layouts.txt"
rm -f "$layouts"
# The second process of the change-feed checks: examples/c/feed.c in its
# --send mode, linked against the same library.
sender=$cache/feed-sender-$$
cc -Wall -Wextra -Werror -pthread -I"$root/include" "$root/examples/c/feed.c" -o "$sender" \
    -L"$lib_dir" -lchatcore_ffi -Wl,-rpath,"$lib_dir"
trap 'rm -f "$layouts.txt" "$sender"' EXIT
"$jdk/bin/java" --enable-native-access=ALL-UNNAMED -Dchatcore.lib="$lib" -Dchatcore.layouts="$layouts.txt" \
    -Dchatcore.sender="$sender" -jar "$jar" "$@"
