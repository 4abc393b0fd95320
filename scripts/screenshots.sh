#!/usr/bin/env bash
# Refreshes docs/screenshots/<page>-<lang>-<theme>.png: each wizard page (sign in, page 1,
# page 2, page 3, the device online, a failed step) in English and Simplified Chinese, light
# and dark, as drawn in the app's own window. It builds the UI and the binaries, then runs
# ui/e2e/a11y.test.mjs (the same axe-core and keyboard test as scripts/ci/test-desktop.sh)
# under Xvfb through tauri-driver against a local provisiond and device-sims, which saves
# every state it checks; the pages below are copied into docs/screenshots/.
# Needs what scripts/setup.sh installs (Xvfb, xwd, tauri-driver, WebKitWebDriver, node).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# state in a11y.test.mjs -> file name in docs/screenshots/
PAGES=(signin:signin page1-checked:cert page2-networks:wifi page3:connect page3-online:online page3-failed:error)

for tool in tauri-driver WebKitWebDriver Xvfb xwd node; do
  command -v "$tool" >/dev/null || { log "missing $tool: run scripts/setup.sh"; exit 1; }
done
log "step 1/3: the UI (npm run build) and the binaries (cargo build)"
(cd ui && { [ -d node_modules ] || npm ci; } && npm run build --silent)
cargo build --locked --workspace --all-features --bins
BIN_DIR="$CARGO_TARGET_DIR/debug"

WORK=$(mktemp -d /tmp/iotp-shots.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK" || true; }
}
trap cleanup EXIT
DISPLAY_NUM=":$((190 + RANDOM % 60))"
Xvfb "$DISPLAY_NUM" -screen 0 1280x900x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY="$DISPLAY_NUM"
sleep 1
export XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" XDG_STATE_HOME="$WORK/state" XDG_CACHE_HOME="$WORK/cache" NO_AT_BRIDGE=1
export APP_BIN="$BIN_DIR/iot-provisioner" PROVISIOND_BIN="$BIN_DIR/provisiond" DEVICE_SIM_BIN="$BIN_DIR/device-sim"
export E2E_DIR="$WORK/e2e" IOTP_APP_PRESET="$WORK/e2e/preset.json" SCREENSHOT_DIR="$WORK/shots"
mkdir -p "$E2E_DIR"
DRIVER_PORT=$((5000 + RANDOM % 400))
tauri-driver --port "$DRIVER_PORT" --native-port $((DRIVER_PORT + 1000)) --native-driver "$(command -v WebKitWebDriver)" >"$WORK/tauri-driver.log" 2>&1 &
PIDS+=($!)
wait_port "$DRIVER_PORT"
export WEBDRIVER_URL="http://127.0.0.1:$DRIVER_PORT"
log "step 2/3: every page and state in the app's window (ui/e2e/a11y.test.mjs)"
if ! (cd ui && node --test --test-concurrency=1 --test-reporter=spec e2e/a11y.test.mjs); then
  log "the accessibility run failed, so no screenshot was replaced; tauri-driver log:"
  tail -n 40 "$WORK/tauri-driver.log" >&2
  exit 1
fi
log "step 3/3: copying the pages into docs/screenshots/"
mkdir -p docs/screenshots
n=0
for pair in "${PAGES[@]}"; do
  state="${pair%%:*}" page="${pair#*:}"
  for lang in en zh-CN; do
    for theme in light dark; do
      src="$SCREENSHOT_DIR/$state-$lang-$theme.png"
      [ -s "$src" ] || { log "the run saved no $state-$lang-$theme.png"; exit 1; }
      cp "$src" "docs/screenshots/$page-$lang-$theme.png"
      n=$((n + 1))
    done
  done
done
log "wrote $n pictures to docs/screenshots/ ($(du -ch docs/screenshots/*-{en,zh-CN}-{light,dark}.png | tail -n 1 | cut -f1) in all)"
