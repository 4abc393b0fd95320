//! The service's own MQTT client: subscribes to `devices/+/hello` with its certificate and
//! records each device's `last_seen`. Reconnects forever (the broker restarts on revocation).

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use time::OffsetDateTime;

use super::ca::SERVICE_CLIENT_CN;
use super::store::SqliteStore;
use crate::serial::Serial;

/// The largest packet the watcher reads: above the broker's own limit
/// ([`super::broker::MAX_PACKET`]), so nothing the broker forwards can make the watcher's
/// connection fail (rumqttc's default, 10 KiB, did: a retained hello over it was delivered
/// again on every reconnect and no other hello was read any more).
pub const MAX_INCOMING: usize = 4 * super::broker::MAX_PACKET;

/// The topic filter of device hellos.
pub const HELLO_FILTER: &str = "devices/+/hello";

/// The serial in `devices/<sn>/hello`, if the topic is one.
pub fn hello_serial(topic: &str) -> Option<Serial> {
    let rest = topic.strip_prefix("devices/")?;
    let sn = rest.strip_suffix("/hello")?;
    Serial::parse(sn).ok()
}

/// Starts the watcher task. The receiver fires once the first subscription is acknowledged,
/// so the server can announce readiness only when no hello can be missed.
pub fn spawn(
    store: SqliteStore,
    host: String,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
) -> (
    tokio::task::JoinHandle<()>,
    tokio::sync::oneshot::Receiver<()>,
) {
    let (subscribed, on_subscribed) = tokio::sync::oneshot::channel();
    let mut subscribed = Some(subscribed);
    let task = tokio::spawn(async move {
        let mut opts = MqttOptions::new(SERVICE_CLIENT_CN, host, port);
        opts.set_keep_alive(Duration::from_secs(30));
        opts.set_clean_session(true);
        opts.set_max_packet_size(MAX_INCOMING, 4096);
        opts.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
        let (client, mut events) = AsyncClient::new(opts, 64);
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    // A clean session forgets subscriptions: subscribe after every connect.
                    if let Err(e) = client.try_subscribe(HELLO_FILTER, QoS::AtLeastOnce) {
                        tracing::warn!(error = %e, "subscribing to hellos failed");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(tx) = subscribed.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Some(sn) = hello_serial(&p.topic) {
                        match store.record_seen(&sn, OffsetDateTime::now_utc()) {
                            Ok(true) => tracing::info!(%sn, "device online"),
                            Ok(false) => tracing::warn!(%sn, "hello from an unregistered serial"),
                            Err(e) => tracing::warn!(%sn, error = %e, "recording last_seen failed"),
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "broker connection lost; reconnecting");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    });
    (task, on_subscribed)
}
