//! The MQTT connector: rumqttc over rustls with the device's certificate and key (mutual TLS).
//! The core asks for a connection and polls its state; a tokio task runs the event loop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use firmware_core::hal::{MqttConnect, MqttConnector, MqttState};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Connector state shared with the event-loop task.
pub struct SimMqtt {
    state: Arc<Mutex<MqttState>>,
    client: Option<AsyncClient>,
    task: Option<tokio::task::JoinHandle<()>>,
    runtime: tokio::runtime::Handle,
}

impl SimMqtt {
    /// A connector spawning its tasks on `runtime`.
    pub fn new(runtime: tokio::runtime::Handle) -> Self {
        Self {
            state: Arc::new(Mutex::new(MqttState::Idle)),
            client: None,
            task: None,
            runtime,
        }
    }
}

fn tls(params: &MqttConnect) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(params.server_ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("server CA: {e}"))?;
        roots.add(cert).map_err(|e| format!("server CA: {e}"))?;
    }
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(params.cert_chain_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("certificate chain: {e}"))?;
    // The key's content never goes into an error message.
    let key = PrivateKeyDer::from_pem_slice(params.key_pem.as_bytes())
        .map_err(|_| "device key is not a PEM private key".to_string())?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| format!("client certificate: {e}"))
}

impl MqttConnector for SimMqtt {
    fn connect(&mut self, params: &MqttConnect) {
        self.disconnect();
        let config = match tls(params) {
            Ok(c) => c,
            Err(e) => {
                *self.state.lock().unwrap() = MqttState::Failed(e);
                return;
            }
        };
        let mut opts = MqttOptions::new(params.client_id.clone(), params.host.clone(), params.port);
        opts.set_keep_alive(Duration::from_secs(30));
        opts.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(config),
        )));
        let _guard = self.runtime.enter();
        let (client, mut eventloop) = AsyncClient::new(opts, 10);
        let state = self.state.clone();
        *state.lock().unwrap() = MqttState::Connecting;
        self.task = Some(self.runtime.spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        *state.lock().unwrap() = MqttState::Connected
                    }
                    Ok(_) => {}
                    Err(e) => {
                        *state.lock().unwrap() = MqttState::Failed(e.to_string());
                        return;
                    }
                }
            }
        }));
        self.client = Some(client);
    }

    fn state(&mut self) -> MqttState {
        self.state.lock().unwrap().clone()
    }

    fn publish(&mut self, topic: &str, payload: &[u8]) -> bool {
        match &self.client {
            Some(c) => c
                .try_publish(topic, QoS::AtLeastOnce, false, payload.to_vec())
                .is_ok(),
            None => false,
        }
    }

    fn disconnect(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.try_disconnect();
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
        *self.state.lock().unwrap() = MqttState::Idle;
    }
}
