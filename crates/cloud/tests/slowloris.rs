//! Slow and numerous clients against a real provisiond on loopback: a client that never
//! finishes its TLS handshake, its request head or its body, or sits idle on a kept-alive
//! connection, is disconnected; connections over the per-IP or the global cap are closed at
//! once while other clients are still served.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::Server;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// How long the test waits for the server to do what it must; a server that never does it
/// fails the test instead of hanging it.
const BOUND: Duration = Duration::from_secs(30);

fn api_addr(server: &Server) -> SocketAddr {
    let hostport = server.api.trim_start_matches("https://");
    hostport.parse().unwrap()
}

async fn tcp_from(src: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{src}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

async fn tls_from(server: &Server, src: &str) -> TlsStream<TcpStream> {
    try_tls(server, src)
        .await
        .expect("TLS handshake with provisiond")
}

async fn try_tls(server: &Server, src: &str) -> std::io::Result<TlsStream<TcpStream>> {
    let der = x509_parser::pem::parse_x509_pem(server.ca_pem.as_bytes())
        .unwrap()
        .1
        .contents;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(der)).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tcp_from(src, api_addr(server)).await;
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
}

/// Reads until the server closes the connection; returns what it sent. Panics when the
/// server keeps the connection open past [`BOUND`].
async fn until_closed<S: AsyncReadExt + Unpin>(stream: &mut S, what: &str) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "{what}: the server kept the connection open");
    got
}

/// One complete GET over a fresh TLS connection from `src`; returns the status line.
async fn served(server: &Server, src: &str) -> String {
    let Ok(mut tls) = try_tls(server, src).await else {
        return String::new();
    };
    tls.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let reply = until_closed(&mut tls, "a closing request").await;
    String::from_utf8_lossy(&reply)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_clients_are_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &["--header-timeout-secs", "1", "--request-timeout-secs", "3"],
    );

    // No TLS handshake at all.
    let mut silent = tcp_from("127.0.0.1", api_addr(&server)).await;
    until_closed(&mut silent, "no handshake").await;

    // A request head that never ends.
    let mut head = tls_from(&server, "127.0.0.1").await;
    head.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    until_closed(&mut head, "an unfinished head").await;

    // A kept-alive connection left idle after one answered request.
    let mut idle = tls_from(&server, "127.0.0.1").await;
    idle.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let reply = until_closed(&mut idle, "an idle kept-alive connection").await;
    assert!(reply.starts_with(b"HTTP/1.1 200"), "{:?}", &reply[..20]);

    // A body trickled one byte at a time, each gap shorter than the head timeout.
    let mut body = tls_from(&server, "127.0.0.1").await;
    body.write_all(
        b"POST /auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n",
    )
    .await
    .unwrap();
    let (mut rd, mut wr) = tokio::io::split(body);
    let trickle = tokio::spawn(async move {
        for _ in 0..4000 {
            if wr.write_all(b" ").await.is_err() || wr.flush().await.is_err() {
                return false; // the server hung up: what we want
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        true
    });
    let reply = until_closed(&mut rd, "a trickled body").await;
    assert!(
        reply.starts_with(b"HTTP/1.1 503"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    trickle.abort();

    // The server still answers a normal client.
    assert_eq!(served(&server, "127.0.0.1").await, "HTTP/1.1 200 OK");
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_over_the_caps_are_closed_and_others_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &[
            "--max-connections",
            "6",
            "--max-connections-per-ip",
            "4",
            "--header-timeout-secs",
            "300",
        ],
    );
    let addr = api_addr(&server);

    // Four idle sockets from one address fill its share; the fifth is closed at once.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(tcp_from("127.0.0.1", addr).await);
    }
    let mut fifth = tcp_from("127.0.0.1", addr).await;
    until_closed(&mut fifth, "a fifth connection from one address").await;

    // Another address is still served while the first one is at its cap.
    assert_eq!(served(&server, "127.0.0.2").await, "HTTP/1.1 200 OK");

    // Two more from a second address reach the global cap; a third address is refused.
    held.push(tcp_from("127.0.0.2", addr).await);
    held.push(tcp_from("127.0.0.2", addr).await);
    let mut over = tcp_from("127.0.0.3", addr).await;
    until_closed(&mut over, "a connection over the global cap").await;

    // Closing the held sockets frees their places.
    drop(held);
    let mut status = String::new();
    for _ in 0..50 {
        // The server notices the closed sockets on its own schedule; retry briefly.
        status = tokio::time::timeout(BOUND, served(&server, "127.0.0.1"))
            .await
            .unwrap_or_default();
        if status == "HTTP/1.1 200 OK" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "HTTP/1.1 200 OK");
}
