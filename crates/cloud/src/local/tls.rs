//! TLS for the HTTPS API and for the service's own MQTT client, with rustls on aws-lc.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::conn_limits::{ConnCounter, ConnLimits};
use crate::backend::BackendError;

fn internal(what: &str, e: impl std::fmt::Display) -> BackendError {
    BackendError::Internal(format!("{what}: {e}"))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// DER of the first PEM block in `text`.
pub fn pem_der(text: &str) -> Result<Vec<u8>, BackendError> {
    x509_parser::pem::parse_x509_pem(text.as_bytes())
        .map(|(_, p)| p.contents)
        .map_err(|e| internal("PEM", e))
}

/// Server config for the HTTPS API: our certificate chain, HTTP/1.1.
pub fn server_config(
    cert_der: Vec<u8>,
    key_pkcs8: Vec<u8>,
) -> Result<Arc<ServerConfig>, BackendError> {
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| internal("TLS versions", e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert_der)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8)),
        )
        .map_err(|e| internal("TLS certificate", e))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Client config with mutual TLS: trust only `ca_der`, present `cert_der` + key.
pub fn client_config(
    ca_der: Vec<u8>,
    cert_der: Vec<u8>,
    key_pkcs8: Vec<u8>,
) -> Result<Arc<ClientConfig>, BackendError> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca_der))
        .map_err(|e| internal("CA certificate", e))?;
    let cfg = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| internal("TLS versions", e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from(cert_der)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8)),
        )
        .map_err(|e| internal("client certificate", e))?;
    Ok(Arc::new(cfg))
}

/// Serves `app` over TLS on `listener` until the task is dropped, within `limits`: a
/// connection over the global or per-IP cap is closed right after `accept` (before any TLS
/// work), a client that does not finish its handshake or its request head in time is dropped,
/// and a kept-alive connection idle for the head timeout is closed.
pub async fn serve(listener: TcpListener, tls: Arc<ServerConfig>, app: Router, limits: ConnLimits) {
    let acceptor = TlsAcceptor::from(tls);
    let counter = ConnCounter::new(limits);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = counter.admit(peer.ip()) else {
            tracing::debug!(peer = %peer.ip(), "connection refused: connection cap reached");
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let Ok(Ok(stream)) =
                tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp)).await
            else {
                return;
            };
            let ip = PeerIp(peer.ip());
            let app = tower::ServiceBuilder::new()
                .map_request(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ip);
                    req
                })
                .service(app);
            let service = TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The TCP peer's address of a request, for per-IP limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerIp(pub IpAddr);
