//! The firmware core on an ESP32-C3 (esp-hal): wiring only. The provisioning link is UART0
//! carrying `firmware_core::link` frames; the credential store is the `iotp_store` flash
//! partition; the identity and session security come from the `iotp_factory` partition; the
//! hardware RNG (with the SAR ADC as its entropy source) feeds the core's entropy; logs go to
//! the USB-Serial-JTAG port. Wi-Fi and MQTT are not driven yet (`offline.rs`).
#![no_std]
#![no_main]

extern crate alloc;

mod atomics;
mod flash;
mod offline;
mod uart;

use alloc::vec;

use esp_backtrace as _;
use esp_hal::rng::{Trng, TrngSource};
use esp_hal::time::Instant;
use esp_hal::uart::{Config as UartConfig, Uart};
use esp_println::println;
use esp_storage::FlashStorage;
use firmware_core::factory::FactoryData;
use firmware_core::hal::Entropy;
use firmware_core::link::LinkServer;
use firmware_core::{Device, DeviceConfig, Hardware};

use flash::{FACTORY_LABEL, PartitionFlash, STORE_LABEL};
use offline::{NoMqtt, NoWifi};
use uart::LinkUart;

esp_bootloader_esp_idf::esp_app_desc!();

/// The heap: a complete provisioning peaks at 38.5 KB (measured on the QEMU board,
/// docs/perf.md); the rest is headroom for the radio and TLS stacks to come.
const HEAP_SIZE: usize = 72 * 1024;
/// The factory partition's data is at most this long (a sec2 verifier is 384 bytes).
const FACTORY_MAX: usize = 1024;

/// The chip's RNG while its entropy source runs.
struct HwEntropy(Trng);

impl Entropy for HwEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        self.0.read(buf);
    }
}

fn now_ms() -> u64 {
    Instant::now().duration_since_epoch().as_millis()
}

/// Stops here with a reason on the log: nothing the core could do without it.
fn halt(why: &str) -> ! {
    println!("fatal: {}", why);
    loop {
        core::hint::spin_loop();
    }
}

fn load_factory(storage: &mut FlashStorage<'_>) -> DeviceConfig {
    let region = flash::find(storage, FACTORY_LABEL)
        .unwrap_or_else(|| halt("no iotp_factory partition in the partition table"));
    let len = (region.len as usize).min(FACTORY_MAX) & !3;
    let mut image = vec![0u8; len];
    if storage.read_nor(region.offset, &mut image).is_err() {
        halt("factory partition unreadable");
    }
    match FactoryData::parse(&image).and_then(FactoryData::into_config) {
        Ok(config) => config,
        Err(e) => {
            println!("factory partition refused: {:?}", e);
            halt("write the factory partition (README: ESP32-C3)")
        }
    }
}

#[esp_hal::main]
fn main() -> ! {
    let p = esp_hal::init(esp_hal::Config::default());
    esp_alloc::heap_allocator!(size: HEAP_SIZE);

    // Without a running radio, the SAR ADC is what makes the RNG's output truly random.
    let _entropy_source = TrngSource::new(p.RNG, p.ADC1);
    let trng = Trng::try_new().unwrap_or_else(|_| halt("no TRNG entropy source"));

    let mut storage = FlashStorage::new(p.FLASH);
    let config = load_factory(&mut storage);
    let store = flash::find(&mut storage, STORE_LABEL)
        .unwrap_or_else(|| halt("no iotp_store partition in the partition table"));
    let uart = Uart::new(p.UART0, UartConfig::default().with_baudrate(115_200))
        .unwrap_or_else(|_| halt("UART0 configuration refused"))
        .with_rx(p.GPIO20)
        .with_tx(p.GPIO21);
    let mut link = LinkUart(uart);

    let hw = Hardware {
        radio: NoWifi,
        flash: PartitionFlash::new(storage, store),
        mqtt: NoMqtt,
        entropy: HwEntropy(trng),
    };
    let mut device = Device::new(config, hw);
    device.boot(now_ms());
    println!("ready serial={}", device.config().serial);

    let mut server = LinkServer::new();
    loop {
        if let Some(req) = server.poll(&mut link) {
            let resp = device.handle(&req.endpoint, req.cookie, &req.body, now_ms());
            server.reply(&mut link, &resp);
        }
        device.poll(now_ms());
        for event in device.drain_events() {
            println!("event {:?}", event);
        }
    }
}
