#!/usr/bin/env bash
# Desktop checks, run by scripts/test.sh after the cargo tests:
#  1. the UI: TypeScript check and vitest unit tests (validation, error wording and routing,
#     the connect page's live steps and retry);
#  2. the TypeScript bindings in ui/src/bindings.ts match the Rust commands, and build.rs,
#     the capability file and the bindings list the same commands.
#  3. GUI end-to-end (tauri-driver + WebKitWebDriver under Xvfb): sign up, confirm, sign in,
#     pages 1-3 against provisiond and a device-sim, until the device is shown online; then a
#     wrong Wi-Fi passphrase fixed on page 2 and a wrong PoP fixed on page 3, each ending online;
#     then the app is killed (SIGKILL) after the device applied its settings, started again,
#     signed in, and finishes the run from page 3's "Check it came online" banner.
#     Then ui/e2e/a11y.test.mjs: axe-core on every page and state in both themes and languages,
#     and the whole wizard by keyboard alone.
#  3b. GUI end-to-end over the SoftAP link, in a network namespace (root): NetworkManager from
#     python-dbusmock, the device-sim at 192.168.4.1:80; page 2's scan joins the device's network
#     and comes back; page 3's run is on the device's network when the window gets a close
#     request (WM_DELETE_WINDOW, as from its close button): the host must be back home before
#     the process ends, and the next start finishes the run; the same with SIGTERM (a logout)
#     (ui/e2e/softap.test.mjs).
#  4. Packaging: the app binary built by the workspace's cargo test is bundled into a .deb
#     (`tauri bundle --debug`: packaging only, no second build), installed with dpkg, the
#     installed /usr/bin/iot-provisioner started under Xvfb through tauri-driver until it draws
#     the wizard, then the package is removed. The release .deb (`tauri build --bundles deb`)
#     is not built here: it compiles every dependency again with optimisations (see docs/perf.md).
#  5. The README's first command, scripts/demo.sh, under Xvfb: it must start its services and
#     open the app; an app with the demo's own settings is then driven through its printed
#     instructions to "online", and SIGTERM must stop everything the demo started; then the
#     demo without a display (its provision CLI path) must end with the device online.
# Needs root: dpkg and ip netns. It removes the package and the namespace even when a step fails.
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
PKG=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${DEMO_PID:-}" ]; then kill "$DEMO_PID" 2>/dev/null || true; fi
  if [ -n "$PKG" ]; then as_root dpkg -r "$PKG" >/dev/null 2>&1 || true; fi
  wait 2>/dev/null || true
  # WebKit processes of the last app may still be writing their shader cache: retry once.
  rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK" || true; }
}
trap cleanup EXIT
DISPLAY_NUM=":$((90 + RANDOM % 100))"
Xvfb "$DISPLAY_NUM" -screen 0 1280x900x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY="$DISPLAY_NUM"
sleep 1
export XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" XDG_STATE_HOME="$WORK/state" XDG_CACHE_HOME="$WORK/cache" NO_AT_BRIDGE=1
export APP_BIN="$BIN_DIR/iot-provisioner" PROVISIOND_BIN="$BIN_DIR/provisiond" DEVICE_SIM_BIN="$BIN_DIR/device-sim"
# IOTP_SCREENSHOT_DIR=docs/screenshots refreshes the README's pictures.
export E2E_DIR="$WORK/e2e" IOTP_APP_PRESET="$WORK/e2e/preset.json" SCREENSHOT_DIR="${IOTP_SCREENSHOT_DIR:-$WORK/screenshots}"
mkdir -p "$E2E_DIR"
if [ -n "${IOTP_DESKTOP_BENCH:-}" ]; then
  # Benchmarks, not tests (docs/perf.md): start-up and idle memory of IOTP_BENCH_APP (default:
  # the tested binary) on a fresh profile; the .deb size of IOTP_BENCH_DEB if given.
  unset IOTP_APP_PRESET
  export APP_BIN="${IOTP_BENCH_APP:-$APP_BIN}" DEB_PATH="${IOTP_BENCH_DEB:-}"
fi
DRIVER_PORT=$((4500 + RANDOM % 400))
tauri-driver --port "$DRIVER_PORT" --native-port $((DRIVER_PORT + 1000)) --native-driver "$(command -v WebKitWebDriver)" >"$WORK/tauri-driver.log" 2>&1 &
PIDS+=($!)
wait_port "$DRIVER_PORT"
export WEBDRIVER_URL="http://127.0.0.1:$DRIVER_PORT"
if [ -n "${IOTP_DESKTOP_BENCH:-}" ]; then
  log "desktop benchmarks: $APP_BIN"
  (cd ui && node e2e/bench/startup.mjs)
  exit 0
fi
log "GUI end-to-end tests"
if ! (cd ui && node --test --test-concurrency=1 --test-reporter=spec e2e/wizard.test.mjs); then
  log "GUI tests failed; tauri-driver log:"; tail -n 40 "$WORK/tauri-driver.log" >&2
  exit 1
