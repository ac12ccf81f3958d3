#!/usr/bin/env bash
# Installs Weft under a prefix: the CLI, libweft (the C embedding API), the
# headers, the shipped plugins and a pkg-config file, so that
#
#     cc host.c $(PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs weft)
#
# builds a host that runs without any environment variable.
#
# Usage: scripts/install.sh [--debug] [--no-build] [--build-dir DIR] [--strip] PREFIX
#   --debug        build and install the debug configuration (default: release)
#   --strip        strip debug info from libweft (valgrind 3.19 cannot read
#                  the DWARF 5 that swiftc writes)
#   --no-build     do not run `swift build`; install what DIR already holds
#   --build-dir D  the SwiftPM products folder (default: .build/release or .build/debug)
#
# Layout:
#   PREFIX/bin/weft
#   PREFIX/include/weft/{weft.h,weft.hpp,plugin.h,plugin.hpp}
#   PREFIX/lib/libweft.so.0 (SONAME) and libweft.so -> libweft.so.0
#   PREFIX/lib/weft/plugins/libweft_{std,io,time,proc}.so
#   PREFIX/lib/pkgconfig/weft.pc
set -euo pipefail

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

config=release build=1 dir="" prefix="" strip=0
while [ $# -gt 0 ]; do
    case "$1" in
        --debug) config=debug ;;
        --no-build) build=0 ;;
        --strip) strip=1 ;;
        --build-dir) shift; dir="${1:?--build-dir needs a folder}" ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "install.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        *) [ -z "$prefix" ] || { echo "install.sh: give one PREFIX (got '$prefix' and '$1')" >&2; exit 2; }
           prefix="$1" ;;
    esac
    shift
done
[ -n "$prefix" ] || { echo "install.sh: give the install PREFIX, e.g. scripts/install.sh \$HOME/.local" >&2; exit 2; }

root="$(cd "$(dirname "$0")/.." && pwd)"
[ -n "$dir" ] || dir="$root/.build/$config"
if [ "$build" = 1 ]; then
    (cd "$root" && swift build -c "$config")
fi
for f in weft libweft_embed.so; do
    [ -f "$dir/$f" ] || { echo "install.sh: $dir/$f is missing; build first (swift build -c $config) or drop --no-build" >&2; exit 1; }
done

mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
install -d "$prefix/bin" "$prefix/include/weft" "$prefix/lib/weft/plugins" "$prefix/lib/pkgconfig"
install -m 755 "$dir/weft" "$prefix/bin/weft"
install -m 644 "$root"/include/weft/*.h "$root"/include/weft/*.hpp "$prefix/include/weft/"
install -m 755 "$dir/libweft_embed.so" "$prefix/lib/libweft.so.0"
ln -sf libweft.so.0 "$prefix/lib/libweft.so"
if [ "$strip" = 1 ]; then strip --strip-debug "$prefix/lib/libweft.so.0"; fi
# The shipped plugins are rebuilt with plain cc: SwiftPM links every .so with
# swiftc, which adds a libswiftCore dependency a C plugin has no use for (and
# a second Swift runtime in a C host beside libweft's static one).
plugtmp="$(mktemp -d)"
trap 'rm -rf "$plugtmp"' EXIT
CFLAGS_EXTRA="" bash "$root/plugins/build-cc.sh" "$plugtmp" >/dev/null
for p in std io time proc; do install -m 755 "$plugtmp/libweft_$p.so" "$prefix/lib/weft/plugins/"; done

version="$("$dir/weft" --version 2>/dev/null | head -1 | awk '{print $2}')"
cat > "$prefix/lib/pkgconfig/weft.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include
plugindir=\${libdir}/weft/plugins

Name: weft
Description: Weft plugin node host — the C embedding API (libweft)
URL: https://github.com/weft/weft
Version: ${version:-0.0.0}
Cflags: -I\${includedir}
Libs: -L\${libdir} -lweft -Wl,-rpath,\${libdir}
PC
echo "installed Weft ${version} into $prefix"
echo "build a host with: cc host.c \$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs weft)"
