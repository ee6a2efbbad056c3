//! The smallest image that runs the gate: one `StreamingKernel` with the
//! reference defaults, fed a canned score stream, halting where the
//! reference halts. Its flash size is the gate-only footprint (the test
//! image in `src/main.rs` adds the test tables and the meter).
//!
//! `cargo run --release --example gate` (add `--target thumbv6m-none-eabi`
//! for the Cortex-M0); exits 0 if the halt is the expected one.

#![no_std]
#![no_main]

use backfire_firmware::backend::Num;
use backfire_firmware::board::{self, Exit};
use backfire_nostd::gate::{HaltReason, StreamingKernel, StreamingLimits, Verdict};
use backfire_nostd::num::Real;

/// Spec 10 §8.4: with the defaults, [0.8, 0.7, 0.3] halts at token 2 on
/// the hard limit, and the halt latches the kernel.
const SCORES: [f32; 4] = [0.8, 0.7, 0.3, 0.9];

#[cortex_m_rt::entry]
fn main() -> ! {
    let Ok(limits) = StreamingLimits::<Num>::new(0.5, 10, 0.55, 5, 0.15) else { board::exit(Exit::Mismatch) };
    let Ok(mut kernel) = StreamingKernel::new(limits, [Num::ZERO; 10]) else { board::exit(Exit::Mismatch) };
    for (token, &score) in SCORES.iter().enumerate() {
        match kernel.push(Num::from_f64(f64::from(score))) {
            Verdict::Continue => defmt::info!("token {=usize}: emitted", token),
            Verdict::Halt(reason) => {
                defmt::info!("token {=usize}: halt, {}", token, reason);
                let expected =
                    token == 2 && matches!(reason, HaltReason::HardLimit { .. }) && !kernel.is_active();
                defmt::info!("stack: peak {=u32} bytes", board::stack_usage().peak);
                board::exit(if expected { Exit::Success } else { Exit::Mismatch })
            }
        }
    }
    defmt::error!("no halt");
    board::exit(Exit::Mismatch)
}
