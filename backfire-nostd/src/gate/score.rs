//! Score combination: divergences in, a coherence verdict out.
//!
//! The scorer measures two divergences in `[0, 1]` (0 = agreement,
//! 1 = contradiction): `h_logical` from an NLI backend and `h_factual` from a
//! fact store. The coherence score is
//!
//! ```text
//! score = clamp(1 − (w_logic·h_logical + w_fact·h_factual), 0, 1)
//! ```
//!
//! and a response is approved iff `score >= threshold`; an approved score
//! below the soft limit carries a warning.
//!
//! # Non-finite values
//!
//! One rule, applied everywhere in the gate: a value that is not a number
//! means the measurement failed, and failure never reads as agreement.
//!
//! * [`clamp_score`] (divergences and scores): NaN → `lo`, +∞ → `hi`,
//!   −∞ → `lo` (reference behaviour).
//! * [`divergence`] (what the scorer does with a raw NLI value): NaN and
//!   ±∞ → 0.5 (neutral: no evidence either way, reference behaviour).
//! * The streaming monitors go further: any non-finite *token score* halts
//!   the stream, whatever the hard limit (see [`super::HaltReason::NonFiniteScore`]).

use crate::num::Real;

use super::limits::{ScoreLimits, Weights};

/// Clamps `value` into `[lo, hi]`: NaN → `lo`, +∞ → `hi`, −∞ → `lo`.
///
/// ```
/// use backfire_nostd::gate::clamp_score;
/// assert_eq!(clamp_score(f64::NAN, 0.0, 1.0), 0.0);
/// assert_eq!(clamp_score(f64::INFINITY, 0.0, 1.0), 1.0);
/// assert_eq!(clamp_score(1.5, 0.0, 1.0), 1.0);
/// assert_eq!(clamp_score(0.75, 0.0, 1.0), 0.75);
/// ```
#[inline]
pub fn clamp_score<T: Real>(value: T, lo: T, hi: T) -> T {
    if value.is_nan() {
        return lo;
    }
    value.clamp_to(lo, hi)
}

/// A raw divergence from a backend, made usable: non-finite → 0.5
/// (neutral: no evidence either way), otherwise clamped into `[0, 1]`.
///
/// ```
/// use backfire_nostd::gate::divergence;
/// assert_eq!(divergence(f64::NAN), 0.5);
/// assert_eq!(divergence(7.0), 1.0);
/// assert_eq!(divergence(-3.0), 0.0);
/// ```
#[inline]
pub fn divergence<T: Real>(raw: T) -> T {
    if !raw.is_finite() {
        return T::from_f64(0.5);
    }
    raw.clamp_to(T::ZERO, T::ONE)
}

/// The verdict of the scorer on one (prompt, response) pair.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CoherenceScore<T = f64> {
    /// Combined coherence in `[0, 1]`; 1 is fully coherent.
    pub score: T,
    /// `score >= coherence_threshold`.
    pub approved: bool,
    /// Logical divergence in `[0, 1]`.
    pub h_logical: T,
    /// Factual divergence in `[0, 1]`.
    pub h_factual: T,
    /// Approved, but below the soft limit.
    pub warning: bool,
}

impl<T: Real> CoherenceScore<T> {
    /// Builds a score, clamping `score`, `h_logical` and `h_factual` into
    /// `[0, 1]` with [`clamp_score`]. `approved` is stored as given and
    /// `warning` starts false.
    ///
    /// ```
    /// use backfire_nostd::gate::CoherenceScore;
    /// let s = CoherenceScore::new(1.5, true, -0.1, f64::NAN);
    /// assert_eq!((s.score, s.h_logical, s.h_factual), (1.0, 0.0, 0.0));
    /// ```
    pub fn new(score: T, approved: bool, h_logical: T, h_factual: T) -> Self {
        let unit = |x| clamp_score(x, T::ZERO, T::ONE);
        CoherenceScore {
            score: unit(score),
            approved,
            h_logical: unit(h_logical),
            h_factual: unit(h_factual),
            warning: false,
        }
    }

