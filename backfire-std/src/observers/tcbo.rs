//! Runtime-sized TCBO observer with a choice of H1 estimator.

use backfire_nostd::check::ParamError;
use backfire_nostd::observers::{self as core, TCBOConfig, TCBOParams, TCBOState};

use super::rips::{MAX_RIPS_POINTS, RipsH1, Thinned};
use super::storage;
use crate::error::BackfireResult;

/// How the observer estimates the H1 lifetime of the embedded window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TcboMethod {
    /// The reference's radial-dispersion surrogate (spec §2.4 step 8):
    /// linear cost, bit-compatible, not topological.
    #[default]
    Surrogate,
    /// The longest finite H1 bar of the Vietoris–Rips filtration of the
    /// cloud (at most `subsample_max` points, itself at most
    /// [`MAX_RIPS_POINTS`]), see [`super::rips`].
    Rips,
}

/// The TCBO observer for `n` channels chosen at run time (Python's
/// `TCBOObserver` / `RustTCBOObserver`).
///
/// ```
/// use backfire_std::observers::{TCBOObserver, TcboMethod};
/// let mut obs = TCBOObserver::new(2, 0.72, 8.0, 50, TcboMethod::Rips).unwrap();
/// for t in 0..60 {
///     let a = std::f64::consts::TAU * t as f64 / 20.0;
///     obs.push(&[a, 2.0 * a]).unwrap();
/// }
/// // A torus knot of phases: a real loop, so Rips finds a long H1 bar.
/// assert!(obs.compute(true).unwrap() > 0.9);
/// assert_eq!(
///     obs.push(&[0.0]).unwrap_err().to_string(),
///     "validation error: theta must have length 2, got 1"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct TCBOObserver {
    core: core::TCBOObserver<f64, Vec<f64>>,
    method: TcboMethod,
    rips: RipsH1,
}

impl TCBOObserver {
    /// The Python constructor: `n` channels, gate threshold `tau_h1`,
    /// steepness `beta`, `window_size` points; every other setting at its
    /// default (angular embedding, `m = 3`, `τ = 1`, `s0 = 0`, `θp = 0.05`).
    pub fn new(
        n: usize,
        tau_h1: f64,
        beta: f64,
        window_size: usize,
        method: TcboMethod,
    ) -> BackfireResult<Self> {
        let params = TCBOParams { tau_h1, beta, window_size, ..TCBOParams::default() };
        Self::with_params(n, &params, method)
    }

    /// An observer with every setting given.
    ///
    /// # Errors
    ///
    /// A validation error naming the field for any setting
    /// [`TCBOConfig::new`] rejects, for `n = 0` or a storage beyond
    /// [`MAX_STORAGE_VALUES`](super::MAX_STORAGE_VALUES), and, with
    /// [`TcboMethod::Rips`], for `subsample_max` above [`MAX_RIPS_POINTS`].
    pub fn with_params(n: usize, params: &TCBOParams, method: TcboMethod) -> BackfireResult<Self> {
        let config = TCBOConfig::new(params)?;
        if method == TcboMethod::Rips && config.subsample_max() > MAX_RIPS_POINTS {
            let value = config.subsample_max() as f64;
            return Err(ParamError::new("subsample_max", value, "<= 2048 with method rips").into());
        }
        let buf = storage("TCBO observer", config.storage_len(n))?;
        Ok(TCBOObserver { core: core::TCBOObserver::new(n, config, buf)?, method, rips: RipsH1::new() })
    }

    /// Buffers one phase vector of exactly `n` finite values.
    pub fn push(&mut self, theta: &[f64]) -> BackfireResult<()> {
        Ok(self.core.push(theta)?)
    }

    /// Recomputes `p_h1` with the configured method (stride and sufficiency
    /// gates as in the core) and returns it.
    pub fn compute(&mut self, force: bool) -> BackfireResult<f64> {
        match self.method {
            TcboMethod::Surrogate => Ok(self.core.compute(force)?),
            TcboMethod::Rips => {
                let (rips, max) = (&mut self.rips, self.core.config().subsample_max());
                Ok(self.core.compute_with(force, |cloud| Ok(rips.longest(&Thinned::new(cloud, max))))?)
            }
        }
    }

