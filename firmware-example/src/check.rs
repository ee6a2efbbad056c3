//! Comparing what the firmware computed with what it should have, and
//! keeping score.
//!
//! Every comparison logs a failure at `error` level with both values and
//! counts it; passes are only counted (the suites log one line per
//! scenario instead).
//!
//! Descriptions are interned defmt strings ([`defmt::intern!`]): they live
//! in the ELF's `.defmt` section for the host decoder, not in flash.
//! Expected values are `f32` — exact in every backend's conversion and
//! half the flash of `f64` tables (UPDE phases: exact 32-bit binary
//! angles, converted from the spec's `f64` digits at compile time).

use defmt::Str;

use backfire_nostd::gate::HaltReason;
use backfire_nostd::num::Real;

use backfire_firmware::backend::{Num, TOLERANCE};

/// Counts passed and failed checks.
pub struct Checker {
    passed: u32,
    failed: u32,
}

impl Checker {
    /// No checks yet.
    pub const fn new() -> Self {
        Checker { passed: 0, failed: 0 }
    }

    /// Checks that passed.
    pub fn passed(&self) -> u32 {
        self.passed
    }

    /// Checks that failed.
    pub fn failed(&self) -> u32 {
        self.failed
    }

    /// Records a passed check.
    pub fn pass(&mut self) {
        self.passed += 1;
    }

    /// Records a failed check and says what failed.
    pub fn fail(&mut self, what: Str) {
        defmt::error!("MISMATCH {=istr}", what);
        self.failed += 1;
    }

    /// Records `ok` as a check described by `what`; returns `ok`.
    pub fn expect(&mut self, ok: bool, what: Str) -> bool {
        if ok {
            self.pass()
        } else {
            self.fail(what)
        }
        ok
    }

    /// Checks two counts (token indices, sizes) for equality.
    pub fn equal(&mut self, what: Str, got: u32, want: u32) -> bool {
        let ok = got == want;
        if !ok {
            defmt::error!("{=istr}: got {=u32}, expected {=u32}", what, got, want);
        }
        self.expect(ok, what)
    }

    /// Checks a computed number against its reference value within the
    /// backend's [`TOLERANCE`].
    pub fn close(&mut self, what: Str, got: Num, want: f32) -> bool {
        self.close_within(what, got, want, TOLERANCE)
    }

    /// Checks a computed number against its reference value within
    /// `tolerance` (for results that accumulate error over many
    /// operations, e.g. a UPDE trajectory; see `backend`).
    ///
    /// The difference is taken in the backend's own arithmetic: `f64`
    /// arithmetic is soft-float on both cores and would add ~1 KiB. A NaN
    /// result never passes.
    pub fn close_within(&mut self, what: Str, got: Num, want: f32, tolerance: f64) -> bool {
        let want = f64::from(want);
        let ok = (got - Num::from_f64(want)).abs() <= Num::from_f64(tolerance);
        if !ok {
            defmt::error!(
                "{=istr}: got {=f32}, expected {=f32} +- {=f64}",
                what,
                got.to_f64() as f32,
                want as f32,
                tolerance
            );
        }
        self.expect(ok, what)
    }

    /// Checks a halt reason: its variant first, then each number it
    /// carries.
    pub fn halt_reason(&mut self, what: Str, got: &HaltReason<Num>, want: &Reason) -> bool {
        if !want.is_variant_of(got) {
            defmt::error!("{=istr}: halted with {=str}, expected {=str}", what, label(got), want.label());
            return self.expect(false, what);
        }
        let mut ok = true;
        for (got, want) in numbers(got).into_iter().zip(want.numbers()) {
            if let (Some(got), Some(want)) = (got, want) {
                ok &= self.close(what, got, want);
            }
        }
        ok
    }
}

/// An expected halt reason, with the reference's numbers.
#[derive(Clone, Copy, Debug)]
pub enum Reason {
    /// `hard_limit (score < limit)`.
    HardLimit {
        /// The token's score.
        score: f32,
        /// The configured hard limit.
        limit: f32,
    },
    /// `hard_limit` for a NaN/±∞ score (ours halts even at limit 0).
    NonFinite {
        /// The configured hard limit.
        limit: f32,
    },
    /// `window_avg (average < threshold)`.
    WindowAverage {
        /// Mean of the full window.
        average: f32,
        /// The configured window threshold.
        threshold: f32,
    },
    /// `downward_trend (drop > threshold)`.
    DownwardTrend {
        /// First minus last score of the trend window.
        drop: f32,
        /// The configured trend threshold.
        threshold: f32,
    },
    /// `kernel_inactive`.
    Inactive,
}

impl Reason {
    /// Whether `got` is the same variant as this expectation.
    pub fn is_variant_of(&self, got: &HaltReason<Num>) -> bool {
        matches!(
            (self, got),
            (Reason::HardLimit { .. }, HaltReason::HardLimit { .. })
                | (Reason::NonFinite { .. }, HaltReason::NonFiniteScore { .. })
                | (Reason::WindowAverage { .. }, HaltReason::WindowAverage { .. })
                | (Reason::DownwardTrend { .. }, HaltReason::DownwardTrend { .. })
                | (Reason::Inactive, HaltReason::Inactive)
        )
    }

    /// The reference's name for the reason (the prefix of its
    /// `halt_reason` string).
    pub fn label(&self) -> &'static str {
        match self {
            Reason::HardLimit { .. } => "hard_limit",
            Reason::NonFinite { .. } => "hard_limit (non-finite score)",
            Reason::WindowAverage { .. } => "window_avg",
            Reason::DownwardTrend { .. } => "downward_trend",
            Reason::Inactive => "kernel_inactive",
        }
    }

    /// The numbers, in the order of [`numbers`].
    fn numbers(&self) -> [Option<f32>; 2] {
        match *self {
            Reason::HardLimit { score, limit } => [Some(score), Some(limit)],
            Reason::NonFinite { limit } => [None, Some(limit)],
            Reason::WindowAverage { average, threshold } => [Some(average), Some(threshold)],
            Reason::DownwardTrend { drop, threshold } => [Some(drop), Some(threshold)],
            Reason::Inactive => [None, None],
        }
    }
}

/// The reference's name for a halt reason; non-finite scores are told
/// apart from ordinary hard-limit halts.
pub fn label(reason: &HaltReason<Num>) -> &'static str {
    match reason {
        HaltReason::NonFiniteScore { .. } => "hard_limit (non-finite score)",
        other => other.kind(),
    }
}

/// The numbers a halt reason carries: (measured value, configured limit).
pub fn numbers(reason: &HaltReason<Num>) -> [Option<Num>; 2] {
    match *reason {
        HaltReason::HardLimit { score, limit } => [Some(score), Some(limit)],
        HaltReason::NonFiniteScore { limit } => [None, Some(limit)],
        HaltReason::WindowAverage { average, threshold } => [Some(average), Some(threshold)],
        HaltReason::DownwardTrend { drop, threshold } => [Some(drop), Some(threshold)],
        // Timeouts come from the std kernels' clock; the core never halts so.
        HaltReason::Inactive | HaltReason::TokenTimeout { .. } | HaltReason::TotalTimeout { .. } => {
            [None, None]
        }
    }
}
