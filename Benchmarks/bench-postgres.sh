#!/usr/bin/env bash
# The outbox on PostgreSQL: delivery throughput of 1, 2 and 3 gateway instances sharing one database, beside
# one instance on the default SQLite store, all in this run and to the same loopback HTTPS sink
# (primes-gateway-hello). Then the crash case at full size: three instances deliver RECORDS records to a
# sink that keeps each Idempotency-Key, one is killed -9 midway, and the sink must hold every record.
#
# The PostgreSQL server is this script's own, in $RESULTS/postgres, with fsync and synchronous_commit on:
# a 202 must mean the batch is on disk, as with SQLite's synchronous=FULL, or the comparison is unfair.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/.build/release/primes-gateway}
HELLO=${HELLO:-$(dirname "$BIN")/primes-gateway-hello}
RESULTS=${RESULTS:-$PWD/Benchmarks/results}
WORK="$RESULTS/postgres"
RECORDS=${RECORDS:-10000}
PGPORT=${PGPORT:-54339}
PGBIN=/usr/lib/postgresql/15/bin
SINK_PORT=18490
rm -rf "$WORK" && mkdir -p "$WORK"
pids=()

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    as_owner "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

# the server, owned by postgres when run as root (initdb refuses root)
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$WORK"
as_owner "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust >"$WORK/initdb.log" 2>&1
as_owner "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 \
    -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
PGURL="postgres://postgres@127.0.0.1:$PGPORT"
psql_do() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$PGURL/postgres" -c "$1"; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
TOKEN=bench-token-not-secret
HASH=sha256:$(printf '%s' "$TOKEN" | sha256sum | cut -c1-64)
printf 'agreement: bench\nfields: [id, name, sex, birthDate, nationalities]\n' >"$WORK/agreement.yaml"
python3 - "$WORK/batch.ndjson" "$RECORDS" <<'PY'
import json, sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "w") as out:
    for i in range(count):
        out.write(json.dumps({"recordType": "person", "id": f"TST-7{i:08d}",
            "name": {"given": "Bench", "family": f"Person{i}"}, "sex": "female" if i % 2 else "male",
            "birthDate": {"value": "1990", "precision": "year", "estimated": True}, "nationalities": ["SSD"]}) + "\n")
PY

