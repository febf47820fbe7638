#!/usr/bin/env bash
# SCOPE CSV: our scope-csv → canonical (full mapping, household checks and validation) beside Miller's
# CSV → JSON Lines on the same 1,000,000-member file, then canonical → scope-csv, and the 100k-row run to show
# whether time grows linearly. Needs `mlr` (Debian's miller) and the release build.
#
# Each line gives wall seconds, CPU seconds (user + system: on a shared machine the steadier figure), peak
# memory, and members per wall second and input MB per wall second.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BIN:=$PWD/.build/release/primes-gateway}"
: "${RESULTS:=$PWD/Benchmarks/results}"
mkdir -p "$RESULTS"

# measure_rows NAME MEMBERS INPUT COMMAND...: like lib.sh's `measure`, with CPU time and throughput.
measure_rows() {
    local name=$1 members=$2 input=$3
    shift 3
    local log
    log=$(mktemp)
    /usr/bin/time -f '%e %U %S %M' -o "$log" "$@" >/dev/null 2>"$log.err" || {
        local status=$?
        if [ "$status" -ne 1 ]; then
            echo "  $name: failed (exit $status): $(tail -n 3 "$log.err")"
            rm -f "$log" "$log.err"
            return 0
        fi
    }
    read -r wall user system kilobytes <"$log"
    local megabytes
    megabytes=$(du -m "$input" | cut -f1)
    printf '  %-36s %7.2f s wall %7.2f s cpu %7.1f MiB peak %9.0f members/s %6.1f MB/s\n' "$name" "$wall" \
        "$(echo "$user + $system" | bc -l)" "$(echo "$kilobytes / 1024" | bc -l)" \
        "$(echo "$members / $wall" | bc -l)" "$(echo "$megabytes / $wall" | bc -l)"
    rm -f "$log" "$log.err"
}

for members in 100000 1000000; do
    csv="$RESULTS/scope-$members.csv"
    [ -s "$csv" ] || python3 Benchmarks/generate-scope-csv.py "$members" "$csv"
done

small="$RESULTS/scope-100000.csv"
large="$RESULTS/scope-1000000.csv"
echo "  input: $(du -m "$large" | cut -f1) MB, 1,000,000 members"
measure_rows "scope-csv → canonical (100k)" 100000 "$small" \
    "$BIN" convert --from scope-csv --to canonical "$small" -o "$RESULTS/scope-100000.ndjson"
measure_rows "scope-csv → canonical (1M)" 1000000 "$large" \
    "$BIN" convert --from scope-csv --to canonical "$large" -o "$RESULTS/scope-1000000.ndjson"
# Miller's output goes to /dev/null: this line writes ours there too, so that the two compare like for like (the
# line above also pays for writing some 860 MB to a file and syncing it to disk)
measure_rows "scope-csv → canonical (1M, /dev/null)" 1000000 "$large" \
    "$BIN" convert --from scope-csv --to canonical "$large" -o /dev/null
measure_rows "scope-csv validate only (1M)" 1000000 "$large" "$BIN" validate --format scope-csv "$large"
if command -v mlr >/dev/null; then
    measure_rows "mlr --icsv --ojsonl cat (1M)" 1000000 "$large" mlr --icsv --ojsonl cat "$large"
else
    echo "  mlr: not installed (scripts/install-dependencies installs Debian's miller)"
fi
measure_rows "canonical → scope-csv (1M)" 1000000 "$RESULTS/scope-1000000.ndjson" \
    "$BIN" convert --from canonical --to scope-csv "$RESULTS/scope-1000000.ndjson" -o "$RESULTS/scope-roundtrip.csv"
if cmp -s "$large" "$RESULTS/scope-roundtrip.csv"; then
    echo "  round trip scope-csv → canonical → scope-csv: byte for byte identical"
else
    echo "  round trip scope-csv → canonical → scope-csv: DIFFERS"
fi
