#!/usr/bin/env bash
# Installs everything the demo and the tests need. Idempotent: a second run only checks.
# Debian/Ubuntu: installs missing packages with apt. Elsewhere: names them and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

APT_PACKAGES=(
  pkg-config libssl-dev libdbus-1-dev dbus sqlite3 iproute2 protobuf-compiler
  mosquitto mosquitto-clients
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  xvfb xauth webkit2gtk-driver
  python3-venv
)
# Each area may add packages: scripts/ci/<area>.apt, one package a line.
for f in scripts/ci/*.apt; do
  [ -e "$f" ] || continue
  while read -r p; do [ -n "$p" ] && [ "${p:0:1}" != "#" ] && APT_PACKAGES+=("$p"); done < "$f"
done
ensure_apt "${APT_PACKAGES[@]}"

# Python tools in a venv outside the clone (moto, dbusmock, cfn-lint, schemathesis).
ensure_venv scripts/ci/requirements.txt

# Per-area extra set-up (cargo tools, npm ci, ...).
for f in scripts/ci/setup-*.sh; do
  [ -e "$f" ] || continue
  log "setup: $f"
  bash "$f"
done
log "setup done"
