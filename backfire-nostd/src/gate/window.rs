//! The score history of one stream: a ring over caller-provided storage,
//! with an O(1), drift-free sliding-window mean.
//!
//! # Why the mean cannot drift
//!
//! `sum += new; sum -= old` accumulates one rounding error per token, for
//! ever. Instead the stream is cut into blocks of `window_size` tokens.
//! While block *b* fills, the window is "the tail of block *b−1* plus the
//! head of block *b*", so
//!
//! ```text
//! window_sum = total(b−1) − evicted(b−1 so far) + fill(b)
//! ```
//!
//! All three partial sums restart at every block boundary, so the error is
//! bounded by the rounding of at most two blocks — the same order as
//! re-summing the window from scratch — however long the stream runs. The
//! work per token is constant: three accumulator updates and a comparison
//! with a cutoff precomputed from the threshold (no division; the mean
//! itself is only computed for a halt). [`Real::Accumulator`] makes the
//! partial sums plain sums (floats) or exact integers (fixed point). When a
//! block is complete, `evicted` has summed exactly the same values in the
//! same order as `total`, so the stale part cancels to zero exactly.

use crate::num::{Accumulator, Real};

/// Ring buffer of the most recent scores of a stream, with the block-sum
/// window mean and the trend endpoints.
///
/// Every slot of the storage is part of the ring (the monitor checks it
/// holds at least `max(window_size, trend_window)`). The two places the
/// ring is read — the score leaving the window and the first score of the
/// trend span — move forward one slot per push, so each is kept as an
/// index instead of being recomputed from the head.
#[derive(Clone, Debug)]
pub(crate) struct ScoreWindow<T: Real, S> {
    storage: S,
    /// What the window sum is compared with (from the window threshold).
    cutoff: <T::Accumulator as Accumulator<T>>::Cutoff,
    /// Scores in the window mean (≥ 1).
    window_size: u32,
    /// Scores in the trend span (≥ 1).
    trend_window: usize,
    /// Next slot to write.
    head: usize,
    /// Slot of the oldest score in the window (read once the window is full).
    leaving: usize,
    /// Slot of the first score of the trend span (read once it is full).
    trend_start: usize,
    /// Number of valid scores, saturating at the capacity.
    len: usize,
    /// Scores pushed in the current block, in `0..=window_size`.
    block_pos: u32,
    total: T::Accumulator,
    evicted: T::Accumulator,
    fill: T::Accumulator,
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> ScoreWindow<T, S> {
    /// A window over `storage` for means over `window_size` scores
    /// compared with `threshold`, and trends over `trend_window` scores
    /// (both clamped to ≥ 1; the monitor validates them).
    pub(crate) fn new(storage: S, window_size: u32, trend_window: usize, threshold: T) -> Self {
        let window_size = window_size.max(1);
        ScoreWindow {
            storage,
            cutoff: T::Accumulator::cutoff(threshold, window_size),
            window_size,
            trend_window: trend_window.max(1),
            head: 0,
            leaving: 0,
            trend_start: 0,
            len: 0,
            block_pos: 0,
            total: Default::default(),
            evicted: Default::default(),
            fill: Default::default(),
        }
    }

    /// Forgets every score (start of a new stream).
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.leaving = 0;
        self.trend_start = 0;
        self.len = 0;
        self.block_pos = 0;
        self.total = Default::default();
        self.evicted = Default::default();
        self.fill = Default::default();
    }

    /// Records a score and returns the first score of the trend span that
    /// ends with it (the score `trend_window − 1` pushes back), once
    /// `trend_window` scores were pushed. Constant work.
    // Always inlined: the caller's token loop then keeps the window's
    // sums in registers instead of reloading them for every token.
    #[inline(always)]
    pub(crate) fn push(&mut self, score: T) -> Option<T> {
        if self.block_pos >= self.window_size {
            self.total = self.fill;
            self.fill = Default::default();
            self.evicted = Default::default();
            self.block_pos = 0;
        }
        let ring = self.storage.as_mut();
        let capacity = ring.len();
        if self.len >= self.window_size as usize {
            // Read before the write below, which may reuse this slot.
            if let Some(&old) = ring.get(self.leaving) {
                self.evicted.add(old);
            }
            self.leaving = next_slot(self.leaving, capacity);
        }
        if let Some(slot) = ring.get_mut(self.head) {
            *slot = score;
        }
        self.head = next_slot(self.head, capacity);
        self.len = (self.len + 1).min(capacity);
        self.fill.add(score);
        self.block_pos += 1;
        if self.len < self.trend_window {
            return None;
        }
        let first = ring.get(self.trend_start).copied();
        self.trend_start = next_slot(self.trend_start, capacity);
        first
    }