fi
# Accessibility in the real window: axe-core on every page and state, light and dark, en and
# zh-CN, color-contrast on the drawn pixels; then the whole wizard by keyboard alone. The app
# starts on the same profile with a preset for this test's provisiond, signed out (no keyring).
log "GUI accessibility: axe-core on every page and state, keyboard-only walk"
if ! (cd ui && env -u SCREENSHOT_DIR node --test --test-concurrency=1 --test-reporter=spec e2e/a11y.test.mjs); then
  log "GUI accessibility tests failed; tauri-driver log:"; tail -n 40 "$WORK/tauri-driver.log" >&2
  exit 1
fi

# The SoftAP link as with a real device, in a network namespace of its own (needs root): the
# device-sim at 192.168.4.1:80 (an address on the namespace's loopback), NetworkManager from python-dbusmock on
# the bus the app takes for the system bus, and tauri-driver, the app, provisiond and the test
# all inside the namespace (X reaches Xvfb through its socket file).
log "GUI end-to-end over the SoftAP link (network namespace)"
if [ "$(id -u)" != 0 ]; then log "the SoftAP GUI test needs root (ip netns); CI runs as root"; exit 1; fi
NETNS="iotp-gui-$$"
ip netns del "$NETNS" 2>/dev/null || true
ip netns add "$NETNS"
cleanup_netns() { ip netns del "$NETNS" 2>/dev/null || true; cleanup; }
trap cleanup_netns EXIT
ip -n "$NETNS" link set lo up
ip -n "$NETNS" addr add 192.168.4.1/24 dev lo
NS_WORK="$WORK/softap"
mkdir -p "$NS_WORK"
NS_PORT=$((DRIVER_PORT + 1))
(
  export XDG_CONFIG_HOME="$NS_WORK/config" XDG_DATA_HOME="$NS_WORK/data" XDG_STATE_HOME="$NS_WORK/state" XDG_CACHE_HOME="$NS_WORK/cache"
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NS_WORK/system_bus" IOTP_APP_PRESET="$NS_WORK/preset.json"
  export WEBDRIVER_URL="http://127.0.0.1:$NS_PORT"
  ip netns exec "$NETNS" tauri-driver --port "$NS_PORT" --native-port $((NS_PORT + 1000)) \
    --native-driver "$(command -v WebKitWebDriver)" >"$WORK/tauri-driver-softap.log" 2>&1 &
  driver=$!
  trap 'kill $driver 2>/dev/null || true' EXIT
  ip netns exec "$NETNS" bash -c "for _ in \$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$NS_PORT) 2>/dev/null && exit 0; sleep 0.1; done; exit 1" \
    || { log "tauri-driver did not listen in $NETNS"; exit 1; }
  cd ui && ip netns exec "$NETNS" node --test --test-concurrency=1 --test-reporter=spec e2e/softap.test.mjs
) || { log "SoftAP GUI test failed; tauri-driver log:"; tail -n 40 "$WORK/tauri-driver-softap.log" >&2; exit 1; }

# Packaging: bundle the binary the tests above used, install it, start the installed app.
if [ "$(readlink -f "$BIN_DIR")" != "$(readlink -f "$CARGO_TARGET_DIR/debug")" ]; then
  log "IOTP_BIN_DIR must be \$CARGO_TARGET_DIR/debug: tauri bundle packages the binary there"; exit 1
fi
log "packaging: tauri bundle --debug --bundles deb (no rebuild)"
rm -rf "$CARGO_TARGET_DIR/debug/bundle/deb"
(cd src-tauri && ../ui/node_modules/.bin/tauri bundle --debug --bundles deb --ci) >"$WORK/bundle.log" 2>&1 \
  || { log "tauri bundle failed:"; cat "$WORK/bundle.log" >&2; exit 1; }
DEB=$(find "$CARGO_TARGET_DIR/debug/bundle/deb" -name '*.deb' | head -n 1)
[ -n "$DEB" ] || { log "tauri bundle made no .deb"; exit 1; }
NAME=$(dpkg-deb -f "$DEB" Package)
INSTALLED_APP=/usr/bin/iot-provisioner
dpkg-deb -c "$DEB" | grep -qE " (\./)?usr/bin/iot-provisioner$" || { log "$DEB has no usr/bin/iot-provisioner"; exit 1; }
if dpkg-query -W -f='${Status}' "$NAME" 2>/dev/null | grep -q "install ok installed"; then
  log "$NAME is already installed on this machine: not replacing it"; exit 1
fi
log "dpkg -i $(basename "$DEB") ($(du -h "$DEB" | cut -f1), package $NAME)"
PKG="$NAME"
as_root dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; exit 1; }
log "the installed app under Xvfb"
# A fresh profile and no preset: the installed app must start on its own. The app inherits
# tauri-driver's environment, so this check gets a driver of its own.
PKG_PORT=$((DRIVER_PORT + 1))
env -u IOTP_APP_PRESET XDG_CONFIG_HOME="$WORK/installed/config" XDG_DATA_HOME="$WORK/installed/data" \
  XDG_STATE_HOME="$WORK/installed/state" XDG_CACHE_HOME="$WORK/installed/cache" \
  tauri-driver --port "$PKG_PORT" --native-port $((PKG_PORT + 1000)) --native-driver "$(command -v WebKitWebDriver)" \
  >"$WORK/tauri-driver-installed.log" 2>&1 &
