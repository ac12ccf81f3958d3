#!/usr/bin/env bash
# Builds the shipped plugins with a plain C compiler, outside SwiftPM:
#
#     bash plugins/build-cc.sh OUTDIR
#
# produces OUTDIR/libweft_std.so, OUTDIR/libweft_io.so, OUTDIR/libweft_time.so,
# OUTDIR/libweft_proc.so.
# Each plugin is compiled as strict C99 against include/weft/plugin.h only
# and linked with -z defs against libc alone, which proves the ABI header is
# self-sufficient. Set CC to use another compiler (default: cc). Works from
# any current directory.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "usage: bash plugins/build-cc.sh OUTDIR" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
cc="${CC:-cc}"

cd "$root"
shopt -s nullglob
for plugin in std io time proc; do
    files=(plugins/"$plugin"/*.c)
    if [ "${#files[@]}" -eq 0 ]; then
        echo "build-cc.sh: no sources in plugins/$plugin" >&2
        exit 1
    fi
    # -D_POSIX_C_SOURCE: clock_gettime, nanosleep, open/read/write under -std=c99.
    # No -lm: the plugins need only libc.
    echo "building $out/libweft_$plugin.so"
    "$cc" -std=c99 -O2 -Wall -Wextra -Werror -pedantic -shared -fPIC \
        -fvisibility=hidden -Wl,-z,defs -D_POSIX_C_SOURCE=200809L \
        -I include "${files[@]}" -o "$out/libweft_$plugin.so"
done
