//! `SafetyKernel`: the hard floor and the latch, token by token.

use core::hint::black_box;

use backfire_nostd::gate::{SafetyKernel, Verdict};
use backfire_nostd::num::Real;

use super::Suite;
use crate::check::{Checker, Reason, label};
use backfire_firmware::backend::Num;
use backfire_firmware::cost::Meter;
use defmt::Str;

pub const SUITE: Suite = Suite { name: || defmt::intern!("safety_kernel"), check, cost };

/// One action on the kernel.
enum Step {
    /// Push a score; `None` expects `Continue`.
    Push(f32, Option<Reason>),
    /// `reactivate()`.
    Reactivate,
    /// `emergency_stop()`.
    EmergencyStop,
}

use Reason::{HardLimit, Inactive};
use Step::{EmergencyStop, Push, Reactivate};

/// Spec 10 §8.3: limit 0.5 passes 0.5 exactly, halts 0.4999; after a halt
/// the kernel stays halted until `reactivate()` (ours — the reference's
/// `stream_output` ignores its own flag, §10 item 11).
const AT_HALF: &[Step] = &[
    Push(0.8, None),
    Push(0.5, None),
    Push(0.4999, Some(HardLimit { score: 0.4999, limit: 0.5 })),
    Push(0.9, Some(Inactive)),
    Reactivate,
    Push(0.9, None),
    EmergencyStop,
    Push(0.9, Some(Inactive)),
    Reactivate,
    Push(0.6, None),
];

/// Spec 10 §8.3, `from_config` with hard limit 0.42: 0.45 passes, 0.41 halts.
const AT_042: &[Step] = &[Push(0.45, None), Push(0.41, Some(HardLimit { score: 0.41, limit: 0.42 }))];

/// Non-finite scores halt even with limit 0 (ours; the reference lets them
/// through, §10 item 12). Only a float backend can carry NaN.
const NON_FINITE: &[Step] = &[
    Push(0.0, None),
    Push(f32::NAN, Some(Reason::NonFinite { limit: 0.0 })),
    Reactivate,
    Push(f32::NEG_INFINITY, Some(Reason::NonFinite { limit: 0.0 })),
];

fn check(c: &mut Checker) {
    run(c, defmt::intern!("limit 0.5"), 0.5, AT_HALF);
    run(c, defmt::intern!("limit 0.42"), 0.42, AT_042);
    if Num::from_f64(f64::NAN).is_finite() {
        defmt::info!("limit 0, non-finite scores: skipped ({=str} has no NaN)", Num::NAME);
    } else {
        run(c, defmt::intern!("limit 0, non-finite scores"), 0.0, NON_FINITE);
    }
}

fn run(c: &mut Checker, name: Str, limit: f64, steps: &[Step]) {
    let Ok(kernel) = SafetyKernel::<Num>::new(limit) else {
        c.fail(name);
        return;
    };
    let mut halts = 0u32;
    for step in steps {
        match step {
            Push(score, want) => {
                let verdict = kernel.push(Num::from_f64(f64::from(*score)));
                match (verdict, want) {
                    (Verdict::Continue, None) => c.pass(),
                    (Verdict::Halt(got), Some(want)) => {
                        halts += 1;
                        c.halt_reason(name, &got, want);
                    }
                    (Verdict::Continue, Some(want)) => {
                        defmt::error!("{=istr}: {=f32} passed, expected {=str}", name, score, want.label());
                        c.fail(name);
                    }
                    (Verdict::Halt(got), None) => {
                        defmt::error!("{=istr}: {=f32} halted with {=str}", name, score, label(&got));
                        c.fail(name);
                    }
                }
            }
            Reactivate => kernel.reactivate(),
            EmergencyStop => kernel.emergency_stop(),
        }
    }
    defmt::info!("SafetyKernel {=istr}: {=usize} steps, {=u32} halts", name, steps.len(), halts);
}

fn cost(meter: &mut Meter, c: &mut Checker) {
    let Ok(kernel) = SafetyKernel::<Num>::new(0.5) else {
        c.fail(defmt::intern!("safety_kernel cost: kernel"));
        return;
    };
    let scores = super::streaming::passing_scores();
    let at = |i: u32| scores[(i & 15) as usize];
    meter.per_call(
        defmt::intern!("SafetyKernel::push"),
        2000,
        |i| {
            black_box(at(i));
        },
        |i| {
            let _ = black_box(kernel.push(at(i)));
        },
    );
    c.expect(kernel.is_active(), defmt::intern!("safety_kernel cost: no halt while measuring"));
}
