#!/usr/bin/env bash
# Builds the three example plugins (C, C++, Rust) into OUTDIR:
#
#   bash examples/plugins/build.sh OUTDIR
#
# Produces OUTDIR/libexample_c.so, libexample_cpp.so, libexample_rust.so.
# Works from any directory. Tools: cc, c++, rustc (found on PATH or in
# $HOME/.cargo/bin; no cargo, no crates).
#
# Exit status: 0 all built; 1 a build failed; 2 usage; 3 C and C++ built but
# rustc was not found (so tests can skip the Rust plugin explicitly).
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: bash $0 OUTDIR" >&2
    exit 2
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

echo "building $out/libexample_cpp.so"
"${CXX:-c++}" -std=c++17 "${common[@]}" -Wl,--version-script="$exports" \
    "$here/cpp/example_cpp.cpp" -o "$out/libexample_cpp.so"

rustc_bin="$(command -v rustc || true)"
if [ -z "$rustc_bin" ] && [ -x "${HOME:-}/.cargo/bin/rustc" ]; then
    rustc_bin="$HOME/.cargo/bin/rustc"
fi
if [ -z "$rustc_bin" ]; then
    echo "rustc not found (on PATH or in \$HOME/.cargo/bin): skipping the Rust example" >&2
    exit 3
fi

# A cdylib exports only its #[no_mangle] items: no version script needed.
echo "building $out/libexample_rust.so"
"$rustc_bin" --edition 2021 --crate-type cdylib -C opt-level=2 -C strip=debuginfo \
    -D warnings \
    -o "$out/libexample_rust.so" "$here/rust/example_rust.rs"
