//! Numeric backends.
//!
//! Every algorithm in this crate is written once, generically over [`Real`],
//! and instantiated for three number types:
//!
//! | backend | type | for | math |
//! |---|---|---|---|
//! | double precision | [`f64`] | servers, Python (reference parity) | `libm` |
//! | single precision | [`f32`] | MCUs with an FPU (Cortex-M4F/M7) | `libm`, or `micromath` with the `micromath` feature |
//! | fixed point Q16.16 | [`Q16`] | MCUs without an FPU (Cortex-M0/M3) | integer arithmetic, saturating |
//!
//! [`Real`] is the arithmetic every backend must provide (the safety gate
//! needs nothing more). [`Transcendental`] adds the functions the physics
//! and observer models need.
//!
//! Running sums go through [`Real::Accumulator`], so each backend can sum the
//! way that is right for it: a plain sum for floats (the gate bounds what it
//! sums), a wide exact integer for fixed point.

mod accumulator;
mod fast_log;
mod fast_trig;
mod fixed;
mod float;
mod phase;
mod sqrt;

pub use accumulator::{Accumulator, IntAccumulator, NeumaierSum, PlainSum};
pub use fast_log::ln_fast;
pub(crate) use fast_log::ln_normal;
pub(crate) use fast_trig::cos_in_range;
pub use fast_trig::{FAST_TRIG_MAX, sin_cos_batch, sin_cos_fast};
pub use fixed::Q16;
pub use phase::{
    BinaryAngle, F32Increment, PhaseBackend, PhaseRepr, Q16Increment, RadianIncrement, wrap_radians,
};
pub(crate) use sqrt::{sqrt, sqrt_each, sqrtf};

use core::fmt::{Debug, Display};
use core::ops::{Add, Div, Mul, Neg, Sub};

/// The arithmetic a numeric backend provides.
///
/// Implemented by [`f64`], [`f32`] and [`Q16`]. Arithmetic never panics:
/// floats follow IEEE-754, [`Q16`] saturates (and division by zero
/// saturates towards the sign of the dividend).
pub trait Real:
    Copy
    + PartialEq
    + PartialOrd
    + Debug
    + Display
    + Default
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Send
    + Sync
    + 'static
{
    /// Short name of the backend (`"f64"`, `"f32"`, `"q16.16"`), for reports.
    const NAME: &'static str;
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Smallest positive step between representable values near 1
    /// (machine epsilon for floats, one LSB for fixed point).
    const EPSILON: Self;

    /// How this backend accumulates long running sums without drift.
    type Accumulator: Accumulator<Self>;

    /// Converts from `f64`, rounding to nearest and saturating at the
    /// backend's range. Floats keep NaN/±Inf; [`Q16`] maps NaN to 0 and
    /// ±Inf to its bounds — callers that must detect non-finite input check
    /// the `f64` before converting (see [`crate::gate`]).
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact for every backend).
    fn to_f64(self) -> f64;
    /// Converts a count (window length, number of points) to this type,
    /// saturating.
    fn from_u32(n: u32) -> Self;
    /// `false` for NaN and ±Inf; always `true` for fixed point.
    fn is_finite(self) -> bool;
    /// Absolute value (saturating for fixed point).
    fn abs(self) -> Self;

    /// `true` only for a floating-point NaN.
    #[inline]
    #[allow(clippy::eq_op)] // NaN is the one value unequal to itself
    fn is_nan(self) -> bool {
        self != self
    }

    /// The smaller of two values; if exactly one is NaN the other is
    /// returned (IEEE `minNum`, like `f64::min`).
    #[inline]
    fn min(self, other: Self) -> Self {
        if other < self || self.is_nan() { other } else { self }
    }

    /// The larger of two values; if exactly one is NaN the other is
    /// returned (IEEE `maxNum`, like `f64::max`).
    #[inline]
    fn max(self, other: Self) -> Self {
        if other > self || self.is_nan() { other } else { self }
    }

    /// Clamps to `[lo, hi]`; NaN stays NaN. Never panics (unlike
    /// `f64::clamp`): with `lo > hi` the result is `hi`.
    #[inline]
    fn clamp_to(self, lo: Self, hi: Self) -> Self {
        let mut x = self;
        if x < lo {
            x = lo;
        }
        if x > hi {
            x = hi;
        }
        x
    }
}

/// Elementary functions for the physics and observer models.
///
/// Accuracy is backend-specific and documented on each implementation;
/// the test-suite states and checks the tolerance of each backend against
/// `f64`.
pub trait Transcendental: Real {
    /// Square root; negative input gives NaN for floats and 0 for fixed point.
    fn sqrt(self) -> Self;
    /// Sine of an angle in radians.
    fn sin(self) -> Self;
    /// Cosine of an angle in radians.
    fn cos(self) -> Self;
    /// Sine and cosine together (cheaper where the backend shares work).
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
    /// `e^x`, saturating for fixed point.
    fn exp(self) -> Self;
    /// Natural logarithm; non-positive input gives NaN/−Inf for floats and
    /// the most negative value for fixed point.
    fn ln(self) -> Self;
}
