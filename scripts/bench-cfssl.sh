#!/usr/bin/env bash
# Side-by-side signing benchmark: provisiond (release build, POST /cert, SQLite WAL with
# synchronous=FULL and group commit) against CloudFlare's cfssl (Debian golang-cfssl,
# `cfssl serve` POST /api/v1/cfssl/sign with its SQLite certificate database), both over HTTPS
# on 127.0.0.1, both signing the same P-256 CSRs (CN = a registered serial, each used once),
# with the same load generator (wrk + scripts/bench/sign.lua), same connections and duration.
# Prints, per run and tool: signatures/s, p50/p99, non-2xx answers, socket errors, the server's
# CPU microseconds per signature (utime + stime of its process from /proc), the ratio of the
# rates, and the load average before and after (the machine may be shared).
#
# usage: scripts/bench-cfssl.sh [--runs N] [--duration S] [--connections C] [--threads T]
#                               [--csrs N]
# Needs: cfssl (apt: golang-cfssl), wrk (apt: wrk), python3 with `cryptography`, curl.
# Not part of CI: a benchmark, its figures go to docs/perf.md with the machine and date.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

runs=3 duration=10 connections=64 threads=2 csrs=60000
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --csrs) csrs=$2; shift 2 ;;
    *) echo "usage: scripts/bench-cfssl.sh [--runs N] [--duration S] [--connections C] [--threads T] [--csrs N]" >&2; exit 2 ;;
  esac
done
for tool in cfssl wrk python3 curl; do
  command -v "$tool" >/dev/null || { log "bench-cfssl: $tool missing (apt-get install golang-cfssl wrk python3-cryptography curl)"; exit 1; }
done
python3 -c 'import cryptography' 2>/dev/null || { log "bench-cfssl: python3 lacks cryptography (apt-get install python3-cryptography)"; exit 1; }

log "bench-cfssl: release build of provisiond"
[ -n "${BENCH_PROVISIOND:-}" ] || cargo build --release --locked -p cloud --bin provisiond
bin="${BENCH_PROVISIOND:-$CARGO_TARGET_DIR/release/provisiond}"

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-cfssl.XXXXXX")
chmod 700 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# One P-256 key + CSR per serial (CN = serial), the same CSR text for both servers; a separate
# set warms each server up. cfssl's CA (P-256, self-signed) and its TLS certificate too.
log "bench-cfssl: $csrs CSRs (+2000 for warm-up), cfssl CA and TLS certificate"
python3 - "$work" "$csrs" <<'PY'
import datetime, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import ipaddress

work, n = sys.argv[1], int(sys.argv[2])
def csr_pem(cn):
    key = ec.generate_private_key(ec.SECP256R1())
    req = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])).sign(key, hashes.SHA256())
    return req.public_bytes(serialization.Encoding.PEM).decode()
for name, prefix, count in (("main", "BENCH", n), ("warm", "WARM", 2000)):
    with open(f"{work}/{name}.csv", "w") as s, open(f"{work}/{name}.prov.jsonl", "w") as p, \
            open(f"{work}/{name}.cfssl.jsonl", "w") as c:
        for i in range(count):
            sn = f"{prefix}-{i:06d}"
            pem = csr_pem(sn)
            s.write(sn + "\n")
            p.write(json.dumps({"sn": sn, "csr": pem}) + "\n")
            c.write(json.dumps({"certificate_request": pem}) + "\n")

def self_signed(cn, ca, san=None):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(hours=1))
         .not_valid_after(now + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(san))]), critical=False)
    cert = b.sign(key, hashes.SHA256())
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()))
for stem, cn, ca, san in (("ca", "cfssl bench CA", True, None), ("tls", "127.0.0.1", False, "127.0.0.1")):
    cert, key = self_signed(cn, ca, san)
    open(f"{work}/cfssl-{stem}.pem", "wb").write(cert)
    open(f"{work}/cfssl-{stem}-key.pem", "wb").write(key)
PY