PIDS+=($!)
wait_port "$PKG_PORT"
if ! (cd ui && WEBDRIVER_URL="http://127.0.0.1:$PKG_PORT" INSTALLED_APP="$INSTALLED_APP" \
  node --test --test-reporter=spec e2e/installed.test.mjs); then
  log "installed app test failed; tauri-driver log:"; tail -n 40 "$WORK/tauri-driver-installed.log" >&2
  exit 1
fi
as_root dpkg -r "$PKG" >/dev/null
PKG=""
[ ! -e "$INSTALLED_APP" ] || { log "dpkg -r left $INSTALLED_APP behind"; exit 1; }
log "packaging: bundled, installed, started, removed"

# The demo: scripts/demo.sh as a person runs it (with a display), in a directory of its own.
DEMO_DIR="$WORK/demo"
log "scripts/demo.sh under Xvfb"
IOTP_DEMO_DIR="$DEMO_DIR" bash scripts/demo.sh >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1200); do
  if grep -q "Ctrl-C here stops everything" "$WORK/demo.log" && xwininfo -root -tree | grep -q '"IoT Provisioner"'; then break; fi
  kill -0 "$DEMO_PID" 2>/dev/null || { log "demo.sh ended early:"; cat "$WORK/demo.log" >&2; exit 1; }
  sleep 0.5
done
grep -q "Ctrl-C here stops everything" "$WORK/demo.log" || { log "demo.sh did not open the app in 10 min:"; cat "$WORK/demo.log" >&2; exit 1; }
DEMO_PORT=$((DRIVER_PORT + 2))
XDG_CONFIG_HOME="$DEMO_DIR/config" XDG_DATA_HOME="$DEMO_DIR/data" XDG_STATE_HOME="$DEMO_DIR/state" \
  IOTP_APP_PRESET="$DEMO_DIR/preset.json" \
  tauri-driver --port "$DEMO_PORT" --native-port $((DEMO_PORT + 1000)) --native-driver "$(command -v WebKitWebDriver)" \
  >"$WORK/tauri-driver-demo.log" 2>&1 &
PIDS+=($!)
wait_port "$DEMO_PORT"
if ! (cd ui && WEBDRIVER_URL="http://127.0.0.1:$DEMO_PORT" DEMO_LOG="$WORK/demo.log" DEMO_DIR="$DEMO_DIR" \
  node --test --test-reporter=spec e2e/demo.test.mjs); then
  log "demo check failed; demo output:"; tail -n 40 "$WORK/demo.log" >&2
  exit 1
fi
# As Ctrl-C would (a background job of a script ignores SIGINT, so TERM, which it traps too).
kill -TERM "$DEMO_PID"
wait "$DEMO_PID" 2>/dev/null || true
DEMO_PID=""
sleep 1
if pgrep -f "$DEMO_DIR" >/dev/null; then
  log "demo.sh left processes behind:"; pgrep -af "$DEMO_DIR" >&2; exit 1
fi
# What a newcomer watches during the long first run (issue 17, 1 and 3): numbered steps with
# the time elapsed, cargo's own progress (no -q), and where the binaries went.
for want in 'step 1/5: checking and installing what is missing (scripts/setup.sh --demo)' \
  'step 2/5: building provisiond, device-sim, provision and the app (the first time takes tens of minutes on 2 cores; cargo shows its progress)' \
  'Finished `dev` profile' \
  "built: the binaries are in $CARGO_TARGET_DIR/debug" \
  'step 5/5: opening the app on them'; do
  grep -qF -- "$want" "$WORK/demo.log" || { log "demo.sh did not print: $want"; cat "$WORK/demo.log" >&2; exit 1; }
done
log "demo: services up, app opened, provisioned from its instructions, everything stopped"
# Without a display the demo runs the same flow with the provision CLI, on its own.
log "scripts/demo.sh without a display (the provision CLI path)"
if ! env -u DISPLAY -u WAYLAND_DISPLAY IOTP_DEMO_DIR="$WORK/demo-cli" timeout 600 bash scripts/demo.sh >"$WORK/demo-cli.log" 2>&1 \
  || ! grep -q "is provisioned and online" "$WORK/demo-cli.log"; then
  log "headless demo failed:"; tail -n 40 "$WORK/demo-cli.log" >&2; exit 1
fi
if pgrep -f "$WORK/demo-cli" >/dev/null; then
  log "headless demo left processes behind:"; pgrep -af "$WORK/demo-cli" >&2; exit 1
fi
# The device code is in the terminal without a display too, as the README's step 4 says (issue 17, 12).
grep -qE '\] device-sim: serial DEMO-0001, access point PROV_0001, device code [0-9a-f]{8} \(a real device has it on its label\), reachable directly at 127\.0\.0\.1:[0-9]+$' "$WORK/demo-cli.log" \
  || { log "the headless demo did not print the device code:"; cat "$WORK/demo-cli.log" >&2; exit 1; }
log "headless demo: provisioned and online through the CLI, everything stopped"
