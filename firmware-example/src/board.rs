//! What differs between boards, and what ends the program: the exit status
//! (semihosting), the panic and fault handlers, the stack gauge.
//!
//! The memory map lives in `memory/<board>.x`, picked by `build.rs`; the
//! QEMU machine in `qemu-run.sh`.

use cortex_m_rt::{ExceptionFrame, exception};

/// The board this image is built for.
pub fn name() -> defmt::Str {
    #[cfg(board = "mps2-an386")]
    let name = defmt::intern!("MPS2+ AN386 (Cortex-M4F)");
    #[cfg(board = "microbit")]
    let name = defmt::intern!("micro:bit v1, nRF51822 (Cortex-M0)");
    name
}

/// The process exit status the host sees (through QEMU's semihosting
/// `SYS_EXIT_EXTENDED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Exit {
    /// Every check passed.
    Success = 0,
    /// At least one verdict or measurement differed from its expected value.
    Mismatch = 1,
    /// The firmware panicked (a bug in the firmware or the core).
    Panic = 101,
    /// The core took a HardFault.
    Fault = 102,
}

/// Ends the program with `status`. Under a debugger or QEMU this returns
/// to the host; on a board without a debugger attached the semihosting
/// `BKPT` itself faults, so we park the core instead.
pub fn exit(status: Exit) -> ! {
    semihosting::process::exit(status as i32)
}

/// The device-interrupt part of the vector table: one entry.
///
/// This firmware polls SysTick and enables no peripheral interrupt, so the
/// table ends after the 16 system exceptions plus the one entry
/// cortex-m-rt's linker script insists on, instead of its default 240
/// entries (960 bytes of flash). An application that enables interrupts
/// takes this table from its board's PAC instead.
#[unsafe(link_section = ".vector_table.interrupts")]
#[unsafe(no_mangle)]
static __INTERRUPTS: [unsafe extern "C" fn(); 1] = [DefaultHandler];

unsafe extern "C" {
    /// cortex-m-rt's handler for unexpected interrupts (a HardFault-like
    /// stop; overridable with `#[exception] fn DefaultHandler`).
    fn DefaultHandler();
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // Only the location: formatting the message would link core::fmt
    // (several KiB) into an image that otherwise has none.
    match info.location() {
        Some(at) => defmt::error!("panic at {=str}:{=u32}", at.file(), at.line()),
        None => defmt::error!("panic"),
    }
    exit(Exit::Panic)
}

#[defmt::panic_handler]
fn defmt_panic() -> ! {
    exit(Exit::Panic)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    defmt::error!("HardFault at pc {=u32:#x}", frame.pc());
    exit(Exit::Fault)
}

/// RAM use beyond the scores: statics and the deepest the stack went.
pub struct StackUsage {
    /// Bytes of `.data` + `.bss` (+ `.uninit`).
    pub statics: u32,
    /// Bytes between the end of the statics and the top of RAM.
    pub size: u32,
    /// Bytes of stack ever used since reset.
    pub peak: u32,
}

/// Measures stack use: cortex-m-rt (feature `paint-stack`) fills the whole
/// stack region with [`cortex_m_rt::STACK_PAINT_VALUE`] before `main`; the
/// lowest word that no longer holds it is the deepest the stack reached.
pub fn stack_usage() -> StackUsage {
    unsafe extern "C" {
        static __sdata: u32;
        static _stack_end: u32;
        static _stack_start: u32;
    }
    // Addresses only: the linker places these symbols, nothing is read
    // through them here.
    let data_start = (&raw const __sdata) as usize;
    let bottom = (&raw const _stack_end) as usize;
    let top = (&raw const _stack_start) as usize;
    let mut deepest = top;
    let mut addr = bottom;
    while addr < top {
        // SAFETY: `addr` is word-aligned (the linker script asserts both
        // ends are) and inside the stack region of RAM, which is always
        // readable; the words below the stack pointer are plain memory
        // that nothing else aliases as a Rust object.
        let word = unsafe { core::ptr::read_volatile(addr as *const u32) };
        if word != cortex_m_rt::STACK_PAINT_VALUE {
            deepest = addr;
            break;
        }
        addr += 4;
    }
    StackUsage {
        statics: (bottom - data_start) as u32,
        size: (top - bottom) as u32,
        peak: (top - deepest) as u32,
    }
}
