#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and ThreadSanitizer, each in its
# own build folder (.build-asan, .build-tsan). Usage: scripts/sanitize.sh [address|thread]...
set -euo pipefail
cd "$(dirname "$0")/.."
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(address thread)
for kind in "${kinds[@]}"; do
    echo "== swift test --sanitize=$kind"
    # Plugins loaded by the tests are plain C; the sanitizer runtime comes with the test binary.
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" \
        swift test --sanitize="$kind" --scratch-path ".build-${kind:0:1}san"
done
