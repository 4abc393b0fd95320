#!/usr/bin/env bash
# Our host against an independent stock ESP-IDF device (tests/espdev/espdev.py, on Espressif's
# own Python modules from esp-rainmaker-cli):
# 1. the device itself against Espressif's own client code (pytest, tests/espdev), so the peer
#    is known to behave like ESP-IDF at sec1 and sec2;
# 2. the host core and the `provision` CLI against it at sec1 and sec2, Wi-Fi-only runs, a
#    wrong passphrase and a downgrading device (tests/tests/espdev_host.rs), and the
#    signed-in certificate run and batch on it (tests/tests/stock_device.rs).
# 2. runs inside `cargo test --workspace` (scripts/test.sh runs it before this script); those
# tests fail, never skip, without the venv. This script runs 1. and, when called on its own
# (STOCK_DEVICE_CARGO=1), 2. as well. Fails (never skips) when the venv lacks the packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

python="$IOTP_VENV/bin/python"
"$python" -c 'import rmaker_tools.rmaker_prov, pytest' || {
  log "stock-device: esp-rainmaker-cli / pytest missing from $IOTP_VENV: run scripts/setup.sh"
  exit 1
}

log "stock-device: espdev.py against Espressif's client"
"$python" -m pytest -q -p no:cacheprovider tests/espdev

[ "${STOCK_DEVICE_CARGO:-0}" = 1 ] || exit 0
log "stock-device: host core and CLI against espdev.py (sec1, sec2)"
cargo test -p e2e --all-features --locked --test espdev_host -- --test-threads 2
cargo test -p e2e --all-features --locked --test stock_device
