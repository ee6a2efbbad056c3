//! Checked slice access for the matrix and vector code of the models.
//!
//! The crate promises no panic reachable from outside, so the models read
//! and write their flat buffers through these instead of indexing: an
//! out-of-range read gives zero and an out-of-range write is ignored —
//! neither happens once a caller has checked its lengths, which every
//! public entry point does first.

use crate::num::Real;

/// `xs[i]`, or zero out of range.
#[inline(always)]
pub(crate) fn at<T: Real>(xs: &[T], i: usize) -> T {
    xs.get(i).copied().unwrap_or(T::ZERO)
}

/// `xs[i] = x`, ignored out of range.
#[inline(always)]
pub(crate) fn set<T>(xs: &mut [T], i: usize, x: T) {
    if let Some(slot) = xs.get_mut(i) {
        *slot = x;
    }
}

/// Copies the common prefix of `from` into `to` (`copy_from_slice`
/// panics on a length mismatch).
pub(crate) fn copy<T: Copy>(to: &mut [T], from: &[T]) {
    to.iter_mut().zip(from).for_each(|(t, &f)| *t = f);
}

/// The rows of an `n`-wide row-major matrix. For `n = 0` the matrix is
/// empty and so are its rows; the width is then taken as 1 because
/// `chunks_exact(0)` panics.
pub(crate) fn rows<T>(m: &[T], n: usize) -> core::slice::ChunksExact<'_, T> {
    m.chunks_exact(n.max(1))
}

/// [`rows`], mutable.
pub(crate) fn rows_mut<T>(m: &mut [T], n: usize) -> core::slice::ChunksExactMut<'_, T> {
    m.chunks_exact_mut(n.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_reads_zero_and_writes_nothing() {
        let mut xs = [1.0, 2.0];
        assert_eq!((at(&xs, 1), at(&xs, 2)), (2.0, 0.0));
        set(&mut xs, 5, 9.0);
        set(&mut xs, 0, 3.0);
        assert_eq!(xs, [3.0, 2.0]);
        copy(&mut xs, &[7.0]);
        assert_eq!(xs, [7.0, 2.0]);
        assert_eq!(rows::<f64>(&[], 0).count(), 0);
        assert_eq!(rows(&[0.0; 6], 3).count(), 2);
        assert_eq!(rows_mut(&mut [0.0; 7], 2).count(), 3);
    }
}
