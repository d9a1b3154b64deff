#!/usr/bin/env bash
# End-to-end comparison of takwire and PyTAK on loopback, in one run on one machine.
#
#   bash bench/compare.sh [EVENTS]      # default 50000 events per throughput run
#   LAT_RATE=1000 LAT_SECS=5 bash bench/compare.sh
#
# For each transport (tcp, udp) and format (xml: TAK_PROTO=0, proto: TAK_PROTO=1), a sender
# process sends position reports to a receiver process, whose output (CoT XML, one event per
# line) is counted as it arrives:
#   tcp: sender -> cot_relay (a byte-copying router, examples/cot_relay.rs) -> receiver
#   udp: sender -> receiver (unicast on 127.0.0.1; UDP may drop under load: the loss is shown)
# The same files, relay and counters serve both tools, so neither is favoured.
#
# Throughput: EVENTS events as fast as the sender takes them from a pipe. Reported: events/s
# (from the first to the last event received), peak RSS of sender and receiver (/usr/bin/time),
# the receiver's peak private memory (RssAnon, sampled),
# CPU seconds of both (user + system), and the takwire/PyTAK ratios.
# Latency: LAT_RATE events/s for LAT_SECS seconds, starting 2 s after the sender (so start-up
# is not counted); bench/paced_events.py stamps each event's uid with the time it was written
# to the sender; median and 99th percentile of the time until the receiver printed it
# (bench/latency.py).
#
# Both tools run their own command: `takwire` and `python -m pytak`. Exceptions, both PyTAK's:
# - The `pytak` command sends a hello event first unless PYTAK_NO_HELLO=1, which it gets
#   (takwire: --no-hello), so both send exactly the events of the run.
# - Both tools' queues drop their oldest events when full (MAX_OUT_QUEUE=100 and
#   MAX_IN_QUEUE=500 by default), which a burst as fast as a pipe can be read overflows, so
#   both receivers get MAX_IN_QUEUE=EVENTS+1000 (neither reserves memory for it: asyncio
#   queues and takwire's receive queue grow with what they hold). PyTAK's sender gets
#   MAX_OUT_QUEUE=EVENTS+1000 too; takwire's keeps its default, as its command waits for room
#   in the queue rather than dropping what it reads.
# - With TAK_PROTO=1, `python -m pytak` cannot print what it receives (pytak 7.6.1 hands
#   takproto messages to a printer for bytes), and over TCP it splits the stream on </event>,
#   so it never finds a frame. The PyTAK receiver for proto is bench/pytak_rx.py: pytak's
#   CLITool and RXWorker, with a stream-frame reader for TCP, printing XML as pytak converts it.
# - TAK_PROTO=1 over TCP: takwire negotiates TAK protocol v1 as with TAK Server (the relay runs
#   with --takp to offer and accept it); PyTAK sends stream frames without negotiating.
# PyTAK comes from PyPI in a virtualenv (tests/peers/requirements.txt; TAKWIRE_VENV to reuse one).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50000}"
LAT_RATE="${LAT_RATE:-1000}"
LAT_SECS="${LAT_SECS:-5}"
TRANSPORTS="${TRANSPORTS:-tcp udp}"
FORMATS="${FORMATS:-xml proto}"
out="bench/out"
mkdir -p "$out"

venv="${TAKWIRE_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi
PY="$venv/bin/python"

[ -n "${NO_BUILD:-}" ] || cargo build --quiet --release --bin takwire --example cot_relay
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
# start_timed VAR STATS_FILE STDIN STDOUT CMD...: starts CMD under /usr/bin/time (peak RSS in KB
# and CPU seconds go to STATS_FILE) with the given stdin and stdout; sets VAR to CMD's own PID.
start_timed() {
    local var="$1" stats="$2" in="$3" outf="$4"; shift 4
    /usr/bin/time -f '%M %U %S' -o "$stats" "$@" < "$in" > "$outf" 2>/dev/null &
    local tpid=$! pid=""
    for _ in $(seq 100); do pid=$(pgrep -P "$tpid" || true); [ -n "$pid" ] && break; sleep 0.05; done
    printf -v "$var" '%s' "${pid:-$tpid}"
}
# Peak RSS in MB and CPU seconds from a stats file ("?" when the process did not report).
rss_mb() { awk '$1 ~ /^[0-9]+$/ { v = sprintf("%.1f", $1 / 1024) } END { print (v == "" ? "?" : v) }' "$1" 2>/dev/null || echo "?"; }
cpu_s() { awk '$1 ~ /^[0-9]+$/ { v = sprintf("%.2f", $2 + $3) } END { print (v == "" ? "?" : v) }' "$1" 2>/dev/null || echo "?"; }

