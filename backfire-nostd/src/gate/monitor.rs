//! The per-stream checks: hard limit, window mean, downward trend.

use crate::num::Real;

use super::limits::{HardLimit, StreamingLimits};
use super::verdict::{HaltReason, Verdict};
use super::window::ScoreWindow;

impl<T: Real> HardLimit<T> {
    /// The first check every gate makes: a non-finite score or one strictly
    /// below the limit halts.
    ///
    /// ```
    /// use backfire_nostd::gate::{HaltReason, HardLimit};
    /// let hard = HardLimit::<f64>::new(0.5).unwrap();
    /// assert_eq!(hard.check(0.5), Ok(()));
    /// assert_eq!(hard.check(0.4999), Err(HaltReason::HardLimit { score: 0.4999, limit: 0.5 }));
    /// assert!(HardLimit::<f64>::new(0.0).unwrap().check(f64::NAN).is_err());
    /// ```
    #[inline]
    pub fn check(&self, score: T) -> Result<(), HaltReason<T>> {
        let limit = self.value();
        if !score.is_finite() {
            return Err(HaltReason::NonFiniteScore { limit });
        }
        if score < limit {
            return Err(HaltReason::HardLimit { score, limit });
        }
        Ok(())
    }
}

/// The checks of one stream, in the reference's order, over a score
/// history held in storage `S` (an array, a slice lent by the caller, or a
/// `Vec` in the std layer).
///
/// A monitor is sans-IO: it sees numbers, not tokens or callbacks. Once it
/// halts it stays halted (every later push repeats the halt) until
/// [`reset`](Self::reset) starts a new stream. It knows nothing of the
/// kernel's active flag — that is the [`super::Interlock`]'s job.
///
/// ```
/// use backfire_nostd::gate::{HaltReason, StreamMonitor, StreamingLimits, Verdict};
/// let limits = StreamingLimits::<f64>::new(0.5, 3, 0.7, 5, 0.15).unwrap();
/// let mut monitor = StreamMonitor::new(limits, [0.0; 5]).unwrap();
/// assert_eq!(monitor.push(0.6), Verdict::Continue);
/// assert_eq!(monitor.push(0.6), Verdict::Continue);
/// // The third score fills the window: mean 0.6 < 0.7.
/// assert!(matches!(monitor.push(0.6), Verdict::Halt(HaltReason::WindowAverage { .. })));
/// ```
#[derive(Clone, Debug)]
pub struct StreamMonitor<T: Real, S> {
    limits: StreamingLimits<T>,
    window: ScoreWindow<T, S>,
    halted: Option<HaltReason<T>>,
}

/// The storage lent to a [`StreamMonitor`] is smaller than
/// `max(window_size, trend_window)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StorageTooSmall {
    /// Slots needed.
    pub needed: usize,
    /// Slots provided.
    pub provided: usize,
}

impl core::fmt::Display for StorageTooSmall {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "score storage holds {} values but max(window_size, trend_window) = {}",
            self.provided, self.needed
        )
    }
}

impl core::error::Error for StorageTooSmall {}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> StreamMonitor<T, S> {
    /// A monitor for `limits` over `storage`, which must hold at least
    /// [`StreamingLimits::capacity`] scores.
    pub fn new(limits: StreamingLimits<T>, storage: S) -> Result<Self, StorageTooSmall> {
        let needed = limits.capacity();
        let provided = storage.as_ref().len();
        if provided < needed {
            return Err(StorageTooSmall { needed, provided });
        }
        let window = ScoreWindow::new(storage, limits.window_size() as u32, limits.window_threshold());
        Ok(StreamMonitor { limits, window, halted: None })
    }

