#!/usr/bin/env bash
# progres-ping-json: canonical → PING ingestion payload (one JSON document) and back, on 200,000 persons.
# The reader streams the Data list item by item, so its peak memory should not grow with the document;
# Python's json module, which loads the whole document, is measured beside it for scale.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
count=${PING_BENCH_RECORDS:-200000}
python3 Benchmarks/generate-canonical.py "$count" "$RESULTS/ping-input.ndjson"
"$BIN" convert --from canonical --to progres-ping-json "$RESULTS/ping-input.ndjson" -o "$RESULTS/ping.json" 2>/dev/null || true
echo "  input: $count canonical records, PING document $(du -m "$RESULTS/ping.json" | cut -f1) MiB"
measure "primes-gateway canonical → progres-ping-json" \
    "$BIN" convert --from canonical --to progres-ping-json "$RESULTS/ping-input.ndjson" -o "$RESULTS/ping-out.json"
measure "primes-gateway progres-ping-json → canonical" \
    "$BIN" convert --from progres-ping-json --to canonical "$RESULTS/ping.json" -o "$RESULTS/ping-back.ndjson"
measure "python3 json.load (whole document, peer)" \
    python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["Data"]))' "$RESULTS/ping.json"
