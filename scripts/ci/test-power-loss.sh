#!/usr/bin/env bash
# Power-loss area: crates/cloud/tests/power_loss.rs (ignored by plain `cargo test`, it needs
# FUSE). provisiond's data directory on the test's own lazy FUSE filesystem (unsynced writes
# kept in memory, dropped at a power cut, as Jepsen's LazyFS does), three cuts under 32-client
# load: with synchronous=FULL every acknowledged certificate survives; with
# PROVISIOND_SQLITE_SYNCHRONOUS=normal the same cuts must lose some (proof that the filesystem
# drops what was not synced). The tests print the figures docs/perf.md quotes.
# Fails, never skips, when FUSE is not there.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

if [ ! -c /dev/fuse ]; then
  log "power-loss: /dev/fuse missing (load the fuse module: modprobe fuse; in a container, pass --device /dev/fuse)"
  exit 1
fi
if ! grep -qw fuse /proc/filesystems; then
  log "power-loss: the kernel has no fuse filesystem (modprobe fuse)"
  exit 1
fi
if [ "$(id -u)" -ne 0 ] && ! command -v fusermount3 >/dev/null; then
  log "power-loss: not root and no fusermount3 to mount with (scripts/ci/power-loss.apt: fuse3)"
  exit 1
fi

log "power-loss: power cuts under load on a lazy FUSE data directory"
# Same feature set as the workspace test run, so the test binary is reused, not rebuilt.
cargo test --workspace --all-features --locked --test power_loss -- --ignored --nocapture --test-threads=1
