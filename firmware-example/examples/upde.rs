//! The smallest image that runs the UPDE stepper: the canonical 16-layer
//! model with the reference defaults (dt 0.01, F 0.1, σ 0.05) and noise
//! seed 42, 100 steps from θ = 0. Its flash size is the UPDE-only
//! footprint (the test image in `src/main.rs` adds the test tables, the
//! validation scenarios and the meter).
//!
//! `cargo run --release --example upde` (add `--target thumbv6m-none-eabi`
//! for the Cortex-M0); exits 0 if R after 100 steps is the reference's
//! (spec 20 §3.6) within this backend's tracking bound.

#![no_std]
#![no_main]

use backfire_firmware::backend::{Num, UPDE_R_TOLERANCE};
use backfire_firmware::board::{self, Exit};
use backfire_nostd::num::Real;
use backfire_nostd::physics::{UPDEParams, UPDEState, UPDEStepper};
use backfire_nostd::rng::SimpleRng;

/// Spec 20 §3.6: seed 42, defaults, θ = 0, R after 100 steps.
const R_AFTER_100: f64 = 0.7576618317313849;

#[cortex_m_rt::entry]
fn main() -> ! {
    // The defaults need no validation; `UPDEParams::canonical(dt, F, σ)`
    // validates others.
    let mut stepper = UPDEStepper::<Num>::new(UPDEParams::default(), SimpleRng::new(42));
    let mut state = UPDEState::<Num>::from_phases(Default::default());
    if stepper.run(&mut state, 100).is_err() {
        defmt::error!("step refused");
        board::exit(Exit::Mismatch)
    }
    let r = state.r_global();
    let expected = (r - Num::from_f64(R_AFTER_100)).abs() <= Num::from_f64(UPDE_R_TOLERANCE);
    defmt::info!(
        "R after {=u64} steps: {=f32} (f64 reference {=f64})",
        state.step_count(),
        r.to_f64() as f32,
        R_AFTER_100
    );
    defmt::info!("stack: peak {=u32} bytes", board::stack_usage().peak);
    board::exit(if expected { Exit::Success } else { Exit::Mismatch })
}
