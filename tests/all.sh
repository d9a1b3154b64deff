#!/usr/bin/env bash
# Runs every test: the Rust suite, with the independent Python peers (pytak, takproto, taky)
# installed in a virtualenv so that interop tests run instead of skipping.
#
#   bash tests/all.sh            # everything
#   bash tests/all.sh config     # extra arguments go to `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${TAKWIRE_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/peers/requirements.txt "$venv/.requirements"; then
    echo "== creating peer virtualenv in $venv"
    # Some distributions ship Python without the venv module: fall back to virtualenv.
    if ! python3 -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        python3 -m pip install --quiet --user virtualenv 2>/dev/null \
            || python3 -m pip install --quiet --user --break-system-packages virtualenv
        python3 -m virtualenv --quiet "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
    cp tests/peers/requirements.txt "$venv/.requirements"
fi
export TAKWIRE_PEER_PYTHON="$venv/bin/python"
export TAKWIRE_REQUIRE_PEERS=1

echo "== cargo test"
cargo test --all-targets "$@"
cargo test --doc "$@"
