#!/usr/bin/env bash
# Runs every test of the project: set-up, services, format, lints, cargo tests, then each
# area's extra checks (fuzz smoke runs, cfn-lint, schemathesis, GUI end-to-end, packaging).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_disk 20
# CI builds once per run: incremental data would only take disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
bash scripts/setup.sh

# Services the tests use; stopped when this script exits.
source scripts/services.sh
trap services_stop EXIT
services_start

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
log "cargo test"
# The end-to-end harness and the area scripts use the binaries this build makes, so every
# crate is compiled once, with one feature set.
export IOTP_BIN_DIR="$CARGO_TARGET_DIR/debug"
cargo test --workspace --all-features --locked 2>&1 | tee "$IOTP_CACHE/cargo-test.log"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || exit "$status"

for f in scripts/ci/test-*.sh; do
  [ -e "$f" ] || continue
  log "area checks: $f"
  bash "$f"
done

passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$IOTP_CACHE/cargo-test.log" | awk '{s+=$4} END {print s+0}')
log "all checks passed ($passed cargo tests)"
