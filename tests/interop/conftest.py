"""Runs the real device-sim for the esp_prov interop tests.

device-sim comes from IOTP_BIN_DIR (scripts/test.sh points it at the workspace build), else from
$CARGO_TARGET_DIR/debug; scripts/ci/test-interop.sh builds it first. A missing binary fails the
run, it is never skipped."""

import json
import os
import subprocess

import pytest

POP = "interop-pop-5617"


def device_sim_path():
    bin_dir = os.environ.get("IOTP_BIN_DIR") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "debug"
    )
    path = os.path.join(bin_dir, "device-sim")
    if not os.access(path, os.X_OK):
        pytest.fail(f"device-sim not found at {path}: build it (scripts/ci/test-interop.sh does)")
    return path


class Sim:
    """One device-sim process on a free 127.0.0.1 port; `log` is its stderr so far."""

    def __init__(self, tmp_path, serial, args):
        self.log_path = tmp_path / f"{serial}.log"
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, IOTP_DEVICE_POP=POP)
        self.proc = subprocess.Popen(
            [device_sim_path(), "--serial", serial, "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            pytest.fail(f"device-sim printed no label line: {self.log()}")
        self.label = json.loads(line)
        self.addr = self.label["listen"]

    def log(self):
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._log.close()


@pytest.fixture
def start_sim(tmp_path):
    """start_sim(serial, *device_sim_args) -> Sim; every one is stopped after the test."""
    sims = []

    def start(serial, *args):
        sim = Sim(tmp_path, serial, [str(a) for a in args])
        sims.append(sim)
        return sim

    yield start
    for sim in sims:
        sim.stop()
