#!/usr/bin/env bash
# QEMU area: the firmware core on an emulated microcontroller.
# 1. the board crate firmware/boards/qemu-cortex-m (its own workspace, built only for
#    thumbv7em-none-eabihf): fmt, clippy, and its release image;
# 2. firmware/core/tests/qemu.rs (ignored by plain `cargo test`): sec2 provisioning with a CSR
#    and an 8 KB chain, a power cut during the commit, a wrong passphrase, the PoP lock-out
#    across a reboot, each against that image under qemu-system-arm (mps2-an386, -icount
#    shift=0) over the emulated UART. The test prints the measured heap, stack and
#    instruction figures (docs/perf.md).
# Fails, never skips, when QEMU or the target is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

if ! command -v qemu-system-arm >/dev/null; then
  log "qemu-system-arm missing: scripts/setup.sh installs it (scripts/ci/qemu.apt)"
  exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -qx thumbv7em-none-eabihf; then
  log "thumbv7em-none-eabihf missing: run scripts/ci/setup-qemu.sh"
  exit 1
fi

board=firmware/boards/qemu-cortex-m
board_target="${QEMU_BOARD_TARGET_DIR:-$IOTP_CACHE/target-qemu-board}"
log "qemu: board crate fmt and clippy"
(cd "$board" && cargo fmt -- --check)
(cd "$board" && CARGO_TARGET_DIR="$board_target" cargo clippy --release --locked -- -D warnings)
log "qemu: board image"
(cd "$board" && CARGO_TARGET_DIR="$board_target" cargo build --release --locked)
export IOTP_QEMU_FIRMWARE="$board_target/thumbv7em-none-eabihf/release/board-qemu-cortex-m"

log "qemu: the core's behaviour tests on the emulated Cortex-M4"
# Same feature set as the workspace test run, so the test binary is reused, not rebuilt.
cargo test --workspace --all-features --locked --test qemu -- --ignored --nocapture
