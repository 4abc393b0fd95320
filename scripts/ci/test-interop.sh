#!/usr/bin/env bash
# Espressif's own provisioning client against our device (issue 10, part 1): the esp_prov
# functions of PyPI's esp-rainmaker-cli (pinned in scripts/ci/requirements.txt) provision the
# real device-sim over HTTP on loopback at security 0, 1 and 2 (sec2 from a username + password
# salt/verifier and from the PoP), report a wrong passphrase as AuthError, reset and re-provision over prov-ctrl,
# and get ESP-IDF's answers for an unknown endpoint (tests/interop, pytest).
# Fails, never skips: a missing venv package, a missing binary or any skipped test is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

python="$IOTP_VENV/bin/python"
"$python" -c 'import rmaker_tools.rmaker_prov.prov.prov_util, pytest' || {
  log "interop: esp-rainmaker-cli / pytest missing from $IOTP_VENV: run scripts/setup.sh"
  exit 1
}
if [ -z "${IOTP_BIN_DIR:-}" ]; then
  # The workspace's feature set, so the dependencies of scripts/test.sh's build are reused.
  cargo build --locked -q --workspace --all-features --bin device-sim
fi
export IOTP_BIN_DIR="${IOTP_BIN_DIR:-$CARGO_TARGET_DIR/debug}"

log "interop: esp_prov (esp-rainmaker-cli $("$python" -m pip show esp-rainmaker-cli 2>/dev/null | awk '/^Version:/ {print $2}')) against device-sim"
out="$IOTP_CACHE/interop-pytest.log"
# -rs lists skips so that the check below sees them; -W keeps rmaker_tools' import-machinery
# deprecation notices out of the summary.
set +e
"$python" -m pytest -q -rs -p no:cacheprovider -W ignore::DeprecationWarning tests/interop 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { log "interop: esp_prov suite failed"; exit "$status"; }
if grep -qE '[0-9]+ (skipped|xfailed|deselected)' "$out"; then
  log "interop: tests were skipped; every test must run"; exit 1
fi
passed=$(grep -Eo '[0-9]+ passed' "$out" | tail -1 | awk '{print $1}')
[ "${passed:-0}" -gt 0 ] || { log "interop: no test ran"; exit 1; }
log "interop: $passed esp_prov tests passed"
