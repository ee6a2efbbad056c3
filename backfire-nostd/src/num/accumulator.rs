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
//! [`NeumaierSum`] (compensated, not a window [`Accumulator`]) is there
//! for long sums of values of any magnitude, such as simulated time.

use super::Real;

/// A running sum of values of `T` as the gate's window keeps it: terms
/// added one by one, and the block-scheme window test.
pub trait Accumulator<T: Real>: Copy + Default + core::fmt::Debug {
    /// What [`mean_below`](Self::mean_below) compares the window sum with,
    /// computed once per window from the threshold and the window length.
    type Cutoff: Copy + PartialEq + core::fmt::Debug;

    /// Adds one term.
    fn add(&mut self, x: T);

    /// The precomputed comparison value for `threshold` over `n` terms.
    fn cutoff(threshold: T, n: u32) -> Self::Cutoff;

    /// The window mean `(total − evicted + fill) / n` if it is strictly
    /// below `threshold`, else `None`. This is the gate's block scheme:
    /// `total` is the sum of the previous block, `evicted` the part of it
    /// that already left the window, `fill` the sum of the current block.
    /// `n` must be non-zero and `cutoff` is `Self::cutoff(threshold, n)`.
    /// Backends decide without dividing when they can.
    fn mean_below(
        total: &Self,
        evicted: &Self,
        fill: &Self,
        n: u32,
        threshold: T,
        cutoff: Self::Cutoff,
    ) -> Option<T>;

    /// The window mean `(total − evicted + fill) / n` (`n` non-zero), as
    /// [`mean_below`](Self::mean_below) reports it.
    fn mean(total: &Self, evicted: &Self, fill: &Self, n: u32) -> T;
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
    /// `threshold · n` plus a margin: a sum above it cannot have a mean
    /// below the threshold.
    type Cutoff = T;

    #[inline]
    fn add(&mut self, x: T) {
        self.0 = self.0 + x;
    }

    fn cutoff(threshold: T, n: u32) -> T {
        // The margin covers the rounding of the product and of the division.
        let bound = threshold * T::from_u32(n);
        bound + bound.abs() * (T::EPSILON * T::from_u32(4))
    }

    #[inline]
    fn mean_below(total: &Self, evicted: &Self, fill: &Self, n: u32, threshold: T, cutoff: T) -> Option<T> {
        let sum = window_sum(total, evicted, fill);
        // Fast path without a division: the division's latency would
        // otherwise sit on the path of every token's verdict. Near or below
        // the cutoff, the exact test decides, so verdicts are those of
        // `sum / n < threshold`.
        if sum > cutoff {
            return None;
        }
        exact_mean_below(sum, T::from_u32(n), threshold)
    }

    fn mean(total: &Self, evicted: &Self, fill: &Self, n: u32) -> T {
        window_sum(total, evicted, fill) / T::from_u32(n)
    }
}

/// `total − evicted + fill`; equal block sums cancel exactly when
/// subtracted first.
#[inline(always)]
fn window_sum<T: Real>(total: &PlainSum<T>, evicted: &PlainSum<T>, fill: &PlainSum<T>) -> T {
    (total.0 - evicted.0) + fill.0
}

/// The exact window test, out of line: kept cold so that the compiler does
/// not hoist its division into the common path.
#[cold]
#[inline(never)]
fn exact_mean_below<T: Real>(sum: T, n: T, threshold: T) -> Option<T> {
    let mean = sum / n;
    (mean < threshold).then_some(mean)
}

/// Neumaier compensated sum for floating-point backends.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NeumaierSum<T> {
    sum: T,
    compensation: T,
}

impl<T: Real> NeumaierSum<T> {
    /// Adds one term.
    #[inline]
    pub fn add(&mut self, x: T) {
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

    /// The compensated value of the sum.
    #[inline]
    pub fn value(&self) -> T {
        self.sum + self.compensation
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The division-free fast path never changes a verdict: compare with
    /// the plain `sum / n < threshold` on sums right at the boundary.
    fn fast_path_matches_division<T: Real>(eps_steps: i32) {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..20_000 {
            let n = 1 + (next() * 64.0) as u32;
            let threshold = T::from_f64(next());
            let bound = threshold * T::from_u32(n);
            // Walk a few representable steps around threshold · n.
            let step = bound.abs() * T::EPSILON + T::EPSILON;
            for k in -eps_steps..=eps_steps {
                let sum = bound + step * T::from_f64(f64::from(k));
                let fill = PlainSum(sum);
                let zero = PlainSum::default();
                let exact = sum / T::from_u32(n);
                let want = (exact < threshold).then_some(exact);
                let cutoff = PlainSum::cutoff(threshold, n);
                let got = PlainSum::mean_below(&zero, &zero, &fill, n, threshold, cutoff);
                assert_eq!(got, want, "{sum:?}/{n} vs {threshold:?}");
            }
        }
    }

    #[test]
    fn division_free_fast_path_is_exact_f64() {
        fast_path_matches_division::<f64>(8);
    }

    #[test]
    fn division_free_fast_path_is_exact_f32() {
        fast_path_matches_division::<f32>(8);
    }
}
