//! Host services through ARM semihosting: the flash image and the factory partition are host
//! files, entropy is the host's /dev/urandom (the machine has no TRNG), the command line
//! carries test options, and exit ends QEMU.

use cortex_m_semihosting::{nr, syscall};

/// An open host file.
pub struct HostFile(usize);

impl HostFile {
    /// Opens `path` (NUL-terminated) with a semihosting mode (`nr::open::*`).
    pub fn open(path: &[u8], mode: usize) -> Option<Self> {
        debug_assert_eq!(path.last(), Some(&0));
        let fd = unsafe { syscall!(OPEN, path.as_ptr(), mode, path.len() - 1) } as isize;
        (fd >= 0).then_some(Self(fd as usize))
    }

    /// Reads exactly `buf.len()` bytes from the current position.
    pub fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        let left = unsafe { syscall!(READ, self.0, buf.as_mut_ptr(), buf.len()) };
        left == 0
    }

    /// Writes all of `data` at byte `offset`.
    pub fn write_at(&mut self, offset: usize, data: &[u8]) -> bool {
        let sought = unsafe { syscall!(SEEK, self.0, offset) } == 0;
        sought && unsafe { syscall!(WRITE, self.0, data.as_ptr(), data.len()) } == 0
    }

    /// The file's length in bytes.
    pub fn len(&mut self) -> usize {
        unsafe { syscall!(FLEN, self.0) }
    }
}

/// The semihosting command line (QEMU's `-semihosting-config arg=...`), space-separated.
pub fn cmdline(buf: &mut [u8]) -> &str {
    // The parameter block itself is the argument (not a one-word block pointing at it, which
    // is what `syscall!` would build); the host writes the length back into its second word.
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    let ok =
        unsafe { cortex_m_semihosting::syscall1(nr::GET_CMDLINE, block.as_mut_ptr() as usize) }
            == 0;
    let len = if ok {
        unsafe { core::ptr::read_volatile(&block[1]) }.min(buf.len())
    } else {
        0
    };
    core::str::from_utf8(&buf[..len]).unwrap_or("")
}

/// Ends the emulation with this exit code.
pub fn exit(code: u32) -> ! {
    // SYS_EXIT_EXTENDED: reason ADP_Stopped_ApplicationExit with a status.
    let block = [0x20026usize, code as usize];
    unsafe { cortex_m_semihosting::syscall(0x20, &block) };
    loop {
        cortex_m::asm::wfi();
    }
}

pub use nr::open;
