#!/usr/bin/env python3
"""Wall time of the Wi-Fi part of provisioning, Espressif's esp_prov against our `provision`,
on the same device-sim, side by side in one run (figures in docs/perf.md).

Each run starts a fresh device-sim (its start-up is not timed), then times one tool as a user
runs it, from process start to exit after the device reported Connected: proto-ver, session,
SetConfig, ApplyConfig, GetStatus until Connected, no scan (both are given the SSID).

- esp_prov: the functions of PyPI's esp-rainmaker-cli (rmaker_tools.rmaker_prov.prov.prov_util)
  in a Python process of their own, polling the status every 0.1 s as ours does; and once per
  level with the 5 s sleep before each status request that esp_prov's own loop has
  (esp_rainmaker_prov's wait_for_wifi_connection, ESP-IDF's esp_prov.py wait_wifi_connected).
- ours: `provision --json wifi --link direct` (the Wi-Fi-only flow).

Run with the test venv's Python after a build of the binaries:
  cargo build --locked --workspace --all-features --bin device-sim --bin provision
  $IOTP_VENV/bin/python scripts/bench-interop.py [--runs 10] [--bin-dir $CARGO_TARGET_DIR/debug]
The PoP and passphrase reach the child processes through the environment, never argv.
A failed run fails the benchmark.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

POP = "bench-pop-2231"
SSID, PASSPHRASE = "HomeWiFi", "correct horse"


def esp_prov_child(addr, level, poll_s):
    """The child process: esp_prov's functions against the device at addr."""
    t0 = time.monotonic()
    from rmaker_tools.rmaker_prov.prov import prov_util as esp_prov

    t_imported = time.monotonic()
    pop, passphrase = os.environ["BENCH_POP"], os.environ["BENCH_PASSPHRASE"]
    tp = esp_prov.get_transport("softap", addr)
    info = json.loads(esp_prov.get_version(tp))["prov"]
    if level == 2:
        sec = esp_prov.get_security(2, info.get("sec_patch_ver", 0), "wifiprov", pop)
    else:
        sec = esp_prov.get_security(1, pop=pop)
    if not esp_prov.establish_session(tp, sec):
        sys.exit("session failed")
    if not esp_prov.send_wifi_config(tp, sec, SSID, passphrase):
        sys.exit("set config failed")
    if not esp_prov.apply_wifi_config(tp, sec):
        sys.exit("apply failed")
    while True:
        time.sleep(poll_s)
        state = esp_prov.get_wifi_config(tp, sec)
        if state == "connected":
            break
        if state != "connecting":
            sys.exit(f"device says {state}")
    done = time.monotonic()
    print(json.dumps({"imports_s": t_imported - t0, "in_process_s": done - t_imported}), file=sys.stderr)


class Sim:
    def __init__(self, bin_dir, serial, level, log):
        env = dict(os.environ, IOTP_DEVICE_POP=POP)
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "device-sim"), "--serial", serial, "--security", str(level),
             "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=log, env=env, text=True)
        self.label = json.loads(self.proc.stdout.readline())
        self.addr = self.label["listen"]

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def timed(cmd, env):
    t0 = time.monotonic()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit(f"benchmark run failed: {' '.join(cmd)}\n{out.stdout}\n{out.stderr}")
    return elapsed, out


def run_esp_prov(bin_dir, level, poll_s, n, log):
    sim = Sim(bin_dir, f"BENCH-E{level}{n:03}", level, log)
    try:
        env = dict(os.environ, BENCH_POP=POP, BENCH_PASSPHRASE=PASSPHRASE)
        elapsed, out = timed([sys.executable, os.path.abspath(__file__), "--esp-prov-child",
                              sim.addr, str(level), str(poll_s)], env)
        inner = json.loads(out.stderr.strip().splitlines()[-1])
        return elapsed, inner
    finally:
        sim.stop()


def run_provision(bin_dir, level, n, log, home):
    serial = f"BENCH-P{level}{n:03}"
    sim = Sim(bin_dir, serial, level, log)
    try:
        env = dict(os.environ, IOTP_POP=POP, IOTP_WIFI_PASSPHRASE=PASSPHRASE)
        env.pop("IOTP_QR", None)
        cmd = [os.path.join(bin_dir, "provision"), "--home", home, "--json", "wifi",
               "--ssid", SSID, "--link", "direct", "--url", f"http://{sim.addr}",
               "--softap", sim.label["softap"], "--security", str(level)]
        elapsed, out = timed(cmd, env)
        result = json.loads(out.stdout)
        if result.get("sec_ver") != level:
            sys.exit(f"provision reported {result}")
        return elapsed
    finally:
        sim.stop()


def median_ms(xs):
    return f"{statistics.median(xs) * 1000:.0f} ms"


def spread_ms(xs):
    return f"{min(xs) * 1000:.0f}-{max(xs) * 1000:.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--bin-dir", default=os.environ.get("IOTP_BIN_DIR") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "debug"))
    ap.add_argument("--esp-prov-child", nargs=3, metavar=("ADDR", "LEVEL", "POLL_S"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.esp_prov_child:
        addr, level, poll = args.esp_prov_child
        esp_prov_child(addr, int(level), float(poll))
        return
    import rmaker_tools  # noqa: F401  fails here, before any run, without the venv

    with tempfile.TemporaryDirectory() as tmp, open(os.path.join(tmp, "sims.log"), "wb") as log:
        rows = []
        for level in (1, 2):
            esp, esp_inner, ours = [], [], []
            for n in range(args.runs):
                # Interleaved, so a change in machine load hits both tools alike.
                e, inner = run_esp_prov(args.bin_dir, level, 0.1, n, log)
                esp.append(e)
                esp_inner.append(inner)
                ours.append(run_provision(args.bin_dir, level, n, log, os.path.join(tmp, f"h{n}")))
            shipped, _ = run_esp_prov(args.bin_dir, level, 5.0, 999, log)
            rows.append((level, esp, esp_inner, ours, shipped))

    load = os.getloadavg()
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.platform()}; "
          f"load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.runs} runs per tool and level")
    print()
    print("| level | esp_prov, 0.1 s poll (median, min-max) | of which imports / in-process | "
          "`provision wifi` (median, min-max) | ratio esp_prov / ours | esp_prov, its own 5 s poll (1 run) |")
    print("|---|---|---|---|---|---|")
    for level, esp, inner, ours, shipped in rows:
        imports = statistics.median(i["imports_s"] for i in inner)
        in_proc = statistics.median(i["in_process_s"] for i in inner)
        ratio = statistics.median(esp) / statistics.median(ours)
        print(f"| sec{level} | {median_ms(esp)} ({spread_ms(esp)}) | {imports * 1000:.0f} ms / "
              f"{in_proc * 1000:.0f} ms | {median_ms(ours)} ({spread_ms(ours)}) | {ratio:.2f} | "
              f"{shipped * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
