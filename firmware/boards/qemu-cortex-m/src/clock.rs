//! Time from SysTick on the 25 MHz core clock: a 1 ms tick drives the core's `now_ms`, and
//! the tick counter measures work. Under `-icount shift=0` each instruction is one
//! nanosecond of virtual time, so one 25 MHz tick is 40 instructions.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;

const TICKS_PER_MS: u32 = 25_000;
/// Instructions per tick under `-icount shift=0` (1 ns each, 40 ns per 25 MHz tick).
pub const INSNS_PER_TICK: u64 = 40;

static MILLIS: AtomicU32 = AtomicU32::new(0);

/// Starts the 1 ms tick.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(TICKS_PER_MS - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Called from the SysTick exception.
pub fn on_tick() {
    MILLIS.fetch_add(1, Ordering::Relaxed);
}

/// Milliseconds since boot.
pub fn now_ms() -> u64 {
    u64::from(MILLIS.load(Ordering::Relaxed))
}

/// 25 MHz ticks since boot.
pub fn ticks() -> u64 {
    loop {
        let before = MILLIS.load(Ordering::Relaxed);
        let current = SYST::get_current();
        if MILLIS.load(Ordering::Relaxed) == before {
            return u64::from(before) * u64::from(TICKS_PER_MS)
                + u64::from(TICKS_PER_MS - 1 - current);
        }
    }
}
