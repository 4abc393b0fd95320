//! The two links that do not touch the host's Wi-Fi.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{DeviceAp, Link};
use crate::error::{Error, ErrorCode, Result};

/// No joining: the device is already reachable (simulator on loopback, wired, or a host that
/// is already on the device's network).
pub struct DirectLink;

#[async_trait::async_trait]
impl Link for DirectLink {
    fn name(&self) -> &'static str {
        "direct"
    }
    async fn join(&self, _ap: &DeviceAp) -> Result<()> {
        Ok(())
    }
    async fn restore(&self) -> Result<()> {
        Ok(())
    }
}

/// The user joins the device's network; `join` waits until the device accepts connections.
pub struct ManualLink {
    /// The device's HTTP address (192.168.4.1:80 on a real SoftAP).
    pub device: SocketAddr,
    /// How long to wait for the user.
    pub wait: Duration,
}

#[async_trait::async_trait]
impl Link for ManualLink {
    fn name(&self) -> &'static str {
        "manual"
    }
    async fn join(&self, ap: &DeviceAp) -> Result<()> {
        tracing::info!(ssid = %ap.ssid, "join the device's network now");
        let deadline = Instant::now() + self.wait;
        loop {
            let attempt = tokio::time::timeout(
                Duration::from_secs(1),
                tokio::net::TcpStream::connect(self.device),
            )
            .await;
            if let Ok(Ok(_)) = attempt {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::new(
                    ErrorCode::Link,
                    format!(
                        "The device did not answer at {}: join the Wi-Fi network \"{}\" on this computer, then try again.",
                        self.device, ap.ssid
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    async fn restore(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ap() -> DeviceAp {
        DeviceAp {
            ssid: "PROV_TEST".into(),
            password: None,
        }
    }

    #[tokio::test]
    async fn manual_waits_for_the_device_then_gives_up_clearly() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let link = ManualLink {
            device: addr,
            wait: Duration::from_secs(2),
        };
        link.join(&ap()).await.unwrap();
        drop(l);
        let link = ManualLink {
            device: addr,
            wait: Duration::from_millis(300),
        };
        let e = link.join(&ap()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Link);
        assert!(e.message.contains("PROV_TEST"));
    }
}
