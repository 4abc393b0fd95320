//! Legacy seed-lab mode over a real loopback TLS connection: a small TLS client (as the lab
//! firmware) reads the stream and parses it with `protocol::legacy`.

use std::sync::Arc;
use std::time::Duration;

use protocol::legacy::Decoder;
use provisioner::ErrorCode;
use provisioner::device::legacy::{LEGACY_SERVER_NAME, LegacyServer};
use provisioner::validate::{Passphrase, Ssid};
use tokio::io::AsyncReadExt;

const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";

async fn device_reads(addr: std::net::SocketAddr, server_cert: Vec<u8>) -> Vec<u8> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_cert.into()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(LEGACY_SERVER_NAME).unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let mut all = Vec::new();
    tls.read_to_end(&mut all).await.unwrap();
    all
}

#[tokio::test]
async fn a_device_receives_key_cert_ssid_and_passphrase_in_order() {
    let server = LegacyServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = server.local_addr();
    let cert = server.certificate_der().to_vec();
    let push = tokio::spawn(async move {
        server
            .push(
                KEY,
                CERT,
                &Ssid::parse("HomeWiFi").unwrap(),
                &Passphrase::parse("correct horse").unwrap(),
                Duration::from_secs(10),
            )
            .await
    });
    let bytes = device_reads(addr, cert).await;
    let peer = push.await.unwrap().unwrap();
    assert!(peer.ip().is_loopback());

    let mut d = Decoder::new();
    // Feed in small fragments, as a device reading a socket would.
    for chunk in bytes.chunks(7) {
        d.feed(chunk).unwrap();
    }
    let got = d.finish().unwrap();
    assert_eq!(got.private_key_pem.as_str(), KEY);
    assert_eq!(got.certificate_pem, CERT);
    assert_eq!(got.ssid, b"HomeWiFi");
    assert_eq!(got.passphrase.as_slice(), b"correct horse");
}

#[tokio::test]
async fn each_session_has_its_own_certificate() {
    let a = LegacyServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let b = LegacyServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_ne!(a.certificate_der(), b.certificate_der());
}

#[tokio::test]
async fn no_device_times_out_with_a_clear_message() {
    let server = LegacyServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let e = server
        .push(
            KEY,
            CERT,
            &Ssid::parse("HomeWiFi").unwrap(),
            &Passphrase::parse("").unwrap(),
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    assert!(e.message.contains("lab firmware"));
}

#[tokio::test]
async fn every_interface_is_refused_and_the_default_is_the_softap_address() {
    for any in ["0.0.0.0:0", "[::]:0"] {
        let e = LegacyServer::bind(any.parse().unwrap()).await.err();
        let e = e.unwrap_or_else(|| panic!("the legacy listener bound {any}"));
        assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
        assert!(e.message.contains("192.168.4.2"), "{}", e.message);
    }
    let default = provisioner::legacy_flow::LegacyOptions::default().listen;
    assert_eq!(default.to_string(), "192.168.4.2:7070");
    // The SoftAP address does not exist on this machine yet; binding before the join works.
    let early = LegacyServer::bind("192.168.4.2:0".parse().unwrap()).await;
    assert!(early.is_ok(), "{:?}", early.err());
}

#[tokio::test]
async fn one_transfer_then_nothing_listens() {
    let server = LegacyServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = server.local_addr();
    let cert = server.certificate_der().to_vec();
    let push = tokio::spawn(async move {
        server
            .push(
                KEY,
                CERT,
                &Ssid::parse("HomeWiFi").unwrap(),
                &Passphrase::parse("correct horse").unwrap(),
                Duration::from_secs(10),
            )
            .await
    });
    assert!(!device_reads(addr, cert).await.is_empty());
    push.await.unwrap().unwrap();
    // A second peer (someone else on the network) finds no listener.
    let second = tokio::net::TcpStream::connect(addr).await;
    assert!(second.is_err(), "a second peer could connect");
}
