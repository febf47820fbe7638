#!/usr/bin/env bash
# Canonical NDJSON: 1,000,000 synthetic persons (plus their household records) read, validated and
# re-emitted by `convert --from canonical --to canonical`, beside Python's json module doing a plain
# parse-and-sort-keys of the same file (no validation) as a point of comparison. The issue's target is
# flat memory: peak RSS at most 64 MiB whatever the input's size.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

input="$RESULTS/canonical-1m.ndjson"
[ -s "$input" ] || python3 "$(dirname "$0")/generate-canonical.py" 1000000 "$input"
head -n 120000 "$input" >"$RESULTS/canonical-100k.ndjson"
echo "  input: $(wc -l <"$input") lines, $(du -m "$input" | cut -f1) MB"

measure "primes-gateway canonical→canonical (100k)" "$BIN" convert --from canonical --to canonical \
    "$RESULTS/canonical-100k.ndjson" -o /dev/null
measure "primes-gateway canonical→canonical (1M)" "$BIN" convert --from canonical --to canonical "$input" -o /dev/null
measure "python3 json parse + sort_keys (1M)" python3 -c '
import json, sys
out = open("/dev/null", "w")
for line in open(sys.argv[1]):
    out.write(json.dumps(json.loads(line), sort_keys=True, separators=(",", ":")) + "\n")
' "$input"
