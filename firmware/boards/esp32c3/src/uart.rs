//! UART0 (GPIO20 RX, GPIO21 TX: the USB-UART bridge on the common dev kits) as the byte pipe
//! under the core's serial provisioning link.

use esp_hal::Blocking;
use esp_hal::uart::Uart;
use firmware_core::link::ByteLink;

/// The provisioning link's UART.
pub struct LinkUart<'d>(pub Uart<'d, Blocking>);

impl ByteLink for LinkUart<'_> {
    fn read_byte(&mut self) -> Option<u8> {
        if !self.0.read_ready() {
            return None;
        }
        let mut b = [0u8; 1];
        match self.0.read_buffered(&mut b) {
            Ok(1) => Some(b[0]),
            _ => None,
        }
    }

    fn write_all(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.0.write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                // A transmit error drops the rest of the frame; the host's CRC check refuses it.
                Err(_) => return,
            }
        }
        let _ = self.0.flush();
    }
}
