#!/bin/sh
# Builds the benchmark peers into the folder given as OUTPUT_DIR:
#   OUTPUT_DIR/floor     the C floor   (gcc -O2 -std=c11 floor.c spin.c -lpthread)
#   OUTPUT_DIR/plugins/libbenchfsm.so
#                        the Weft plugin benchfsm (fsm.c: the flow state of
#                        scenario 14 and the flaky node of 15), for
#                        `weft run --plugins OUTPUT_DIR/plugins`
#   OUTPUT_DIR/tbb_flow  oneTBB flow graph (g++ -O2 -std=c++17 tbb_flow.cpp + spin.c
#                        compiled as C, -ltbb -lpthread)
#   build.sh --plugin OUTPUT_DIR   builds the plugin only (bench.py does, for
#                        Weft's rows 14 and 15, also with --quick and --no-peers)
# Exits non-zero with a message if a compiler or oneTBB is missing (the floor
# and the plugin are still built when only g++ or TBB is missing) or if a
# build fails.
set -eu

PLUGIN_ONLY=0
if [ $# -eq 2 ] && [ "$1" = "--plugin" ]; then
    PLUGIN_ONLY=1
    shift
fi
if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 [--plugin] OUTPUT_DIR" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

if ! command -v gcc >/dev/null 2>&1; then
    echo "build.sh: gcc not found: needed for floor, spin.c and fsm.c (apt-get install gcc)" >&2
    exit 1
fi

# The benchfsm plugin: only weft/plugin.h, no library to link (Docs/plugin-authoring.md §1).
mkdir -p "$OUT/plugins"
gcc -std=c99 -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -Wl,-z,defs \
    -I "$HERE/../../include" "$HERE/fsm.c" -o "$OUT/plugins/libbenchfsm.so"
if [ "$PLUGIN_ONLY" -eq 1 ]; then
    echo "built $OUT/plugins/libbenchfsm.so" >&2
    exit 0
fi

gcc -O2 -std=c11 "$HERE/floor.c" "$HERE/spin.c" -o "$OUT/floor" -lpthread

if ! command -v g++ >/dev/null 2>&1; then
    echo "build.sh: g++ not found: tbb_flow not built (apt-get install g++); floor and the plugin were built" >&2
    exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# oneTBB present? (headers and -ltbb; cheap: version.h only)
printf '#include <oneapi/tbb/version.h>\nint main() { return TBB_runtime_interface_version() > 0 ? 0 : 1; }\n' >"$TMP/probe.cpp"
if ! g++ "$TMP/probe.cpp" -o "$TMP/probe" -ltbb >"$TMP/probe.log" 2>&1; then
    echo "build.sh: oneTBB not found (<oneapi/tbb/version.h> or -ltbb): tbb_flow not built (apt-get install libtbb-dev); floor and the plugin were built" >&2
    sed 's/^/  /' "$TMP/probe.log" >&2
    exit 1
fi

# spin.c as C (g++ would compile a .c file as C++ and mangle spin's name).
gcc -O2 -std=c11 -c "$HERE/spin.c" -o "$TMP/spin.o"
g++ -O2 -std=c++17 "$HERE/tbb_flow.cpp" "$TMP/spin.o" -o "$OUT/tbb_flow" -ltbb -lpthread

echo "built $OUT/floor, $OUT/plugins/libbenchfsm.so and $OUT/tbb_flow" >&2