# config PORT STORE SINKPORT LEASE CLAIM: one instance's configuration
config() {
    cat >"$WORK/gateway-$1.yaml" <<YAML
listeners:
  - {host: 127.0.0.1, port: $1, maximumBodyBytes: 67108864, tls: {certificate: cert.pem, key: key.pem}}
store: $2
clients:
  - {name: bench, tokenHashes: ["$HASH"], formats: [canonical], requestsPerSecond: 1000000}
destinations:
  - name: sink
    kind: http
    url: https://127.0.0.1:$3/records
    caCertificate: cert.pem
    format: canonical
    agreement: agreement.yaml
routes: [{from: canonical, to: [sink]}]
delivery: {workers: 4, claimSize: $5, pollSeconds: 0.05, leaseSeconds: $4}
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

delivered_count() {
    curl -sk "https://127.0.0.1:$1/metrics" |
        awk '/^primes_queue_depth\{destination="sink",state="delivered"\}/ {print $2}'
}

# CPU seconds (user + system) a process has used so far.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}
# CPU seconds of the PostgreSQL server: the postmaster and its live children.
postgres_cpu() {
    local main total=0
    main=$(head -1 "$WORK/data/postmaster.pid")
    for p in $main $(pgrep -P "$main"); do total=$(echo "$total + $(cpu_seconds "$p")" | bc -l); done
    echo "$total"
}

# run NAME COUNT STORE...: COUNT instances (one per STORE url, ports 18501…) deliver RECORDS records posted
# to the first one; prints the time to the 202, records/s from the 202 to the last delivery, and the CPU
# seconds each kind of process spent meanwhile (the /metrics polls of the first instance included).
run() {
    local name=$1 count=$2
    shift 2
    local instances=() ports=() i
    for i in $(seq 1 "$count"); do
        local port=$((18500 + i))
        config "$port" "$1" "$SINK_PORT" 60 128
        (cd "$WORK" && exec "$BIN" serve --config "gateway-$port.yaml" 2>"$WORK/gateway-$port.log") &
        instances+=($!)
        pids+=($!)
        ports+=("$port")
        wait_for "https://127.0.0.1:$port/healthz"
    done
    gateways_cpu() {
        local total=0 p
        for p in "${instances[@]}"; do total=$(echo "$total + $(cpu_seconds "$p")" | bc -l); done
        echo "$total"
    }
    local posted
    posted=$(date +%s.%N)
    curl -sk -o "$WORK/answer.json" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/x-ndjson" \
        --data-binary @"$WORK/batch.ndjson" "https://127.0.0.1:${ports[0]}/v1/records/canonical"
    # CPU is counted from the 202 on, so that it is the delivery's alone (the ingest is measured elsewhere).
    local start done_at delivered=0 pg_before sink_before gw_before
    start=$(date +%s.%N)
    pg_before=$(postgres_cpu)
    sink_before=$(cpu_seconds "$SINK_PID")
    gw_before=$(gateways_cpu)
    for _ in $(seq 1 3000); do
        delivered=$(delivered_count "${ports[0]}")
        [ "${delivered:-0}" -ge "$RECORDS" ] && break
        sleep 0.1
    done
    done_at=$(date +%s.%N)
    printf '  %-26s 202 after %5.2f s; %6d delivered in %6.2f s = %5.0f records/s; CPU s: gateways %5.1f  postgres %5.1f  sink %4.1f\n' \
        "$name" "$(echo "$start - $posted" | bc -l)" "${delivered:-0}" "$(echo "$done_at - $start" | bc -l)" \
        "$(echo "${delivered:-0} / ($done_at - $start)" | bc -l)" "$(echo "$(gateways_cpu) - $gw_before" | bc -l)" \
        "$(echo "$(postgres_cpu) - $pg_before" | bc -l)" "$(echo "$(cpu_seconds "$SINK_PID") - $sink_before" | bc -l)"
    for p in "${instances[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${instances[@]}"; do wait "$p" 2>/dev/null || true; done
}

echo "  delivery of $RECORDS records posted in one batch to a loopback HTTPS sink, 4 workers per instance:"
"$HELLO" "$SINK_PORT" "$WORK/cert.pem" "$WORK/key.pem" 2>/dev/null &
SINK_PID=$!
pids+=($!)
wait_for "https://127.0.0.1:$SINK_PORT/"

run "SQLite, 1 instance" 1 "sqlite:outbox.sqlite"
for n in 1 2 3; do
    psql_do "CREATE DATABASE bench_$n"
    stores=()
    for _ in $(seq 1 "$n"); do stores+=("$PGURL/bench_$n"); done
    run "PostgreSQL, $n instance(s)" "$n" "${stores[@]}"
done

# The crash case: a sink that counts each Idempotency-Key, three instances, one killed -9 midway.
echo "  kill -9 of one of three instances while delivering $RECORDS records (claims of 32, lease 10 s):"
python3 - "$WORK" 18491 >"$WORK/sink.log" 2>&1 <<'PY' &
import http.server, ssl, sys, threading
folder, port = sys.argv[1], int(sys.argv[2])
seen, lock = {}, threading.Lock()
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            key = self.headers.get("Idempotency-Key", "")
            seen[key] = seen.get(key, 0) + 1
        self.answer(b"{}")
    def do_GET(self):
        with lock:
            counts = f"{len(seen)} {sum(seen.values()) - len(seen)}\n"
        self.answer(counts.encode())
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Sink)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(f"{folder}/cert.pem", f"{folder}/key.pem")
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
pids+=($!)
wait_for https://127.0.0.1:18491/
psql_do "CREATE DATABASE bench_crash"
crash=()
for i in 1 2 3; do
    config $((18510 + i)) "$PGURL/bench_crash" 18491 10 32
    (cd "$WORK" && exec "$BIN" serve --config "gateway-$((18510 + i)).yaml" 2>"$WORK/crash-$i.log") &
    crash+=($!)
    pids+=($!)
    wait_for "https://127.0.0.1:$((18510 + i))/healthz"
done
curl -sk -o /dev/null -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/x-ndjson" \
    --data-binary @"$WORK/batch.ndjson" https://127.0.0.1:18511/v1/records/canonical
sink_counts() { curl -sk https://127.0.0.1:18491/ || echo "0 0"; }
for _ in $(seq 1 3000); do
    read -r distinct _ <<<"$(sink_counts)"
    [ "$distinct" -ge $((RECORDS / 4)) ] && break
    sleep 0.1
done
kill -9 "${crash[1]}"
read -r at_kill _ <<<"$(sink_counts)"
start=$(date +%s.%N)
for _ in $(seq 1 3000); do
    read -r distinct _ <<<"$(sink_counts)"
    [ "$distinct" -ge "$RECORDS" ] && break
    sleep 0.2
done
sleep 1
read -r distinct repeats <<<"$(sink_counts)"
printf '    killed at %d distinct keys; after %.1f s the sink holds %d of %d (lost %d), %d repeated keys\n' \
    "$at_kill" "$(echo "$(date +%s.%N) - $start" | bc -l)" "$distinct" "$RECORDS" "$((RECORDS - distinct))" "$repeats"
printf '    (a repeat is a delivery the killed instance sent but had not recorded: at most 4 workers x 32)\n'
printf '    deliveries in the database: %s\n' \
    "$("$PGBIN/psql" -X -At "$PGURL/bench_crash" -c "SELECT string_agg(state || ' ' || n, ', ') FROM
        (SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state) s")"
