#!/usr/bin/env bash
# Builds the three example plugins (C, C++, Rust) into OUTDIR:
#
#   bash examples/plugins/build.sh OUTDIR
#   bash examples/plugins/build.sh --check-rust   # only: is a usable rustc there?
#
# Produces OUTDIR/libexample_c.so, libexample_agent.so (the states of
# examples/agent-flow.json), libexample_hooks.so (examples/hooks.json),
# libexample_watch.so (an observer: examples/observed.json), libexample_cpp.so, libexample_rust.so.
# Works from any directory. Tools: cc, c++, rustc 1.82 or newer (found on
# PATH or in $HOME/.cargo/bin; no cargo, no crates). On Debian 12 that is the
# package rustc-web; the package rustc (1.63) is too old for
# #[unsafe(no_mangle)] and c"" literals.
#
# Exit status: 0 all built; 1 a build failed; 2 usage; 3 C and C++ built but
# no rustc 1.82 or newer was found (so tests can skip the Rust plugin
# explicitly). With --check-rust: 0 a usable rustc is there, 3 not.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: bash $0 OUTDIR | --check-rust" >&2
    exit 2
fi

# The rustc to use, or empty with the reason on stderr.
find_rustc() {
    local bin ver major minor
    bin="$(command -v rustc || true)"
    if [ -z "$bin" ] && [ -x "${HOME:-}/.cargo/bin/rustc" ]; then
        bin="$HOME/.cargo/bin/rustc"
    fi
    if [ -z "$bin" ]; then
        echo "rustc not found (on PATH or in \$HOME/.cargo/bin): skipping the Rust example" >&2
        return
    fi
    ver="$("$bin" --version 2>/dev/null | awk '{print $2}')"
    major="${ver%%.*}"; minor="${ver#*.}"; minor="${minor%%.*}"
    case "$major/$minor" in ([0-9]*/[0-9]*) ;; (*) major=0 minor=0 ;; esac  # unreadable: too old
    if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 82 ]; }; then
        echo "$bin is rustc ${ver:-of unknown version}; the Rust example needs 1.82 or newer (Debian 12: rustc-web): skipping it" >&2
        return
    fi
    echo "$bin"
}

if [ "$1" = "--check-rust" ]; then
    [ -n "$(find_rustc)" ] && exit 0 || exit 3
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

# Only weft_plugin_entry is exported: -fvisibility=hidden for our code, the
# version script for libstdc++ template instantiations.
exports="$here/exports.map"
common=(-O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -Wl,-z,defs
        -I "$root/include")

echo "building $out/libexample_c.so"
"${CC:-cc}" -std=c99 "${common[@]}" \
    "$here/c/example_c.c" -o "$out/libexample_c.so"

echo "building $out/libexample_agent.so"
"${CC:-cc}" -std=c99 "${common[@]}" \
    "$here/agent/agent.c" -o "$out/libexample_agent.so"

echo "building $out/libexample_hooks.so"
"${CC:-cc}" -std=c99 "${common[@]}" \
    "$here/hooks/hooks.c" -o "$out/libexample_hooks.so" -lm

echo "building $out/libexample_watch.so"
"${CC:-cc}" -std=c99 "${common[@]}" \
    "$here/watch/watch.c" -o "$out/libexample_watch.so"

echo "building $out/libexample_cpp.so"
"${CXX:-c++}" -std=c++17 "${common[@]}" -Wl,--version-script="$exports" \
    "$here/cpp/example_cpp.cpp" -o "$out/libexample_cpp.so"

rustc_bin="$(find_rustc)"
if [ -z "$rustc_bin" ]; then
    exit 3
fi

# A cdylib exports only its #[no_mangle] items: no version script needed.
echo "building $out/libexample_rust.so"
"$rustc_bin" --edition 2021 --crate-type cdylib -C opt-level=2 -C strip=debuginfo \
    -D warnings \
    -o "$out/libexample_rust.so" "$here/rust/example_rust.rs"
