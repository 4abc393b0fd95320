#!/usr/bin/env bash
# Protocol area checks beyond `cargo test`:
# 1. the known-answer values in crates/protocol/tests/kat.rs still come out of the independent
#    Python computation (tests/kat/gen_kat.py, `cryptography` package from the venv);
# 2. the crate builds for a bare-metal target (no std anywhere in its dependency tree), or,
#    when that target could not be installed, for the host;
# 3. a short libFuzzer run of every fuzz target (FUZZ_SECONDS each, default 15).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

log "protocol: known-answer values reproduce independently"
python="$IOTP_VENV/bin/python"
"$python" -c 'import cryptography' 2>/dev/null || python=python3
expected=$("$python" crates/protocol/tests/kat/gen_kat.py | grep '^const ')
[ -n "$expected" ] || { log "gen_kat.py printed nothing"; exit 1; }
while IFS= read -r line; do
  grep -qxF "$line" crates/protocol/tests/kat.rs || { log "KAT value not in kat.rs: $line"; exit 1; }
done <<< "$expected"

if command -v rustup >/dev/null && rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
  log "protocol: no_std build (thumbv7em-none-eabihf)"
  cargo build -p protocol --target thumbv7em-none-eabihf --locked --quiet
else
  # The crate itself is #![no_std]; without a bare-metal target only the host build is possible.
  log "protocol: thumbv7em-none-eabihf not installed; host build of the #![no_std] crate only"
  cargo build -p protocol --locked --quiet
fi

log "protocol: fuzz smoke runs"
seconds="${FUZZ_SECONDS:-15}"
export CARGO_TARGET_DIR="${PROTOCOL_FUZZ_TARGET_DIR:-$IOTP_CACHE/target-fuzz}"
cd fuzz
for target in $(cargo fuzz list); do
  log "fuzz $target (${seconds}s)"
  out="$IOTP_CACHE/fuzz-$target.log"
  if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -O --target-dir "$CARGO_TARGET_DIR" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$out" 2>&1; then
    tail -n 60 "$out"
    log "fuzz target $target failed (artifact under fuzz/artifacts/$target)"
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added)' "$out" || true
done
