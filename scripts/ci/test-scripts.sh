#!/usr/bin/env bash
# The set-up script as a newcomer sees it (issue 17, 1 and 2): `scripts/setup.sh --demo`
# prints each step with the time elapsed, names the test-only tools it skips, and installs
# none of them; the README's paths are the ones the scripts use. Runs after scripts/test.sh's
# full set-up, so --demo has nothing left to install and only checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
bash scripts/setup.sh --demo 2>"$OUT" >/dev/null || { log "setup.sh --demo failed:"; cat "$OUT" >&2; exit 1; }

fail() { log "$1"; cat "$OUT" >&2; exit 1; }
grep -qxE '\[[0-9:]{8}, +[0-9]+ s\] step 1/3: system packages for the demo \(apt\)' "$OUT" || fail "no step 1/3 line:"
grep -qxF "step 2/3: the UI's npm packages and build (test-only tools skipped: tauri-driver, cargo-fuzz, the thumbv7em target, the Python test venv; scripts/setup.sh without --demo installs them)" <(sed -E 's/^\[[^]]*\] //' "$OUT") \
  || fail "no step 2/3 line naming the skipped tools:"
grep -qxE '\[[0-9:]{8}, +[0-9]+ s\] step 3/3: setup done' "$OUT" || fail "no step 3/3 line:"
grep -qE 'cargo install|pip install|rustup target add|setup-firmware|setup-protocol' "$OUT" && fail "--demo ran a test-only step:"
bash scripts/setup.sh --bogus 2>"$OUT" && fail "setup.sh accepted --bogus"
grep -q 'usage: scripts/setup.sh \[--demo\]' "$OUT" || fail "no usage line for a bad option:"

# The README names no path the scripts do not make (issue 17, 3).
grep -q 'target/debug/device-sim --serial' README.md && { log "README still runs target/debug/device-sim"; exit 1; }
grep -qF 'cargo install --locked --path crates/provisioner' README.md || { log "README does not say how to put provision on PATH"; exit 1; }
grep -qF 'built: the binaries are in $BIN' scripts/demo.sh || { log "demo.sh does not say where the binaries are"; exit 1; }
log "setup --demo: timed steps, test-only tools skipped and named; README paths checked"
