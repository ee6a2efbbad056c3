//! `StreamingKernel`: canned per-token score streams, each verdict checked
//! against the reference (spec 10 §8.4, golden values with their halt
//! index, reason and numbers).

use core::hint::black_box;

use backfire_nostd::gate::{HaltReason, StreamingKernel, StreamingLimits, Verdict};
use backfire_nostd::num::Real;

use super::Suite;
use crate::check::{Checker, Reason, label, numbers};
use backfire_firmware::backend::{FIXED_POINT, Num};
use backfire_firmware::cost::Meter;
use defmt::Str;

pub const SUITE: Suite = Suite { name: || defmt::intern!("streaming_kernel"), check, cost };

/// Score slots of every kernel here: the largest window below is 10.
const SLOTS: usize = 10;

/// The five streaming parameters, as a configuration file holds them
/// (stored as `f32` to halve the table; converted exactly to the `f64`
/// the API takes).
#[derive(Clone, Copy)]
struct Limits {
    hard_limit: f32,
    window_size: u16,
    window_threshold: f32,
    trend_window: u16,
    trend_threshold: f32,
}

/// The reference defaults: hard 0.5, window 10 / 0.55, trend 5 / 0.15.
const DEFAULTS: Limits = Limits {
    hard_limit: 0.5,
    window_size: 10,
    window_threshold: 0.55,
    trend_window: 5,
    trend_threshold: 0.15,
};

/// What a stream must end with.
enum Expect {
    /// Every token passes.
    Pass,
    /// The token at index `at` halts, for `reason`.
    Halt { at: u32, reason: Reason },
}

