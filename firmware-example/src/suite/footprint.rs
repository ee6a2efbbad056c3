//! RAM of the gate's data structures on this core, checked against the
//! budget: one streaming monitor with a 10-token window must fit in 128
//! bytes.

use core::mem::size_of;

use backfire_nostd::gate::{SafetyKernel, StreamMonitor, StreamingKernel, StreamingLimits, Verdict};
use backfire_nostd::num::Q16;

use super::Suite;
use crate::check::Checker;

pub const SUITE: Suite = Suite { name: || defmt::intern!("footprint"), check, cost: super::no_cost };

/// RAM budget of one `StreamingKernel` with a 10-score window.
const MONITOR_BUDGET: u32 = 128;

fn check(c: &mut Checker) {
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
