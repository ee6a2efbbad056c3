//! L16 controller with a runtime-sized PLV window.

use backfire_nostd::physics::{self as core, EigenBlocks, L16CostInputs, L16StepResult};
use serde::{Deserialize, Serialize};

use super::physics_error;
use crate::BackfireResult;

/// A snapshot of the controller's state with the reference's field names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct L16ControllerState {
    /// Last H_rec.
    pub h_rec: f64,
    /// The last ≤ 100 H_rec values, oldest first.
    pub h_rec_history: Vec<f64>,
    /// The last ≤ plv_window PLV samples, oldest first.
    pub plv_buffer: Vec<f64>,
    /// Refusal flag after the last check.
    pub refusal_active: bool,
    /// Checks that found H_rec rising (cumulative until `reset`).
    pub refusal_count: u32,
    /// Checks that turned the refusal on (cumulative until `reset`).
    pub refusal_episodes: u32,
    /// Learning-rate scale.
    pub lr_z_scale: f64,
    /// Phase-step scale.
    pub d_theta_scale: f64,
    /// Time-constant scale.
    pub tau_d_scale: f64,
}

/// The L16 supervisory controller.
///
/// ```
/// use backfire_std::physics::L16Controller;
///
/// let mut ctl = L16Controller::new(16, 0.5, 10, 5, 0.5, 0.5, 1.5).unwrap();
/// let r = ctl.step(&[0.0; 16], 0.9, 0.8, 0.0, 0.0, 0.0, 0.8, 0.0, 0.01).unwrap();
/// assert!((r.h_rec - 0.1).abs() < 1e-12);
/// assert!(ctl.plv_gate_open());
/// ```
#[derive(Clone, Debug)]
pub struct L16Controller {
    inner: core::L16Controller<f64, Vec<f64>>,
}

impl L16Controller {
    /// The reference defaults (16, 0.6, 10, 5, 0.5, 0.5, 1.5).
    pub fn default_params() -> BackfireResult<Self> {
        Self::from_params(core::L16Params::default())
    }

    /// Validated construction: `n ≥ 1`, `plv_threshold ∈ [0, 1]`,
    /// `plv_window ≥ 1`, `h_rec_window ∈ [2, 99]`, factors finite ≥ 0.
    pub fn new(
        n: usize,
        plv_threshold: f64,
        plv_window: usize,
        h_rec_window: usize,
        refusal_lr_factor: f64,
        refusal_d_factor: f64,
        refusal_tau_factor: f64,
    ) -> BackfireResult<Self> {
        let params = core::L16Params::new(
            n,
            plv_threshold,
            plv_window,
            h_rec_window,
            refusal_lr_factor,
            refusal_d_factor,
            refusal_tau_factor,
        )?;
        Self::from_params(params)
    }

    /// A controller with validated parameters and its PLV ring allocated.
    fn from_params(params: core::L16Params) -> BackfireResult<Self> {
        Ok(L16Controller { inner: core::L16Controller::new(params, vec![0.0; params.plv_window()])? })
    }

    /// One step on the simplified H_rec path, with the reference Python
    /// API's nine arguments in its order. Every value must be finite and
    /// `dt > 0`; nothing changes on error.
    #[allow(clippy::too_many_arguments)] // mirrors the reference's positional API
    pub fn step(
        &mut self,
        theta: &[f64],
        r_global: f64,
        plv: f64,
        c7: f64,
        c8: f64,
        c10: f64,
        p_h1: f64,
        h_frob: f64,
        dt: f64,
    ) -> BackfireResult<L16StepResult<f64>> {
        let costs = L16CostInputs { c7_symbolic: c7, c8_phase: c8, c10_boundary: c10, p_h1, h_frob };
        self.step_with(theta, None, r_global, plv, &costs, dt)
    }

    /// One step with explicit cost inputs and optional eigenvector/target
    /// blocks (the full H_rec path; shapes are checked).
    pub fn step_with(
        &mut self,
        theta: &[f64],
        blocks: Option<&EigenBlocks<'_, f64>>,
        r_global: f64,
        plv: f64,
        costs: &L16CostInputs<f64>,
        dt: f64,
    ) -> BackfireResult<L16StepResult<f64>> {
        self.inner.step(theta, blocks, r_global, plv, costs, dt).map_err(physics_error)
    }

    /// PLV mean strictly above the threshold (false while empty).
    pub fn plv_gate_open(&self) -> bool {
        self.inner.plv_gate_open()
    }