    /// [`push`](Self::push) then [`compute`](Self::compute).
    pub fn push_and_compute(&mut self, theta: &[f64], force: bool) -> BackfireResult<f64> {
        self.push(theta)?;
        self.compute(force)
    }

    /// Empties the buffer and restores the initial outputs.
    pub fn reset(&mut self) {
        self.core.reset();
    }

    /// Last `p_h1` (0 before the first computation).
    pub fn p_h1(&self) -> f64 {
        self.core.p_h1()
    }
    /// `p_h1 > tau_h1`.
    pub fn is_conscious(&self) -> bool {
        self.core.is_conscious()
    }
    /// Last accepted H1 lifetime.
    pub fn s_h1(&self) -> f64 {
        self.core.s_h1()
    }
    /// `max(tau_h1 − p_h1, 0)`.
    pub fn h1_error(&self) -> f64 {
        self.core.h1_error()
    }
    /// Rows buffered.
    pub fn buffer_size(&self) -> usize {
        self.core.buffer_size()
    }
    /// Snapshot of the outputs.
    pub fn state(&self) -> TCBOState<f64> {
        self.core.state()
    }
    /// Channels.
    pub fn n(&self) -> usize {
        self.core.n()
    }
    /// The H1 estimator.
    pub fn method(&self) -> TcboMethod {
        self.method
    }
    /// The validated configuration.
    pub fn config(&self) -> &TCBOConfig<f64> {
        self.core.config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BackfireError;
    use backfire_nostd::observers::PhaseEmbedding;
    use std::f64::consts::TAU;

    #[test]
    fn defaults_follow_the_python_signature() {
        let obs = TCBOObserver::new(16, 0.72, 8.0, 50, TcboMethod::Surrogate).unwrap();
        assert_eq!((obs.p_h1(), obs.is_conscious(), obs.n()), (0.0, false, 16));
        assert_eq!(obs.config().embedding(), PhaseEmbedding::Angular);
        assert_eq!(obs.config().min_needed(), 52);
    }

    /// The reference's Python tests (spec §6.3), in Rust.
    #[test]
    fn python_test_sequence() {
        let mut obs = TCBOObserver::new(16, 0.72, 8.0, 50, TcboMethod::Surrogate).unwrap();
        assert_eq!(obs.push_and_compute(&[0.0; 16], true).unwrap(), 0.0, "one row < min_needed");
        assert!(!obs.is_conscious());
        obs.push_and_compute(&[0.5; 16], true).unwrap();
        obs.reset();
        assert_eq!((obs.p_h1(), obs.buffer_size()), (0.0, 0));
    }

    #[test]
    fn errors_name_the_parameter() {
        let e = TCBOObserver::new(16, 0.72, -1.0, 50, TcboMethod::Surrogate).unwrap_err();
        assert_eq!(e, BackfireError::Validation("beta must be finite and > 0, got -1".into()));
        let e = TCBOObserver::new(16, 0.72, 8.0, 0, TcboMethod::Rips).unwrap_err();
        assert_eq!(e.to_string(), "validation error: window_size must be >= 1, got 0");
        let e = TCBOObserver::new(0, 0.72, 8.0, 50, TcboMethod::Rips).unwrap_err();
        assert_eq!(e.to_string(), "validation error: n must be >= 1, got 0");
        let e = TCBOObserver::new(1 << 30, 0.72, 8.0, 50, TcboMethod::Surrogate).unwrap_err();
        assert!(e.to_string().contains("more than the supported"), "{e}");
        let mut obs = TCBOObserver::new(2, 0.72, 8.0, 5, TcboMethod::Surrogate).unwrap();
        let e = obs.push_and_compute(&[0.0, f64::NAN], true).unwrap_err();
        assert_eq!(e.to_string(), "validation error: theta[1] must be finite, got NaN");
    }

    #[test]
    fn surrogate_matches_the_core_golden_in_linear_mode() {
        let params = TCBOParams::reference();
        let mut obs = TCBOObserver::with_params(2, &params, TcboMethod::Surrogate).unwrap();
        for t in 0..60 {
            let a = TAU * t as f64 / 20.0;
            obs.push(&[a.cos(), a.sin()]).unwrap();
        }
        assert_eq!(obs.compute(true).unwrap(), 0.7033912539670735);
    }

    /// The surrogate's blind spot (spec §8 item 1): a whole-period circle
    /// has no radial spread, a ramp has a lot. Rips sees it the other way.
    #[test]
    fn rips_sees_loops_where_the_surrogate_does_not() {
        let params = TCBOParams { window_size: 40, ..TCBOParams::reference() };
        let mut surrogate = TCBOObserver::with_params(2, &params, TcboMethod::Surrogate).unwrap();
        let mut rips = TCBOObserver::with_params(2, &params, TcboMethod::Rips).unwrap();
        let mut surrogate_ramp = TCBOObserver::with_params(2, &params, TcboMethod::Surrogate).unwrap();
        let mut rips_ramp = TCBOObserver::with_params(2, &params, TcboMethod::Rips).unwrap();
        for t in 0..42 {
            let a = TAU * t as f64 / 20.0;
            surrogate.push(&[a.cos(), a.sin()]).unwrap();
            rips.push(&[a.cos(), a.sin()]).unwrap();
            surrogate_ramp.push(&[0.05 * t as f64, 0.02 * t as f64]).unwrap();
            rips_ramp.push(&[0.05 * t as f64, 0.02 * t as f64]).unwrap();
        }
        assert_eq!(surrogate.compute(true).unwrap(), 0.5, "a perfect circle: σ = 0");
        assert!(rips.compute(true).unwrap() > 0.99, "Rips: one long bar");
        assert!(rips.s_h1() > 1.0);
        assert!(surrogate_ramp.compute(true).unwrap() > 0.6, "the surrogate calls a ramp a loop");
        assert_eq!(rips_ramp.compute(true).unwrap(), 0.5, "Rips: a ramp has no H1");
        assert_eq!(rips_ramp.s_h1(), 0.0);
    }

    #[test]
    fn rips_bounds_subsample_max() {
        let params = |subsample_max| TCBOParams { subsample_max, ..TCBOParams::default() };
        let e = TCBOObserver::with_params(2, &params(MAX_RIPS_POINTS + 1), TcboMethod::Rips).unwrap_err();
        assert_eq!(
            e,
            BackfireError::Validation("subsample_max must be <= 2048 with method rips, got 2049".into())
        );
        let e = TCBOObserver::with_params(2, &params(1 << 16), TcboMethod::Rips).unwrap_err();
        assert!(e.to_string().contains("subsample_max"), "{e}");
        let e = TCBOObserver::with_params(2, &params(0), TcboMethod::Rips).unwrap_err();
        assert_eq!(e.to_string(), "validation error: subsample_max must be >= 1, got 0");
        assert!(TCBOObserver::with_params(2, &params(MAX_RIPS_POINTS), TcboMethod::Rips).is_ok());
        // The surrogate does not use it.
        assert!(TCBOObserver::with_params(2, &params(1 << 16), TcboMethod::Surrogate).is_ok());
    }

    #[test]
    fn rips_respects_subsample_max_and_the_stride() {
        let params = TCBOParams { subsample_max: 10, compute_every_n: 2, ..TCBOParams::default() };
        let mut obs = TCBOObserver::with_params(1, &params, TcboMethod::Rips).unwrap();
        let mut results = Vec::new();
        for t in 0..54 {
            results.push(obs.push_and_compute(&[TAU * t as f64 / 13.0], false).unwrap());
        }
        // The 52nd call fills the window and is on the stride; the 53rd is not.
        assert!(results[..51].iter().all(|&p| p == 0.0), "{results:?}");
        assert!(results[51] > 0.5, "{results:?}");
        assert_eq!(results[52], results[51]);
        assert!(results[53] > 0.5);
        obs.reset();
        assert_eq!((obs.p_h1(), obs.buffer_size()), (0.0, 0));
    }
}
