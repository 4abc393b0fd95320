//! The seed lab's legacy mode: the device connects to us as a TLS client on port 7070 and we
//! write, unacknowledged, its private key, certificate, SSID and passphrase
//! ([`protocol::legacy`] framing). The device does not authenticate us and we cannot
//! authenticate it: anyone on the SoftAP could receive the key. Explicit opt-in only.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use protocol::legacy::{self, LegacyCredentials};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};
use crate::validate::{Passphrase, Ssid};

/// The port the lab's firmware connects to.
pub const LEGACY_PORT: u16 = 7070;

/// The warning to show before using the legacy mode.
pub const LEGACY_WARNING: &str = "Legacy mode sends the device's private key and your Wi-Fi passphrase to whatever connects first, without authentication. Use it only for devices flashed with the seed lab firmware, on a network you control.";

/// Where the host listens by default: the address an ESP32 SoftAP's DHCP server gives its
/// first client (the SoftAP itself is 192.168.4.1).
pub const LEGACY_LISTEN: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::new(192, 168, 4, 2),
    LEGACY_PORT,
));

/// A listener on `addr` with a backlog of one (one device, one transfer).
fn listen_one(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        let (level, name) = match addr {
            SocketAddr::V4(_) => (libc::IPPROTO_IP, libc::IP_FREEBIND),
            SocketAddr::V6(_) => (libc::IPPROTO_IPV6, libc::IPV6_FREEBIND),
        };
        // SAFETY: setsockopt(2) on a socket we own, with a c_int option value of the right size.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                level,
                name,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    socket.bind(addr)?;
    socket.listen(1)
}

/// Name in the per-session certificate.
pub const LEGACY_SERVER_NAME: &str = "iot-provisioner-legacy";

/// A one-shot TLS server with a certificate made for this session only.
pub struct LegacyServer {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    cert_der: Vec<u8>,
}

fn tls_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Protocol, format!("Legacy TLS setup failed: {e}"))
}

impl LegacyServer {
    /// Listens on `addr` (port [`LEGACY_PORT`] on a real SoftAP) with a fresh self-signed
    /// certificate. `addr` must be this computer's own address on the device's network
    /// ([`LEGACY_LISTEN`] on an ESP32 SoftAP): an unspecified address (0.0.0.0, ::) would offer
    /// the key to every network the computer is on, so it is refused. The address may not
    /// exist yet (the host joins the SoftAP after binding): on Linux the socket is bound with
    /// `IP_FREEBIND`.
    pub async fn bind(addr: SocketAddr) -> Result<Self> {
        if addr.ip().is_unspecified() {
            return Err(Error::invalid(format!(
                "The legacy listener must be bound to this computer's address on the device's network (for an ESP32 SoftAP {LEGACY_LISTEN}), not to {addr}, which would hand the device's private key to anyone on any network this computer is on."
            )));
        }
        let certified = rcgen::generate_simple_self_signed(vec![LEGACY_SERVER_NAME.to_owned()])
            .map_err(tls_err)?;
        let cert_der = certified.cert.der().to_vec();
        let key = rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der())
            .map_err(tls_err)?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone().into()], key)
        .map_err(tls_err)?;
        let listener = listen_one(addr).map_err(|e| {
            Error::new(
                ErrorCode::Link,
                format!("Cannot listen on {addr} for the legacy device: {e}"),
            )
        })?;
        Ok(Self {
            listener,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            cert_der,
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// This session's certificate (DER).
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// Waits up to `wait` for one device, writes the credentials, closes. One shot: the
    /// listener is consumed, so after one connection (or the wait) nothing listens any more.
    /// Returns the device's address.
    pub async fn push(
        self,
        private_key_pem: &str,
        certificate_pem: &str,
        ssid: &Ssid,
        passphrase: &Passphrase,
        wait: Duration,
    ) -> Result<SocketAddr> {
        let creds = LegacyCredentials {
            private_key_pem: Zeroizing::new(private_key_pem.to_owned()),
            certificate_pem: certificate_pem.to_owned(),
            ssid: ssid.as_str().as_bytes().to_vec(),
            passphrase: Zeroizing::new(passphrase.expose().as_bytes().to_vec()),
        };
        let bytes = legacy::encode(&creds)
            .map_err(|e| Error::invalid(format!("Cannot send in legacy mode: {e}.")))?;
        let (tcp, peer) = tokio::time::timeout(wait, self.listener.accept())
            .await
            .map_err(|_| {
                Error::new(
                    ErrorCode::Unreachable,
                    format!("No legacy device connected within {} s: check that it runs the lab firmware and is in setup mode.", wait.as_secs()),
                )
            })?
            .map_err(|e| Error::new(ErrorCode::Unreachable, format!("Accepting the device failed: {e}")))?;
        let mut tls = self.acceptor.accept(tcp).await.map_err(|e| {
            Error::new(
                ErrorCode::Protocol,
                format!("TLS with the device failed: {e}"),
            )
        })?;
        tls.write_all(&bytes).await.map_err(|e| {
            Error::new(
                ErrorCode::Unreachable,
                format!("Sending to the device failed: {e}"),
            )
        })?;
        tls.shutdown().await.map_err(|e| {
            Error::new(
                ErrorCode::Unreachable,
                format!("Closing the device connection failed: {e}"),
            )
        })?;
        Ok(peer)
    }
}