# The schema cfssl's goose migration (certdb/sqlite/migrations/001_CreateCertificates.sql)
# creates; Debian ships no migration tool.
cfssl_schema='CREATE TABLE certificates (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, ca_label blob, status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp, pem blob NOT NULL, PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, body blob NOT NULL, expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier), FOREIGN KEY(serial_number, authority_key_identifier) REFERENCES certificates(serial_number, authority_key_identifier));'
cat >"$work/cfssl-config.json" <<'EOF'
{"signing": {"default": {"expiry": "8760h", "usages": ["digital signature", "key encipherment", "client auth"]}}}
EOF

clk_tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wrk against URL with BODIES; prints wrk's RESULT line.
load() { # url bodies token seconds connections
  BENCH_BODIES="$2" BENCH_TOKEN="$3" BENCH_THREADS="$threads" \
    wrk -t "$threads" -c "$5" -d "$4s" --timeout 30s -s scripts/bench/sign.lua "$1" | grep '^RESULT'
}

# provisiond on a fresh data directory: serials imported, a confirmed user. Sets prov_pid,
# prov_api, prov_token.
start_provisiond() {
  local data="$work/prov-$1"
  "$bin" serve --data-dir "$data" --listen 127.0.0.1:0 --mqtt-port 0 \
    --rate-per-ip 100000000 --rate-per-account 100000000 \
    >"$work/prov-$1.ready" 2>"$work/prov-$1.log" &
  prov_pid=$!
  pids+=("$prov_pid")
  for _ in $(seq 300); do [ -s "$work/prov-$1.ready" ] && break; sleep 0.1; done
  [ -s "$work/prov-$1.ready" ] || { log "provisiond did not start:"; cat "$work/prov-$1.log" >&2; exit 1; }
  prov_api=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["api"])' <"$work/prov-$1.ready")
  local ca; ca=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ca"])' <"$work/prov-$1.ready")
  "$bin" --data-dir "$data" serial import "$work/main.csv" >/dev/null
  "$bin" --data-dir "$data" serial import "$work/warm.csv" >/dev/null
  local body='{"email":"bench@example.com","password":"bench password 1234"}'
  curl -fsS --cacert "$ca" -H 'Content-Type: application/json' -d "$body" "$prov_api/auth/signup" >/dev/null
  local code; code=$("$bin" --data-dir "$data" user code bench@example.com)
  curl -fsS --cacert "$ca" -H 'Content-Type: application/json' \
    -d "{\"email\":\"bench@example.com\",\"code\":\"$code\"}" "$prov_api/auth/confirm" >/dev/null
  prov_token=$(curl -fsS --cacert "$ca" -H 'Content-Type: application/json' -d "$body" "$prov_api/auth/signin" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["idToken"])')
}

# cfssl serve on a fresh SQLite database (or, with a second argument "nodb", storing
# nothing: a reference for its signing alone). Sets cfssl_pid, cfssl_url, cfssl_db.
start_cfssl() {
  local db=()
  if [ "${2:-}" != nodb ]; then
    cfssl_db="$work/cfssl-$1.db"
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$cfssl_db" "$cfssl_schema"
    printf '{"driver":"sqlite3","data_source":"%s"}\n' "$cfssl_db" >"$work/cfssl-db-$1.json"
    db=(-db-config "$work/cfssl-db-$1.json")
  fi
  local port; port=$(free_port)
  cfssl serve -address 127.0.0.1 -port "$port" -loglevel 3 \
    -ca "$work/cfssl-ca.pem" -ca-key "$work/cfssl-ca-key.pem" -config "$work/cfssl-config.json" \
    -tls-cert "$work/cfssl-tls.pem" -tls-key "$work/cfssl-tls-key.pem" \
    "${db[@]}" >"$work/cfssl-$1.log" 2>&1 &
  cfssl_pid=$!
  pids+=("$cfssl_pid")
  cfssl_url="https://127.0.0.1:$port/api/v1/cfssl/sign"
  for _ in $(seq 100); do
    curl -ksS -o /dev/null -d '{}' "$cfssl_url" 2>/dev/null && return 0
    sleep 0.1
  done
  log "cfssl serve did not start:"; cat "$work/cfssl-$1.log" >&2; exit 1
}

