#!/bin/sh
# Builds the benchmark peers into the folder given as $1:
#   $1/floor     the C floor   (gcc -O2 -std=c11 floor.c spin.c -lpthread)
#   $1/tbb_flow  oneTBB flow graph (g++ -O2 -std=c++17 tbb_flow.cpp + spin.c
#                compiled as C, -ltbb -lpthread)
# Exits non-zero with a message if a compiler or oneTBB is missing (the floor
# is still built when only g++ or TBB is missing) or if a build fails.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUTPUT_DIR" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

if ! command -v gcc >/dev/null 2>&1; then
    echo "build.sh: gcc not found: needed for floor and for spin.c (apt-get install gcc)" >&2
    exit 1
fi

gcc -O2 -std=c11 "$HERE/floor.c" "$HERE/spin.c" -o "$OUT/floor" -lpthread

if ! command -v g++ >/dev/null 2>&1; then
    echo "build.sh: g++ not found: tbb_flow not built (apt-get install g++); floor was built" >&2
    exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# oneTBB present? (headers and -ltbb; cheap: version.h only)
printf '#include <oneapi/tbb/version.h>\nint main() { return TBB_runtime_interface_version() > 0 ? 0 : 1; }\n' >"$TMP/probe.cpp"
if ! g++ "$TMP/probe.cpp" -o "$TMP/probe" -ltbb >"$TMP/probe.log" 2>&1; then
    echo "build.sh: oneTBB not found (<oneapi/tbb/version.h> or -ltbb): tbb_flow not built (apt-get install libtbb-dev); floor was built" >&2
    sed 's/^/  /' "$TMP/probe.log" >&2
    exit 1
fi

# spin.c as C (g++ would compile a .c file as C++ and mangle spin's name).
gcc -O2 -std=c11 -c "$HERE/spin.c" -o "$TMP/spin.o"
g++ -O2 -std=c++17 "$HERE/tbb_flow.cpp" "$TMP/spin.o" -o "$OUT/tbb_flow" -ltbb -lpthread

echo "built $OUT/floor and $OUT/tbb_flow" >&2
