#!/usr/bin/env bash
# Firmware area checks beyond `cargo test`:
# 1. firmware-core is std-free: built without its `std` feature for the host and for a
#    bare-metal target that has no std at all (thumbv7em-none-eabihf);
# 2. device-sim at the SoftAP address 192.168.4.1:80 in a network namespace, provisioned over a
#    veth link from a second namespace (the ignored test `netns`: it needs root and iproute2);
# 3. a short libFuzzer run of each device state-machine target (FUZZ_SECONDS each, default 15).
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

log "firmware: device-sim in a network namespace at 192.168.4.1:80"
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
  log "the network-namespace test needs root and iproute2 (CI has both)"
  exit 1
fi
# Same feature set as the workspace test run, so the test binary is reused, not rebuilt.
cargo test --workspace --all-features --locked --test netns -- --ignored

log "firmware: fuzz smoke runs"
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