    /// Sets `warning = approved && score < soft_limit` (rejected scores
    /// never warn).
    #[must_use]
    pub fn with_warning(mut self, soft_limit: T) -> Self {
        self.warning = self.approved && self.score < soft_limit;
        self
    }

    /// Combines two divergences under validated weights and limits: the
    /// whole of the scorer's arithmetic in one place.
    ///
    /// ```
    /// use backfire_nostd::gate::{CoherenceScore, ScoreLimits, Weights};
    /// let weights = Weights::new(0.6, 0.4).unwrap();
    /// let limits = ScoreLimits::new(0.6, 0.7).unwrap();
    /// let s = CoherenceScore::<f64>::combine(0.1, 0.1, &weights, &limits);
    /// assert!((s.score - 0.9).abs() < 1e-12);
    /// assert!(s.approved && !s.warning);
    /// ```
    pub fn combine(h_logical: T, h_factual: T, weights: &Weights<T>, limits: &ScoreLimits<T>) -> Self {
        let unit = |x| clamp_score(x, T::ZERO, T::ONE);
        let (hl, hf) = (unit(h_logical), unit(h_factual));
        let score = unit(T::ONE - (weights.logic() * hl + weights.fact() * hf));
        let approved = score >= limits.threshold();
        CoherenceScore::new(score, approved, hl, hf).with_warning(limits.soft_limit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_score_matches_reference_table() {
        assert_eq!(clamp_score(f64::NAN, 0.0, 1.0), 0.0);
        assert_eq!(clamp_score(f64::INFINITY, 0.0, 1.0), 1.0);
        assert_eq!(clamp_score(f64::NEG_INFINITY, 0.0, 1.0), 0.0);
        assert_eq!(clamp_score(0.75, 0.0, 1.0), 0.75);
        assert_eq!(clamp_score(1.5, 0.0, 1.0), 1.0);
        assert_eq!(clamp_score(-0.3, 0.0, 1.0), 0.0);
    }

    #[test]
    fn new_clamps_all_three_values() {
        let s = CoherenceScore::new(1.5, true, -0.1, f64::NAN);
        assert_eq!(s.score, 1.0);
        assert_eq!(s.h_logical, 0.0);
        assert_eq!(s.h_factual, 0.0);
        assert!(!s.warning);
    }

    #[test]
    fn warning_only_for_approved_scores_below_soft_limit() {
        assert!(CoherenceScore::new(0.65, true, 0.0, 0.0).with_warning(0.7).warning);
        assert!(!CoherenceScore::new(0.8, true, 0.0, 0.0).with_warning(0.7).warning);
        assert!(!CoherenceScore::new(0.3, false, 0.0, 0.0).with_warning(0.7).warning);
    }

    #[test]
    fn combine_reproduces_reference_scores() {
        let w = Weights::new(0.6, 0.4).unwrap();
        let l = ScoreLimits::new(0.6, 0.7).unwrap();
        // sky/green: hL 0.9, hF 1.0 → 0.05999999999999994, rejected.
        let s = CoherenceScore::<f64>::combine(0.9, 1.0, &w, &l);
        assert_eq!(s.score, 0.05999999999999994);
        assert!(!s.approved && !s.warning);
        // SCPN layers: hL 0.35 (heuristic), hF 0.1 → 0.75? (0.6*0.35+0.4*0.1 = 0.25)
        let s = CoherenceScore::<f64>::combine(0.35, 0.1, &w, &l);
        assert!((s.score - 0.75).abs() < 1e-12);
        // A divergence outside [0, 1] is clamped before weighting.
        let s = CoherenceScore::<f64>::combine(7.0, -3.0, &w, &l);
        assert!((s.score - 0.4).abs() < 1e-12);
        assert_eq!((s.h_logical, s.h_factual), (1.0, 0.0));
    }

    #[test]
    fn divergence_is_neutral_for_nan_and_clamped_otherwise() {
        assert_eq!(divergence(f64::NAN), 0.5);
        assert_eq!(divergence(f64::INFINITY), 0.5);
        assert_eq!(divergence(7.0_f32), 1.0);
        assert_eq!(divergence(-3.0), 0.0);
        assert_eq!(divergence(0.42), 0.42);
    }
}
