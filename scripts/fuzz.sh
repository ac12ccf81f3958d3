#!/usr/bin/env bash
# Fuzzes Weft's parsers with libFuzzer: the graph decoder + validator, and
# the ffi signature parser. Usage: scripts/fuzz.sh [graph|ffi-signature|all] [SECONDS]
# (default: all, 600 s each). One fuzzer at a time, niced: the machine is shared.
#
# Seeds: Fuzzing/corpus/<target>/ (committed, read only). New inputs go to a
# temporary folder; crashes, timeouts and OOMs to Fuzzing/crashes/<target>/
# (not committed). A reproducer worth keeping goes to
# Fuzzing/regressions/<target>/, where `swift test` replays it.
set -euo pipefail
cd "$(dirname "$0")/../Fuzzing"
which=${1:-all}
seconds=${2:-600}
targets=()
case "$which" in
    graph) targets=(graph) ;;
    ffi-signature) targets=(ffi-signature) ;;
    all) targets=(ffi-signature graph) ;;
    *) echo "usage: scripts/fuzz.sh [graph|ffi-signature|all] [SECONDS]" >&2; exit 2 ;;
esac
for t in "${targets[@]}"; do
    case "$t" in
        graph) product=FuzzGraph dict=graph.dict maxlen=4096 ;;
        ffi-signature) product=FuzzFFISignature dict=ffi.dict maxlen=256 ;;
    esac
    echo "== building $product (swift build -c release --sanitize=fuzzer)"
    swift build -c release --sanitize=fuzzer --product "$product" >/dev/null
    bin=$(swift build -c release --sanitize=fuzzer --show-bin-path)/$product
    work=$(mktemp -d)
    mkdir -p "crashes/$t" "regressions/$t"
    echo "== fuzzing $t for $seconds s (new inputs in $work)"
    nice -n 10 "$bin" "$work" "corpus/$t" "regressions/$t" -dict="$dict" -max_len="$maxlen" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="crashes/$t/" 2>&1 | grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)' || true
    rm -rf "$work"
done
