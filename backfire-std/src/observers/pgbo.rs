//! The PGBO engine for a dimension chosen at run time.

use backfire_nostd::observers::{
    self as core, PGBOConfig, PGBOOutput, PGBOParams, PGBOState, pgbo_storage_len,
};

use super::storage;
use crate::error::BackfireResult;

/// The PGBO engine (Python's `PGBOEngine` / `RustPGBOEngine`).
///
/// ```
/// use backfire_std::observers::PGBOEngine;
/// let mut engine = PGBOEngine::new(16, 0.5, 0.3, 10.0, false).unwrap();
/// let out = engine.compute(&[0.0; 16], 0.01).unwrap();
/// assert_eq!((out.u_mu.len(), out.h_munu.len(), out.u_norm), (16, 256, 0.0));
/// assert!(engine.compute(&[0.0; 15], 0.01).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct PGBOEngine {
    core: core::PGBOEngine<f64, Vec<f64>>,
}

impl PGBOEngine {
    /// The Python constructor.
    pub fn new(n: usize, alpha: f64, kappa: f64, u_cap: f64, traceless: bool) -> BackfireResult<Self> {
        Self::with_params(n, &PGBOParams { alpha, kappa, u_cap, traceless })
    }

    /// An engine with the settings given.
    pub fn with_params(n: usize, params: &PGBOParams) -> BackfireResult<Self> {
        let config = PGBOConfig::new(params)?;
        // `pgbo_storage_len` saturates at usize::MAX, which `storage` refuses.
        let buf = storage("PGBO engine", Some(pgbo_storage_len(n)))?;
        Ok(PGBOEngine { core: core::PGBOEngine::new(n, config, buf)? })
    }

    /// One step: `u`, `h` and the norms (the Python dict's keys).
    pub fn compute(&mut self, theta: &[f64], dt: f64) -> BackfireResult<PGBOOutput<'_, f64>> {
        Ok(self.core.compute(theta, dt)?)
    }

    /// Sets the boundary potential `A` (exactly `n` finite values).
    pub fn set_boundary_potential(&mut self, a_mu: &[f64]) -> BackfireResult<()> {
        Ok(self.core.set_boundary_potential(a_mu)?)
    }

    /// Zeroes `u`, `h`, `A` and the norms; the next call is a first call.
    pub fn reset(&mut self) {
        self.core.reset();
    }

    /// The last result.
    pub fn output(&self) -> PGBOOutput<'_, f64> {
        self.core.output()
    }
    /// Last `u_norm`.
    pub fn u_norm(&self) -> f64 {
        self.core.u_norm()
    }
    /// Last `h_trace`.
    pub fn h_trace(&self) -> f64 {
        self.core.h_trace()
    }
    /// Last `h_frob`.
    pub fn h_frob(&self) -> f64 {
        self.core.h_frob()
    }
    /// The saturated drive `u`.
    pub fn u_mu(&self) -> &[f64] {
        self.core.u_mu()
    }
    /// `h`, flat row-major `n×n`.
    pub fn h_munu(&self) -> &[f64] {
        self.core.h_munu()
    }
    /// The boundary potential `A`.
    pub fn boundary_potential(&self) -> &[f64] {
        self.core.boundary_potential()
    }
    /// Snapshot.
    pub fn state(&self) -> PGBOState<f64> {
        self.core.state()
    }
    /// Dimension.
    pub fn n(&self) -> usize {
        self.core.d()
    }
    /// The validated settings (α, κ, saturation scale, traceless).
    pub fn config(&self) -> &PGBOConfig<f64> {
        self.core.config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_parameter() {
        let e = PGBOEngine::new(16, 0.5, 0.3, -1.0, false).unwrap_err();
        assert_eq!(e.to_string(), "validation error: u_cap must be finite and > 1e-12, got -1");
        let e = PGBOEngine::new(0, 0.5, 0.3, 10.0, false).unwrap_err();
        assert_eq!(e.to_string(), "validation error: n must be >= 1, got 0");
        let e = PGBOEngine::new(1 << 20, 0.5, 0.3, 10.0, false).unwrap_err();
        assert!(e.to_string().contains("more than the supported"), "{e}");
        let e = PGBOEngine::new(usize::MAX, 0.5, 0.3, 10.0, false).unwrap_err();
        assert!(e.to_string().contains("more than the supported"), "{e}");
        let mut engine = PGBOEngine::new(2, 0.5, 0.3, 10.0, false).unwrap();
        let e = engine.compute(&[0.0, 0.0], 0.0).unwrap_err();
        assert_eq!(e.to_string(), "validation error: dt must be finite and > 0, got 0");
        engine.compute(&[0.0, 0.0], 1.0).unwrap();
        let e = engine.compute(&[1.0, 0.0], 1e-310).unwrap_err();
        assert!(e.to_string().starts_with("numerical error: phase velocity"), "{e}");
    }

    #[test]
    fn python_test_sequence() {
        let mut engine = PGBOEngine::new(16, 0.5, 0.3, 10.0, false).unwrap();
        engine.set_boundary_potential(&[0.0; 16]).unwrap();
        engine.compute(&[0.5; 16], 0.01).unwrap();
        let out = engine.compute(&[0.6; 16], 0.01).unwrap();
        assert!(out.u_norm > 0.0 && out.h_frob > 0.0);
        assert!((out.h_trace - 0.3 * out.u_norm * out.u_norm).abs() < 1e-9);
        engine.reset();
        assert_eq!((engine.u_norm(), engine.h_frob(), engine.h_trace()), (0.0, 0.0, 0.0));
        assert_eq!(engine.state().d, 16);
    }
}