/// One action on a kernel.
enum Step {
    /// `begin_stream()`, then push `scores` until the first halt (like the
    /// std layer, which stops reading tokens there). `active` is the
    /// expected `is_active()` afterwards.
    Stream { scores: &'static [f32], expect: Expect, active: bool },
    /// `reactivate()`.
    Reactivate,
    /// `emergency_stop()`.
    EmergencyStop,
}

/// A kernel built from `limits` and taken through `steps`.
struct Case {
    /// The name in the log (a function, because interned defmt strings
    /// are made at run time).
    name: fn() -> Str,
    limits: Limits,
    /// Uses NaN/∞ scores, which only a float backend can carry.
    non_finite: bool,
    steps: &'static [Step],
}

use Expect::{Halt, Pass};
use Reason::{DownwardTrend, HardLimit, Inactive, NonFinite, WindowAverage};
use Step::{EmergencyStop, Reactivate, Stream};

const CASES: &[Case] = &[
    Case {
        name: || defmt::intern!("pass"),
        limits: DEFAULTS,
        non_finite: false,
        steps: &[Stream {
            scores: &[
                0.82, 0.78, 0.85, 0.80, 0.76, 0.81, 0.79, 0.84, 0.77, 0.80, 0.83, 0.78, 0.86, 0.80, 0.75,
                0.81, 0.79, 0.84, 0.77, 0.80,
            ],
            expect: Pass,
            active: true,
        }],
    },
    // §8.4: [0.8, 0.7, 0.3] → halt at 2, `hard_limit (0.3000 < 0.5)`; the
    // kernel latches (§5.5): the next stream halts at once with
    // `kernel_inactive` until `reactivate()`.
    Case {
        name: || defmt::intern!("hard_limit, latch, reactivate"),
        limits: DEFAULTS,
        non_finite: false,
        steps: &[
            Stream {
                scores: &[0.8, 0.7, 0.3, 0.9],
                expect: Halt { at: 2, reason: HardLimit { score: 0.3, limit: 0.5 } },
                active: false,
            },
            Stream { scores: &[0.9, 0.9], expect: Halt { at: 0, reason: Inactive }, active: false },
            Reactivate,
            Stream { scores: &[0.8, 0.8, 0.8], expect: Pass, active: true },
        ],
    },
    // §8.4: window 3 / 0.6 with [0.7, 0.55, 0.5, 0.45] →
    // `window_avg (0.5833 < 0.6)` at index 2; window halts do not latch.
    Case {
        name: || defmt::intern!("window_avg"),
        limits: Limits { window_size: 3, window_threshold: 0.6, ..DEFAULTS },
        non_finite: false,
        steps: &[
            Stream {
                scores: &[0.7, 0.55, 0.5, 0.45],
                expect: Halt { at: 2, reason: WindowAverage { average: 0.583_333_3, threshold: 0.6 } },
                active: true,
            },
            Stream { scores: &[0.9, 0.9, 0.9, 0.9], expect: Pass, active: true },
        ],
    },
    // §8.4 (Rust test): window 3 / 0.7, constant 0.6 →
    // `window_avg (0.6000 < 0.7)` at index 2, kernel still active.
    Case {
        name: || defmt::intern!("window_avg, constant scores"),
        limits: Limits { window_size: 3, window_threshold: 0.7, ..DEFAULTS },
        non_finite: false,
        steps: &[Stream {
            scores: &[0.6, 0.6, 0.6, 0.6],
            expect: Halt { at: 2, reason: WindowAverage { average: 0.6, threshold: 0.7 } },
            active: true,
        }],
    },
    // §8.4 (Rust test): trend 3 / 0.1, hard 0.1, window threshold 0.1,
    // [0.9, 0.8, 0.7, 0.5] → `downward_trend (0.2000 > 0.1)` at index 2
    // (the third token, not the fourth).
    Case {
        name: || defmt::intern!("downward_trend"),
        limits: Limits {
            hard_limit: 0.1,
            window_threshold: 0.1,
            trend_window: 3,
            trend_threshold: 0.1,
            ..DEFAULTS
        },
        non_finite: false,
        steps: &[
            Stream {
                scores: &[0.9, 0.8, 0.7, 0.5],
                expect: Halt { at: 2, reason: DownwardTrend { drop: 0.2, threshold: 0.1 } },
                active: true,
            },
            Stream { scores: &[0.5, 0.6, 0.7], expect: Pass, active: true },
        ],
    },
    // §8.4 (Python class): trend 3 / 0.1 with [0.85, 0.80, 0.70] →
    // `downward_trend (0.1500 > 0.1)` at index 2.
    Case {
        name: || defmt::intern!("downward_trend, 0.15"),
        limits: Limits { trend_window: 3, trend_threshold: 0.1, ..DEFAULTS },
        non_finite: false,
        steps: &[Stream {
            scores: &[0.85, 0.80, 0.70],
            expect: Halt { at: 2, reason: DownwardTrend { drop: 0.15, threshold: 0.1 } },
            active: true,
        }],
    },
    // §5.2 order: the window check runs before the trend check, so a token
    // that breaks both reports the window.
    Case {
        name: || defmt::intern!("window before trend"),
        limits: Limits {
            window_size: 3,
            window_threshold: 0.7,
            trend_window: 3,
            trend_threshold: 0.1,
            ..DEFAULTS
        },
        non_finite: false,
        steps: &[Stream {
            scores: &[0.9, 0.6, 0.55],
            expect: Halt { at: 2, reason: WindowAverage { average: 0.683_333_3, threshold: 0.7 } },
            active: true,
        }],
    },
    // Ours (§10 items 11, 12): the streaming kernel has an emergency stop.
    Case {
        name: || defmt::intern!("emergency_stop"),
        limits: DEFAULTS,
        non_finite: false,
        steps: &[
            Stream { scores: &[0.9, 0.9], expect: Pass, active: true },
            EmergencyStop,
            Stream { scores: &[0.9], expect: Halt { at: 0, reason: Inactive }, active: false },
            Reactivate,
            Stream { scores: &[0.9], expect: Pass, active: true },
        ],
    },
    // Ours (§10 item 12): NaN and ±∞ halt and latch even with limit 0; the
    // reference maps them to 0.0, which passes a 0.0 limit.
    Case {
        name: || defmt::intern!("non-finite, limit 0"),
        limits: Limits { hard_limit: 0.0, window_threshold: 0.0, ..DEFAULTS },
        non_finite: true,
        steps: &[
            Stream {
                scores: &[0.9, f32::NAN],
                expect: Halt { at: 1, reason: NonFinite { limit: 0.0 } },
                active: false,
            },
            Reactivate,
            Stream {
                scores: &[f32::INFINITY],
                expect: Halt { at: 0, reason: NonFinite { limit: 0.0 } },
                active: false,
            },
        ],
    },
];

fn check(c: &mut Checker) {
    for case in CASES {
        let name = (case.name)();
        if case.non_finite && Num::from_f64(f64::NAN).is_finite() {
            defmt::info!("{=istr}: skipped ({=str} has no NaN)", name, Num::NAME);
            continue;
        }
        run(c, name, case);
    }
}

fn kernel(limits: Limits) -> Option<StreamingKernel<Num, [Num; SLOTS]>> {
    let Limits { hard_limit, window_size, window_threshold, trend_window, trend_threshold } = limits;
    let limits = StreamingLimits::new(
        f64::from(hard_limit),
        usize::from(window_size),
        f64::from(window_threshold),
        usize::from(trend_window),
        f64::from(trend_threshold),
    )
    .ok()?;
    StreamingKernel::new(limits, [Num::ZERO; SLOTS]).ok()
}

/// A score from a table, in the backend type.
fn num(score: f32) -> Num {
    Num::from_f64(f64::from(score))
}

fn run(c: &mut Checker, name: Str, case: &Case) {
    let Some(mut kernel) = kernel(case.limits) else {
        c.fail(name);
        return;
    };
    for step in case.steps {
        match step {
            Stream { scores, expect, active } => {
                stream(c, name, &mut kernel, scores, expect);
                c.expect(kernel.is_active() == *active, defmt::intern!("is_active() after the stream"));
            }
            Reactivate => kernel.reactivate(),
            EmergencyStop => kernel.emergency_stop(),
        }
    }
}

/// One stream: push until the first halt, compare with `expect`, and check
/// that the halt is final for the rest of the stream.
fn stream(
    c: &mut Checker,
    name: Str,
    kernel: &mut StreamingKernel<Num, [Num; SLOTS]>,
    scores: &[f32],
    expect: &Expect,
) {
    kernel.begin_stream();
    let halt = scores.iter().enumerate().find_map(|(i, &s)| match kernel.push(num(s)) {
        Verdict::Continue => None,
        Verdict::Halt(reason) => Some((i as u32, reason)),
    });
    match (halt, expect) {
        (None, Pass) => {
            c.pass();
            defmt::info!("{=istr}: {=usize} tokens, no halt", name, scores.len());
        }
        (Some((at, got)), Halt { at: want_at, reason }) => {
            let ok = c.equal(defmt::intern!("halt index"), at, *want_at) & c.halt_reason(name, &got, reason);
            log_halt(name, at, &got, ok);
            stays_halted(c, kernel, &got);
        }
        (None, Halt { at, reason }) => {
            defmt::error!("{=istr}: no halt, expected {=str} at token {=u32}", name, reason.label(), at);
            c.fail(name);
        }
        (Some((at, got)), Pass) => {
            defmt::error!("{=istr}: halt at token {=u32} ({=str}), expected none", name, at, label(&got));
            c.fail(name);
        }
    }
}

/// Logs a halt the way the reference words its `halt_reason`.
fn log_halt(name: Str, at: u32, reason: &HaltReason<Num>, ok: bool) {
    // Clippy sees two identical `intern!` expansions; the strings differ.
    #[allow(clippy::if_same_then_else)]
    let verdict = if ok { defmt::intern!("as expected") } else { defmt::intern!("WRONG") };
    let [value, limit] = numbers(reason).map(|x| x.map_or(f32::NAN, |x| x.to_f64() as f32));
    match reason {
        HaltReason::HardLimit { .. } => defmt::info!(
            "{=istr}: halt at token {=u32}: hard_limit ({=f32} < {=f32}) {=istr}",
            name,
            at,
            value,
            limit,
            verdict
        ),
        HaltReason::WindowAverage { .. } => defmt::info!(
            "{=istr}: halt at token {=u32}: window_avg ({=f32} < {=f32}) {=istr}",
            name,
            at,
            value,
            limit,
            verdict
        ),
        HaltReason::DownwardTrend { .. } => defmt::info!(
            "{=istr}: halt at token {=u32}: downward_trend ({=f32} > {=f32}) {=istr}",
            name,
            at,
            value,
            limit,
            verdict
        ),
        other => {
            defmt::info!("{=istr}: halt at token {=u32}: {=str} {=istr}", name, at, label(other), verdict)
        }
    }
}

/// After a halt every further token of the stream halts: with the same
/// reason, or with `kernel_inactive` once the halt latched the kernel.
fn stays_halted(c: &mut Checker, kernel: &mut StreamingKernel<Num, [Num; SLOTS]>, halt: &HaltReason<Num>) {
    let want = if halt.latches() { HaltReason::Inactive } else { *halt };
    c.expect(kernel.push(Num::ONE) == Verdict::Halt(want), defmt::intern!("a halt is final for the stream"));
}

/// Sixteen scores around 0.8 that never trip the default limits: the
/// steady-state path (all three checks run, none halts).
pub fn passing_scores() -> [Num; 16] {
    const SCORES: [f32; 16] =
        [0.82, 0.78, 0.85, 0.80, 0.76, 0.81, 0.79, 0.84, 0.77, 0.80, 0.83, 0.78, 0.86, 0.80, 0.75, 0.81];
    SCORES.map(num)
}

/// Instructions per gated token (×100) that `StreamingKernel::push` may
/// take on any image. Measured: 119 (M4F, f32), 117 (M4F, Q16.16), 143
/// (M0, Q16.16). A byte-sized field in `HaltReason` once made every
/// verdict copy a `memcpy` call and took the M0 to 191, unnoticed.
const PUSH_BUDGET_X100: u32 = 16_000;

fn cost(meter: &mut Meter, c: &mut Checker) {
    let Some(mut kernel) = kernel(DEFAULTS) else {
        c.fail(defmt::intern!("streaming cost: kernel"));
        return;
    };
    let scores = passing_scores();
    let at = |i: u32| scores[(i & 15) as usize];
    let per_token = meter.per_call(
        defmt::intern!("StreamingKernel::push (window 10, trend 5)"),
        2000,
        |i| {
            black_box(at(i));
        },
        |i| {
            let _ = black_box(kernel.push(at(i)));
        },
    );
    // QEMU counts instructions exactly, so this is a deterministic check.
    c.expect(
        per_token <= PUSH_BUDGET_X100,
        defmt::intern!("streaming cost: push within its instruction budget"),
    );
    c.expect(
        kernel.is_active() && kernel.monitor().halted().is_none(),
        defmt::intern!("streaming cost: no halt while measuring"),
    );
    // The fixed-point window mean divides a 64-bit sum by the window size
    // on every token; neither core divides 64-bit integers in hardware.
    // Measured on its own to show its share of the push (fixed-point
    // images only: the f32 image does not otherwise link the division).
    if FIXED_POINT {
        // Raw sums of ten Q16.16 scores near 0.8 (0.8 · 10 · 2^16 ≈ 524288).
        let sums: [i64; 16] = core::array::from_fn(|k| 524_288 + 997 * k as i64);
        meter.per_call(
            defmt::intern!("i64 / i64 division (the Q16.16 window mean)"),
            2000,
            |i| {
                black_box((sums[(i & 15) as usize], black_box(10i64)));
            },
            |i| {
                black_box(sums[(i & 15) as usize] / black_box(10i64));
            },
        );
    }
}