# peak_private PID FILE: samples the private memory of PID (RssAnon: heap, stacks, written
# data; not the pages of the program and its libraries, which are shared and can be read
# again from disk) every 50 ms until it exits, and keeps the highest figure in FILE (KB).
peak_private() {
    local pid="$1" file="$2" max=0 k v
    echo "?" > "$file"
    while [ -e "/proc/$pid/status" ]; do
        while read -r k v _; do
            if [ "$k" = RssAnon: ] && [ "$v" -gt "$max" ]; then max="$v"; echo "$max" > "$file"; fi
        done < "/proc/$pid/status" 2>/dev/null || true
        sleep 0.05
    done
}
kb_mb() { awk '$1 ~ /^[0-9]+$/ { v = sprintf("%.1f", $1 / 1024) } END { print (v == "" ? "?" : v) }' "$1" 2>/dev/null || echo "?"; }

declare -A RATE RSS_TX RSS_RX PRIV_RX CPU RECV LAT_MED LAT_P99 LAT_N

# run MODE TRANSPORT FORMAT TOOL   (MODE: rate or latency)
run() {
    local mode="$1" transport="$2" fmt="$3" tool="$4" port relay_pid="" rx_cmd tx_cmd rx_url tx_url
    port=$(free_port)
    local proto=0; [ "$fmt" = proto ] && proto=1
    if [ "$transport" = tcp ]; then
        local takp=(); [ "$tool" = takwire ] && [ "$fmt" = proto ] && takp=(--takp)
        "$RELAY" "$port" "${takp[@]}" 2>/dev/null & relay_pid=$!
        for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
        rx_url="tcp://127.0.0.1:$port"; tx_url="tcp://127.0.0.1:$port"
    else
        rx_url="udp+ro://127.0.0.1:$port"; tx_url="udp+wo://127.0.0.1:$port"
    fi
    if [ "$tool" = takwire ]; then
        rx_cmd=(env MAX_IN_QUEUE=$((N + 1000)) TAK_PROTO=$proto "$TW" --rx-only "$rx_url")
        tx_cmd=(env TAK_PROTO=$proto "$TW" --tx-only --no-hello "$tx_url")
    else
        local q="MAX_OUT_QUEUE=$((N + 1000)) MAX_IN_QUEUE=$((N + 1000)) PYTAK_NO_HELLO=1"
        if [ "$fmt" = proto ]; then
            rx_cmd=(env $q TAK_PROTO=1 "$PY" bench/pytak_rx.py "$rx_url")
        else
            rx_cmd=(env $q TAK_PROTO=0 "$PY" -m pytak --rx-only "$rx_url")
        fi
        tx_cmd=(env $q TAK_PROTO=$proto "$PY" -m pytak --tx-only "$tx_url")
    fi
    # Both senders read the events from a pipe (PyTAK's stdin reader takes only pipes).
    local txin="$out/tx.fifo" fifo="$out/rx.fifo"
    rm -f "$txin" "$fifo"; mkfifo "$txin" "$fifo"
    # UDP may lose events: stop counting after 3 s of silence (TCP: 20 s, a bound only).
    local idle=20; [ "$transport" = udp ] && idle=3
    local counter want="$N"
    if [ "$mode" = rate ]; then
        "$PY" bench/count_events.py "$N" $idle < "$fifo" > "$out/count.txt" & counter=$!
    else
        want=$(awk -v r="$LAT_RATE" -v s="$LAT_SECS" 'BEGIN { printf "%d", r * s }')
        "$PY" bench/latency.py "$want" 10 < "$fifo" > "$out/latency.txt" & counter=$!
    fi
    local rx_pid tx_pid
    start_timed rx_pid "$out/stats_rx.txt" /dev/null "$fifo" "${rx_cmd[@]}"
    peak_private "$rx_pid" "$out/private_rx.txt" & local sampler=$!
    sleep 2   # let the receiver connect and bind
    if [ "$mode" = rate ]; then
        cat "$events" > "$txin" &   # first: opening the FIFO waits for both ends
    else
        "$PY" bench/paced_events.py "$LAT_RATE" "$LAT_SECS" 2 > "$txin" &
    fi
    start_timed tx_pid "$out/stats_tx.txt" "$txin" /dev/null "${tx_cmd[@]}"
    # Bounded wait for the counter (5 minutes).
    for _ in $(seq 1200); do kill -0 "$counter" 2>/dev/null || break; sleep 0.25; done
    kill "$counter" 2>/dev/null || true
    # The sender ends at the end of its input; the receiver is stopped.
    for _ in $(seq 40); do kill -0 "$tx_pid" 2>/dev/null || break; sleep 0.25; done
    kill -TERM "$tx_pid" "$rx_pid" 2>/dev/null || true
    wait "$tx_pid" "$rx_pid" "$sampler" 2>/dev/null || true
    sleep 0.5
    [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    local key="$transport/$fmt/$tool"
    if [ "$mode" = rate ]; then
        local count first last
        read -r count first last < "$out/count.txt" || { count=0; first=0; last=0; }
        RECV[$key]="$count"
        RATE[$key]=$(awk -v n="$count" -v a="$first" -v b="$last" 'BEGIN { d = b - a; if (d <= 0 || n < 2) print 0; else printf "%.0f", (n - 1) / d }')
        RSS_TX[$key]=$(rss_mb "$out/stats_tx.txt"); RSS_RX[$key]=$(rss_mb "$out/stats_rx.txt")
        PRIV_RX[$key]=$(kb_mb "$out/private_rx.txt")
        CPU[$key]=$(awk -v a="$(cpu_s "$out/stats_tx.txt")" -v b="$(cpu_s "$out/stats_rx.txt")" 'BEGIN { printf "%.2f", a + b }')
        printf '%-4s %-5s %-8s received %7s of %s  %9s events/s  sender %6s MB  receiver %6s MB  CPU %6s s\n' \
            "$transport" "$fmt" "$tool" "$count" "$N" "${RATE[$key]}" "${RSS_TX[$key]}" "${RSS_RX[$key]}" "${CPU[$key]}"
    else
        local n med p99 max
        read -r n med p99 max < "$out/latency.txt" || { n=0; med=0; p99=0; max=0; }
        LAT_N[$key]="$n"; LAT_MED[$key]="$med"; LAT_P99[$key]="$p99"
        printf '%-4s %-5s %-8s latency at %s events/s: received %6s of %s  median %7s ms  p99 %7s ms  max %7s ms\n' \
            "$transport" "$fmt" "$tool" "$LAT_RATE" "$n" "$want" "$med" "$p99" "$max"
    fi
}

echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "takwire $("$TW" --version | awk '{print $2}'), pytak $("$PY" -c 'import importlib.metadata as m; print(m.version("pytak"))'), takproto $("$PY" -c 'import importlib.metadata as m; print(m.version("takproto"))'), $("$PY" --version)"
for t in $TRANSPORTS; do
    for f in $FORMATS; do
        run rate "$t" "$f" takwire
        run rate "$t" "$f" pytak
    done
done
for t in $TRANSPORTS; do
    for f in $FORMATS; do
        run latency "$t" "$f" takwire
        run latency "$t" "$f" pytak
    done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
echo "takwire / PyTAK (events/s: higher is better; RSS, CPU per event, latency: lower is better)"
printf '%-10s %12s %10s %8s %14s %14s %9s %13s %9s %9s %16s %16s\n' transport "takwire ev/s" "PyTAK ev/s" "x rate" \
    "RSS tx/rx tw" "RSS tx/rx py" "RSS rx %" "priv rx tw/py" "priv rx %" "CPU/ev %" "lat p50/p99 tw" "lat p50/p99 py"
for t in $TRANSPORTS; do
    for f in $FORMATS; do
        a="$t/$f/takwire" b="$t/$f/pytak"
        cpu_a=$(awk -v c="${CPU[$a]}" -v n="${RECV[$a]}" 'BEGIN { if (n > 0) printf "%.9f", c / n; else print "?" }')
        cpu_b=$(awk -v c="${CPU[$b]}" -v n="${RECV[$b]}" 'BEGIN { if (n > 0) printf "%.9f", c / n; else print "?" }')
        rss_pct=$(awk -v r="$(ratio "${RSS_RX[$a]}" "${RSS_RX[$b]}")" 'BEGIN { if (r == "-") print "-"; else printf "%.0f%%", 100 * r }')
        priv_pct=$(awk -v r="$(ratio "${PRIV_RX[$a]}" "${PRIV_RX[$b]}")" 'BEGIN { if (r == "-") print "-"; else printf "%.0f%%", 100 * r }')
        cpu_pct=$(awk -v a="$cpu_a" -v b="$cpu_b" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.1f%%", 100 * a / b; else print "-" }')
        printf '%-10s %12s %10s %8s %14s %14s %9s %13s %9s %9s %16s %16s\n' "$t/$f" "${RATE[$a]}" "${RATE[$b]}" \
            "x$(ratio "${RATE[$a]}" "${RATE[$b]}")" "${RSS_TX[$a]}/${RSS_RX[$a]}" "${RSS_TX[$b]}/${RSS_RX[$b]}" \
            "$rss_pct" "${PRIV_RX[$a]}/${PRIV_RX[$b]}" "$priv_pct" "$cpu_pct" "${LAT_MED[$a]}/${LAT_P99[$a]}" "${LAT_MED[$b]}/${LAT_P99[$b]}"
    done
done
echo "(RSS in MB; RSS rx %: takwire receiver's peak RSS as a share of PyTAK's; priv rx: the receivers'"
echo " peak private memory (RssAnon, sampled every 50 ms: RSS without the shared pages of the program"
echo " and its libraries), MB, and takwire's as a share of PyTAK's; CPU/ev %: CPU seconds per received"
echo " event of sender + receiver, takwire's as a share of PyTAK's; latency in ms)"