# One measured wrk run against a server process; appends a row to $work/rows.
measure() { # tool run pid url bodies token
  load "$4" "$work/warm.$5.jsonl" "$6" 2 8 >/dev/null
  local before after t0 t1 la0 la1 result
  la0=$(loadavg); before=$(cpu_ticks "$3")
  result=$(load "$4" "$work/main.$5.jsonl" "$6" "$duration" "$connections")
  after=$(cpu_ticks "$3"); la1=$(loadavg)
  python3 - "$1" "$2" "$result" "$before" "$after" "$clk_tck" "$la0" "$la1" >>"$work/rows" <<'PY'
import sys
tool, run, result, before, after, tck, la0, la1 = sys.argv[1:]
f = dict(kv.split("=") for kv in result.split()[1:])
req, dur = int(f["requests"]), int(f["duration_us"]) / 1e6
bad = int(f["non2xx"])
err = sum(int(f[k]) for k in ("connect", "read", "write", "timeout"))
ok = req - bad
cpu_us = (int(after) - int(before)) / int(tck) * 1e6
print("\t".join([tool, run, f"{ok / dur:.0f}", f"{int(f['p50_us']) / 1000:.1f}", f"{int(f['p99_us']) / 1000:.1f}",
                 str(bad), str(err), f"{cpu_us / max(ok, 1):.0f}", f["wrapped"], str(ok), la0, la1]))
PY
  tail -n1 "$work/rows" | awk -F'\t' '{printf "  %-10s run %s: %s sig/s, p50 %s ms, p99 %s ms, non-2xx %s, socket errors %s, CPU %s us/sig (load %s -> %s)\n", $1, $2, $3, $4, $5, $6, $7, $8, $11, $12}' >&2
}

: >"$work/rows"
for run in $(seq "$runs"); do
  log "bench-cfssl: run $run of $runs, provisiond"
  start_provisiond "$run"
  measure provisiond "$run" "$prov_pid" "$prov_api/cert" prov "$prov_token"
  kill "$prov_pid"; wait "$prov_pid" 2>/dev/null || true
  rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from certificates").fetchone()[0])' "$work/prov-$run/provisiond.db")
  log "bench-cfssl: provisiond's database holds $rows certificates after run $run"
  log "bench-cfssl: run $run of $runs, cfssl"
  start_cfssl "$run"
  measure cfssl "$run" "$cfssl_pid" "$cfssl_url" cfssl ""
  kill "$cfssl_pid"; wait "$cfssl_pid" 2>/dev/null || true
  rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from certificates").fetchone()[0])' "$cfssl_db")
  log "bench-cfssl: cfssl's database holds $rows certificates after run $run"
  errors=$(grep -iE 'error|fail' "$work/cfssl-$run.log" | sed -E 's/^[0-9/: ]+//' | sort | uniq -c | sort -rn | head -3 || true)
  [ -z "$errors" ] || log "bench-cfssl: cfssl's most frequent errors in run $run:"$'\n'"$errors"
done
log "bench-cfssl: reference, cfssl serve without a database (stores nothing, not a peer)"
start_cfssl ref nodb
measure "cfssl, no db" ref "$cfssl_pid" "$cfssl_url" cfssl ""
kill "$cfssl_pid"; wait "$cfssl_pid" 2>/dev/null || true

echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "wrk -t $threads -c $connections -d ${duration}s, HTTPS on 127.0.0.1, fresh P-256 CSRs, each server on a fresh database"
echo
echo "| run | tool | signatures/s | p50 | p99 | non-2xx | socket errors | server CPU per signature | CSRs reused | load average before -> after |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
sort -t$'\t' -k2,2 -k1,1r "$work/rows" | awk -F'\t' '{printf "| %s | %s | %s | %s ms | %s ms | %s | %s | %s us | %s | %s -> %s |\n", $2, $1, $3, $4, $5, $6, $7, $8, $9, $11, $12}'
python3 - "$work/rows" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
rate = {}
for r in rows:
    if r[1].isdigit():
        rate.setdefault(r[0], {})[r[1]] = float(r[2])
runs = sorted(rate["provisiond"], key=int)
ratios = [rate["provisiond"][r] / rate["cfssl"][r] for r in runs if r in rate["cfssl"]]
print()
print("ratio provisiond / cfssl, signatures/s, per run: " + ", ".join(f"{x:.2f}" for x in ratios)
      + f"; median {statistics.median(ratios):.2f}")
PY
