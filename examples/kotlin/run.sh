#!/usr/bin/env bash
# Builds and runs the Kotlin/JVM walkthrough against libchatcore_ffi.
#
#   examples/kotlin/run.sh            # builds the release library first
#   CHATCORE_LIB_DIR=target/release examples/kotlin/run.sh   # uses a built one
#
# Needs: a Java 25 JDK (Temurin 25 under /usr/lib/jvm, or CHATCORE_JDK25=<its
# home>) for java.lang.foreign, and npm to fetch the Kotlin compiler once.
# The compiler and the compiled jar are cached in $CHATCORE_HOSTS_CACHE
# (default ${TMPDIR:-/tmp}/chatcore-hosts-cache), never in the repository.
# Ends with the walkthrough's "kotlin: N passed, M failed"; exits non-zero on
# any failure, and fails (never skips) when the JDK or the compiler is missing.
#
# How native memory is checked: valgrind on a JVM is impractical (the JVM's
# own allocator noise and JIT swamp it), so the binding proves it from its
# side instead. Every pointer chatcore hands out (store, session, user,
# thread, message, both page kinds) goes through NativeOwnership.take on
# arrival and NativeOwnership.release right before its chat_*_free, keyed by
# address and kind: a double free or a free by the wrong function throws, and
# the walkthrough's last check fails unless nothing is left live ("every
# native object freed (27 handed out)"); a copy of the walkthrough with one
# resumed session left unclosed fails it with "still live: {chat_session=1}"
# and exit 1 (tried by hand when this was written). Inner pointers (a thread's `other`
# and `last_message`, list items, cursors) belong to their parent and are only
# read, never freed, as chatcore.h says. Arguments are allocated in a confined
# Arena closed by `use` at the end of each call. What this does not prove is
# that chatcore's own frees release everything: that is the C examples' run
# under valgrind in the chatcore-ffi tests.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kotlin_version=2.4.20
cache=${CHATCORE_HOSTS_CACHE:-${TMPDIR:-/tmp}/chatcore-hosts-cache}
mkdir -p "$cache"

# --- the Java 25 JDK (java.lang.foreign is final from Java 22 on)
jdk=${CHATCORE_JDK25:-}
if [ -z "$jdk" ]; then
    for candidate in /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/*-25-*; do
        if [ -x "$candidate/bin/java" ]; then jdk=$candidate; break; fi
    done
fi
if [ -z "$jdk" ] || [ ! -x "$jdk/bin/java" ]; then
    echo "error: examples/kotlin needs a Java 25 JDK (Temurin 25 under /usr/lib/jvm) and found none;" >&2
    echo "       install temurin-25-jdk or set CHATCORE_JDK25 to its home. The Kotlin walkthrough did NOT run." >&2
    exit 1
fi
java_major=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "$java_major" != 25 ]; then
    echo "error: $jdk is Java '$java_major', not 25. The Kotlin walkthrough did NOT run." >&2
    exit 1
fi
echo "kotlin: JDK $jdk"

# --- the library
case "$(uname -s)" in
    Darwin) lib_name=libchatcore_ffi.dylib ;;
    *) lib_name=libchatcore_ffi.so ;;
esac
if [ -n "${CHATCORE_LIB_DIR:-}" ]; then
    lib_dir=$(cd "$CHATCORE_LIB_DIR" && pwd)
else
    (cd "$root" && cargo build --release -q -p chatcore-ffi)
    lib_dir=$root/target/release
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
sources=("$here/ChatCore.kt" "$here/Walkthrough.kt")
key=$(cat "${sources[@]}" | sha256sum | cut -c1-16)
jar=$cache/walkthrough-$kotlin_version-$key.jar
if [ ! -f "$jar" ]; then
    echo "kotlin: compiling ${sources[*]##*/}"
    rm -f "$cache"/walkthrough-*.jar  # jars of older sources
    JAVA_HOME=$jdk PATH="$jdk/bin:$PATH" "$kotlinc" -jdk-home "$jdk" -jvm-target 25 -Werror \
        -include-runtime -d "$cache/partial-$key.jar" "${sources[@]}"
    mv "$cache/partial-$key.jar" "$jar"  # kotlinc wants the .jar suffix; a killed compile leaves no jar
fi
# What the C compiler makes of chatcore.h's structs, for the walkthrough to
# compare with the binding's hand-written layouts.
layouts=$cache/layouts-$$
cc -Wall -Wextra -Werror -I"$root/include" "$here/layouts.c" -o "$layouts"
"$layouts" >"$layouts.txt"
rm -f "$layouts"
trap 'rm -f "$layouts.txt"' EXIT
"$jdk/bin/java" --enable-native-access=ALL-UNNAMED -Dchatcore.lib="$lib" -Dchatcore.layouts="$layouts.txt" \
    -jar "$jar" "$@"
