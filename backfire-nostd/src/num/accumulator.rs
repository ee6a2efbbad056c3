//! Drift-free running sums.
//!
//! A sliding-window mean kept as `sum += new; sum -= old` accumulates
//! rounding error without bound over a long stream. The gate avoids that
//! with block restarts (see [`crate::gate`]); within a block, each backend
//! sums as accurately as it cheaply can:
//!
//! * floats: Neumaier's compensated summation (error independent of the
//!   number of terms to first order);
//! * fixed point: a 64-bit integer of raw bits, which is exact.

use super::Real;

/// A running sum of values of `T`.
pub trait Accumulator<T: Real>: Copy + Default + core::fmt::Debug {
    /// Adds one term.
    fn add(&mut self, x: T);
    /// `(total - evicted + fill) / n`, evaluated as accurately as the
    /// backend allows. This is the window mean of the gate's block scheme:
    /// `total` is the sum of the previous block, `evicted` the part of it
    /// that already left the window, `fill` the sum of the current block.
    /// `n` must be non-zero.
    fn window_mean(total: &Self, evicted: &Self, fill: &Self, n: u32) -> T;
}

/// Neumaier compensated sum for floating-point backends.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NeumaierSum<T> {
    sum: T,
    compensation: T,
}

impl<T: Real> NeumaierSum<T> {
    /// The compensated value of the sum.
    #[inline]
    pub fn value(&self) -> T {
        self.sum + self.compensation
    }
}

impl<T: Real> Accumulator<T> for NeumaierSum<T> {
    #[inline]
    fn add(&mut self, x: T) {
        let t = self.sum + x;
        // Recover the low-order bits lost by the addition (Neumaier's
        // variant handles |x| > |sum| as well).
        if self.sum.abs() >= x.abs() {
            self.compensation = self.compensation + ((self.sum - t) + x);
        } else {
            self.compensation = self.compensation + ((x - t) + self.sum);
        }
        self.sum = t;
    }

    #[inline]
    fn window_mean(total: &Self, evicted: &Self, fill: &Self, n: u32) -> T {
        // Large terms first so that equal block sums cancel exactly.
        let main = (total.sum - evicted.sum) + fill.sum;
        let comp = (total.compensation - evicted.compensation) + fill.compensation;
        (main + comp) / T::from_u32(n)
    }
}

/// Exact accumulator for fixed-point backends: the sum of raw bit
/// patterns in an `i64` (2^31 terms of any Q16.16 value cannot overflow).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntAccumulator {
    raw: i64,
}

impl IntAccumulator {
    /// Adds a raw fixed-point bit pattern.
    #[inline]
    pub fn add_raw(&mut self, bits: i32) {
        self.raw = self.raw.wrapping_add(i64::from(bits));
    }

    /// The exact sum of raw bit patterns.
    #[inline]
    pub fn raw(&self) -> i64 {
        self.raw
    }
}
