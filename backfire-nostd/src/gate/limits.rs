//! Validated gate parameters.
//!
//! Every number the gate compares against arrives through a constructor
//! here that checks it, so a kernel cannot exist with a NaN limit, a zero
//! window or a weight pair that does not sum to one. Parameters are given as
//! `f64` (that is what configuration files hold) and stored in the backend
//! type `T`.

use core::fmt;

pub use crate::check::ParamError;
use crate::check::{check_at_least, check_non_negative, check_order, check_positive, check_unit};
use crate::num::Real;

/// The hard floor: a token whose score is strictly below it halts the stream.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HardLimit<T>(T);

impl<T: Real> HardLimit<T> {
    /// A hard limit in `[0, 1]`.
    ///
    /// ```
    /// use backfire_nostd::gate::HardLimit;
    /// assert!(HardLimit::<f64>::new(0.5).is_ok());
    /// assert!(HardLimit::<f64>::new(f64::NAN).is_err());
    /// assert!(HardLimit::<f32>::new(2.0).is_err());
    /// ```
    pub fn new(limit: f64) -> Result<Self, ParamError> {
        Ok(HardLimit(T::from_f64(check_unit("hard_limit", limit)?)))
    }

    /// The limit value.
    #[inline]
    pub fn value(&self) -> T {
        self.0
    }
}

/// Everything the streaming monitor compares against.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StreamingLimits<T> {
    hard_limit: HardLimit<T>,
    window_size: u32,
    window_threshold: T,
    trend_window: u32,
    trend_threshold: T,
}

impl<T: Real> StreamingLimits<T> {
    /// Validates the five streaming parameters:
    /// `hard_limit` and `window_threshold` in `[0, 1]`,
    /// `window_size >= 1`, `trend_window >= 2`, `trend_threshold` finite
    /// and `> 0`. Windows are limited to `u32::MAX` tokens.
    ///
    /// ```
    /// use backfire_nostd::gate::StreamingLimits;
    /// let limits = StreamingLimits::<f64>::new(0.5, 10, 0.55, 5, 0.15).unwrap();
    /// assert_eq!(limits.window_size(), 10);
    /// let err = StreamingLimits::<f64>::new(0.5, 0, 0.55, 5, 0.15).unwrap_err();
    /// assert_eq!(err.to_string(), "window_size must be >= 1, got 0");
    /// ```
    pub fn new(
        hard_limit: f64,
        window_size: usize,
        window_threshold: f64,
        trend_window: usize,
        trend_threshold: f64,
    ) -> Result<Self, ParamError> {
        let hard_limit = HardLimit::new(hard_limit)?;
        let window_size = count_u32("window_size", check_at_least("window_size", window_size, 1, ">= 1")?)?;
        let window_threshold = check_unit("window_threshold", window_threshold)?;
        let trend_window =
            count_u32("trend_window", check_at_least("trend_window", trend_window, 2, ">= 2")?)?;
        let trend_threshold = check_positive("trend_threshold", trend_threshold)?;
        Ok(StreamingLimits {
            hard_limit,
            window_size,
            window_threshold: T::from_f64(window_threshold),
            trend_window,
            trend_threshold: T::from_f64(trend_threshold),
        })
    }

    /// The hard floor.
    #[inline]
    pub fn hard_limit(&self) -> HardLimit<T> {
        self.hard_limit
    }
    /// Sliding-window length in tokens.
    #[inline]
    pub fn window_size(&self) -> usize {
        self.window_size as usize
    }
    /// Halt when the full window's mean is strictly below this.
    #[inline]
    pub fn window_threshold(&self) -> T {
        self.window_threshold
    }
    /// Number of most recent scores spanned by the trend check.
    #[inline]
    pub fn trend_window(&self) -> usize {
        self.trend_window as usize
    }
    /// Halt when `first − last` over the trend window exceeds this.
    #[inline]
    pub fn trend_threshold(&self) -> T {
        self.trend_threshold
    }
    /// Scores the monitor must remember: `max(window_size, trend_window)`.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.window_size.max(self.trend_window) as usize
    }
}

fn count_u32(field: &'static str, n: usize) -> Result<u32, ParamError> {
    u32::try_from(n).map_err(|_| ParamError { field, value: n as f64, rule: "<= 4294967295" })
}

/// The scorer's weights for the two divergences: finite, non-negative,
/// summing to one (within 1e-9).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Weights<T> {
    logic: T,
    fact: T,
}

/// Error of [`Weights::new`] when the weights do not sum to one.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WeightError {
    /// One weight is non-finite or negative.
    Invalid(ParamError),
    /// `|w_logic + w_fact − 1| > 1e-9`.
    Sum {
        /// The logical weight.
        w_logic: f64,
        /// The factual weight.
        w_fact: f64,
    },
}

impl fmt::Display for WeightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightError::Invalid(e) => e.fmt(f),
            WeightError::Sum { w_logic, w_fact } => write!(
                f,
                "w_logic + w_fact must equal 1.0, got {} + {} = {}",
                w_logic,
                w_fact,
                w_logic + w_fact
            ),
        }
    }
}