    /// Checks one token's score. Constant work, no allocation.
    ///
    /// Order (the reference's): non-finite or below the hard limit; then,
    /// once the window is full, its mean against the window threshold; then,
    /// once `trend_window` scores are in, the drop from the first to the last
    /// of them against the trend threshold. All comparisons are strict.
    // Always inlined: the caller's token loop then keeps the window's
    // sums in registers instead of reloading them for every token.
    #[inline(always)]
    pub fn push(&mut self, score: T) -> Verdict<T> {
        if let Some(reason) = self.halted {
            return Verdict::Halt(reason);
        }
        match self.check(score) {
            Ok(()) => Verdict::Continue,
            Err(reason) => {
                self.halted = Some(reason);
                Verdict::Halt(reason)
            }
        }
    }

    // Always inlined: the caller's token loop then keeps the window's
    // sums in registers instead of reloading them for every token.
    #[inline(always)]
    fn check(&mut self, score: T) -> Result<(), HaltReason<T>> {
        self.limits.hard_limit().check(score)?;
        // The window and the trend see the score clamped into [0, 1]: one
        // wild value (a callback returning 5.0) cannot hide a run of low
        // scores or fake a steep drop, and bounded terms keep the running
        // sums exact enough (see `num`).
        let window_size = self.limits.window_size() as u32;
        let clamped = score.clamp_to(T::ZERO, T::ONE);
        self.window.push(clamped, window_size);
        let threshold = self.limits.window_threshold();
        if let Some(average) = self.window.mean_below(window_size, threshold) {
            return Err(HaltReason::WindowAverage { average, threshold });
        }
        if let Some(drop) = self.window.drop_over(self.limits.trend_window(), clamped) {
            let threshold = self.limits.trend_threshold();
            if drop > threshold {
                return Err(HaltReason::DownwardTrend { drop, threshold });
            }
        }
        Ok(())
    }

    /// Starts a new stream: forgets the scores and any halt.
    pub fn reset(&mut self) {
        self.window.clear();
        self.halted = None;
    }

    /// The halt of this stream, if it halted.
    #[inline]
    pub fn halted(&self) -> Option<HaltReason<T>> {
        self.halted
    }

    /// The limits this monitor enforces.
    #[inline]
    pub fn limits(&self) -> &StreamingLimits<T> {
        &self.limits
    }

    /// Mean of the full window, once `window_size` scores were accepted.
    #[inline]
    pub fn window_mean(&self) -> Option<T> {
        self.window.window_mean(self.limits.window_size() as u32)
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.window.into_storage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monitor(window: usize, threshold: f64) -> StreamMonitor<f64, [f64; 8]> {
        let limits = StreamingLimits::new(0.0, window, threshold, 8, 1.0).unwrap();
        StreamMonitor::new(limits, [0.0; 8]).unwrap()
    }

    #[test]
    fn a_wild_score_cannot_hide_low_scores_in_the_window() {
        let mut m = monitor(3, 0.5);
        // Raw mean (5 + 0.1 + 0.1) / 3 = 1.73 would pass; clamped it is 0.4.
        assert_eq!(m.push(5.0), Verdict::Continue);
        assert_eq!(m.push(0.1), Verdict::Continue);
        match m.push(0.1) {
            Verdict::Halt(HaltReason::WindowAverage { average, .. }) => {
                assert!((average - 0.4).abs() < 1e-12)
            }
            other => panic!("expected a window halt, got {other:?}"),
        }
    }

    #[test]
    fn huge_values_leaving_the_window_leave_no_error_behind() {
        let mut m = monitor(3, 0.5);
        for x in [1e300, 0.6, 0.6, 0.6] {
            assert_eq!(m.push(x), Verdict::Continue);
        }
        // Clamped to 1 on the way in, so only rounding remains.
        assert!((m.window_mean().unwrap() - 0.6).abs() < 1e-15);
    }

    #[test]
    fn halt_is_sticky_until_reset() {
        let mut m = monitor(2, 0.9);
        assert_eq!(m.push(0.95), Verdict::Continue);
        let halt = m.push(0.5);
        assert!(halt.is_halt());
        assert_eq!(m.push(1.0), halt);
        m.reset();
        assert_eq!(m.push(1.0), Verdict::Continue);
    }
}
