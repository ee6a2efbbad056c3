//! Instructions per call, counted deterministically.
//!
//! QEMU run with `-icount shift=0` advances its virtual clock by exactly
//! 1 ns per guest instruction, and SysTick (clocked from the core clock)
//! counts that virtual time. So SysTick ticks are proportional to executed
//! instructions, with a board-specific ratio (40 instructions per tick on
//! the 25 MHz MPS2). Rather than trusting the clock frequency of the
//! model, [`Meter::calibrate`] measures the ratio on a loop whose
//! instruction count is known exactly. On real silicon the same numbers
//! are core cycles (the calibration loop is one cycle per `nop`).
//!
//! Every measurement runs twice — the operation inside a loop, and the
//! same loop with only the feeding — and reports the difference, so the
//! loop's own instructions are not charged to the operation.

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;

/// SysTick is a 24-bit down-counter.
const SYST_MASK: u32 = 0x00FF_FFFF;

/// Instructions in one iteration of [`spin`].
const SPIN_INSNS: u32 = 15;
/// Calibration lengths: the difference, 4000 iterations = 60000
/// instructions, is a whole number of ticks at 25 MHz (1500) and at
/// 16 MHz (960), so calibration itself has no rounding error under QEMU.
const SPIN_SHORT: u32 = 1000;
const SPIN_LONG: u32 = 5000;

/// Converts SysTick ticks into instructions.
pub struct Meter {
    _syst: SYST,
    /// Instructions per SysTick tick, times 100.
    insns_x100_per_tick: u32,
}

impl Meter {
    /// Starts SysTick on the core clock and measures the instructions per
    /// tick. `None` if SysTick does not count.
    pub fn calibrate(mut syst: SYST) -> Option<Self> {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(SYST_MASK);
        syst.clear_current();
        syst.enable_counter();
        let measure = || ticks(|| spin(SPIN_LONG)).saturating_sub(ticks(|| spin(SPIN_SHORT)));
        let cal_ticks = measure();
        if cal_ticks == 0 {
            return None;
        }
        let cal_insns = (SPIN_LONG - SPIN_SHORT) * SPIN_INSNS;
        defmt::info!("calibration: {=u32} instructions = {=u32} SysTick ticks", cal_insns, cal_ticks);
        if measure() != cal_ticks {
            // Still usable (it is then wall time), but not reproducible.
            defmt::warn!("SysTick is not deterministic: run QEMU with -icount shift=0");
        }
        Some(Meter { _syst: syst, insns_x100_per_tick: cal_insns * 100 / cal_ticks })
    }

    /// Instructions per call of `op(i)` for `i in 0..calls`, net of the
    /// same loop running `feed(i)` (which should do everything `op` does
    /// except the operation itself: index the inputs, consume the output).
    /// Logs the result as `cost <what>: <x> instructions/call` and returns
    /// it in hundredths of an instruction.
    pub fn per_call(
        &mut self,
        what: defmt::Str,
        calls: u32,
        mut feed: impl FnMut(u32),
        mut op: impl FnMut(u32),
    ) -> u32 {
        let calls = calls.max(1);
        let gross = ticks(|| (0..calls).for_each(&mut op));
        let loop_only = ticks(|| (0..calls).for_each(&mut feed));
        let net = self.hundredths(gross.saturating_sub(loop_only), calls);
        let total = self.hundredths(gross, calls);
        defmt::info!(
            "cost {=istr}: {=u32}.{=u32:02} instructions/call (loop included: {=u32}.{=u32:02}; {=u32} calls)",
            what,
            net / 100,
            net % 100,
            total / 100,
            total % 100,
            calls
        );
        net
    }

    /// `ticks` converted to instructions per call, times 100.
    ///
    /// 32-bit integer arithmetic only (a 64-bit division would add ~1 KiB
    /// of compiler builtins): the ratio is exact under QEMU (4000 or 6250
    /// hundredths of an instruction per tick), and measurements stay far
    /// below 2^32 / 6250 ticks.
    fn hundredths(&self, ticks: u32, calls: u32) -> u32 {
        ticks.saturating_mul(self.insns_x100_per_tick) / calls
    }
}

/// SysTick ticks elapsed while `f` ran (less than one counter period).
#[inline(always)]
fn ticks(f: impl FnOnce()) -> u32 {
    let start = SYST::get_current();
    f();
    let end = SYST::get_current();
    start.wrapping_sub(end) & SYST_MASK
}

/// Exactly [`SPIN_INSNS`] instructions per iteration: 13 `nop`s, `subs`,
/// `bne`. `iterations` must be at least 1.
#[inline(never)]
fn spin(iterations: u32) {
    // SAFETY: touches only r0 (declared clobbered) and the flags; no
    // memory, no stack.
    unsafe {
        core::arch::asm!(
            "2:",
            ".rept 13",
            "nop",
            ".endr",
            "subs r0, r0, #1",
            "bne 2b",
            inout("r0") iterations.max(1) => _,
            options(nomem, nostack),
        );
    }
}
