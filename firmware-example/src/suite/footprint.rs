//! RAM of the gate's and the UPDE stepper's data structures on this core,
//! checked against their budgets: one streaming monitor with a 10-token
//! window must fit in 128 bytes; one UPDE stepper with its state in a
//! quarter of the micro:bit's 16 KiB of RAM.

use core::mem::size_of;

use backfire_nostd::gate::{SafetyKernel, StreamMonitor, StreamingKernel, StreamingLimits, Verdict};
use backfire_nostd::num::Q16;
use backfire_nostd::physics::{UPDEParams, UPDEState, UPDEStepper};

use super::Suite;
use crate::check::Checker;

pub const SUITE: Suite = Suite { name: || defmt::intern!("footprint"), check, cost: super::no_cost };

/// RAM budget of one `StreamingKernel` with a 10-score window.
const MONITOR_BUDGET: u32 = 128;

/// RAM budget of one 16-oscillator `UPDEStepper` plus its `UPDEState`: a
/// quarter of the micro:bit's 16 KiB, leaving the rest to the stack (the
/// stepper is built on it), the gate and the application.
const UPDE_BUDGET: u32 = 4096;

fn check(c: &mut Checker) {
    gate(c);
    upde(c);
}

fn gate(c: &mut Checker) {
    let f32_kernel = size_of::<StreamingKernel<f32, [f32; 10]>>() as u32;
    let q16_kernel = size_of::<StreamingKernel<Q16, [Q16; 10]>>() as u32;
    defmt::info!(
        "StreamingKernel<f32, [f32; 10]> = {=u32} bytes, StreamingKernel<Q16, [Q16; 10]> = {=u32} bytes (budget {=u32})",
        f32_kernel,
        q16_kernel,
        MONITOR_BUDGET
    );
    defmt::info!(
        "  of which: scores 40, StreamingLimits<f32> {=u32}, StreamMonitor<f32, [f32; 10]> {=u32}; SafetyKernel<f32> {=u32}; Verdict<f32> {=u32}",
        size_of::<StreamingLimits<f32>>() as u32,
        size_of::<StreamMonitor<f32, [f32; 10]>>() as u32,
        size_of::<SafetyKernel<f32>>() as u32,
        size_of::<Verdict<f32>>() as u32
    );
    c.expect(
        f32_kernel <= MONITOR_BUDGET,
        defmt::intern!("StreamingKernel<f32, [f32; 10]> fits in 128 bytes"),
    );
    c.expect(
        q16_kernel <= MONITOR_BUDGET,
        defmt::intern!("StreamingKernel<Q16, [Q16; 10]> fits in 128 bytes"),
    );
    // The scores themselves are a lower bound: anything less means the
    // window is not stored where the caller put it.
    c.expect(f32_kernel >= 40 && q16_kernel >= 40, defmt::intern!("the kernel holds its 10 scores"));
}

fn upde(c: &mut Checker) {
    let stepper_f32 = size_of::<UPDEStepper<f32>>() as u32;
    let stepper_q16 = size_of::<UPDEStepper<Q16>>() as u32;
    let state_f32 = size_of::<UPDEState<f32>>() as u32;
    let state_q16 = size_of::<UPDEState<Q16>>() as u32;
    defmt::info!(
        "UPDEStepper<f32> = {=u32} bytes, UPDEStepper<Q16> = {=u32} bytes, UPDEState<f32> = {=u32} bytes, UPDEState<Q16> = {=u32} bytes (N = 16; budget stepper + state {=u32})",
        stepper_f32,
        stepper_q16,
        state_f32,
        state_q16,
        UPDE_BUDGET
    );
    // The stepper keeps the f64 parameters it was built from (for
    // `params()` and the validating setters) besides its backend copy.
    defmt::info!(
        "  of which: UPDEParams (f64 omega, K, dt, F, sigma) {=u32}, K in the backend type {=u32} (f32) / {=u32} (Q16)",
        size_of::<UPDEParams>() as u32,
        size_of::<[[f32; 16]; 16]>() as u32,
        size_of::<[[Q16; 16]; 16]>() as u32
    );
    c.expect(
        stepper_f32 + state_f32 <= UPDE_BUDGET,
        defmt::intern!("UPDEStepper<f32> + UPDEState<f32> fit in 4 KiB"),
    );
    c.expect(
        stepper_q16 + state_q16 <= UPDE_BUDGET,
        defmt::intern!("UPDEStepper<Q16> + UPDEState<Q16> fit in 4 KiB"),
    );
    // 16 phases (4 bytes each) plus velocities, sines and cosines: a state
    // smaller than that has lost part of what a step needs.
    c.expect(
        state_f32 >= 16 * 16 && state_q16 >= 16 * 16,
        defmt::intern!("the UPDE state holds phases, velocities and their sines and cosines"),
    );
}
