//! The TCBO controller with `f64` parameters and `BackfireError`s.

use backfire_nostd::observers::{self as core, ControlLaw, TCBOControllerConfig, TCBOControllerParams};

use crate::error::BackfireResult;

/// The TCBO controller (Python's `TCBOController` / `RustTCBOController`).
///
/// ```
/// use backfire_std::observers::TCBOController;
/// let mut c = TCBOController::new(0.72, 0.8, 0.2, 5.0).unwrap();
/// assert!((c.step(0.5, 1.0, 0.01).unwrap() - 1.17644).abs() < 1e-12);
/// assert!(c.is_gate_open(Some(0.8)) && !c.is_gate_open(Some(0.5)));
/// // The reference builds this and panics at the first step.
/// assert!(TCBOController::new(0.72, 0.8, 0.2, -1.0).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TCBOController {
    core: core::TCBOController<f64>,
}

impl TCBOController {
    /// The Python constructor; integral bounds ±5, `kappa_min = 0`, and the
    /// anti-windup law.
    pub fn new(tau_h1: f64, kp: f64, ki: f64, kappa_max: f64) -> BackfireResult<Self> {
        Self::with_params(&TCBOControllerParams { tau_h1, kp, ki, kappa_max, ..Default::default() })
    }

    /// A controller with every setting given.
    pub fn with_params(params: &TCBOControllerParams) -> BackfireResult<Self> {
        Ok(TCBOController { core: core::TCBOController::new(TCBOControllerConfig::new(params)?) })
    }

    /// One control step: the new `κ` in `[kappa_min, kappa_max]`.
    pub fn step(&mut self, p_h1: f64, current_kappa: f64, dt: f64) -> BackfireResult<f64> {
        Ok(self.core.step(p_h1, current_kappa, dt)?)
    }

    /// The deficit `max(tau_h1 − p_h1, 0)`.
    pub fn compute_error(&self, p_h1: f64) -> BackfireResult<f64> {
        Ok(self.core.compute_error(p_h1)?)
    }

    /// `p_h1 > tau_h1`, for the given value or the last one stepped (0 if
    /// none).
    pub fn is_gate_open(&self, p_h1: Option<f64>) -> bool {
        self.core.is_gate_open(p_h1)
    }

    /// Zeroes the integral and forgets the last `p_h1`.
    pub fn reset(&mut self) {
        self.core.reset();
    }

    /// The integral `I`.
    pub fn integral(&self) -> f64 {
        self.core.integral()
    }
    /// The deficit of the last step.
    pub fn last_error(&self) -> f64 {
        self.core.last_error()
    }
    /// The control law.
    pub fn law(&self) -> ControlLaw {
        self.core.config().law()
    }
    /// The validated configuration.
    pub fn config(&self) -> &TCBOControllerConfig<f64> {
        self.core.config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's Python tests (spec §6.3), in Rust.
    #[test]
    fn python_test_sequence() {
        let mut c = TCBOController::new(0.72, 0.8, 0.2, 5.0).unwrap();
        let kappa = c.step(0.5, 1.0, 0.01).unwrap();
        assert!((kappa - 1.17644).abs() < 1e-12 && kappa >= 0.0);
        c.reset();
        assert!(c.is_gate_open(Some(0.8)) && !c.is_gate_open(Some(0.5)));
        assert_eq!(c.compute_error(0.5).map(|e| (e - 0.22).abs() < 1e-12), Ok(true));
    }

    #[test]
    fn validation_errors_name_the_parameter() {
        let e = TCBOController::new(0.72, f64::NAN, 0.2, 5.0).unwrap_err();
        assert_eq!(e.to_string(), "validation error: kp must be finite and >= 0, got NaN");
        let mut c = TCBOController::new(0.72, 0.8, 0.2, 5.0).unwrap();
        let e = c.step(0.5, 1.0, f64::NAN).unwrap_err();
        assert_eq!(e.to_string(), "validation error: dt must be finite and >= 0, got NaN");
    }

    #[test]
    fn reference_law_is_selectable() {
        let params = TCBOControllerParams { law: ControlLaw::Reference, ..Default::default() };
        let mut c = TCBOController::with_params(&params).unwrap();
        c.step(0.0, 1.0, 1.0).unwrap();
        assert!((c.step(0.9, 1.0, 1.0).unwrap() - 1.144).abs() < 1e-12);
        assert_eq!(c.law(), ControlLaw::Reference);
        c.reset();
        assert_eq!((c.integral(), c.last_error()), (0.0, 0.0));
        assert!(!c.is_gate_open(None));
    }
}
