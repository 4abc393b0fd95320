#!/usr/bin/env bash
# schemathesis against the OpenAPI document of a running provisiond (real HTTPS, real
# mosquitto): every generated request, authenticated or not, must get no 5xx and a response
# that matches the document. Bounded to ~90 s of generation.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

[ -n "${IOTP_BIN_DIR:-}" ] || cargo build --workspace --all-features --bins --locked
bin="${IOTP_BIN_DIR:-$CARGO_TARGET_DIR/debug}/provisiond"
data=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

# The rate limits and timeouts are off the way here (their own attack tests are
# crates/cloud/tests/abuse.rs and slowloris.rs): with them, one fuzzing client is throttled to
# 429s and the logic behind them goes untested, and a kept-alive connection idle while the
# generator works on a loaded machine is closed under it.
"$bin" serve --data-dir "$data" --listen 127.0.0.1:0 --mqtt-port 0 \
  --rate-per-ip 1000000 --rate-per-account 1000000 \
  --header-timeout-secs 300 --request-timeout-secs 300 \
  >"$data/ready.json" 2>"$data/provisiond.log" &
pid=$!
for _ in $(seq 300); do [ -s "$data/ready.json" ] && break; sleep 0.1; done
if [ ! -s "$data/ready.json" ]; then
  log "provisiond did not start:"; cat "$data/provisiond.log" >&2; exit 1
fi
api=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["api"])' <"$data/ready.json")
ca=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ca"])' <"$data/ready.json")

# A registered serial and a confirmed account, so authenticated paths are exercised too.
"$bin" --data-dir "$data" serial add SCHEMA-01 >/dev/null
email=schemathesis@example.com password='schemathesis password'
body="{\"email\":\"$email\",\"password\":\"$password\"}"
curl -fsS --cacert "$ca" -H 'Content-Type: application/json' -d "$body" "$api/auth/signup" >/dev/null
code=$("$bin" --data-dir "$data" user code "$email")
curl -fsS --cacert "$ca" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"code\":\"$code\"}" "$api/auth/confirm" >/dev/null
token=$(curl -fsS --cacert "$ca" -H 'Content-Type: application/json' -d "$body" "$api/auth/signin" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["idToken"])')

# A sign-out voids the account's tokens, so it runs last, on its own: before it, the
# authenticated paths are exercised with a token the server still accepts.
fuzz() {
  schemathesis run "$api/openapi.json" \
    --tls-verify "$ca" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --workers 1 --generation-database none --no-color --output-sanitize true "$@"
}
log "schemathesis against $api/openapi.json (all but sign-out)"
fuzz --exclude-path /auth/signout --max-examples 40 --max-time 60
log "schemathesis: sign-out"
fuzz --include-path /auth/signout --max-examples 20 --max-time 20
if grep -qiE 'panicked|thread .* panicked' "$data/provisiond.log"; then
  log "provisiond panicked during schemathesis:"; cat "$data/provisiond.log" >&2; exit 1
fi
log "schemathesis: no server errors"
