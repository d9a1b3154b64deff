#!/usr/bin/env bash
# Codec rates per core, takwire (benches/codec.rs) against PyTAK (bench/pytak_codec.py: the
# xml.etree and takproto calls PyTAK makes), on the same corpora, in one run; prints both
# tables and the takwire/PyTAK ratio of events per second.
#
#   bash bench/codec.sh [SECONDS]    # seconds per measurement (default 1)
#
# Both run on one thread, one after the other. PyTAK from PyPI in a virtualenv
# (tests/peers/requirements.txt; TAKWIRE_VENV to reuse one).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-1}"
out="bench/out"
mkdir -p "$out"
venv="${TAKWIRE_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi
echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== takwire (cargo bench --bench codec)"
cargo bench --quiet --bench codec -- "$SECS" | tee "$out/codec_takwire.txt"
echo "== PyTAK $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pytak"), "/ takproto", m.version("takproto"))') ($("$venv/bin/python" --version))"
"$venv/bin/python" bench/pytak_codec.py "$SECS" | tee "$out/codec_pytak.txt"
echo
echo "== takwire / PyTAK, events per second per core"
awk 'FNR == 1 { file++; next }
     file == 1 { tw[$1 " " $2] = $3; order[++n] = $1 " " $2 }
     file == 2 { py[$1 " " $2] = $3 }
     END {
         printf "%-10s %-14s %12s %12s %9s\n", "corpus", "operation", "takwire", "PyTAK", "ratio"
         for (i = 1; i <= n; i++) {
             k = order[i]; split(k, p, " ")
             if (k in py && py[k] > 0)
                 printf "%-10s %-14s %12.0f %12.0f %8.1fx\n", p[1], p[2], tw[k], py[k], tw[k] / py[k]
         }
     }' "$out/codec_takwire.txt" "$out/codec_pytak.txt"
