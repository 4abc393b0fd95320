#!/usr/bin/env bash
# ESP32-C3 area: the board crate firmware/boards/esp32c3 (its own workspace) builds the
# flashable image, and the image stays within the flash and static-RAM budget written in
# docs/perf.md. No board is attached to CI: nothing here flashes or runs the image.
# Fails, never skips, when rust-src or espflash is missing (scripts/ci/setup-esp32c3.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  log "rust-src missing: run scripts/ci/setup-esp32c3.sh"
  exit 1
fi
if ! command -v espflash >/dev/null; then
  log "espflash missing: run scripts/ci/setup-esp32c3.sh"
  exit 1
fi

board=firmware/boards/esp32c3
board_target="${ESP32C3_TARGET_DIR:-$IOTP_CACHE/target-esp32c3}"
# core and alloc are built from rust-src for the board's target file (build-std).
export RUSTC_BOOTSTRAP=1
log "esp32c3: board crate fmt and clippy"
(cd "$board" && cargo fmt -- --check)
(cd "$board" && CARGO_TARGET_DIR="$board_target" cargo clippy --release --locked -- -D warnings)
log "esp32c3: board image"
(cd "$board" && CARGO_TARGET_DIR="$board_target" cargo build --release --locked)
elf="$board_target/riscv32imc-unknown-none-elf/release/board-esp32c3"

log "esp32c3: flashable image (espflash save-image)"
out="$IOTP_CACHE/esp32c3"
mkdir -p "$out"
rm -f "$out/board-esp32c3.bin"
# --skip-padding: the merged image ends after the app, so writing it at 0 leaves the factory
# and store partitions alone.
espflash save-image --chip esp32c3 --partition-table "$board/partitions.csv" --merge --skip-padding \
  "$elf" "$out/board-esp32c3.bin"
[ -s "$out/board-esp32c3.bin" ] || { log "espflash wrote no image"; exit 1; }
log "esp32c3: merged image (bootloader + partition table + app) $(stat -c %s "$out/board-esp32c3.bin") bytes: $out/board-esp32c3.bin"

log "esp32c3: size against the budget in docs/perf.md; no atomic instructions"
python3 scripts/ci/esp32c3_image_check.py "$elf" docs/perf.md
