//! The firmware core on QEMU's mps2-an386 (Cortex-M4): wiring only. The provisioning link is
//! UART0 carrying `firmware_core::link` frames; the credential store's flash is a host file
//! mirrored in RAM; the factory partition is a host file; the radio and the MQTT broker are
//! the core's simulated ones (this machine has neither). Events and measurements go to the
//! semihosting console, one line each.
#![no_std]
#![no_main]

mod clock;
mod meter;
mod semihost;
mod uart;

use core::fmt::Write as _;

use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::hprintln;
use firmware_core::factory::FactoryData;
use firmware_core::hal::{Entropy, Flash, FlashError};
use firmware_core::link::LinkServer;
use firmware_core::mem_flash::MemFlash;
use firmware_core::sim_mqtt::RecordingMqtt;
use firmware_core::sim_radio::SimRadio;
use firmware_core::{Device, Hardware};
use protocol::endpoints::PROV_SESSION;

use meter::MeteredHeap;
use semihost::{HostFile, open};
use uart::Uart;

/// Heap for the whole firmware: the goal is 64 KiB for a complete provisioning.
/// `IOTP_QEMU_HEAP_KIB` at build time overrides it (to find the real need).
const HEAP_SIZE: usize = 1024
    * match option_env!("IOTP_QEMU_HEAP_KIB") {
        Some(kib) => parse_kib(kib),
        None => 64,
    };

const fn parse_kib(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        assert!(b[i].is_ascii_digit(), "IOTP_QEMU_HEAP_KIB must be a number");
        n = n * 10 + (b[i] - b'0') as usize;
        i += 1;
    }
    n
}
const SECTOR: usize = 4096;
const FLASH_SIZE: usize = 32 * SECTOR;
const FACTORY_MAX: usize = 4096;

#[global_allocator]
static HEAP: MeteredHeap = MeteredHeap::empty();

static mut HEAP_MEM: [u8; HEAP_SIZE] = [0; HEAP_SIZE];
// Zeroed (in .bss, not in the image): `load_flash` fills it from the host file before use.
static mut FLASH_MEM: [u8; FLASH_SIZE] = [0; FLASH_SIZE];

/// The credential store's flash: RAM, written through to the host's image file after every
/// erase and write. When the power budget given on the command line runs out, the board
/// stops right there, as a power cut would.
struct ImageFlash {
    mem: MemFlash<&'static mut [u8]>,
    file: HostFile,
}

impl ImageFlash {
    fn persist(&mut self, offset: usize, len: usize) {
        let bytes = &self.mem.as_bytes()[offset..offset + len];
        if !self.file.write_at(offset, bytes) {
            fatal("flash image write failed");
        }
        if self.mem.power_lost() {
            hprintln!("power-cut");
            semihost::exit(0);
        }
    }
}

impl Flash for ImageFlash {
    fn sector_size(&self) -> usize {
        self.mem.sector_size()
    }
    fn capacity(&self) -> usize {
        self.mem.capacity()
    }
    fn read(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError> {
        self.mem.read(offset, buf)
    }
    fn erase(&mut self, sector: usize) -> Result<(), FlashError> {
        let r = self.mem.erase(sector);
        if r != Err(FlashError::OutOfBounds) {
            self.persist(sector * SECTOR, SECTOR);
        }
        r
    }
    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError> {
        let r = self.mem.write(offset, data);
        if r != Err(FlashError::OutOfBounds) {
            self.persist(offset, data.len());
        }
        r
    }
}

/// The host's /dev/urandom: QEMU's mps2 boards have no random number generator.
struct HostEntropy(HostFile);

impl Entropy for HostEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        if !self.0.read_exact(buf) {
            fatal("entropy read failed");
        }
    }
}

fn fatal(why: &str) -> ! {
    hprintln!("fatal: {}", why);
    semihost::exit(1)
}

/// Options from the semihosting command line: `cut=N` cuts the flash's power after N
/// byte-operations.
fn power_budget() -> Option<usize> {
    let mut buf = [0u8; 256];
    semihost::cmdline(&mut buf)
        .split(' ')
        .find_map(|a| a.strip_prefix("cut="))
        .and_then(|n| n.parse().ok())
}

fn load_factory() -> firmware_core::DeviceConfig {
    let mut file = HostFile::open(b"factory.bin\0", open::R_BINARY)
        .unwrap_or_else(|| fatal("no factory partition (factory.bin)"));
    let len = file.len().min(FACTORY_MAX);
    let mut image = alloc::vec![0u8; len];
    if !file.read_exact(&mut image) {
        fatal("factory partition unreadable");
    }
    match FactoryData::parse(&image).and_then(FactoryData::into_config) {
        Ok(config) => config,
        Err(e) => {
            hprintln!("factory partition refused: {:?}", e);
            semihost::exit(1)
        }
    }
}

