//! The Backfire safety gate on a Cortex-M, as an on-target test.
//!
//! Boots on the board chosen by the compilation target (see `build.rs`),
//! runs every [`suite`] — canned score streams through the gate, each
//! verdict compared with the value the reference produces — then measures
//! what a token costs, and reports `N passed, N failed` through `defmt`
//! over semihosting. The exit status (0 only if nothing failed) becomes the
//! status of `cargo run`, so the firmware doubles as a test.
//!
//! | target | board | backend |
//! |---|---|---|
//! | `thumbv7em-none-eabihf` | MPS2+ AN386 (Cortex-M4F), QEMU `mps2-an386` | `f32` (`Q16` with `--features q16`) |
//! | `thumbv6m-none-eabi` | micro:bit v1 (nRF51822, Cortex-M0), QEMU `microbit` | `Q16` |

#![no_std]
#![no_main]

mod check;
mod suite;

use backfire_firmware::backend::Num;
use backfire_firmware::board;
use backfire_firmware::cost::Meter;
use backfire_nostd::num::Real;

use crate::check::Checker;

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::info!("backfire firmware on {=istr}, backend {=str}", board::name(), Num::NAME);
    let mut checker = Checker::new();
    for suite in suite::SUITES {
        defmt::info!("== suite {=istr}", (suite.name)());
        (suite.check)(&mut checker);
    }
    report_cost(&mut checker);
    report_stack(&mut checker);
    let (passed, failed) = (checker.passed(), checker.failed());
    if failed == 0 {
        defmt::info!("{=u32} passed, {=u32} failed", passed, failed);
    } else {
        defmt::error!("{=u32} passed, {=u32} failed", passed, failed);
    }
    board::exit(if failed == 0 { board::Exit::Success } else { board::Exit::Mismatch })
}

/// Instructions per call of every measured operation (deterministic under
/// QEMU `-icount shift=0`; core cycles on real hardware).
fn report_cost(checker: &mut Checker) {
    let Some(syst) = cortex_m::Peripherals::take().map(|p| p.SYST) else {
        checker.fail(defmt::intern!("cost: core peripherals already taken"));
        return;
    };
    defmt::info!("== cost");
    let Some(mut meter) = Meter::calibrate(syst) else {
        checker.fail(defmt::intern!("cost: SysTick does not count (no clock to measure with)"));
        return;
    };
    checker.pass();
    for suite in suite::SUITES {
        (suite.cost)(&mut meter, checker);
    }
}

/// Peak stack use since reset, from the paint cortex-m-rt put below the
/// stack pointer before `main`.
fn report_stack(checker: &mut Checker) {
    let usage = board::stack_usage();
    defmt::info!(
        "stack: peak {=u32} bytes of {=u32} available; static RAM (data + bss) {=u32} bytes",
        usage.peak,
        usage.size,
        usage.statics
    );
    checker.expect(usage.peak < usage.size, defmt::intern!("stack: the paint below the stack survived"));
}
