#!/usr/bin/env bash
# The gateway daemon: single-record ingest with wrk beside a bare libmicrohttpd server from the same build
# (primes-gateway-hello), batched NDJSON ingest in records/s, and delivery to a loopback HTTPS sink in
# records/s. Every 202 is a committed SQLite transaction (WAL, synchronous=FULL); concurrent requests share one
# (group commit). A request waiting for its commit is suspended, so the listener's few epoll threads serve the
# other connections meanwhile (docs/gateway.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/.build/release/primes-gateway}
HELLO=${HELLO:-$(dirname "$BIN")/primes-gateway-hello}
RESULTS=${RESULTS:-$PWD/Benchmarks/results}
WORK="$RESULTS/gateway"
DURATION=${DURATION:-10s}
RECORDS=${RECORDS:-20000}
rm -rf "$WORK" && mkdir -p "$WORK"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
TOKEN=bench-token-not-secret
HASH=sha256:$(printf '%s' "$TOKEN" | sha256sum | cut -c1-64)
cat >"$WORK/agreement.yaml" <<YAML
agreement: bench
fields: [id, name, sex, birthDate, nationalities]
YAML

# config PORT ROUTED: a gateway on PORT; with ROUTED=yes canonical records go to the HTTPS sink on 18480.
config() {
    local routes="[]"
    [ "$2" = yes ] && routes="[{from: canonical, to: [sink]}]"
    cat >"$WORK/gateway-$1.yaml" <<YAML
listeners:
  - {host: 127.0.0.1, port: $1, threads: ${THREADS:-4}, tls: {certificate: cert.pem, key: key.pem}}
store: sqlite:outbox-$1.sqlite
clients:
  - {name: bench, tokenHashes: ["$HASH"], formats: [canonical], requestsPerSecond: 1000000}
destinations:
  - name: sink
    kind: http
    url: https://127.0.0.1:18480/records
    caCertificate: cert.pem
    format: canonical
    agreement: agreement.yaml
routes: $routes
delivery: {workers: 4, claimSize: 128, pollSeconds: 0.05}
YAML
}

wait_for() {
    for _ in $(seq 1 100); do
        curl -sk -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "  $1 did not come up" >&2
    return 1
}

python3 - "$WORK" "$RECORDS" <<'PY'
import json, sys
folder, count = sys.argv[1], int(sys.argv[2])
def person(i):
    return {"recordType": "person", "id": f"TST-8{i:08d}", "name": {"given": "Bench", "family": f"Person{i}"},
            "sex": "female" if i % 2 else "male", "birthDate": {"value": "1990", "precision": "year", "estimated": True},
            "nationalities": ["SSD"]}
open(f"{folder}/one.ndjson", "w").write(json.dumps(person(0)) + "\n")
with open(f"{folder}/batch.ndjson", "w") as out:
    for i in range(count):
        out.write(json.dumps(person(i)) + "\n")
PY
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-ndjson"
wrk.headers["Authorization"] = "Bearer $TOKEN"
local file = io.open("$WORK/one.ndjson", "rb")
wrk.body = file:read("*a")
file:close()
LUA

echo "  single-record ingest, wrk -t2 -c16 -d$DURATION (HTTPS, keep-alive):"
"$HELLO" 18480 "$WORK/cert.pem" "$WORK/key.pem" 2>/dev/null &
pids+=($!)
wait_for https://127.0.0.1:18480/
wrk -t2 -c16 -d"$DURATION" --latency https://127.0.0.1:18480/ >"$WORK/wrk-hello.txt"
printf '    %-34s %10s req/s  p50 %8s  p99 %8s\n' "primes-gateway-hello (baseline)" \
    "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-hello.txt")" \
    "$(awk '$1 == "50%" {print $2}' "$WORK/wrk-hello.txt")" "$(awk '$1 == "99%" {print $2}' "$WORK/wrk-hello.txt")"

config 18443 no
(cd "$WORK" && exec "$BIN" serve --config gateway-18443.yaml 2>/dev/null) &
pids+=($!)
wait_for https://127.0.0.1:18443/healthz
wrk -t2 -c16 -d"$DURATION" --latency -s "$WORK/post.lua" https://127.0.0.1:18443/v1/records/canonical \
    >"$WORK/wrk-gateway.txt"
printf '    %-34s %10s req/s  p50 %8s  p99 %8s  (non-2xx: %s)\n' "POST /v1/records/canonical" \
    "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-gateway.txt")" \
    "$(awk '$1 == "50%" {print $2}' "$WORK/wrk-gateway.txt")" "$(awk '$1 == "99%" {print $2}' "$WORK/wrk-gateway.txt")" \
    "$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk-gateway.txt" | grep . || echo 0)"
printf '    %-34s %9.1f %%  (target: at least 50 %%, p99 under 20 ms)\n' "ingest ÷ bare server" \
    "$(echo "100 * $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-gateway.txt") / $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-hello.txt")" | bc -l)"

config 18444 yes
(cd "$WORK" && exec "$BIN" serve --config gateway-18444.yaml 2>/dev/null) &
pids+=($!)
wait_for https://127.0.0.1:18444/healthz
start=$(date +%s.%N)
curl -sk -o "$WORK/batch-answer.json" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/x-ndjson" \
    --data-binary @"$WORK/batch.ndjson" https://127.0.0.1:18444/v1/records/canonical
stored=$(date +%s.%N)
printf '  batched NDJSON ingest: %d records in %.2f s = %.0f records/s\n' "$RECORDS" \
    "$(echo "$stored - $start" | bc -l)" "$(echo "$RECORDS / ($stored - $start)" | bc -l)"
delivered=0
for _ in $(seq 1 1200); do
    delivered=$(curl -sk https://127.0.0.1:18444/metrics |
        awk -F' ' '/^primes_queue_depth\{destination="sink",state="delivered"\}/ {print $2}')
    [ "${delivered:-0}" -ge "$RECORDS" ] && break
    sleep 0.1
done
done_at=$(date +%s.%N)
printf '  delivery to a loopback HTTPS sink: %d records in %.2f s = %.0f records/s (4 workers)\n' "${delivered:-0}" \
    "$(echo "$done_at - $stored" | bc -l)" "$(echo "${delivered:-0} / ($done_at - $stored)" | bc -l)"
