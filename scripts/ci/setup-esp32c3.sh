#!/usr/bin/env bash
# ESP32-C3 area set-up: the standard library sources (the board builds core and alloc for its
# own target file, see firmware/boards/esp32c3/.cargo/config.toml) and espflash, which turns
# the ELF into the flashable image.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
if command -v rustup >/dev/null && ! rustup component list --installed | grep -q '^rust-src'; then
  log "rustup component add rust-src"
  rustup component add rust-src
fi
if ! espflash --version 2>/dev/null | grep -q '4.7.0'; then
  log "cargo install espflash@4.7.0"
  # Without update-check: CI must not ask the registry for newer versions on every run.
  cargo install --locked --quiet espflash@4.7.0 --no-default-features --features cli
fi
