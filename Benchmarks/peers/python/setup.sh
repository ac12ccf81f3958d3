#!/usr/bin/env bash
# Create (or reuse) the virtualenv for the Python peers.
#
#   bash Benchmarks/peers/python/setup.sh VENV_DIR
#
# Creates VENV_DIR with `python3 -m venv` and installs requirements.txt into
# it. Idempotent: a copy of requirements.txt is kept in the venv after a
# successful install, and a later call with the same requirements does
# nothing. Exits non-zero with a message on failure.
set -euo pipefail

fail() { echo "setup.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $0 VENV_DIR" >&2; exit 2; }
venv=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
req="$here/requirements.txt"
stamp="$venv/weft-peers-requirements.txt"

[ -f "$req" ] || fail "missing $req"
command -v python3 >/dev/null || fail "python3 not found on PATH"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
    echo "setup.sh: $venv already has $(paste -sd ' ' "$req")" >&2
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" \
        || fail "could not create a virtualenv at $venv (is python3-venv installed?)"
fi

rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" \
    || fail "pip could not install $req into $venv"
"$venv/bin/python" -c 'import dask, pocketflow, fast_dag' \
    || fail "packages installed but cannot be imported in $venv"
cp "$req" "$stamp"
echo "setup.sh: installed $(paste -sd ' ' "$req") into $venv" >&2
