//! Running sums.
//!
//! A sliding-window mean kept as `sum += new; sum -= old` accumulates
//! rounding error without bound over a long stream. The gate avoids that
//! with block restarts (see [`crate::gate`]), so within a block each backend
//! only has to sum a bounded number of terms:
//!
//! * floats: a plain sum ([`PlainSum`]). The gate's window holds scores
//!   clamped into `[0, 1]`, so the error of a block is at most
//!   `window_size · ε` — the same bound as re-summing the window — and a
//!   plain sum keeps the hot loop free of the store-forwarding stalls a
//!   two-word compensated sum causes;
//! * fixed point: a 64-bit integer of raw bits ([`IntAccumulator`]), which
//!   is exact.
//!
//! [`NeumaierSum`] (compensated) is there for long sums of values of any
//! magnitude, such as simulated time.

use super::Real;

/// A running sum of values of `T`.
pub trait Accumulator<T: Real>: Copy + Default + core::fmt::Debug {
    /// Adds one term.
    fn add(&mut self, x: T);
    /// The window mean `(total − evicted + fill) / n` if it is strictly
    /// below `threshold`, else `None`. This is the gate's block scheme:
    /// `total` is the sum of the previous block, `evicted` the part of it
    /// that already left the window, `fill` the sum of the current block.
    /// `n` must be non-zero. Backends may decide without dividing.
    fn mean_below(total: &Self, evicted: &Self, fill: &Self, n: u32, threshold: T) -> Option<T>;
}

/// A plain running sum (see the module documentation for when it is exact
/// enough).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PlainSum<T>(T);

impl<T: Real> PlainSum<T> {
    /// The sum.
    #[inline]
    pub fn value(&self) -> T {
        self.0
    }
}

impl<T: Real> Accumulator<T> for PlainSum<T> {
    #[inline]
    fn add(&mut self, x: T) {
        self.0 = self.0 + x;
    }

    #[inline]
    fn mean_below(total: &Self, evicted: &Self, fill: &Self, n: u32, threshold: T) -> Option<T> {
        // Equal block sums cancel exactly when subtracted first.
        let mean = ((total.0 - evicted.0) + fill.0) / T::from_u32(n);
        (mean < threshold).then_some(mean)
    }
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
    fn mean_below(total: &Self, evicted: &Self, fill: &Self, n: u32, threshold: T) -> Option<T> {
        // Large terms first so that equal block sums cancel exactly.
        let main = (total.sum - evicted.sum) + fill.sum;
        let comp = (total.compensation - evicted.compensation) + fill.compensation;
        let mean = (main + comp) / T::from_u32(n);
        (mean < threshold).then_some(mean)
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
