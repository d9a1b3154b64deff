#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails if any of them finds a crash.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     # default 20 s each, every target
#
# Needs a nightly toolchain (rustup's `nightly`) and cargo-fuzz. Without nightly it says it
# skipped and exits 0, so CI can call it unconditionally. cargo-fuzz is installed when it is
# missing (set TAKWIRE_FUZZ_NO_INSTALL=1 to skip instead).
#
# Each target starts from its committed seeds (fuzz/seeds/TARGET, read only) and keeps what
# it learns in fuzz/corpus/TARGET (not committed). A crash leaves its input in
# fuzz/artifacts/TARGET/; once fixed, copy that file into fuzz/seeds/TARGET/ so that
# `cargo test --test fuzz_corpus` replays it on every run.
set -euo pipefail
cd "$(dirname "$0")"

secs="${1:-20}"
shift || true
case "$secs" in
    '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: SKIPPED (no nightly toolchain; install one with 'rustup toolchain install nightly')"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    if [ "${TAKWIRE_FUZZ_NO_INSTALL:-0}" = 1 ]; then
        echo "fuzz: SKIPPED (cargo-fuzz is not installed)"
        exit 0
    fi
    echo "fuzz: installing cargo-fuzz"
    cargo +nightly install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

echo "== building the fuzz targets"
cargo +nightly fuzz build

failed=()
summary=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    log="$(mktemp)"
    echo "== fuzz $t for ${secs}s"
    # -timeout: one input may take at most 10 s; -rss_limit_mb: memory is bounded.
    if cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        status=ok
    else
        status=CRASH
        failed+=("$t")
        # The panic message (or sanitizer report), and where the input was saved.
        grep -m1 -A6 -E "panicked at|ERROR: (AddressSanitizer|libFuzzer)" "$log" || tail -n 40 "$log"
        grep -E "^SUMMARY|Test unit written" "$log" || true
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    summary+=("$t: $status, $execs executions")
    rm -f "$log"
done

echo
echo "== fuzz summary (${secs}s per target)"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: crashes in ${failed[*]}; inputs are in fuzz/artifacts/"
    exit 1
fi
