#!/usr/bin/env bash
# One entry point for Weft's benchmarks side by side with its peers.
#   Benchmarks/run.sh            full run: release build, peers, every scenario (about 15-25 min on 2 cores)
#   Benchmarks/run.sh --quick    tiny sizes, no peers, no met/MISSED verdicts (CI smoke test; about a minute after the build)
# More options: Benchmarks/run.sh --help. See Benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 Benchmarks/bench.py "$@"
