//! The machine's UART0 (Arm CMSDK APB UART at 0x4000_4000): polled transmit, receive with
//! its interrupt enabled so `wfi` wakes on each byte.

use core::ptr::{read_volatile, write_volatile};

use firmware_core::link::ByteLink;

const BASE: usize = 0x4000_4000;
const DATA: *mut u32 = BASE as *mut u32;
const STATE: *mut u32 = (BASE + 0x04) as *mut u32;
const CTRL: *mut u32 = (BASE + 0x08) as *mut u32;
const INTCLEAR: *mut u32 = (BASE + 0x0C) as *mut u32;
const BAUDDIV: *mut u32 = (BASE + 0x10) as *mut u32;
const TX_FULL: u32 = 1 << 0;
const RX_FULL: u32 = 1 << 1;
/// UART0's receive interrupt line on mps2-an386.
pub const RX_IRQ: u16 = 0;
const NVIC_ISER0: *mut u32 = 0xE000_E100 as *mut u32;

/// UART0, owned by the main loop.
pub struct Uart(());

impl Uart {
    /// Enables transmit, receive and the receive interrupt.
    pub fn init() -> Self {
        unsafe {
            write_volatile(BAUDDIV, 16);
            write_volatile(CTRL, 0b1011);
            write_volatile(NVIC_ISER0, 1 << RX_IRQ);
        }
        Self(())
    }

    /// Whether a received byte is waiting.
    pub fn rx_ready() -> bool {
        unsafe { read_volatile(STATE) & RX_FULL != 0 }
    }

    /// Acknowledges the receive interrupt (called from the interrupt handler).
    pub fn clear_interrupts() {
        unsafe { write_volatile(INTCLEAR, 0xF) };
    }
}

impl ByteLink for Uart {
    fn read_byte(&mut self) -> Option<u8> {
        Self::rx_ready().then(|| unsafe { read_volatile(DATA) } as u8)
    }

    fn write_all(&mut self, bytes: &[u8]) {
        for &b in bytes {
            while unsafe { read_volatile(STATE) } & TX_FULL != 0 {}
            unsafe { write_volatile(DATA, u32::from(b)) };
        }
    }
}