impl core::error::Error for WeightError {}

impl<T: Real> Weights<T> {
    /// Validates a weight pair.
    ///
    /// ```
    /// use backfire_nostd::gate::Weights;
    /// assert!(Weights::<f64>::new(0.6, 0.4).is_ok());
    /// let err = Weights::<f64>::new(0.5, 0.3).unwrap_err();
    /// assert_eq!(err.to_string(), "w_logic + w_fact must equal 1.0, got 0.5 + 0.3 = 0.8");
    /// assert!(Weights::<f64>::new(1.5, -0.5).is_err());
    /// assert!(Weights::<f64>::new(f64::NAN, 1.0).is_err());
    /// ```
    pub fn new(w_logic: f64, w_fact: f64) -> Result<Self, WeightError> {
        check_non_negative("w_logic", w_logic).map_err(WeightError::Invalid)?;
        check_non_negative("w_fact", w_fact).map_err(WeightError::Invalid)?;
        if ((w_logic + w_fact) - 1.0).abs() > 1e-9 {
            return Err(WeightError::Sum { w_logic, w_fact });
        }
        Ok(Weights { logic: T::from_f64(w_logic), fact: T::from_f64(w_fact) })
    }

    /// Weight of the logical divergence.
    #[inline]
    pub fn logic(&self) -> T {
        self.logic
    }
    /// Weight of the factual divergence.
    #[inline]
    pub fn fact(&self) -> T {
        self.fact
    }
}

/// The scorer's approval threshold and soft (warning) limit, both in
/// `[0, 1]` with `threshold <= soft_limit`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScoreLimits<T> {
    threshold: T,
    soft_limit: T,
}

impl<T: Real> ScoreLimits<T> {
    /// Validates the approval threshold and soft limit.
    ///
    /// ```
    /// use backfire_nostd::gate::ScoreLimits;
    /// assert!(ScoreLimits::<f64>::new(0.6, 0.7).is_ok());
    /// let err = ScoreLimits::<f64>::new(0.8, 0.7).unwrap_err();
    /// assert_eq!(err.to_string(), "coherence_threshold must be <= soft_limit, got 0.8");
    /// ```
    pub fn new(threshold: f64, soft_limit: f64) -> Result<Self, ParamError> {
        let threshold = check_unit("coherence_threshold", threshold)?;
        let soft_limit = check_unit("soft_limit", soft_limit)?;
        check_order("coherence_threshold", threshold, soft_limit, "<= soft_limit")?;
        Ok(ScoreLimits { threshold: T::from_f64(threshold), soft_limit: T::from_f64(soft_limit) })
    }

    /// Approve iff `score >= threshold`.
    #[inline]
    pub fn threshold(&self) -> T {
        self.threshold
    }
    /// Approved scores below this carry a warning.
    #[inline]
    pub fn soft_limit(&self) -> T {
        self.soft_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::render;

    #[test]
    fn messages_name_field_and_value() {
        let e = HardLimit::<f64>::new(1.1).unwrap_err();
        assert_eq!(render(&e).as_str(), "hard_limit must be in [0, 1], got 1.1");
        let e = StreamingLimits::<f64>::new(0.5, 10, 0.55, 1, 0.15).unwrap_err();
        assert_eq!(render(&e).as_str(), "trend_window must be >= 2, got 1");
        let e = StreamingLimits::<f64>::new(0.5, 10, 0.55, 5, 0.0).unwrap_err();
        assert_eq!(render(&e).as_str(), "trend_threshold must be finite and > 0, got 0");
        let e = StreamingLimits::<f64>::new(0.5, 10, 0.55, 5, f64::NAN).unwrap_err();
        assert_eq!(e.field, "trend_threshold");
        let e = StreamingLimits::<f64>::new(0.5, 10, f64::NAN, 5, 0.1).unwrap_err();
        assert_eq!(e.field, "window_threshold");
    }

    #[test]
    fn capacity_covers_both_windows() {
        let l = StreamingLimits::<f32>::new(0.5, 3, 0.5, 7, 0.1).unwrap();
        assert_eq!(l.capacity(), 7);
        let l = StreamingLimits::<f32>::new(0.5, 30, 0.5, 7, 0.1).unwrap();
        assert_eq!(l.capacity(), 30);
    }

    #[test]
    fn weights_reject_nan_negative_and_bad_sums() {
        assert!(Weights::<f64>::new(1.0, 0.0).is_ok());
        assert!(Weights::<f64>::new(0.7, 0.3 + 5e-10).is_ok());
        assert!(matches!(Weights::<f64>::new(0.5, 0.3), Err(WeightError::Sum { .. })));
        assert!(matches!(Weights::<f64>::new(1.5, -0.5), Err(WeightError::Invalid(_))));
        assert!(matches!(Weights::<f64>::new(f64::INFINITY, 0.0), Err(WeightError::Invalid(_))));
    }
}
