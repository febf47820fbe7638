#!/usr/bin/env bash
# primero-json: 20,000 synthetic cases as NDJSON request bodies, read into canonical NDJSON and written back
# as strict Primero bodies. The reader holds a whole document in memory (a page of Primero's list is at most
# 1,000 cases), so its peak memory grows with the file: this shows by how much.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

input="$RESULTS/primero-20k.ndjson"
[ -s "$input" ] || python3 - "$input" <<'PY'
import json, sys
countries = ["somalia", "south_sudan", "afghanistan", "syria", "congo_democratic_republic_of_the"]
with open(sys.argv[1], "w") as out:
    for n in range(20000):
        case = {
            "id": "00000000-0000-5000-8000-%012d" % n, "unhcr_individual_no": "TST-%08d" % n,
            "unhcr_id_no": "TST-G-%06d" % (n // 4), "name_first": "Given%d" % n, "name_last": "Family%d" % (n % 97),
            "sex": "female" if n % 2 else "male", "age": str(8 + n % 10), "date_of_birth": "20%02d-0%d-1%d" % (n % 16, 1 + n % 9, n % 10),
            "estimated": "false", "nationality": [countries[n % 5]], "displacement_status": "refugee",
            "unhcr_needs_codes": ["sc-uc"] if n % 7 == 0 else [], "location_current": "KE007030",
            "family_details_section": [{"unique_id": "00000000-0000-5000-9000-%012d" % n, "relation": "mother", "relation_age": "35"}],
            "protection_concerns": ["neglect"], "last_updated_at": "2026-01-01T00:00:00Z", "owned_by": "primero_cp",
        }
        out.write(json.dumps({"data": case}) + "\n")
PY
echo "  input: $(wc -l <"$input") cases, $(du -m "$input" | cut -f1) MB"

measure "primero-json→canonical (20k)" "$BIN" convert --from primero-json --to canonical "$input" \
    -o "$RESULTS/primero-20k-canonical.ndjson"
measure "canonical→primero-json (20k)" "$BIN" convert --from canonical --to primero-json \
    "$RESULTS/primero-20k-canonical.ndjson" -o /dev/null
