#!/usr/bin/env bash
# Codec rates per core, takwire (benches/codec.rs) against PyTAK (bench/pytak_codec.py: the
# xml.etree, takproto and pytak calls PyTAK makes), on the same corpora, in one run; prints
# the best figure of each side and the takwire/PyTAK ratio of events per second.
#
#   bash bench/codec.sh [SECONDS] [ROUNDS]   # seconds per measurement (default 1), rounds (3)
#
# Both run on one thread. The two sides take turns, ROUNDS times each, and each row keeps
# its best round: on a shared machine a round can lose a fifth of its speed to neighbours,
# and the best round is the one least disturbed, for both sides alike. PyTAK from PyPI in a
# virtualenv (tests/peers/requirements.txt; TAKWIRE_VENV to reuse one).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-1}"
ROUNDS="${2:-3}"
out="bench/out"
mkdir -p "$out"
venv="${TAKWIRE_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi
echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "takwire: cargo bench --bench codec; PyTAK $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pytak"), "/ takproto", m.version("takproto"))') ($("$venv/bin/python" --version))"
cargo bench --quiet --bench codec --no-run
: > "$out/codec_takwire.txt"
: > "$out/codec_pytak.txt"
for round in $(seq "$ROUNDS"); do
    echo "round $round of $ROUNDS"
    cargo bench --quiet --bench codec -- "$SECS" | tail -n +2 >> "$out/codec_takwire.txt"
    "$venv/bin/python" bench/pytak_codec.py "$SECS" | tail -n +2 >> "$out/codec_pytak.txt"
done
echo
echo "== events per second per core (best of $ROUNDS rounds), takwire / PyTAK"
awk '{ k = $1 " " $2 }
     FILENAME ~ /takwire/ { if (!(k in tw)) order[++n] = k; if ($3 > tw[k]) tw[k] = $3 }
     FILENAME ~ /pytak/ { if ($3 > py[k]) py[k] = $3 }
     END {
         printf "%-10s %-14s %12s %12s %9s\n", "corpus", "operation", "takwire", "PyTAK", "ratio"
         for (i = 1; i <= n; i++) {
             k = order[i]; split(k, p, " ")
             if (k in py && py[k] > 0)
                 printf "%-10s %-14s %12.0f %12.0f %8.1fx\n", p[1], p[2], tw[k], py[k], tw[k] / py[k]
         }
     }' "$out/codec_takwire.txt" "$out/codec_pytak.txt"
