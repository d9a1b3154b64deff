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
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
    cp tests/peers/requirements.txt "$venv/.requirements"
fi
export TAKWIRE_PEER_PYTHON="$venv/bin/python"
export TAKWIRE_REQUIRE_PEERS=1

echo "== cargo test"
cargo test --all-targets "$@"
cargo test --doc "$@"