    /// Back to the freshly constructed state.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// A snapshot of the state.
    pub fn state(&self) -> L16ControllerState {
        let (lr_z_scale, d_theta_scale, tau_d_scale) = self.inner.scales();
        L16ControllerState {
            h_rec: self.inner.h_rec(),
            h_rec_history: self.inner.h_rec_history().collect(),
            plv_buffer: self.inner.plv_buffer().collect(),
            refusal_active: self.inner.refusal_active(),
            refusal_count: self.inner.refusal_count(),
            refusal_episodes: self.inner.refusal_episodes(),
            lr_z_scale,
            d_theta_scale,
            tau_d_scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BackfireError;

    #[test]
    fn python_api_cases() {
        let mut c = L16Controller::default_params().unwrap();
        let r = c.step(&[0.0; 16], 0.8, 0.7, 0.1, 0.1, 0.1, 0.8, 0.1, 0.01).unwrap();
        assert!(r.gate_open && r.lyapunov_stable);
        assert!((r.lambda7 - 0.01).abs() < 1e-15);
        let json = serde_json::to_value(r).unwrap();
        let keys = [
            "lambda7",
            "lambda8",
            "lambda10",
            "nu_star",
            "gate_open",
            "refusal",
            "h_rec",
            "dh_rec_dt",
            "lyapunov_stable",
            "avg_plv",
            "lr_z_scale",
            "d_theta_scale",
            "tau_d_scale",
        ];
        assert_eq!(json.as_object().unwrap().len(), keys.len());
        for k in keys {
            assert!(json.get(k).is_some(), "{k}");
        }
        assert!(json["lyapunov_stable"].is_boolean());
    }

    #[test]
    fn validation_and_state_snapshot() {
        let e = L16Controller::new(16, 0.6, 0, 5, 0.5, 0.5, 1.5).unwrap_err();
        assert_eq!(e, BackfireError::Validation("plv_window must be >= 1, got 0".into()));
        let mut c = L16Controller::new(16, 0.6, 3, 2, 0.5, 0.5, 1.5).unwrap();
        let e = c.step(&[0.0; 16], f64::NAN, 0.7, 0.0, 0.0, 0.0, 0.8, 0.0, 0.01).unwrap_err();
        assert_eq!(e.to_string(), "validation error: r_global must be finite, got NaN");
        let e = c.step(&[f64::INFINITY], 0.5, 0.7, 0.0, 0.0, 0.0, 0.8, 0.0, 0.01).unwrap_err();
        assert_eq!(e, BackfireError::Validation("theta contains NaN or Inf".into()));
        for i in 0..5 {
            c.step(&[], 1.0 - 0.1 * f64::from(i), 0.9, 0.0, 0.0, 0.0, 0.8, 0.0, 0.01).unwrap();
        }
        let s = c.state();
        assert_eq!(s.plv_buffer, vec![0.9; 3]);
        assert_eq!(s.h_rec_history.len(), 5);
        // w = 2 needs 3 values: steps 2, 3 and 4 refuse.
        assert!(s.refusal_active && s.refusal_count == 3 && s.refusal_episodes == 1);
        assert_eq!((s.lr_z_scale, s.d_theta_scale, s.tau_d_scale), (0.5, 0.5, 1.5));
        c.reset();
        let s = c.state();
        assert!(s.h_rec_history.is_empty() && s.plv_buffer.is_empty() && s.refusal_count == 0);
        assert!(!c.plv_gate_open());
    }

    #[test]
    fn large_plv_window_uses_runtime_storage() {
        let mut c = L16Controller::new(16, 0.6, 1000, 5, 0.5, 0.5, 1.5).unwrap();
        for _ in 0..1500 {
            c.step(&[], 0.9, 0.7, 0.0, 0.0, 0.0, 0.8, 0.0, 0.01).unwrap();
        }
        assert_eq!(c.state().plv_buffer.len(), 1000);
        assert!(c.plv_gate_open());
    }

    #[test]
    fn full_path_through_std() {
        let mut c = L16Controller::default_params().unwrap();
        let mut e = vec![0.0; 32];
        e[0] = 1.0;
        e[17] = 1.0;
        let zero = vec![0.0; 32];
        let blocks = EigenBlocks { eigvecs: &e, eig_cols: 2, target: &zero, target_cols: 2 };
        let costs = L16CostInputs { p_h1: 0.5, h_frob: 2.0, ..Default::default() };
        let r = c.step_with(&[], Some(&blocks), 0.5, 0.7, &costs, 0.01).unwrap();
        assert!((r.h_rec - 2.74).abs() < 1e-12);
        let bad = EigenBlocks { eigvecs: &e, eig_cols: 2, target: &zero[..20], target_cols: 2 };
        assert!(c.step_with(&[], Some(&bad), 0.5, 0.7, &costs, 0.01).is_err());
    }
}