    /// Mean of the last `window_size` scores, once that many were pushed,
    /// if it is strictly below `threshold` (the window threshold this
    /// window was made for).
    // Always inlined: the caller's token loop then keeps the window's
    // sums in registers instead of reloading them for every token.
    #[inline(always)]
    pub(crate) fn mean_below(&self, threshold: T) -> Option<T> {
        if self.len < self.window_size as usize {
            return None;
        }
        T::Accumulator::mean_below(
            &self.total,
            &self.evicted,
            &self.fill,
            self.window_size,
            threshold,
            self.cutoff,
        )
    }

    /// Mean of the last `window_size` scores, once that many were pushed.
    pub(crate) fn window_mean(&self) -> Option<T> {
        if self.len < self.window_size as usize {
            return None;
        }
        Some(T::Accumulator::mean(&self.total, &self.evicted, &self.fill, self.window_size))
    }

    /// Gives the storage back.
    pub(crate) fn into_storage(self) -> S {
        self.storage
    }
}

/// The ring slot after `slot`.
#[inline(always)]
fn next_slot(slot: usize, capacity: usize) -> usize {
    if slot + 1 >= capacity { 0 } else { slot + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Q16;

    fn naive_mean(xs: &[f64], ws: usize) -> f64 {
        xs[xs.len() - ws..].iter().sum::<f64>() / ws as f64
    }

    #[test]
    fn mean_matches_naive_resum_over_many_blocks() {
        let ws = 7;
        let mut w = ScoreWindow::<f64, _>::new([0.0; 9], ws, 2, 0.0);
        let mut xs = [0.0; 1000];
        for i in 0..xs.len() {
            let x = ((i * 37) % 101) as f64 / 101.0;
            xs[i] = x;
            w.push(x);
            if i + 1 >= ws as usize {
                let m = w.window_mean().unwrap();
                assert!((m - naive_mean(&xs[..=i], ws as usize)).abs() < 1e-15, "at {i}");
            } else {
                assert!(w.window_mean().is_none());
            }
        }
    }

    #[test]
    fn no_drift_after_a_million_tokens() {
        let mut w = ScoreWindow::<f32, _>::new([0.0f32; 10], 10, 2, 0.0);
        for i in 0..1_000_000u32 {
            w.push(if i % 2 == 0 { 0.1 } else { 0.7 });
        }
        // The last ten scores alternate: mean is exactly (0.1 + 0.7) / 2.
        assert!((w.window_mean().unwrap() - 0.4).abs() < 1e-7);
    }

    #[test]
    fn fixed_point_mean_is_exact() {
        let threshold = Q16::from_bits(9998);
        let mut w = ScoreWindow::<Q16, _>::new([Q16::ZERO; 4], 4, 2, threshold);
        for i in 0..10_000 {
            w.push(Q16::from_bits(i % 65536));
        }
        // (9996 + 9997 + 9998 + 9999) / 4 = 9997.5 LSB, floored.
        assert_eq!(w.window_mean().unwrap().to_bits(), 9997);
        // The comparison itself is exact: 9997.5 LSB is below 9998 but not
        // below 9997.
        assert!(w.mean_below(threshold).is_some());
        let low = Q16::from_bits(9997);
        let mut w = ScoreWindow::<Q16, _>::new([Q16::ZERO; 4], 4, 2, low);
        for i in 9996..10_000 {
            w.push(Q16::from_bits(i));
        }
        assert!(w.mean_below(low).is_none());
    }

    /// Every push's trend start and window mean against a naive scan of
    /// the whole history, for every ring size from the minimum up, so each
    /// read index wraps at every offset.
    #[test]
    fn trend_start_and_mean_match_the_history_for_every_ring_size() {
        for (ws, span) in [(1, 1), (1, 2), (3, 2), (2, 5), (5, 5), (4, 9)] {
            let needed = (ws as usize).max(span);
            for capacity in needed..needed + 4 {
                let mut storage = [0.0; 16];
                let mut w = ScoreWindow::<f64, _>::new(&mut storage[..capacity], ws, span, 0.0);
                let mut xs = [0.0; 60];
                for i in 0..xs.len() {
                    xs[i] = ((i * 29) % 17) as f64 / 16.0;
                    let first = w.push(xs[i]);
                    let len = i + 1;
                    let expected = (len >= span).then(|| xs[len - span]);
                    assert_eq!(first, expected, "ws {ws} span {span} capacity {capacity} push {i}");
                    if len >= ws as usize {
                        let m = w.window_mean().unwrap();
                        assert!((m - naive_mean(&xs[..len], ws as usize)).abs() < 1e-15);
                    } else {
                        assert_eq!(w.window_mean(), None);
                    }
                }
            }
        }
    }

    #[test]
    fn clear_forgets_everything() {
        let mut w = ScoreWindow::<f64, _>::new([0.0; 2], 2, 2, 0.0);
        w.push(0.1);
        w.push(0.2);
        w.clear();
        assert_eq!(w.window_mean(), None);
        assert_eq!(w.push(0.9), None);
        assert_eq!(w.push(0.9), Some(0.9));
        assert_eq!(w.window_mean(), Some(0.9));
    }
}
