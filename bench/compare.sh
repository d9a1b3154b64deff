#!/usr/bin/env bash
# End-to-end comparison of takwire and PyTAK on loopback, in one run on one machine.
#
#   bash bench/compare.sh [EVENTS]        # default 50000 events per run
#
# For each transport, a sender process sends EVENTS position reports to a receiver process and
# the receiver's output is counted as it arrives:
#   tcp: sender -> cot_relay (a byte-copying router, examples/cot_relay.rs) -> receiver
#   udp: sender -> receiver (unicast on 127.0.0.1; UDP may drop under load: the loss is shown)
# The same files, relay and counter serve both tools, so neither is favoured. Reported: events/s
# (from the sender's start to the last event counted), peak RSS of sender and receiver, and the
# takwire/PyTAK ratios. PyTAK comes from PyPI in a virtualenv (as tests/all.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50000}"
out="bench/out"
mkdir -p "$out"

venv="${TAKWIRE_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi
PY="$venv/bin/python"

cargo build --quiet --release --bin takwire --example cot_relay
TW="$PWD/target/release/takwire"
RELAY="$PWD/target/release/examples/cot_relay"

events="$out/events.xml"
"$PY" - "$N" > "$events" <<'EOF'
import datetime, sys
n = int(sys.argv[1])
now = datetime.datetime.now(datetime.timezone.utc)
t = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
s = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
for i in range(n):
    print(f'<event version="2.0" uid="bench-{i}" type="a-f-G-U-C" how="m-g" time="{t}" start="{t}" stale="{s}">'
          f'<point lat="{59 + i % 1000 / 1e4:.4f}" lon="10.75" hae="12.0" ce="5.0" le="9999999.0"/>'
          f'<detail><contact callsign="UNIT-{i}"/><__group name="Cyan" role="Team Member"/>'
          f'<track course="90.0" speed="1.5"/></detail></event>')
EOF

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_timed VAR RSS_FILE STDIN STDOUT CMD...: starts CMD under /usr/bin/time (peak RSS in KB
# goes to RSS_FILE) with the given stdin and stdout, and sets VAR to CMD's own PID.
start_timed() {
    local var="$1" rss="$2" in="$3" outf="$4"; shift 4
    /usr/bin/time -f %M -o "$rss" "$@" < "$in" > "$outf" 2>/dev/null &
    local tpid=$! pid=""
    for _ in $(seq 100); do pid=$(pgrep -P "$tpid" || true); [ -n "$pid" ] && break; sleep 0.05; done
    printf -v "$var" '%s' "${pid:-$tpid}"
}
now() { date +%s.%N; }
mb() { awk -v k="$(cat "$1" 2>/dev/null | tail -1)" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k/1024; else print "?" }'; }

declare -A RATE RSS_TX RSS_RX RECV
# PyTAK's queues drop their oldest events when full (MAX_OUT_QUEUE=100 by default), which a
# file fed as fast as it can be read overflows at once; both tools get queues that hold the
# whole run, so this measures throughput rather than queue policy.
export MAX_OUT_QUEUE=$((N + 1000)) MAX_IN_QUEUE=$((N + 1000))

# run TRANSPORT TOOL
run() {
    local transport="$1" tool="$2" port relay_pid="" rx_cmd tx_cmd
    port=$(free_port)
    local url="tcp://127.0.0.1:$port"
    if [ "$transport" = tcp ]; then
        "$RELAY" "$port" 2>/dev/null & relay_pid=$!
        for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
        rx_url="$url"; tx_url="$url"
    else
        rx_url="udp+ro://127.0.0.1:$port"; tx_url="udp+wo://127.0.0.1:$port"
    fi
    # Both senders read the events from a pipe (PyTAK's stdin reader takes only pipes).
    local txin="$out/tx.fifo"; rm -f "$txin"; mkfifo "$txin"
    if [ "$tool" = takwire ]; then
        rx_cmd=("$TW" --rx-only "$rx_url"); tx_cmd=("$TW" --tx-only --no-hello "$tx_url")
    else
        rx_cmd=("$PY" -m pytak --rx-only "$rx_url"); tx_cmd=("$PY" -m pytak --tx-only "$tx_url")
    fi
    local fifo="$out/rx.fifo"; rm -f "$fifo"; mkfifo "$fifo"
    # UDP may lose events: stop counting after 3 s of silence (TCP: 20 s, a bound only).
    local idle=20; [ "$transport" = udp ] && idle=3
    "$PY" bench/count_events.py "$N" $idle < "$fifo" > "$out/count.txt" & local counter=$!
    local rx_pid tx_pid
    start_timed rx_pid "$out/rss_rx.txt" /dev/null "$fifo" "${rx_cmd[@]}"
    sleep 2   # let the receiver connect and bind
    local t0; t0=$(now)
    cat "$events" > "$txin" &   # first: opening the FIFO waits for both ends
    start_timed tx_pid "$out/rss_tx.txt" "$txin" /dev/null "${tx_cmd[@]}"
    # Bounded wait for the counter.
    for _ in $(seq 1200); do kill -0 "$counter" 2>/dev/null || break; sleep 0.25; done
    kill "$counter" 2>/dev/null || true
    read -r count _first last < "$out/count.txt" || { count=0; last=$t0; }
    kill -TERM "$tx_pid" "$rx_pid" 2>/dev/null || true
    wait "$tx_pid" "$rx_pid" 2>/dev/null || true
    sleep 0.5
    [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    local key="$transport/$tool"
    RECV[$key]="$count"
    RATE[$key]=$(awk -v n="$count" -v a="$t0" -v b="$last" 'BEGIN { d=b-a; if (d<=0 || n==0) print 0; else printf "%.0f", n/d }')
    RSS_TX[$key]=$(mb "$out/rss_tx.txt"); RSS_RX[$key]=$(mb "$out/rss_rx.txt")
    printf '%-4s %-8s received %7s of %s  %9s events/s  sender %6s MB  receiver %6s MB\n' \
        "$transport" "$tool" "$count" "$N" "${RATE[$key]}" "${RSS_TX[$key]}" "${RSS_RX[$key]}"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "takwire $("$TW" --version | awk '{print $2}'), pytak $("$PY" -c 'import pytak,importlib.metadata as m; print(m.version("pytak"))')"
for t in tcp udp; do
    run "$t" takwire
    run "$t" pytak
done
echo
echo "ratios takwire/PyTAK (higher events/s is better, lower RSS is better):"
for t in tcp udp; do
    awk -v t="$t" -v a="${RATE[$t/takwire]}" -v b="${RATE[$t/pytak]}" \
        -v ra="${RSS_RX[$t/takwire]}" -v rb="${RSS_RX[$t/pytak]}" \
        -v sa="${RSS_TX[$t/takwire]}" -v sb="${RSS_TX[$t/pytak]}" 'BEGIN {
        printf "%-4s events/s x%.1f   receiver RSS %.2f of PyTAK   sender RSS %.2f of PyTAK\n",
            t, (b > 0 ? a / b : 0), (rb > 0 ? ra / rb : 0), (sb > 0 ? sa / sb : 0) }'
done
