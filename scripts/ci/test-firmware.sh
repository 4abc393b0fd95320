#!/usr/bin/env bash
# Firmware area checks beyond `cargo test`:
# 1. firmware-core is std-free: built without its `std` feature for the host and for a
#    bare-metal target that has no std at all (thumbv7em-none-eabihf);
# 2. a short libFuzzer run of the device state machine (FUZZ_SECONDS, default 15).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
# Reuse the workspace build (lib.sh defaults CARGO_TARGET_DIR); override with FIRMWARE_TARGET_DIR.
export CARGO_TARGET_DIR="${FIRMWARE_TARGET_DIR:-$CARGO_TARGET_DIR}"

log "firmware: core builds without std"
cargo build --locked -p firmware-core --no-default-features
if rustup target list --installed 2>/dev/null | grep -qx thumbv7em-none-eabihf; then
  cargo build --locked -p firmware-core --no-default-features --target thumbv7em-none-eabihf
else
  log "thumbv7em-none-eabihf missing: run scripts/ci/setup-firmware.sh"
  exit 1
fi

log "firmware: fuzz smoke run"
seconds="${FUZZ_SECONDS:-15}"
fuzz_dir="${FIRMWARE_FUZZ_TARGET_DIR:-$IOTP_CACHE/target-firmware-fuzz}"
cd firmware/fuzz
for target in $(cargo fuzz list --fuzz-dir .); do
  log "fuzz $target (${seconds}s)"
  out="$IOTP_CACHE/fuzz-firmware-$target.log"
  if ! RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir . "$target" -O --target-dir "$fuzz_dir" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$out" 2>&1; then
    tail -n 60 "$out"
    log "fuzz target $target failed (artifact under firmware/fuzz/artifacts/$target)"
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added)' "$out" || true
done
