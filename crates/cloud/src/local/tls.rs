//! TLS for the HTTPS API and for the service's own MQTT client, with rustls on aws-lc.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

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

/// Serves `app` over TLS on `listener` until the task is dropped. A client that does not
/// finish its handshake within 10 s is dropped, so idle sockets cannot pile up.
pub async fn serve(listener: TcpListener, tls: Arc<ServerConfig>, app: Router) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(Ok(stream)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                return;
            };
            let service = TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
