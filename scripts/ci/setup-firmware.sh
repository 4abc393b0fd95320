#!/usr/bin/env bash
# Firmware area set-up: cargo-fuzz for the state-machine fuzz smoke run (built with the stable
# toolchain; the run uses RUSTC_BOOTSTRAP=1), and a bare-metal target so CI can prove the core
# builds without std.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_cargo_tool cargo-fuzz 0.13.2
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
  log "rustup target add thumbv7em-none-eabihf"
  rustup target add thumbv7em-none-eabihf
fi
