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
/// holds at least `max(window_size, trend_window)`). The window length is
/// not stored here: the monitor passes its validated `window_size` to each
/// call, so a device keeps it once.
#[derive(Clone, Debug)]
pub(crate) struct ScoreWindow<T: Real, S> {
    storage: S,
    /// What the window sum is compared with (from the window threshold).
    cutoff: <T::Accumulator as Accumulator<T>>::Cutoff,
    /// Next slot to write.
    head: usize,
    /// Number of valid scores, saturating at the capacity.
    len: usize,
    /// Scores pushed in the current block, in `0..=window_size`.
    block_pos: u32,
    total: T::Accumulator,
    evicted: T::Accumulator,
    fill: T::Accumulator,
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> ScoreWindow<T, S> {
    /// A window over `storage` for means over `window_size` (≥ 1) scores
    /// compared with `threshold`.
    pub(crate) fn new(storage: S, window_size: u32, threshold: T) -> Self {
        ScoreWindow {
            storage,
            cutoff: T::Accumulator::cutoff(threshold, window_size.max(1)),
            head: 0,
            len: 0,
            block_pos: 0,
            total: Default::default(),
            evicted: Default::default(),
            fill: Default::default(),
        }
    }

    /// Slots in the ring.
    #[inline]
    fn capacity(&self) -> usize {
        self.storage.as_ref().len()
    }

    /// Forgets every score (start of a new stream).
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.block_pos = 0;
        self.total = Default::default();
        self.evicted = Default::default();
        self.fill = Default::default();
    }

    /// Records a score. Constant work.
    // Always inlined: the caller's token loop then keeps the window's
    // sums in registers instead of reloading them for every token.
    #[inline(always)]
    pub(crate) fn push(&mut self, score: T, window_size: u32) {
        let ws = window_size.max(1);
        if self.block_pos >= ws {
            self.total = self.fill;
            self.fill = Default::default();
            self.evicted = Default::default();
            self.block_pos = 0;
        }
        if self.len >= ws as usize {
            // The score leaving the window is `window_size` slots back.
            let leaving = self.get_back(ws as usize);
            self.evicted.add(leaving);
        }
        let capacity = self.capacity();
        if let Some(slot) = self.storage.as_mut().get_mut(self.head) {
            *slot = score;
        }
        self.head = if self.head + 1 >= capacity { 0 } else { self.head + 1 };
        self.len = (self.len + 1).min(capacity);
        self.fill.add(score);
        self.block_pos += 1;
    }

    /// The score pushed `k` pushes before the next one (`k = 1` is the
    /// newest). Returns zero for `k` outside `1..=capacity`.
    // Always inlined: the caller's token loop then keeps the window's
    // sums in registers instead of reloading them for every token.
    #[inline(always)]
    fn get_back(&self, k: usize) -> T {
        let capacity = self.capacity();
        if k == 0 || k > capacity {
            return T::ZERO;
        }
        let index = if self.head >= k { self.head - k } else { self.head + capacity - k };
        self.storage.as_ref().get(index).copied().unwrap_or(T::ZERO)
    }

    /// Mean of the last `window_size` scores, once that many were pushed,
    /// if it is strictly below `threshold` (the window threshold this
    /// window was made for).
    // Always inlined: the caller's token loop then keeps the window's
    // sums in registers instead of reloading them for every token.
    #[inline(always)]
    pub(crate) fn mean_below(&self, window_size: u32, threshold: T) -> Option<T> {
        let ws = window_size.max(1);
        if self.len < ws as usize {
            return None;
        }
        T::Accumulator::mean_below(&self.total, &self.evicted, &self.fill, ws, threshold, self.cutoff)
    }

    /// Mean of the last `window_size` scores, once that many were pushed.
    pub(crate) fn window_mean(&self, window_size: u32) -> Option<T> {
        let ws = window_size.max(1);
        if self.len < ws as usize {
            return None;
        }
        Some(T::Accumulator::mean(&self.total, &self.evicted, &self.fill, ws))
    }

    /// `score[len − span] − newest`, once `span` scores were pushed
    /// (`2 <= span <= capacity`); `newest` is the score pushed last, which
    /// the caller still holds (`score[len − 1]`, without reading it back).
    // Always inlined: the caller's token loop then keeps the window's
    // sums in registers instead of reloading them for every token.
    #[inline(always)]
    pub(crate) fn drop_over(&self, span: usize, newest: T) -> Option<T> {
        (span >= 1 && span <= self.len).then(|| self.get_back(span) - newest)
    }

