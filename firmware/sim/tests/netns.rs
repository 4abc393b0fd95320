//! The simulator where a real device sits: at 192.168.4.1:80, the ESP-IDF SoftAP address, in a
//! network namespace of its own, reached over a veth link from a second namespace that plays
//! the host which joined the SoftAP (192.168.4.2). Both namespaces are made by the test and
//! deleted after it; no address outside them is touched.
//!
//! Needs root and `ip` (iproute2), so it is ignored by a plain `cargo test`;
//! `scripts/ci/test-firmware.sh` runs it (`--ignored`) in CI, which runs as root.

mod support;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;

use protocol::proto::WifiStationState;
use support::*;

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A network namespace, deleted (with its interfaces) on drop.
struct Netns(String);

impl Netns {
    fn add(name: String) -> Netns {
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        ip(&["netns", "add", &name]);
        let ns = Netns(name);
        ip(&["-n", &ns.0, "link", "set", "lo", "up"]);
        ns
    }

    /// Moves the calling thread (only it) into this namespace.
    fn enter(&self) {
        let f = File::open(format!("/run/netns/{}", self.0)).expect("namespace file");
        // SAFETY: setns on a valid namespace fd; it changes only this thread's network
        // namespace, which the caller owns.
        let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

#[test]
#[ignore = "needs root and ip netns: scripts/ci/test-firmware.sh runs it"]
fn provisioning_at_the_softap_address_across_a_veth_link() {
    let id = std::process::id() % 100_000;
    let device_ns = Netns::add(format!("iotp-dev-{id}"));
    let host_ns = Netns::add(format!("iotp-host-{id}"));
    let (dev_if, host_if) = (format!("iotpd{id}"), format!("iotph{id}"));
    ip(&[
        "-n",
        &device_ns.0,
        "link",
        "add",
        &dev_if,
        "type",
        "veth",
        "peer",
        "name",
        &host_if,
        "netns",
        &host_ns.0,
    ]);
    ip(&[
        "-n",
        &device_ns.0,
        "addr",
        "add",
        "192.168.4.1/24",
        "dev",
        &dev_if,
    ]);
    ip(&["-n", &device_ns.0, "link", "set", &dev_if, "up"]);
    ip(&[
        "-n",
        &host_ns.0,
        "addr",
        "add",
        "192.168.4.2/24",
        "dev",
        &host_if,
    ]);
    ip(&["-n", &host_ns.0, "link", "set", &host_if, "up"]);

    let serial = "SN-NETNS-1";
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &device_ns.0])
        .arg(env!("CARGO_BIN_EXE_device-sim"))
        .args(["--serial", serial, "--listen", "192.168.4.1:80"])
        .args(["--security", "2"]);
    let sim = Sim::spawn(cmd);
    assert_eq!(sim.addr, "192.168.4.1:80".parse().unwrap());

    let ca = Ca::new("netns test root");
    let client = std::thread::spawn(move || {
        host_ns.enter();
        let mut c = sim.session(2);
        assert_eq!(c.proto_ver().unwrap().prov.sec_ver, 2);
        assert_eq!(c.info().unwrap().serial, serial);
        let chain = ca.sign_csr(&c.csr().unwrap());
        let s = deliver_and_join(&mut c, serial, &chain, &ca.cert.pem());
        assert_eq!(s.sta_state, WifiStationState::Connected as i32, "{s:?}");
        (sim, host_ns)
    });
    let (sim, host_ns) = client.join().expect("client thread");
    drop(sim);
    drop(host_ns);
    drop(device_ns);
}