fn load_flash() -> ImageFlash {
    let mut file = HostFile::open(b"flash.bin\0", open::RW_BINARY)
        .unwrap_or_else(|| fatal("no flash image (flash.bin)"));
    if file.len() != FLASH_SIZE {
        fatal("flash image has the wrong size");
    }
    // SAFETY: taken once, here, before anything else can reach it.
    let mem: &'static mut [u8] = unsafe { &mut *core::ptr::addr_of_mut!(FLASH_MEM) };
    if !file.read_exact(mem) {
        fatal("flash image unreadable");
    }
    let mut mem = MemFlash::over(mem, SECTOR);
    mem.set_power_budget(power_budget());
    ImageFlash { mem, file }
}

extern crate alloc;

#[entry]
fn main() -> ! {
    // SAFETY: once, before the first allocation; HEAP_MEM is used for nothing else.
    unsafe { HEAP.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE) };
    let cp = cortex_m::Peripherals::take().unwrap_or_else(|| fatal("peripherals taken"));
    clock::start(cp.SYST);
    let mut uart = Uart::init();

    let config = load_factory();
    let entropy = HostEntropy(
        HostFile::open(b"/dev/urandom\0", open::R_BINARY)
            .unwrap_or_else(|| fatal("no host entropy")),
    );
    let hw = Hardware {
        radio: SimRadio::new(SimRadio::default_aps()),
        flash: load_flash(),
        mqtt: RecordingMqtt::default(),
        entropy,
    };
    let mut device = Device::new(config, hw);
    device.boot(clock::now_ms());
    hprintln!(
        "ready serial={} heap_size={} heap_used={}",
        device.config().serial,
        HEAP_SIZE,
        HEAP.used()
    );
    let mut server = LinkServer::new();
    let mut run_heap_peak = HEAP.peak();
    let mut run_stack_peak = 0;
    let mut line = heapless_line::Line::new();
    loop {
        if let Some(req) = server.poll(&mut uart) {
            run_heap_peak = run_heap_peak.max(HEAP.peak());
            HEAP.reset_peak();
            meter::paint_stack();
            let start = clock::ticks();
            let resp = device.handle(&req.endpoint, req.cookie, &req.body, clock::now_ms());
            let insns = (clock::ticks() - start) * clock::INSNS_PER_TICK;
            let (heap_peak, stack_peak) = (HEAP.peak(), meter::stack_peak());
            run_heap_peak = run_heap_peak.max(heap_peak);
            run_stack_peak = run_stack_peak.max(stack_peak);
            server.reply(&mut uart, &resp);
            line.clear();
            let _ = write!(
                line,
                "perf endpoint={} status={} insns={} heap_peak={} stack_peak={} heap_used={} run_heap_peak={} run_stack_peak={}",
                req.endpoint,
                resp.status,
                insns,
                heap_peak,
                stack_peak,
                HEAP.used(),
                run_heap_peak,
                run_stack_peak
            );
            hprintln!("{}", line.as_str());
            if req.endpoint == PROV_SESSION && resp.status != 200 {
                hprintln!("session refused status={}", resp.status);
            }
        }
        run_heap_peak = run_heap_peak.max(HEAP.peak());
        HEAP.reset_peak();
        device.poll(clock::now_ms());
        if HEAP.peak() > run_heap_peak {
            run_heap_peak = HEAP.peak();
            hprintln!(
                "perf endpoint=poll heap_peak={} run_heap_peak={}",
                run_heap_peak,
                run_heap_peak
            );
        }
        for event in device.drain_events() {
            hprintln!("event {:?}", event);
        }
        // Sleep until the next byte or tick; interrupts stay masked across the check so a
        // byte arriving in between still wakes the core.
        cortex_m::interrupt::free(|_| {
            if !Uart::rx_ready() {
                cortex_m::asm::wfi();
            }
        });
    }
}

/// A fixed line buffer, so logging a measurement does not itself allocate.
mod heapless_line {
    pub struct Line {
        buf: [u8; 320],
        len: usize,
    }
    impl Line {
        pub const fn new() -> Self {
            Self {
                buf: [0; 320],
                len: 0,
            }
        }
        pub fn clear(&mut self) {
            self.len = 0;
        }
        pub fn as_str(&self) -> &str {
            core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
        }
    }
    impl core::fmt::Write for Line {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = (self.len + s.len()).min(self.buf.len());
            self.buf[self.len..end].copy_from_slice(&s.as_bytes()[..end - self.len]);
            self.len = end;
            Ok(())
        }
    }
}

#[exception]
fn SysTick() {
    clock::on_tick();
}

#[exception]
unsafe fn DefaultHandler(_irqn: i16) {
    Uart::clear_interrupts();
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    semihost::exit(101)
}
