//! SEC functional over runtime-length phase vectors.

use backfire_nostd::physics::{self as core, N_LAYERS, SECResult};

use super::{matrix_from_flat, omega_from_slice, physics_error};
use crate::BackfireResult;

/// The SEC functional on the canonical (or a custom) 16-layer model.
///
/// ```
/// use backfire_std::physics::SECFunctional;
///
/// let mut sec = SECFunctional::default();
/// let r = sec.evaluate(&[0.0; 16], Some(&[0.1; 16]), 0.01).unwrap();
/// assert_eq!(r.coherence_score, 0.0);
/// assert!(sec.update_coupling(&[0.1; 10]).is_err());
/// ```
#[derive(Clone, Debug, Default)]
pub struct SECFunctional {
    inner: core::SECFunctional<f64>,
}

impl SECFunctional {
    /// The canonical model with weights λ_ω, λ_S (finite, ≥ 0).
    pub fn new(lambda_omega: f64, lambda_entropy: f64) -> BackfireResult<Self> {
        Ok(SECFunctional { inner: core::SECFunctional::new(lambda_omega, lambda_entropy)? })
    }

    /// Custom K (256 values, row-major; finite, ≥ 0) and ω (16 finite).
    pub fn with_params(
        knm_flat: &[f64],
        omega: &[f64],
        lambda_omega: f64,
        lambda_entropy: f64,
    ) -> BackfireResult<Self> {
        let knm = matrix_from_flat(knm_flat)?;
        let omega = omega_from_slice(omega)?;
        Ok(SECFunctional {
            inner: core::SECFunctional::with_params(knm, omega, lambda_omega, lambda_entropy)?,
        })
    }

    /// Scores `theta` (any length), optionally against `theta_prev` taken
    /// `dt` earlier. Errors: `"theta contains NaN or Inf"`,
    /// `"theta_prev contains NaN or Inf"`, non-finite dt.
    pub fn evaluate(
        &mut self,
        theta: &[f64],
        theta_prev: Option<&[f64]>,
        dt: f64,
    ) -> BackfireResult<SECResult<f64>> {
        self.inner.evaluate(theta, theta_prev, dt).map_err(physics_error)
    }

    /// Replaces K from 256 row-major values (finite, ≥ 0): error
    /// `"expected 256 elements, got {n}"` for a wrong length.
    pub fn update_coupling(&mut self, knm_flat: &[f64]) -> BackfireResult<()> {
        Ok(self.inner.update_coupling(&matrix_from_flat(knm_flat)?)?)
    }

    /// The textbook critical coupling (96.98 for the canonical ω).
    pub fn critical_coupling(&self) -> f64 {
        self.inner.critical_coupling()
    }

    /// Forgets the previous V (the next dV/dt is 0).
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Unwraps phase differences in the frequency penalty (off by default).
    pub fn set_unwrap_frequency(&mut self, on: bool) {
        self.inner.set_unwrap_frequency(on);
    }

    /// The normaliser `max(2ΣK, 1e-12)`.
    pub fn v_max(&self) -> f64 {
        self.inner.v_max()
    }
    /// Coupling matrix K.
    pub fn knm(&self) -> &[[f64; N_LAYERS]; N_LAYERS] {
        self.inner.knm()
    }
    /// Coupling energy of `theta` alone.
    pub fn coupling_potential(&self, theta: &[f64]) -> f64 {
        self.inner.coupling_potential(theta)
    }
    /// Frequency penalty alone.
    pub fn frequency_penalty(&self, theta: &[f64], theta_prev: Option<&[f64]>, dt: f64) -> f64 {
        self.inner.frequency_penalty(theta, theta_prev, dt)
    }
    /// Entropy penalty alone.
    pub fn entropy_term(&self, theta: &[f64]) -> f64 {
        self.inner.entropy_term(theta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BackfireError;

    #[test]
    fn python_api_cases() {
        let mut sec = SECFunctional::default();
        let r = sec.evaluate(&[0.0; 16], None, 0.01).unwrap();
        assert!((0.0..=1.0).contains(&r.coherence_score));
        let r = sec.evaluate(&[0.0; 16], Some(&[0.1; 16]), 0.01).unwrap();
        assert!(r.dv_dt.is_finite());
        sec.update_coupling(&[0.1; 256]).unwrap();
        let e = sec.update_coupling(&[0.1; 10]).unwrap_err();
        assert_eq!(e, BackfireError::Validation("expected 256 elements, got 10".into()));
        assert!(sec.critical_coupling() > 0.0);
        let e = sec.evaluate(&[f64::NAN; 16], None, 0.01).unwrap_err();
        assert_eq!(e, BackfireError::Validation("theta contains NaN or Inf".into()));
        let e = sec.evaluate(&[0.0; 16], Some(&[f64::NAN]), 0.01).unwrap_err();
        assert_eq!(e, BackfireError::Validation("theta_prev contains NaN or Inf".into()));
        let mut bad = vec![0.1; 256];
        bad[7] = -1.0;
        assert!(sec.update_coupling(&bad).is_err());
    }

    #[test]
    fn result_serialises_with_reference_keys_and_reset_clears_dv_dt() {
        let mut sec = SECFunctional::new(0.1, 0.01).unwrap();
        let r = sec.evaluate(&[0.4; 16], None, 0.01).unwrap();
        let json = serde_json::to_value(r).unwrap();
        for k in [
            "v",
            "v_normalised",
            "r_global",
            "dv_dt",
            "coherence_score",
            "v_coupling",
            "v_frequency",
            "v_entropy",
        ] {
            assert!(json.get(k).is_some(), "{k}");
        }
        let theta: Vec<f64> = (0..16).map(|i| 0.4 * f64::from(i)).collect();
        assert!(sec.evaluate(&theta, None, 0.01).unwrap().dv_dt > 0.0);
        sec.reset();
        assert_eq!(sec.evaluate(&theta, None, 0.01).unwrap().dv_dt, 0.0);
        let flat: Vec<f64> = sec.knm().iter().flatten().copied().collect();
        let same = SECFunctional::with_params(&flat, &super::super::OMEGA_N, 0.1, 0.01).unwrap();
        assert_eq!(same.v_max(), sec.v_max());
    }
}
