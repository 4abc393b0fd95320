#!/usr/bin/env bash
# Protocol area set-up: cargo-fuzz for the fuzz smoke runs (built with the stable toolchain;
# the runs use RUSTC_BOOTSTRAP=1 for the sanitizer flags).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_cargo_tool cargo-fuzz 0.13.2
# A bare-metal target to prove the protocol crate builds without std. Optional: if rustup
# cannot fetch it, test-protocol.sh falls back to the host build of the #![no_std] crate.
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
  log "rustup target add thumbv7em-none-eabihf"
  rustup target add thumbv7em-none-eabihf || log "could not add thumbv7em-none-eabihf (no_std check falls back to the host build)"
fi
