#!/usr/bin/env bash
# Builds and runs chatcore's fuzz targets (issue 6, item 7).
#
#   fuzz/run.sh [SECONDS]   build, then run each target SECONDS (default 60)
#   fuzz/run.sh build       build only (what CI can afford)
#
# Toolchain: cargo-fuzz needs nightly compiler flags (-Zsanitizer=address,
# coverage instrumentation). This script uses the *stable* toolchain with
# RUSTC_BOOTSTRAP=1, which unlocks them and works on a machine with only
# stable installed. Set FUZZ_CARGO="cargo +nightly" to use nightly instead.
#
# A fresh machine needs, besides stable Rust:
#   cargo install cargo-fuzz --version 0.13.2 --locked
#   a C++ compiler (libfuzzer-sys compiles libFuzzer; g++ or clang++)
#
# Measured on the 2-core shared development machine: first build of the
# three targets 10 min 37 s (release, AddressSanitizer, all dependencies);
# a rebuild after changing a target takes a few seconds.
#
# Prints each target's executions; exits non-zero if any target crashed.
# A crash leaves its input in fuzz/artifacts/TARGET/; replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# shrink it with `cargo fuzz tmin TARGET FILE`, show it with `cargo fuzz fmt`.
set -uo pipefail

cd "$(dirname "$0")"
read -r -a cargo <<<"${FUZZ_CARGO:-cargo +stable}"
if [[ "${FUZZ_CARGO:-}" == "" ]]; then
    export RUSTC_BOOTSTRAP=1
fi
targets=(operations c_strings cli_line)
seconds="${1:-60}"

start=$SECONDS
"${cargo[@]}" fuzz build || exit 1
echo "== built ${#targets[@]} targets in $((SECONDS - start)) s"
[[ "$seconds" == build ]] && exit 0

failed=0
for target in "${targets[@]}"; do
    log="$(mktemp)"
    "${cargo[@]}" fuzz run "$target" -- -max_total_time="$seconds" >"$log" 2>&1
    status=$?
    done_line="$(grep -E '^Done [0-9]+ runs' "$log" || true)"
    if [[ $status -eq 0 ]]; then
        echo "== $target: ${done_line:-finished}, 0 crashes"
    else
        failed=1
        echo "== $target: CRASH (exit $status); log follows"
        tail -n 60 "$log"
        ls "artifacts/$target" 2>/dev/null
    fi
    rm -f "$log"
done
exit $failed
