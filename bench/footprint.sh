#!/usr/bin/env bash
# Footprint of takwire: binary sizes, idle memory and idle wakeups of a connected client, and
# the C code in the dependency tree.
#
#   bash bench/footprint.sh              # builds what it measures (several release builds)
#   IDLE_SECS=10 NO_BUILD=1 bash bench/footprint.sh   # measure binaries already built
#
# Sizes: the `takwire` command with default features and with the smallest feature set
# (`--no-default-features --features cli`: TCP, UDP, XML, the command; no TLS, protobuf,
# packages, Marti, enrollment, WebSocket), in the `release` profile (opt-level 3, fat LTO,
# 1 codegen unit, panic=abort, stripped) and the `min-size` profile (the same at opt-level "z");
# and a library-only program (examples/send_position.rs) with the smallest feature set.
#
# Idle: `takwire --rx-only tcp://...` and `takwire tcp://...` (stdin a pipe that stays open and
# silent) connected to a listener that accepts and never sends; after 2 s, VmRSS, then the
# context switches of all the process's threads over IDLE_SECS seconds (each is a wakeup:
# with no traffic and no timers configured, there should be none). PyTAK's are shown too.
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE_SECS="${IDLE_SECS:-10}"
out="bench/out"
mkdir -p "$out/bin"
PY="${TAKWIRE_VENV:-$PWD/.venv}/bin/python"
[ -x "$PY" ] || PY=python3

size_of() { stat -c %s "$1"; }
human() { awk -v b="$1" 'BEGIN { printf "%.2f MB (%d bytes)", b / 1048576, b }'; }

# build NAME PROFILE ARTIFACT CARGO_ARGS...: builds and keeps a copy as $out/bin/NAME.
build() {
    local name="$1" profile="$2" artifact="$3"; shift 3
    local dir=release; [ "$profile" = release ] || dir="$profile"
    if [ -z "${NO_BUILD:-}" ] || [ ! -f "$out/bin/$name" ]; then
        cargo build --quiet --profile "$profile" "$@"
        cp "target/$dir/$artifact" "$out/bin/$name"
    fi
    printf '%-44s %s\n' "$name" "$(human "$(size_of "$out/bin/$name")")"
}

echo "== binary sizes (stripped) on $(uname -m)"
build takwire-default-release release takwire --bin takwire
build takwire-default-min-size min-size takwire --bin takwire
build takwire-smallest-release release takwire --bin takwire --no-default-features --features cli
build takwire-smallest-min-size min-size takwire --bin takwire --no-default-features --features cli
build send_position-smallest-min-size min-size examples/send_position --example send_position --no-default-features

echo
echo "== crates that compile C (build-depend on cc, cmake or pkg-config), default features"
for tool in cc cmake pkg-config; do
    cargo tree -q -e normal,build -i "$tool" --depth 1 --prefix none 2>/dev/null \
        | awk -v t="$tool" 'NR > 1 && $0 !~ /^\[/ { print "  " $1 " " $2 " (" t ")" }' || true
done

echo
echo "== idle client connected over TCP (${IDLE_SECS} s)"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A listener that accepts and holds connections, silent.
"$PY" - "$port" <<'EOF' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
s.settimeout(120)
try:
    while True:
        held.append(s.accept()[0])
except OSError:
    pass
EOF
listener=$!
sleep 0.5
switches() {  # total context switches of all threads of PID
    cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'
}
idle() {
    local label="$1"; shift
    local fifo="$out/idle.fifo"; rm -f "$fifo"; mkfifo "$fifo"
    sleep $((IDLE_SECS + 30)) > "$fifo" &   # holds the pipe open, writes nothing
    local holder=$!
    "$@" < "$fifo" > /dev/null 2> "$out/idle.err" &
    local pid=$!
    sleep 2
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "  $label: exited early: $(head -c 300 "$out/idle.err")"
        kill "$holder" 2>/dev/null || true
        return
    fi
    local rss threads s0 s1
    rss=$(awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' /proc/"$pid"/status)
    threads=$(ls /proc/"$pid"/task | wc -l)
    s0=$(switches "$pid"); sleep "$IDLE_SECS"; s1=$(switches "$pid")
    printf '  %-44s RSS %9s  threads %2s  context switches in %s s: %s\n' "$label" "$rss" "$threads" "$IDLE_SECS" "$((s1 - s0))"
    kill -TERM "$pid" 2>/dev/null || true
    kill "$holder" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
for name in takwire-default-release takwire-smallest-min-size; do
    idle "$name --rx-only" "$out/bin/$name" --rx-only "tcp://127.0.0.1:$port"
    idle "$name (send and receive)" "$out/bin/$name" --no-hello "tcp://127.0.0.1:$port"
done
if "$PY" -c 'import pytak' 2>/dev/null; then
    idle "pytak --rx-only" "$PY" -m pytak --rx-only "tcp://127.0.0.1:$port"
    idle "pytak (send and receive)" "$PY" -m pytak "tcp://127.0.0.1:$port"
fi
kill "$listener" 2>/dev/null || true
wait 2>/dev/null || true
