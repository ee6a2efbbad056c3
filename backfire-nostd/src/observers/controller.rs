//! The TCBO controller: a clamped PI law that raises the gap-junction gain
//! `κ` while `p_h1` falls short of `tau_h1` (spec §3).

use crate::check::{ParamError, check_finite, check_non_negative, check_order, check_unit, to_backend};

use super::ObserverFloat;
use super::error::ObserverError;

/// Which control law [`TCBOController::step`] applies. Both use the
/// incremental form `κ_new = clamp(κ + kp·e + ki·I, κ_min, κ_max)` with the
/// deficit `e = max(tau_h1 − p_h1, 0)` as the proportional term; they
/// differ in how the integral `I` evolves, and `κ` depends on `I`. From a
/// fresh or reset controller they give the same `κ` only while every step
/// has been a deficit (or on target) with `κ` below `κ_max`; they part ways
/// after any surplus (which only [`AntiWindup`](Self::AntiWindup)'s `I`
/// integrates) or once `κ` saturates (where only it pauses integration).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ControlLaw {
    /// Default. `I` integrates the signed error `tau_h1 − p_h1`, so a
    /// surplus bleeds it and `κ` comes back down once the target is met;
    /// integration pauses while `κ` is saturated in the direction the error
    /// pushes (conditional integration), so `I` does not wind up against a
    /// bound.
    #[default]
    AntiWindup,
    /// The reference: `I` integrates the deficit only, so it never
    /// decreases and `κ` ratchets up after any deficit (spec §3.2, §8
    /// item 7). For parity.
    Reference,
}

/// Raw controller settings (spec §3.1, defaults there). Validate with
/// [`TCBOControllerConfig::new`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TCBOControllerParams {
    /// Target `p_h1`, and the gate threshold (strict `>`); default 0.72.
    pub tau_h1: f64,
    /// Proportional gain, default 0.8.
    pub kp: f64,
    /// Integral gain, default 0.2.
    pub ki: f64,
    /// Lower clamp of the integral, default −5.
    pub integral_min: f64,
    /// Upper clamp of the integral, default 5.
    pub integral_max: f64,
    /// Lower clamp of `κ`, default 0.
    pub kappa_min: f64,
    /// Upper clamp of `κ`, default 5.
    pub kappa_max: f64,
    /// The control law; default [`ControlLaw::AntiWindup`].
    pub law: ControlLaw,
}

impl Default for TCBOControllerParams {
    fn default() -> Self {
        TCBOControllerParams {
            tau_h1: super::TAU_H1,
            kp: 0.8,
            ki: 0.2,
            integral_min: -5.0,
            integral_max: 5.0,
            kappa_min: 0.0,
            kappa_max: 5.0,
            law: ControlLaw::AntiWindup,
        }
    }
}

/// Validated controller configuration.
///
/// ```
/// use backfire_nostd::observers::{TCBOControllerConfig, TCBOControllerParams};
/// let bad = TCBOControllerParams { kappa_max: -1.0, ..Default::default() };
/// let err = TCBOControllerConfig::<f64>::new(&bad).unwrap_err();
/// assert_eq!(err.to_string(), "kappa_min must be <= kappa_max, got 0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TCBOControllerConfig<T> {
    tau_h1: T,
    kp: T,
    ki: T,
    integral_min: T,
    integral_max: T,
    kappa_min: T,
    kappa_max: T,
    law: ControlLaw,
}

impl<T: ObserverFloat> TCBOControllerConfig<T> {
    /// Checks: `tau_h1` in `[0, 1]`; `kp`, `ki` finite and `>= 0`; the
    /// integral and `κ` bounds finite with `min <= max`. (The reference
    /// accepts `kappa_min > kappa_max` and panics at the first step.)
    pub fn new(params: &TCBOControllerParams) -> Result<Self, ParamError> {
        let integral_min = check_finite("integral_min", params.integral_min)?;
        let integral_max = check_finite("integral_max", params.integral_max)?;
        check_order("integral_min", integral_min, integral_max, "<= integral_max")?;
        let kappa_min = check_finite("kappa_min", params.kappa_min)?;
        let kappa_max = check_finite("kappa_max", params.kappa_max)?;
        check_order("kappa_min", kappa_min, kappa_max, "<= kappa_max")?;
        Ok(TCBOControllerConfig {
            tau_h1: to_backend("tau_h1", check_unit("tau_h1", params.tau_h1)?)?,
            kp: to_backend("kp", check_non_negative("kp", params.kp)?)?,
            ki: to_backend("ki", check_non_negative("ki", params.ki)?)?,
            integral_min: to_backend("integral_min", integral_min)?,
            integral_max: to_backend("integral_max", integral_max)?,
            kappa_min: to_backend("kappa_min", kappa_min)?,
            kappa_max: to_backend("kappa_max", kappa_max)?,
            law: params.law,
        })
    }

