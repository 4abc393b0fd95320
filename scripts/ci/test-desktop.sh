#!/usr/bin/env bash
# Desktop checks, run by scripts/test.sh after the cargo tests:
#  1. the UI: TypeScript check and vitest unit tests (validation, error wording and routing,
#     the connect page's live steps and retry);
#  2. the TypeScript bindings in ui/src/bindings.ts match the Rust commands, and build.rs,
#     the capability file and the bindings list the same commands.
#  3. GUI end-to-end (tauri-driver + WebKitWebDriver under Xvfb): sign up, confirm, sign in,
#     pages 1-3 against provisiond and a device-sim, until the device is shown online; then a
#     wrong Wi-Fi passphrase fixed on page 2 and a wrong PoP fixed on page 3, each ending online.
# Not wired in yet: the .deb build/install/start.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

log "ui: typecheck and unit tests"
(cd ui && npm run typecheck --silent && npx vitest run)

# The bindings staleness test (src-tauri/tests/bindings.rs) ran in the workspace's cargo test.

# GUI end-to-end: tauri-driver + WebKitWebDriver drive the app built by the workspace's cargo
# test, under Xvfb, against provisiond and a device-sim on 127.0.0.1.
for tool in tauri-driver WebKitWebDriver Xvfb; do
  command -v "$tool" >/dev/null || { log "missing $tool: run scripts/setup.sh"; exit 1; }
done
BIN_DIR="${IOTP_BIN_DIR:-$CARGO_TARGET_DIR/debug}"
if [ -z "${IOTP_BIN_DIR:-}" ]; then
  cargo build --locked -q --workspace --all-features --bins
fi
WORK=$(mktemp -d /tmp/iotp-desktop.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
DISPLAY_NUM=":$((90 + RANDOM % 100))"
Xvfb "$DISPLAY_NUM" -screen 0 1280x900x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY="$DISPLAY_NUM"
sleep 1
export XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" XDG_STATE_HOME="$WORK/state" XDG_CACHE_HOME="$WORK/cache" NO_AT_BRIDGE=1
export APP_BIN="$BIN_DIR/iot-provisioner" PROVISIOND_BIN="$BIN_DIR/provisiond" DEVICE_SIM_BIN="$BIN_DIR/device-sim"
export E2E_DIR="$WORK/e2e" IOTP_APP_PRESET="$WORK/e2e/preset.json" SCREENSHOT_DIR="$WORK/screenshots"
mkdir -p "$E2E_DIR"
DRIVER_PORT=$((4500 + RANDOM % 400))
tauri-driver --port "$DRIVER_PORT" --native-port $((DRIVER_PORT + 1000)) --native-driver "$(command -v WebKitWebDriver)" >"$WORK/tauri-driver.log" 2>&1 &
PIDS+=($!)
wait_port "$DRIVER_PORT"
export WEBDRIVER_URL="http://127.0.0.1:$DRIVER_PORT"
log "GUI end-to-end tests"
if ! (cd ui && node --test --test-concurrency=1 --test-reporter=spec e2e/wizard.test.mjs); then
  log "GUI tests failed; tauri-driver log:"; tail -n 40 "$WORK/tauri-driver.log" >&2
  exit 1
fi
