#!/usr/bin/env bash
# SCOPE CSV: our scope-csv → canonical (full mapping, household checks and validation) beside Miller's
# CSV → JSON Lines on the same 1,000,000-member file, then canonical → scope-csv, and the 100k-row run to show
# that time grows linearly. Needs `mlr` (Debian's miller) and the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
: "${BIN:=$PWD/.build/release/primes-gateway}"
: "${RESULTS:=$PWD/Benchmarks/results}"
mkdir -p "$RESULTS"

for members in 100000 1000000; do
    csv="$RESULTS/scope-$members.csv"
    [ -s "$csv" ] || python3 Benchmarks/generate-scope-csv.py "$members" "$csv"
done

large="$RESULTS/scope-1000000.csv"
echo "  input: $(du -m "$large" | cut -f1) MB, 1,000,000 members"
measure "scope-csv → canonical (100k)" "$BIN" convert --from scope-csv --to canonical "$RESULTS/scope-100000.csv" -o "$RESULTS/scope-100000.ndjson"
measure "scope-csv → canonical (1M)" "$BIN" convert --from scope-csv --to canonical "$large" -o "$RESULTS/scope-1000000.ndjson"
measure "scope-csv validate only (1M)" "$BIN" validate --format scope-csv "$large"
if command -v mlr >/dev/null; then
    measure "mlr --icsv --ojsonl cat (1M)" mlr --icsv --ojsonl cat "$large"
else
    echo "  mlr: not installed (scripts/install-dependencies installs Debian's miller)"
fi
measure "canonical → scope-csv (1M)" "$BIN" convert --from canonical --to scope-csv "$RESULTS/scope-1000000.ndjson" -o "$RESULTS/scope-roundtrip.csv"
if cmp -s "$large" "$RESULTS/scope-roundtrip.csv"; then
    echo "  round trip scope-csv → canonical → scope-csv: byte for byte identical"
else
    echo "  round trip scope-csv → canonical → scope-csv: DIFFERS"
fi