    /// Target and gate threshold.
    pub fn tau_h1(&self) -> T {
        self.tau_h1
    }
    /// Proportional gain.
    pub fn kp(&self) -> T {
        self.kp
    }
    /// Integral gain.
    pub fn ki(&self) -> T {
        self.ki
    }
    /// Integral clamp `(min, max)`.
    pub fn integral_bounds(&self) -> (T, T) {
        (self.integral_min, self.integral_max)
    }
    /// `κ` clamp `(min, max)`.
    pub fn kappa_bounds(&self) -> (T, T) {
        (self.kappa_min, self.kappa_max)
    }
    /// The control law.
    pub fn law(&self) -> ControlLaw {
        self.law
    }
}

/// The TCBO controller (spec §3). O(1) per step, no history buffers: only
/// the last `p_h1` is kept, for [`is_gate_open(None)`](Self::is_gate_open).
///
/// ```
/// use backfire_nostd::observers::{TCBOController, TCBOControllerConfig, TCBOControllerParams};
/// let config = TCBOControllerConfig::<f64>::new(&TCBOControllerParams::default()).unwrap();
/// let mut controller = TCBOController::new(config);
/// let kappa = controller.step(0.3, 1.0, 0.01).unwrap();
/// assert!((kappa - 1.33684).abs() < 1e-12); // 1 + 0.8·0.42 + 0.2·0.0042
/// assert!(controller.step(f64::NAN, 1.0, 0.01).is_err());
/// assert!(!controller.is_gate_open(None)); // last p_h1 was 0.3
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TCBOController<T> {
    config: TCBOControllerConfig<T>,
    integral: T,
    last_p_h1: Option<T>,
}

impl<T: ObserverFloat> TCBOController<T> {
    /// A controller with a zero integral.
    pub fn new(config: TCBOControllerConfig<T>) -> Self {
        TCBOController { config, integral: T::ZERO, last_p_h1: None }
    }

    /// The deficit `max(tau_h1 − p_h1, 0)` (spec §3.3 `compute_error`).
    ///
    /// # Errors
    ///
    /// `p_h1` must be in `[0, 1]` (the reference treats NaN as "no
    /// deficit").
    pub fn compute_error(&self, p_h1: T) -> Result<T, ObserverError> {
        Ok(self.signed_error(p_h1)?.max(T::ZERO))
    }

    /// The signed error `tau_h1 − p_h1`, once `p_h1` is checked to be in
    /// `[0, 1]`.
    fn signed_error(&self, p_h1: T) -> Result<T, ObserverError> {
        check_unit("p_h1", p_h1.to_f64())?;
        Ok(self.config.tau_h1 - p_h1)
    }

    /// One control step (spec §3.2): returns the new `κ`, always within
    /// `[kappa_min, kappa_max]`.
    ///
    /// # Errors
    ///
    /// `p_h1` must be in `[0, 1]`, `current_kappa` finite, `dt` finite and
    /// `>= 0`; on error the state is unchanged.
    pub fn step(&mut self, p_h1: T, current_kappa: T, dt: T) -> Result<T, ObserverError> {
        let error = self.signed_error(p_h1)?;
        let deficit = error.max(T::ZERO);
        check_finite("current_kappa", current_kappa.to_f64())?;
        check_non_negative("dt", dt.to_f64())?;
        let cfg = &self.config;
        let (lo, hi) = (cfg.integral_min, cfg.integral_max);
        self.integral = match cfg.law {
            ControlLaw::Reference => (self.integral + deficit * dt).clamp_to(lo, hi),
            ControlLaw::AntiWindup => {
                let pushes_up_at_max = current_kappa >= cfg.kappa_max && error > T::ZERO;
                let pushes_down_at_min = current_kappa <= cfg.kappa_min && error < T::ZERO;
                if pushes_up_at_max || pushes_down_at_min {
                    self.integral
                } else {
                    (self.integral + error * dt).clamp_to(lo, hi)
                }
            }
        };
        let delta = cfg.kp * deficit + cfg.ki * self.integral;
        let kappa = (current_kappa + delta).clamp_to(cfg.kappa_min, cfg.kappa_max);
        self.last_p_h1 = Some(p_h1);
        Ok(kappa)
    }

    /// `p_h1 > tau_h1` (strict), for the given `p_h1` or else the last one
    /// passed to [`step`](Self::step) (0 if none). NaN reads as closed.
    pub fn is_gate_open(&self, p_h1: Option<T>) -> bool {
        p_h1.or(self.last_p_h1).unwrap_or(T::ZERO) > self.config.tau_h1
    }

    /// Zeroes the integral and forgets the last `p_h1` (so the last error
    /// reads 0); the configuration is kept.
    pub fn reset(&mut self) {
        self.integral = T::ZERO;
        self.last_p_h1 = None;
    }

    /// The integral `I`.
    pub fn integral(&self) -> T {
        self.integral
    }
    /// The deficit `max(tau_h1 − p_h1, 0)` of the last step, 0 if none.
    pub fn last_error(&self) -> T {
        self.last_p_h1.map_or(T::ZERO, |p_h1| (self.config.tau_h1 - p_h1).max(T::ZERO))
    }
    /// The `p_h1` of the last step.
    pub fn last_p_h1(&self) -> Option<T> {
        self.last_p_h1
    }
    /// The configuration.
    pub fn config(&self) -> &TCBOControllerConfig<T> {
        &self.config
    }
}
