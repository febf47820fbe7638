#!/usr/bin/env bash
# FHIR R4 XML → canonical on a 100,000-birth Bundle (a child Patient with a BR identifier and a mother
# RelatedPerson per birth, about 115 MB), beside xsltproc pulling the same fields with an equivalent XSLT and
# `xmllint --stream --noout`, the libxml2 parse floor.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${BIN:?run through Benchmarks/run}" "${RESULTS:?run through Benchmarks/run}"

births=${CIVIL_XML_BIRTHS:-100000}
input="$RESULTS/fhir-births-$births.xml"
if [ ! -s "$input" ]; then
    python3 "$(dirname "$0")/generate-fhir-births.py" "$births" >"$input.tmp"
    mv "$input.tmp" "$input"
fi
echo "  input: $input ($(($(stat -c %s "$input") / 1048576)) MiB, $births births)"

# In rounds (Benchmarks/lib.sh): the three tools see the same machine.
for _ in $(seq 1 "${BENCH_RUNS:-5}"); do
    sample ours "$BIN" convert --from fhir-r4-xml --to canonical "$input" -o "$RESULTS/fhir-births.ndjson"
    sample xsltproc xsltproc -o "$RESULTS/fhir-births.txt" "$(dirname "$0")/fhir-births-fields.xslt" "$input"
    sample xmllint xmllint --stream --noout "$input"
done
report ours "primes-gateway fhir-r4-xml -> canonical"
report xsltproc "xsltproc (same fields to text lines)"
report xmllint "xmllint --stream --noout (parse floor)"
ratio ours xmllint "gateway ÷ xmllint" "at most 1.5"
ratio ours xsltproc "gateway ÷ xsltproc" "at most 0.33"
