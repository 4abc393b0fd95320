#!/usr/bin/env bash
# Desktop set-up: tauri-driver for the GUI tests, the UI's npm packages (from the lock file),
# and a built UI so `cargo clippy/test --workspace` can compile src-tauri (its
# generate_context! embeds ui/dist). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

# tauri-driver has no --version, so ask cargo what it installed before calling ensure_cargo_tool.
# Only the GUI tests use it: `scripts/setup.sh --demo` skips it.
TAURI_DRIVER_VERSION=2.1.0
if [ "${IOTP_SETUP_DEMO:-0}" != 1 ] && ! cargo install --list 2>/dev/null | grep -q "^tauri-driver v$TAURI_DRIVER_VERSION:"; then
  ensure_cargo_tool tauri-driver "$TAURI_DRIVER_VERSION"
fi

if ! command -v npm >/dev/null; then
  ensure_apt nodejs npm
fi
cd ui
stamp="node_modules/.iotp-lock-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  log "npm ci (ui)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
log "npm run build (ui)"
npm run build --silent >/dev/null
