#!/usr/bin/env bash
# Installs everything the demo and the tests need. Idempotent: a second run only checks.
# Debian/Ubuntu: installs missing packages with apt. Elsewhere: names them and stops.
#   scripts/setup.sh          everything scripts/test.sh needs
#   scripts/setup.sh --demo   only what scripts/demo.sh needs: no test-only tools (tauri-driver,
#                             cargo-fuzz, the thumbv7em target, the test venv with moto, the
#                             test machines' extra packages)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DEMO=0
case "${1:-}" in
  --demo) DEMO=1 ;;
  "") ;;
  *) log "usage: scripts/setup.sh [--demo]"; exit 2 ;;
esac
export IOTP_SETUP_DEMO=$DEMO

# What building and running the demo needs.
APT_PACKAGES=(
  pkg-config libssl-dev libdbus-1-dev dbus sqlite3 iproute2 protobuf-compiler
  mosquitto mosquitto-clients
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  python3-venv
)
if [ "$DEMO" = 1 ]; then
  log "step 1/3: system packages for the demo (apt)"
else
  log "step 1/3: system packages for the demo and the tests (apt)"
  # The GUI tests' X server and WebDriver.
  APT_PACKAGES+=(xvfb xauth webkit2gtk-driver)
  # Each test area may add packages: scripts/ci/<area>.apt, one package a line.
  for f in scripts/ci/*.apt; do
    [ -e "$f" ] || continue
    while read -r p; do [ -n "$p" ] && [ "${p:0:1}" != "#" ] && APT_PACKAGES+=("$p"); done < "$f"
  done
fi
ensure_apt "${APT_PACKAGES[@]}"

if [ "$DEMO" = 1 ]; then
  log "step 2/3: the UI's npm packages and build (test-only tools skipped: tauri-driver, cargo-fuzz, the thumbv7em target, the Python test venv; scripts/setup.sh without --demo installs them)"
  bash scripts/ci/setup-desktop.sh
else
  # Python tools in a venv outside the clone (moto, dbusmock, cfn-lint, schemathesis).
  log "step 2/3: the Python test venv ($IOTP_VENV)"
  ensure_venv scripts/ci/requirements.txt
  # Per-area extra set-up (cargo tools, npm ci, ...).
  for f in scripts/ci/setup-*.sh; do
    [ -e "$f" ] || continue
    log "step 2/3: $f"
    bash "$f"
  done
fi
log "step 3/3: setup done"
