#!/usr/bin/env bash
# QEMU area set-up: the bare-metal Cortex-M4 target the board image is built for
# (qemu-system-arm itself comes from scripts/ci/qemu.apt).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
  log "rustup target add thumbv7em-none-eabihf"
  rustup target add thumbv7em-none-eabihf
fi
