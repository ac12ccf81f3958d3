#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and ThreadSanitizer, each in its
# own build folder (.build-asan, .build-tsan). Usage: scripts/sanitize.sh [address|thread]...
#
# The C-host tests skip themselves there (a sanitizer-built libweft cannot be
# linked by a plain `cc` host), so after the suite this script builds the C
# API fixtures (Tests/Fixtures/capi) with the toolchain's clang and the same
# sanitizer, against the instrumented libweft, and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(address thread)
swift_bin=$(dirname "$(readlink -f "$(command -v swift)")")
runtime="$swift_bin/../lib/swift/linux"
for kind in "${kinds[@]}"; do
    scratch=".build-${kind:0:1}san"
    echo "== swift test --sanitize=$kind"
    # Plugins loaded by the tests are plain C; the sanitizer runtime comes with the test binary.
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" \
        swift test --sanitize="$kind" --scratch-path "$scratch"

    echo "== C API fixtures under -fsanitize=$kind"
    lib="$PWD/$scratch/debug"
    ln -sf libweft_embed.so "$lib/libweft.so.0"
    out=$(mktemp -d)
    for fixture in badargs concurrent unload; do
        # libdispatch and BlocksRuntime: the toolchain's sanitizer runtime refers to them.
        "$swift_bin/clang" -std=c99 -g -fsanitize="$kind" -Iinclude "Tests/Fixtures/capi/$fixture.c" \
            -L"$lib" -lweft_embed -Wl,-rpath,"$lib" -L"$runtime" -ldispatch -lBlocksRuntime \
            -Wl,-rpath,"$runtime" -lpthread -o "$out/$fixture"
    done
    TSAN_OPTIONS="halt_on_error=1" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" "$out/badargs" --no-fork | tail -1
    TSAN_OPTIONS="halt_on_error=1" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" "$out/concurrent" 2000 | tail -1
    # Unloading in the last destroy after runs on other threads (a plain C plugin).
    cc -std=c99 -shared -fPIC -fvisibility=hidden -Iinclude Tests/Fixtures/plugins/misuse.c -lpthread -o "$out/libmisuse.so"
    TSAN_OPTIONS="halt_on_error=1" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" "$out/unload" "$out/libmisuse.so" | tail -1
    rm -rf "$out"
done
