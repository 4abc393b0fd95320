//! Memory high-water marks: the allocator counts bytes in use and their peak; the stack is
//! painted with a pattern before a measured call and scanned after it.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_alloc::TlsfHeap;

/// TLSF (two-level segregated fit) heap with byte counters.
pub struct MeteredHeap {
    heap: TlsfHeap,
    used: AtomicUsize,
    peak: AtomicUsize,
}

impl MeteredHeap {
    /// An empty heap; call [`MeteredHeap::init`] before the first allocation.
    pub const fn empty() -> Self {
        Self {
            heap: TlsfHeap::empty(),
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Hands the heap its memory.
    ///
    /// # Safety
    /// Once, before any allocation, with memory used for nothing else.
    pub unsafe fn init(&self, start: usize, size: usize) {
        unsafe { self.heap.init(start, size) }
    }

    /// Bytes allocated now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Highest `used` since the last [`MeteredHeap::reset_peak`].
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Starts a new peak from the bytes in use now.
    pub fn reset_peak(&self) {
        self.peak.store(self.used(), Ordering::Relaxed);
    }

    fn grew(&self, by: usize) {
        let now = self.used.fetch_add(by, Ordering::Relaxed) + by;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for MeteredHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { self.heap.alloc(layout) };
        if !p.is_null() {
            self.grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { self.heap.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { self.heap.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                self.grew(new_size - layout.size());
            } else {
                self.used
                    .fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

const PAINT: u32 = 0x5AA5_C33C;
/// How far below the stack's top painting reaches (the measurable depth).
pub const STACK_WINDOW: usize = 64 * 1024;

unsafe extern "C" {
    static _stack_start: u32;
}

fn stack_top() -> usize {
    core::ptr::addr_of!(_stack_start) as usize
}

/// Paints the unused stack below the caller's frame.
#[inline(never)]
pub fn paint_stack() {
    let sp = cortex_m::register::msp::read() as usize;
    let bottom = stack_top() - STACK_WINDOW;
    let mut p = bottom;
    // Leave a margin for this function's own frame.
    while p < sp - 256 {
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Deepest stack use since the last [`paint_stack`], in bytes below the top.
pub fn stack_peak() -> usize {
    let bottom = stack_top() - STACK_WINDOW;
    let mut p = bottom;
    while p < stack_top() && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    stack_top() - p
}