    /// Gives the storage back.
    pub(crate) fn into_storage(self) -> S {
        self.storage
    }
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
        let mut w = ScoreWindow::<f64, _>::new([0.0; 9], ws, 0.0);
        let mut xs = [0.0; 1000];
        for i in 0..xs.len() {
            let x = ((i * 37) % 101) as f64 / 101.0;
            xs[i] = x;
            w.push(x, ws);
            if i + 1 >= ws as usize {
                let m = w.window_mean(ws).unwrap();
                assert!((m - naive_mean(&xs[..=i], ws as usize)).abs() < 1e-15, "at {i}");
            } else {
                assert!(w.window_mean(ws).is_none());
            }
        }
    }

    #[test]
    fn no_drift_after_a_million_tokens() {
        let mut w = ScoreWindow::<f32, _>::new([0.0f32; 10], 10, 0.0);
        for i in 0..1_000_000u32 {
            w.push(if i % 2 == 0 { 0.1 } else { 0.7 }, 10);
        }
        // The last ten scores alternate: mean is exactly (0.1 + 0.7) / 2.
        assert!((w.window_mean(10).unwrap() - 0.4).abs() < 1e-7);
    }

    #[test]
    fn fixed_point_mean_is_exact() {
        let threshold = Q16::from_bits(9998);
        let mut w = ScoreWindow::<Q16, _>::new([Q16::ZERO; 4], 4, threshold);
        for i in 0..10_000 {
            w.push(Q16::from_bits(i % 65536), 4);
        }
        // (9996 + 9997 + 9998 + 9999) / 4 = 9997.5 LSB, floored.
        assert_eq!(w.window_mean(4).unwrap().to_bits(), 9997);
        // The comparison itself is exact: 9997.5 LSB is below 9998 but not
        // below 9997.
        assert!(w.mean_below(4, threshold).is_some());
        let low = Q16::from_bits(9997);
        let mut w = ScoreWindow::<Q16, _>::new([Q16::ZERO; 4], 4, low);
        for i in 9996..10_000 {
            w.push(Q16::from_bits(i), 4);
        }
        assert!(w.mean_below(4, low).is_none());
    }

    #[test]
    fn trend_reads_the_window_ends() {
        let mut w = ScoreWindow::<f64, _>::new([0.0; 5], 3, 0.0);
        for x in [0.9, 0.8, 0.7, 0.5] {
            w.push(x, 3);
        }
        // The newest score is the caller's; the ring holds it too.
        assert_eq!(w.get_back(1), 0.5);
        assert!((w.drop_over(3, 0.5).unwrap() - 0.3).abs() < 1e-12);
        assert!((w.drop_over(4, 0.5).unwrap() - 0.4).abs() < 1e-12);
        assert_eq!(w.drop_over(5, 0.5), None);
        assert_eq!(w.drop_over(1, 0.5), Some(0.0));
    }

    #[test]
    fn storage_larger_than_needed_is_one_bigger_ring() {
        let mut w = ScoreWindow::<f64, _>::new([0.0; 16], 3, 0.0);
        for i in 0..100 {
            w.push(f64::from(i % 10) / 10.0, 3);
        }
        // Last three: 0.7, 0.8, 0.9.
        assert!((w.window_mean(3).unwrap() - 0.8).abs() < 1e-12);
        assert_eq!(w.get_back(1), 0.9);
        assert!((w.drop_over(16, 0.9).unwrap() - (0.4 - 0.9)).abs() < 1e-12);
    }

    /// The trend's first score and the window mean against a naive scan
    /// of the whole history, for ring sizes from the minimum up, so every
    /// read wraps at every offset.
    #[test]
    fn trend_start_and_mean_match_the_history_for_every_ring_size() {
        for (ws, span) in [(1, 1), (1, 2), (3, 2), (2, 5), (5, 5), (4, 9)] {
            let needed = (ws as usize).max(span);
            for capacity in needed..needed + 4 {
                let mut storage = [0.0; 16];
                let mut w = ScoreWindow::<f64, _>::new(&mut storage[..capacity], ws, 0.0);
                let mut xs = [0.0; 60];
                for i in 0..xs.len() {
                    xs[i] = ((i * 29) % 17) as f64 / 16.0;
                    w.push(xs[i], ws);
                    let len = i + 1;
                    let expected = (len >= span).then(|| xs[len - span] - xs[i]);
                    assert_eq!(
                        w.drop_over(span, xs[i]),
                        expected,
                        "ws {ws} span {span} capacity {capacity} push {i}"
                    );
                    match w.window_mean(ws) {
                        Some(m) => assert!((m - naive_mean(&xs[..len], ws as usize)).abs() < 1e-15),
                        None => assert!(len < ws as usize),
                    }
                }
            }
        }
    }

    #[test]
    fn clear_forgets_everything() {
        let mut w = ScoreWindow::<f64, _>::new([0.0; 2], 2, 0.0);
        w.push(0.1, 2);
        w.push(0.2, 2);
        w.clear();
        assert_eq!(w.window_mean(2), None);
        assert_eq!(w.drop_over(1, 0.2), None);
        w.push(0.9, 2);
        w.push(0.9, 2);
        assert_eq!(w.window_mean(2), Some(0.9));
    }
}
