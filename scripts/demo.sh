#!/usr/bin/env bash
# The README's first command: the main job on the embedded default.
# Installs what is missing, builds, starts provisiond (with mosquitto) on 127.0.0.1, registers
# a demo serial, starts a device simulator for it and opens the desktop app configured for
# them. Without a display it says so and runs the same flow with the `provision` CLI.
# Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ROOT=$PWD

SERIAL="${IOTP_DEMO_SERIAL:-DEMO-0001}"
EMAIL="${IOTP_DEMO_EMAIL:-demo@example.com}"
DEMO_DIR="${IOTP_DEMO_DIR:-$IOTP_CACHE/demo}"

PIDS=()
stop_all() {
  trap - INT TERM EXIT
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop_all; log "stopped"; exit 130' INT TERM
trap stop_all EXIT

# Waits for the first line a background process writes to FILE and prints it.
first_line() {
  local file="$1" pid="$2" what="$3"
  for _ in $(seq 600); do
    if [ -s "$file" ] && head -n 1 "$file" | grep -q '}'; then head -n 1 "$file"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "$what exited; its log:"; cat "$file.err" >&2 || true; return 1; }
    sleep 0.1
  done
  log "$what printed nothing in 60 s"; return 1
}
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }

has_display() { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }

log "step 1/5: checking and installing what is missing (scripts/setup.sh --demo)"
bash scripts/setup.sh --demo

log "step 2/5: building provisiond, device-sim, provision and the app (the first time takes tens of minutes on 2 cores; cargo shows its progress)"
# The same feature set as scripts/test.sh's build, so the two share every compiled crate.
cargo build --locked --workspace --all-features \
  --bin provisiond --bin device-sim --bin provision --bin iot-provisioner
BIN="$CARGO_TARGET_DIR/debug"
log "built: the binaries are in $BIN (\`cargo install --locked --path crates/provisioner\` and \`--path crates/cloud\` put provision and provisiond on your PATH)"

log "step 3/5: starting provisiond (the self-hosted service, with mosquitto) on 127.0.0.1"
# A fresh service each run: its data, CA and users live in DEMO_DIR.
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/cloud"
"$BIN/provisiond" serve --data-dir "$DEMO_DIR/cloud" --listen 127.0.0.1:0 --mqtt-port 0 \
  >"$DEMO_DIR/provisiond.out" 2>"$DEMO_DIR/provisiond.out.err" &
PIDS+=($!)
READY=$(first_line "$DEMO_DIR/provisiond.out" $! provisiond)
API=$(json '["api"]' <<<"$READY")
CA=$(json '["ca"]' <<<"$READY")
log "provisiond: $API (MQTT $(json '["mqtt"]' <<<"$READY")), CA $CA"

"$BIN/provisiond" --data-dir "$DEMO_DIR/cloud" serial add "$SERIAL" >/dev/null
log "step 4/5: starting a device-sim for $SERIAL"
POP=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
# The simulator's device code (a real device has it printed on its label), through the
# environment rather than the process list.
IOTP_DEVICE_POP="$POP" "$BIN/device-sim" --serial "$SERIAL" --listen 127.0.0.1:0 \
  >"$DEMO_DIR/sim.out" 2>"$DEMO_DIR/sim.out.err" &
PIDS+=($!)
SIM=$(first_line "$DEMO_DIR/sim.out" $! device-sim)
SIM_ADDR=$(json '["listen"]' <<<"$SIM")
SOFTAP=$(json '["softap"]' <<<"$SIM")
log "device-sim: serial $SERIAL, access point $SOFTAP, device code $POP (a real device has it on its label), reachable directly at $SIM_ADDR"

# The app and the CLI keep their settings under DEMO_DIR, not in your own profile.
export XDG_CONFIG_HOME="$DEMO_DIR/config" XDG_DATA_HOME="$DEMO_DIR/data" XDG_STATE_HOME="$DEMO_DIR/state"

if has_display; then
  log "step 5/5: opening the app on them"
  cat >"$DEMO_DIR/preset.json" <<JSON
{"backend": {"kind": "self_hosted", "url": "$API", "ca_path": "$CA"},
 "device_link": {"kind": "direct", "address": "$SIM_ADDR"}}
JSON
  cat >&2 <<TXT

  The app opens on provisiond. Try it:
   1. "Create an account" with any e-mail and a password (8+ characters, a letter and a digit).
      The confirmation code (the e-mail a real service would send) is printed by:
        $BIN/provisiond --data-dir $DEMO_DIR/cloud user code YOUR_EMAIL
   2. Sign in. Page 1: serial $SERIAL.   Page 2: device code $POP, scan, pick HomeWiFi,
      passphrase "correct horse".   Page 3: Provision the device.
  Ctrl-C here stops everything.

TXT
  IOTP_APP_PRESET="$DEMO_DIR/preset.json" "$BIN/iot-provisioner" &
  APP=$!
  PIDS+=("$APP")
  wait "$APP" || true
  exit 0
fi

log "step 5/5: no display (DISPLAY/WAYLAND_DISPLAY unset): running the same flow with the provision CLI"
PROVISION="$BIN/provision"
export IOTP_HOME="$DEMO_DIR/cli"
PASSWORD="demo-$(python3 -c 'import secrets; print(secrets.token_hex(6))')1"
# Secrets go to the CLI through its environment, never its command line.
export IOTP_PASSWORD="$PASSWORD" IOTP_POP="$POP" IOTP_WIFI_PASSPHRASE="correct horse"
"$PROVISION" profile self-hosted "$API" --ca "$CA"
"$PROVISION" signup "$EMAIL"
CODE=$("$BIN/provisiond" --data-dir "$DEMO_DIR/cloud" user code "$EMAIL" | grep -Eo '[0-9]{4,10}' | head -n 1)
"$PROVISION" confirm "$EMAIL" "$CODE"
"$PROVISION" login "$EMAIL"
# --email signs in again inside `run` when no OS keyring kept the session of `login` (headless
# machines usually have none; the password comes from IOTP_PASSWORD).
"$PROVISION" run --email "$EMAIL" --serial "$SERIAL" --ssid HomeWiFi --url "http://$SIM_ADDR" --link direct --softap "$SOFTAP"
log "demo done: $SERIAL is provisioned and online"
