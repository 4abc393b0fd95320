//! The `__sync_*` calls LLVM emits for compare-and-swap and read-modify-write atomics on this
//! chip (RV32IMC has no atomic instructions; see `.cargo/config.toml`). There is one core, so
//! an operation is atomic when machine interrupts are masked around its plain load and store.
//! Masking is done here with the CSR directly: a `critical_section` implementation may itself
//! use atomics, which would recurse into these functions.

use core::arch::asm;

/// Runs `f` with machine interrupts masked, then restores the previous mask.
#[inline(always)]
fn masked<R>(f: impl FnOnce() -> R) -> R {
    let before: usize;
    // Clear mstatus.MIE (bit 3), keeping the old value.
    unsafe { asm!("csrrci {0}, mstatus, 8", out(reg) before) };
    let r = f();
    if before & 8 != 0 {
        unsafe { asm!("csrsi mstatus, 8") };
    }
    r
}

macro_rules! sync_ops {
    ($t:ty, $add:ident, $sub:ident, $and:ident, $or:ident, $xor:ident, $nand:ident,
     $cas:ident, $swap:ident) => {
        sync_ops!(@rmw $t, $add, |a: $t, b: $t| a.wrapping_add(b));
        sync_ops!(@rmw $t, $sub, |a: $t, b: $t| a.wrapping_sub(b));
        sync_ops!(@rmw $t, $and, |a: $t, b: $t| a & b);
        sync_ops!(@rmw $t, $or, |a: $t, b: $t| a | b);
        sync_ops!(@rmw $t, $xor, |a: $t, b: $t| a ^ b);
        sync_ops!(@rmw $t, $nand, |a: $t, b: $t| !(a & b));
        sync_ops!(@rmw $t, $swap, |_a: $t, b: $t| b);

        /// Compare-and-swap: stores `new` if `*ptr == expected`; returns the old value.
        ///
        /// # Safety
        /// `ptr` must be valid and aligned, as for the atomic it implements.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $cas(ptr: *mut $t, expected: $t, new: $t) -> $t {
            masked(|| unsafe {
                let old = ptr.read_volatile();
                if old == expected {
                    ptr.write_volatile(new);
                }
                old
            })
        }
    };
    (@rmw $t:ty, $name:ident, $op:expr) => {
        /// Read-modify-write; returns the old value.
        ///
        /// # Safety
        /// `ptr` must be valid and aligned, as for the atomic it implements.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(ptr: *mut $t, val: $t) -> $t {
            masked(|| unsafe {
                let old = ptr.read_volatile();
                ptr.write_volatile($op(old, val));
                old
            })
        }
    };
}

sync_ops!(
    u32,
    __sync_fetch_and_add_4,
    __sync_fetch_and_sub_4,
    __sync_fetch_and_and_4,
    __sync_fetch_and_or_4,
    __sync_fetch_and_xor_4,
    __sync_fetch_and_nand_4,
    __sync_val_compare_and_swap_4,
    __sync_lock_test_and_set_4
);
sync_ops!(
    u16,
    __sync_fetch_and_add_2,
    __sync_fetch_and_sub_2,
    __sync_fetch_and_and_2,
    __sync_fetch_and_or_2,
    __sync_fetch_and_xor_2,
    __sync_fetch_and_nand_2,
    __sync_val_compare_and_swap_2,
    __sync_lock_test_and_set_2
);
sync_ops!(
    u8,
    __sync_fetch_and_add_1,
    __sync_fetch_and_sub_1,
    __sync_fetch_and_and_1,
    __sync_fetch_and_or_1,
    __sync_fetch_and_xor_1,
    __sync_fetch_and_nand_1,
    __sync_val_compare_and_swap_1,
    __sync_lock_test_and_set_1
);

macro_rules! sync_minmax {
    ($t:ty, $name:ident, $pick:ident) => {
        /// Atomic min/max; returns the old value.
        ///
        /// # Safety
        /// `ptr` must be valid and aligned, as for the atomic it implements.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(ptr: *mut $t, val: $t) -> $t {
            masked(|| unsafe {
                let old = ptr.read_volatile();
                ptr.write_volatile(old.$pick(val));
                old
            })
        }
    };
}

sync_minmax!(i32, __sync_fetch_and_max_4, max);
sync_minmax!(i32, __sync_fetch_and_min_4, min);
sync_minmax!(u32, __sync_fetch_and_umax_4, max);
sync_minmax!(u32, __sync_fetch_and_umin_4, min);
