//! The seed lab firmware's provisioning, for `--legacy-connect`: the device is a TLS client of
//! the app's port (7070 on a real SoftAP), reads the unauthenticated stream - private key and
//! certificate as `writeUTF` strings, SSID and passphrase NUL-terminated - and then joins the
//! network and goes online with them. Like the lab firmware it does not check the app's
//! certificate (there is nothing to check it against), which is why legacy mode is opt-in.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use firmware_core::store::MqttSettings;
use protocol::legacy::{Decoder, LegacyCredentials};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::host::Host;

/// Accepts any server certificate but still checks the handshake signatures, as the lab
/// firmware did (it had no way to know the app's per-session certificate).
#[derive(Debug)]
struct AnyServer(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// One connection: TLS handshake, then the whole stream until the app closes it.
fn receive(app: SocketAddr) -> anyhow::Result<LegacyCredentials> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(provider)))
        .with_no_client_auth();
    let name = ServerName::IpAddress(app.ip().into());
    let conn = rustls::ClientConnection::new(Arc::new(config), name)?;
    let tcp = TcpStream::connect_timeout(&app, Duration::from_secs(2))?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut decoder = Decoder::new();
    let mut buf = [0u8; 1024];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => decoder
                .feed(&buf[..n])
                .map_err(|e| anyhow::anyhow!("legacy stream: {e}"))?,
            Err(e) => return Err(e.into()),
        }
    }
    decoder
        .finish()
        .map_err(|e| anyhow::anyhow!("legacy stream: {e}"))
}

/// Connects to the app until it answers (the lab firmware retried forever), then hands the
/// credentials and the built-in broker settings to the core. Runs on its own thread.
pub fn run(host: Host, app: SocketAddr, broker: MqttSettings) {
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        match receive(app) {
            Ok(creds) => {
                match host.legacy_deliver(creds, broker.clone()) {
                    Ok(()) => eprintln!("device-sim: legacy credentials received from {app}"),
                    Err(e) => eprintln!("device-sim: legacy credentials refused: {e:?}"),
                }
                return;
            }
            Err(e) => {
                // Nothing listens yet (the app starts its server when the user is ready): say
                // so now and then, not every 200 ms.
                if attempts % 50 == 1 {
                    eprintln!("device-sim: legacy connect to {app}: {e:#}; retrying");
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}
