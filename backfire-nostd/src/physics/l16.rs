//! The L16 supervisory controller (spec §5): a health value H_rec per step,
//! its trend (least-squares slope, "rising for w steps" refusal rule), a
//! windowed phase-locking-value (PLV) gate, and four clamped PI controllers
//! that emit the weights λ7, λ8, λ10 and ν*.
//!
//! All bookkeeping is O(1) per step over fixed storage: the PLV window is a
//! ring over caller storage with a running sum, the H_rec history a
//! 100-entry ring, the regression slope comes from running `Σy`, `Σxy`
//! (re-summed exactly once per window so rounding cannot drift), and the
//! refusal rule from a count of consecutive rises.
//!
//! Every input is checked before anything changes: a NaN or ±∞ argument is
//! an error, so one bad sample can neither poison the PI integrators nor
//! close the gate for a window (spec §9 item 20; the reference accepts
//! them silently).
//!
//! ```
//! use backfire_nostd::physics::l16::{L16Controller, L16CostInputs};
//!
//! let mut ctl = L16Controller::<f64, [f64; 10]>::default();
//! let costs = L16CostInputs { c7_symbolic: 0.1, c8_phase: 0.2, c10_boundary: 0.15, p_h1: 0.8, h_frob: 0.5 };
//! let r = ctl.step(&[0.5; 16], None, 0.7, 0.65, &costs, 0.01).unwrap();
//! assert!((r.h_rec - 0.3).abs() < 1e-12);
//! assert!(r.gate_open);
//! ```

use crate::check::{
    ParamError, check_at_least, check_finite, check_non_negative, check_positive, check_unit, to_backend,
};
use crate::num::Transcendental;
use crate::physics::error::PhysicsError;
use crate::physics::upde::order_parameter;

/// Number of H_rec values remembered.
pub const H_REC_HISTORY_CAP: usize = 100;
/// Target of the first-Betti probability in the h1 deficit (τ_h1).
pub const P_H1_TARGET: f64 = crate::observers::TAU_H1;
/// Weight of the Frobenius term (PGBO) in the full H_rec path.
pub const PGBO_WEIGHT: f64 = 0.01;
/// Default PLV window (samples).
pub const DEFAULT_PLV_WINDOW: usize = 10;

/// A clamped PI controller (spec §5.2):
/// `e = setpoint − measured`, integral clamped to `[−10, 10]`,
/// output `kp·e + ki·integral` clamped to `[0.01, 10]`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PIState<T> {
    setpoint: T,
    kp: T,
    ki: T,
    integral: T,
    last_error: T,
}

impl<T: Transcendental> PIState<T> {
    /// Integral clamp.
    pub const INTEGRAL_LIMIT: f64 = 10.0;
    /// Output clamp.
    pub const OUTPUT_RANGE: (f64, f64) = (0.01, 10.0);

    /// A controller with zero integral; all three gains finite, also in
    /// `T` (`kp = 1e300` is rejected for `f32`).
    ///
    /// ```
    /// use backfire_nostd::physics::l16::PIState;
    /// let mut pi = PIState::<f64>::new(1.0, 0.5, 0.05).unwrap();
    /// assert!((pi.step(0.0, 0.01).unwrap() - 0.5005).abs() < 1e-12);
    /// assert!(pi.step(f64::NAN, 0.01).is_err());
    /// ```
    pub fn new(setpoint: f64, kp: f64, ki: f64) -> Result<Self, ParamError> {
        Ok(Self::from_gains(
            to_backend("setpoint", check_finite("setpoint", setpoint)?)?,
            to_backend("kp", check_finite("kp", kp)?)?,
            to_backend("ki", check_finite("ki", ki)?)?,
        ))
    }

    /// A controller with zero integral from gains already in `T`, unchecked.
    const fn from_gains(setpoint: T, kp: T, ki: T) -> Self {
        PIState { setpoint, kp, ki, integral: T::ZERO, last_error: T::ZERO }
    }

    /// One update with a measurement over `dt`; returns the clamped output.
    /// A non-finite `measured` or `dt` is rejected and changes nothing (in
    /// the reference one NaN makes the integral NaN for good).
    pub fn step(&mut self, measured: T, dt: T) -> Result<T, ParamError> {
        check_finite("measured", measured.to_f64())?;
        check_finite("dt", dt.to_f64())?;
        Ok(self.update(measured, dt))
    }

    /// [`Self::step`] for inputs already checked by the caller.
    fn update(&mut self, measured: T, dt: T) -> T {
        let limit = T::from_f64(Self::INTEGRAL_LIMIT);
        let e = self.setpoint - measured;
        self.integral = (self.integral + e * dt).clamp_to(-limit, limit);
        self.last_error = e;
        let (lo, hi) = Self::OUTPUT_RANGE;
        (self.kp * e + self.ki * self.integral).clamp_to(T::from_f64(lo), T::from_f64(hi))
    }

    /// The clamped integral.
    pub fn integral(&self) -> T {
        self.integral
    }
    /// The error of the last step.
    pub fn last_error(&self) -> T {
        self.last_error
    }
    /// The setpoint.
    pub fn setpoint(&self) -> T {
        self.setpoint
    }
    /// Zeroes the integral and the last error.
    pub fn reset(&mut self) {
        self.integral = T::ZERO;
        self.last_error = T::ZERO;
    }
}

impl<T: Transcendental> Default for PIState<T> {
    /// The reference's `PIState::default`: setpoint 0, kp 0.5, ki 0.05.
    fn default() -> Self {
        Self::from_gains(T::ZERO, T::from_f64(0.5), T::from_f64(0.05))
    }
}

/// Validated controller configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct L16Params {
    n: usize,
    plv_threshold: f64,
    plv_window: usize,
    h_rec_window: usize,
    refusal_lr_factor: f64,
    refusal_d_factor: f64,
    refusal_tau_factor: f64,
}

impl Default for L16Params {
    /// The reference defaults (16, 0.6, 10, 5, 0.5, 0.5, 1.5).
    fn default() -> Self {
        L16Params {
            n: 16,
            plv_threshold: 0.6,
            plv_window: DEFAULT_PLV_WINDOW,
            h_rec_window: 5,
            refusal_lr_factor: 0.5,
            refusal_d_factor: 0.5,
            refusal_tau_factor: 1.5,
        }
    }
}

impl L16Params {
    /// Validates: `n ≥ 1`, `plv_threshold ∈ [0, 1]`, `plv_window ≥ 1`,
    /// `h_rec_window ∈ [2, 99]` (the reference's 0 and 1 refuse forever and
    /// ≥ 100 can never refuse, spec §9 item 22), factors finite and ≥ 0.
    ///
    /// ```
    /// use backfire_nostd::physics::l16::L16Params;
    /// assert!(L16Params::new(16, 0.6, 10, 5, 0.5, 0.5, 1.5).is_ok());
    /// let e = L16Params::new(16, 0.6, 10, 1, 0.5, 0.5, 1.5).unwrap_err();
    /// assert_eq!(e.to_string(), "h_rec_window must be in [2, 99], got 1");
    /// ```
    pub fn new(
        n: usize,
        plv_threshold: f64,
        plv_window: usize,
        h_rec_window: usize,
        refusal_lr_factor: f64,
        refusal_d_factor: f64,
        refusal_tau_factor: f64,
    ) -> Result<Self, ParamError> {
        check_at_least("n", n, 1, ">= 1")?;
        check_at_least("plv_window", plv_window, 1, ">= 1")?;
        if !(2..H_REC_HISTORY_CAP).contains(&h_rec_window) {
            return Err(ParamError::new("h_rec_window", h_rec_window as f64, "in [2, 99]"));
        }
        Ok(L16Params {
            n,
            plv_threshold: check_unit("plv_threshold", plv_threshold)?,
            plv_window,
            h_rec_window,
            refusal_lr_factor: check_non_negative("refusal_lr_factor", refusal_lr_factor)?,
            refusal_d_factor: check_non_negative("refusal_d_factor", refusal_d_factor)?,
            refusal_tau_factor: check_non_negative("refusal_tau_factor", refusal_tau_factor)?,
        })
    }

    /// Row bound of the full H_rec path.
    pub fn n(&self) -> usize {
        self.n
    }
    /// The gate opens when the PLV mean is strictly above this.
    pub fn plv_threshold(&self) -> f64 {
        self.plv_threshold
    }
    /// PLV samples averaged.
    pub fn plv_window(&self) -> usize {
        self.plv_window
    }
    /// H_rec values in the trend and refusal window.
    pub fn h_rec_window(&self) -> usize {
        self.h_rec_window
    }
    /// `(lr_z, d_theta, tau_d)` scales applied while refusing.
    pub fn refusal_factors(&self) -> (f64, f64, f64) {
        (self.refusal_lr_factor, self.refusal_d_factor, self.refusal_tau_factor)
    }
}

/// The per-step cost inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct L16CostInputs<T> {
    /// Symbolic cost (drives λ7).
    pub c7_symbolic: T,
    /// Phase cost (drives λ8).
    pub c8_phase: T,
    /// Boundary cost (drives λ10).
    pub c10_boundary: T,
    /// First-Betti probability; H_rec adds `max(0, 0.72 − p_h1)`.
    pub p_h1: T,
    /// Frobenius norm from PGBO (full path only, weight 0.01).
    pub h_frob: T,
}

/// Eigenvector and target blocks of the full H_rec path: column-major,
/// `rows × eig_cols` and `rows × target_cols` with the same row count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EigenBlocks<'a, T> {
    /// Eigenvector block, column-major.
    pub eigvecs: &'a [T],
    /// Its column count.
    pub eig_cols: usize,
    /// Target block, column-major.
    pub target: &'a [T],
    /// Its column count.
    pub target_cols: usize,
}

/// One controller step's outputs (the reference's 13 fields, in order).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct L16StepResult<T> {
    /// Weight from the symbolic-cost PI.
    pub lambda7: T,
    /// Weight from the phase-cost PI.
    pub lambda8: T,
    /// Weight from the boundary-cost PI.
    pub lambda10: T,
    /// Weight from the R-driven PI.
    pub nu_star: T,
    /// PLV mean strictly above the threshold.
    pub gate_open: bool,
    /// The refusal rule fired on this step.
    pub refusal: bool,
    /// This step's H_rec.
    pub h_rec: T,
    /// Least-squares slope of the newest H_rec values, per second.
    pub dh_rec_dt: T,
    /// `dh_rec_dt ≤ 0`.
    pub lyapunov_stable: bool,
    /// Mean of the PLV window.
    pub avg_plv: T,
    /// Learning-rate scale (refusal factor while refusing, else 1).
    pub lr_z_scale: T,
    /// Phase-step scale.
    pub d_theta_scale: T,
    /// Time-constant scale.
    pub tau_d_scale: T,
}

/// The controller. `S` is the PLV window's storage (at least `plv_window`
/// entries), lent by the caller: `[f32; 10]` on a device, a `Vec` on a
/// server.
#[derive(Clone, Debug)]
pub struct L16Controller<T, S> {
    params: L16Params,
    pi_lambda7: PIState<T>,
    pi_lambda8: PIState<T>,
    pi_lambda10: PIState<T>,
    pi_nu: PIState<T>,
    plv: PlvWindow<T, S>,
    history: HistoryRing<T>,
    h_rec: T,
    refusal_active: bool,
    refusal_count: u32,
    refusal_episodes: u32,
}

impl<T: Transcendental> Default for L16Controller<T, [T; DEFAULT_PLV_WINDOW]> {
    /// Reference defaults with an inline 10-sample PLV window.
    fn default() -> Self {
        Self::build(L16Params::default(), [T::ZERO; DEFAULT_PLV_WINDOW])
    }
}

impl<T: Transcendental, S: AsRef<[T]> + AsMut<[T]>> L16Controller<T, S> {
    /// A controller for validated parameters over PLV storage of at least
    /// `plv_window` entries.
    pub fn new(params: L16Params, plv_storage: S) -> Result<Self, ParamError> {
        let provided = plv_storage.as_ref().len();
        if provided < params.plv_window {
            return Err(ParamError::new("plv_storage", provided as f64, ">= plv_window entries"));
        }
        Ok(Self::build(params, plv_storage))
    }

    fn build(params: L16Params, plv_storage: S) -> Self {
        let pi = |setpoint: f64, kp: f64, ki: f64| {
            PIState::from_gains(T::from_f64(setpoint), T::from_f64(kp), T::from_f64(ki))
        };
        L16Controller {
            params,
            pi_lambda7: pi(0.0, 0.3, 0.03),
            pi_lambda8: pi(0.0, 0.3, 0.03),
            pi_lambda10: pi(0.0, 0.3, 0.03),
            pi_nu: pi(0.5, 0.5, 0.05),
            plv: PlvWindow::new(plv_storage, params.plv_window),
            history: HistoryRing::new(params.h_rec_window),
            h_rec: T::ZERO,
            refusal_active: false,
            refusal_count: 0,
            refusal_episodes: 0,
        }
    }

    /// One supervisory step (spec §5.6). `blocks = None` (or empty blocks)
    /// takes the simplified H_rec path, as the reference's Python API
    /// always does.
    ///
    /// Errors, with nothing changed: non-finite θ (`"theta contains NaN or
    /// Inf"`), a non-finite scalar (named), `dt ≤ 0`, mis-shaped blocks.
    pub fn step(
        &mut self,
        theta: &[T],
        blocks: Option<&EigenBlocks<'_, T>>,
        r_global: T,
        plv: T,
        costs: &L16CostInputs<T>,
        dt: T,
    ) -> Result<L16StepResult<T>, PhysicsError> {
        check_inputs(r_global, plv, costs, dt)?;
        let h = self.compute_h_rec(theta, blocks, r_global, costs)?;

        self.h_rec = h;
        self.history.push(h);
        let avg_plv = self.plv.push(plv);
        let gate_open = self.plv_gate_open();
        let refusal = self.check_refusal();
        let dh_rec_dt = self.compute_dh_dt(dt);
        let lyapunov_stable = dh_rec_dt <= T::ZERO;

        // Inputs were checked above, so the PIs update unconditionally.
        let lambda7 = self.pi_lambda7.update(costs.c7_symbolic, dt);
        let lambda8 = self.pi_lambda8.update(costs.c8_phase, dt);
        let lambda10 = self.pi_lambda10.update(costs.c10_boundary, dt);
        let nu_star = self.pi_nu.update(r_global, dt);
        let (lr_z_scale, d_theta_scale, tau_d_scale) = self.scales();
        Ok(L16StepResult {
            lambda7,
            lambda8,
            lambda10,
            nu_star,
            gate_open,
            refusal,
            h_rec: h,
            dh_rec_dt,
            lyapunov_stable,
            avg_plv,
            lr_z_scale,
            d_theta_scale,
            tau_d_scale,
        })
    }

    /// H_rec (spec §5.3) without changing any state.
    ///
    /// Simplified path: `max(0, (1 − r) + max(0, 0.72 − p_h1))`. Full path:
    /// adds the squared difference of the blocks, the phase variance
    /// `1 − R_θ²` (when θ is not empty) and `0.01·h_frob`.
    pub fn compute_h_rec(
        &self,
        theta: &[T],
        blocks: Option<&EigenBlocks<'_, T>>,
        r_global: T,
        costs: &L16CostInputs<T>,
    ) -> Result<T, PhysicsError> {
        if theta.iter().any(|x| !x.is_finite()) {
            return Err(PhysicsError::NonFiniteTheta);
        }
        let r = r_global.clamp_to(T::ZERO, T::ONE);
        let h1 = (T::from_f64(P_H1_TARGET) - costs.p_h1).max(T::ZERO);
        let pred = T::ONE - r;
        let h = match blocks.filter(|b| !is_degenerate(b)) {
            None => pred + h1,
            Some(b) => {
                let alignment = self.alignment(b)?;
                let mut h = alignment + pred;
                if !theta.is_empty() {
                    let r_theta = order_parameter(theta);
                    h = h + (T::ONE - r_theta * r_theta).max(T::ZERO);
                }
                h + h1 + T::from_f64(PGBO_WEIGHT) * costs.h_frob
            }
        };
        if !h.is_finite() {
            return Err(PhysicsError::NonFiniteResult);
        }
        Ok(h.max(T::ZERO))
    }

    /// `Σ (E − P)²` over the common columns, after checking the shapes.
    fn alignment(&self, b: &EigenBlocks<'_, T>) -> Result<T, PhysicsError> {
        let rows = b.eigvecs.len() / b.eig_cols;
        let shape = |block, len, cols| PhysicsError::BlockShape { block, len, cols, rows };
        if rows * b.eig_cols != b.eigvecs.len() || rows > self.params.n {
            return Err(shape("eigvecs", b.eigvecs.len(), b.eig_cols));
        }
        if rows.checked_mul(b.target_cols) != Some(b.target.len()) {
            return Err(shape("target", b.target.len(), b.target_cols));
        }
        let k = b.eig_cols.min(b.target_cols);
        let mut sum = T::ZERO;
        for (&e, &p) in b.eigvecs.iter().zip(b.target).take(k * rows) {
            let d = e - p;
            sum = sum + d * d;
        }
        if !sum.is_finite() {
            return Err(PhysicsError::NonFiniteResult);
        }
        Ok(sum)
    }

    /// `true` if the PLV window is not empty and its mean is strictly above
    /// the threshold.
    pub fn plv_gate_open(&self) -> bool {
        self.plv.len() > 0 && self.plv.mean() > T::from_f64(self.params.plv_threshold)
    }

    /// The refusal rule (spec §5.5), kept with the reference's window
    /// semantics: it needs `w + 1` values and tests the newest `w`
    /// (`w − 1` strict rises). Below that, returns `false` and keeps the
    /// previous flags.
    fn check_refusal(&mut self) -> bool {
        let w = self.params.h_rec_window;
        if self.history.len() < w + 1 {
            return false;
        }
        if self.history.rises() + 1 >= w {
            if !self.refusal_active {
                self.refusal_episodes = self.refusal_episodes.saturating_add(1);
            }
            self.refusal_active = true;
            self.refusal_count = self.refusal_count.saturating_add(1);
        } else {
            self.refusal_active = false;
        }
        self.refusal_active
    }

    /// Least-squares slope over the newest `min(len, h_rec_window)` values,
    /// per second (`dt` floored at 1e-12); 0 with fewer than two values.
    fn compute_dh_dt(&self, dt: T) -> T {
        self.history.slope() / dt.max(T::from_f64(1e-12))
    }

    /// The parameters.
    pub fn params(&self) -> &L16Params {
        &self.params
    }
    /// The last H_rec.
    pub fn h_rec(&self) -> T {
        self.h_rec
    }
    /// The remembered H_rec values, oldest first (at most 100).
    pub fn h_rec_history(&self) -> impl Iterator<Item = T> + '_ {
        self.history.iter()
    }
    /// The PLV samples in the window, oldest first.
    pub fn plv_buffer(&self) -> impl Iterator<Item = T> + '_ {
        self.plv.iter()
    }
    /// The refusal flag after the last check.
    pub fn refusal_active(&self) -> bool {
        self.refusal_active
    }
    /// Number of checks that found H_rec rising (cumulative): a rise that
    /// lasts ten steps counts up to ten times, as in the reference.
    pub fn refusal_count(&self) -> u32 {
        self.refusal_count
    }
    /// Number of refusal episodes: checks that turned the refusal on
    /// (spec §9 item 22: the reference only counts steps).
    pub fn refusal_episodes(&self) -> u32 {
        self.refusal_episodes
    }
    /// The actuator scales `(lr_z, d_theta, tau_d)` after the last refusal
    /// check: the refusal factors while refusing, else `(1, 1, 1)`.
    pub fn scales(&self) -> (T, T, T) {
        if self.refusal_active {
            let (a, b, c) = self.params.refusal_factors();
            (T::from_f64(a), T::from_f64(b), T::from_f64(c))
        } else {
            (T::ONE, T::ONE, T::ONE)
        }
    }
    /// The four PI controllers (λ7, λ8, λ10, ν*).
    pub fn pi_states(&self) -> [&PIState<T>; 4] {
        [&self.pi_lambda7, &self.pi_lambda8, &self.pi_lambda10, &self.pi_nu]
    }

    /// Back to the freshly constructed state (history, PLV window, PI
    /// integrals, refusal flags and count, scales).
    pub fn reset(&mut self) {
        for pi in [&mut self.pi_lambda7, &mut self.pi_lambda8, &mut self.pi_lambda10, &mut self.pi_nu] {
            pi.reset();
        }
        self.plv.clear();
        self.history = HistoryRing::new(self.params.h_rec_window);
        self.h_rec = T::ZERO;
        self.refusal_active = false;
        self.refusal_count = 0;
        self.refusal_episodes = 0;
    }
}

fn is_degenerate<T>(b: &EigenBlocks<'_, T>) -> bool {
    b.eigvecs.is_empty() || b.target.is_empty() || b.eig_cols == 0 || b.target_cols == 0
}

fn check_inputs<T: Transcendental>(r: T, plv: T, c: &L16CostInputs<T>, dt: T) -> Result<(), ParamError> {
    let scalars = [
        ("r_global", r),
        ("plv", plv),
        ("c7_symbolic", c.c7_symbolic),
        ("c8_phase", c.c8_phase),
        ("c10_boundary", c.c10_boundary),
        ("p_h1", c.p_h1),
        ("h_frob", c.h_frob),
    ];
    for (name, v) in scalars {
        check_finite(name, v.to_f64())?;
    }
    check_positive("dt", dt.to_f64())?;
    Ok(())
}

/// The PLV window: a ring over caller storage with a running sum.
#[derive(Clone, Debug)]
struct PlvWindow<T, S> {
    storage: S,
    capacity: usize,
    len: usize,
    next: usize,
    sum: T,
    since_resum: usize,
}

impl<T: Transcendental, S: AsRef<[T]> + AsMut<[T]>> PlvWindow<T, S> {
    fn new(storage: S, capacity: usize) -> Self {
        PlvWindow { storage, capacity, len: 0, next: 0, sum: T::ZERO, since_resum: 0 }
    }

    fn slots(&self) -> &[T] {
        self.storage.as_ref().get(..self.capacity).unwrap_or(&[])
    }

    /// Appends a sample (evicting the oldest when full); returns the mean.
    fn push(&mut self, x: T) -> T {
        let cap = self.capacity;
        let slot = self.storage.as_mut().get_mut(self.next);
        let evicted = match slot {
            Some(s) => core::mem::replace(s, x),
            None => return T::ZERO, // unreachable: storage ≥ capacity ≥ 1
        };
        if self.len == cap {
            self.sum = self.sum - evicted;
        } else {
            self.len += 1;
        }
        self.sum = self.sum + x;
        self.next = (self.next + 1) % cap;
        // Re-sum exactly once per window so add/subtract rounding cannot
        // accumulate over a long stream.
        self.since_resum += 1;
        if self.since_resum >= cap {
            self.since_resum = 0;
            self.sum = self.iter().fold(T::ZERO, |a, b| a + b);
        }
        self.mean()
    }

    fn mean(&self) -> T {
        if self.len == 0 {
            return T::ZERO;
        }
        self.sum / T::from_u32(self.len as u32)
    }

    fn len(&self) -> usize {
        self.len
    }

    fn clear(&mut self) {
        self.len = 0;
        self.next = 0;
        self.sum = T::ZERO;
        self.since_resum = 0;
    }

    /// Oldest first.
    fn iter(&self) -> impl Iterator<Item = T> + '_ {
        let slots = self.slots();
        let start = if self.len == self.capacity { self.next } else { 0 };
        slots.iter().cycle().skip(start).take(self.len).copied()
    }
}

/// The last 100 H_rec values, with running regression sums over the newest
/// `window` of them and the length of the current run of strict rises.
#[derive(Clone, Copy, Debug)]
struct HistoryRing<T> {
    values: [T; H_REC_HISTORY_CAP],
    len: usize,
    next: usize,
    window: usize,
    /// Σy and Σ i·y over the newest `min(len, window)` values, i = 0 oldest.
    sum_y: T,
    sum_xy: T,
    since_resum: usize,
    rises: usize,
}

impl<T: Transcendental> HistoryRing<T> {
    fn new(window: usize) -> Self {
        HistoryRing {
            values: [T::ZERO; H_REC_HISTORY_CAP],
            len: 0,
            next: 0,
            window,
            sum_y: T::ZERO,
            sum_xy: T::ZERO,
            since_resum: 0,
            rises: 0,
        }
    }

    /// The value `back` places before the newest (0 = newest).
    fn newest(&self, back: usize) -> T {
        let i = (self.next + 2 * H_REC_HISTORY_CAP - 1 - back) % H_REC_HISTORY_CAP;
        self.values.get(i).copied().unwrap_or(T::ZERO)
    }

    fn push(&mut self, y: T) {
        let w = self.window;
        let in_window = self.len.min(w);
        if self.len > 0 {
            self.rises = if y > self.newest(0) { self.rises + 1 } else { 0 };
        }
        if in_window < w {
            // Window still filling: the new value gets x = in_window.
            self.sum_xy = self.sum_xy + T::from_u32(in_window as u32) * y;
            self.sum_y = self.sum_y + y;
        } else {
            // Slide: drop the oldest (x = 0), shift x down by one, append.
            let oldest = self.newest(w - 1);
            self.sum_xy = self.sum_xy - (self.sum_y - oldest) + T::from_u32((w - 1) as u32) * y;
            self.sum_y = self.sum_y - oldest + y;
        }
        if let Some(slot) = self.values.get_mut(self.next) {
            *slot = y;
        }
        self.next = (self.next + 1) % H_REC_HISTORY_CAP;
        self.len = (self.len + 1).min(H_REC_HISTORY_CAP);
        self.since_resum += 1;
        if self.since_resum >= w {
            self.since_resum = 0;
            self.resum();
        }
    }

    fn resum(&mut self) {
        let m = self.len.min(self.window);
        let (mut sy, mut sxy) = (T::ZERO, T::ZERO);
        for i in 0..m {
            let y = self.newest(m - 1 - i);
            sy = sy + y;
            sxy = sxy + T::from_u32(i as u32) * y;
        }
        self.sum_y = sy;
        self.sum_xy = sxy;
    }

    fn len(&self) -> usize {
        self.len
    }

    fn rises(&self) -> usize {
        self.rises
    }

    /// OLS slope per step over the newest `min(len, window)` values.
    fn slope(&self) -> T {
        let m = self.len.min(self.window);
        if m < 2 {
            return T::ZERO;
        }
        let w = T::from_u32(m as u32);
        let sum_x = T::from_u32((m * (m - 1) / 2) as u32);
        let sum_xx = T::from_u32(((m - 1) * m * (2 * m - 1) / 6) as u32);
        let denom = w * sum_xx - sum_x * sum_x;
        if denom.abs() < T::from_f64(1e-30) {
            return T::ZERO;
        }
        (w * self.sum_xy - sum_x * self.sum_y) / denom
    }

    /// Oldest first.
    fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len).rev().map(move |back| self.newest(back))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_validate() {
        assert_eq!(L16Params::new(0, 0.6, 10, 5, 0.5, 0.5, 1.5).unwrap_err().field, "n");
        assert_eq!(L16Params::new(16, 1.5, 10, 5, 0.5, 0.5, 1.5).unwrap_err().field, "plv_threshold");
        assert_eq!(L16Params::new(16, 0.6, 0, 5, 0.5, 0.5, 1.5).unwrap_err().field, "plv_window");
        assert_eq!(L16Params::new(16, 0.6, 10, 100, 0.5, 0.5, 1.5).unwrap_err().field, "h_rec_window");
        assert_eq!(
            L16Params::new(16, 0.6, 10, 5, f64::NAN, 0.5, 1.5).unwrap_err().field,
            "refusal_lr_factor"
        );
        let p = L16Params::new(16, 0.6, 10, 5, 0.5, 0.5, 1.5).unwrap();
        assert_eq!(p, L16Params::default());
        assert!(L16Controller::<f64, [f64; 4]>::new(p, [0.0; 4]).is_err());
        assert!(L16Controller::<f64, [f64; 12]>::new(p, [0.0; 12]).is_ok());
    }

    #[test]
    fn gains_must_fit_the_number_type() {
        assert!(PIState::<f64>::new(0.0, 1e39, 0.05).is_ok());
        let e = PIState::<f32>::new(0.0, 1e39, 0.05).unwrap_err();
        assert_eq!(e, ParamError::new("kp", 1e39, "representable in the number type"));
        assert_eq!(
            crate::testutil::render(&e).as_str(),
            "kp must be representable in the number type, got 1000000000000000000000000000000000000000"
        );
        assert_eq!(PIState::<f32>::new(0.0, 0.5, -1e300).unwrap_err().field, "ki");
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn history_ring_keeps_100_and_slope_matches_direct_fit() {
        let mut h = HistoryRing::<f64>::new(7);
        let mut all = [0.0f64; 250];
        for i in 0..all.len() {
            let y = libm::sin(i as f64 * 0.37) + 0.01 * i as f64;
            all[i] = y;
            h.push(y);
            let n = i + 1;
            let m = n.min(7);
            let ys = &all[n - m..n];
            let (mut sx, mut sy, mut sxy, mut sxx) = (0.0, 0.0, 0.0, 0.0);
            for (x, &y) in ys.iter().enumerate() {
                let x = x as f64;
                sx += x;
                sy += y;
                sxy += x * y;
                sxx += x * x;
            }
            let mf = m as f64;
            let den = mf * sxx - sx * sx;
            let want = if m < 2 { 0.0 } else { (mf * sxy - sx * sy) / den };
            assert!((h.slope() - want).abs() < 1e-12, "step {i}");
        }
        assert_eq!(h.len(), 100);
        assert!(h.iter().zip(&all[150..]).all(|(a, &b)| a == b));
    }

    #[test]
    fn plv_window_mean_and_order() {
        let mut w = PlvWindow::new([0.0f64; 5], 3);
        assert_eq!(w.push(1.0), 1.0);
        assert_eq!(w.push(2.0), 1.5);
        assert_eq!(w.push(3.0), 2.0);
        assert_eq!(w.push(4.0), 3.0);
        let mut got = [0.0; 3];
        for (g, v) in got.iter_mut().zip(w.iter()) {
            *g = v;
        }
        assert_eq!(got, [2.0, 3.0, 4.0]);
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn non_finite_inputs_are_rejected_without_change() {
        let mut c = L16Controller::<f64, [f64; 10]>::default();
        let costs = L16CostInputs { p_h1: 0.8, ..Default::default() };
        c.step(&[0.0; 16], None, 0.8, 0.7, &costs, 0.01).unwrap();
        let pis = c.pi_states().map(|p| *p);
        let bad = L16CostInputs { c8_phase: f64::NAN, ..costs };
        let e = c.step(&[0.0; 16], None, 0.8, 0.7, &bad, 0.01).unwrap_err();
        assert!(matches!(e, PhysicsError::Param(ParamError { field: "c8_phase", rule: "finite", .. })));
        assert!(c.step(&[0.0; 16], None, f64::NAN, 0.7, &costs, 0.01).is_err());
        assert!(c.step(&[0.0; 16], None, 0.8, f64::INFINITY, &costs, 0.01).is_err());
        assert!(c.step(&[0.0; 16], None, 0.8, 0.7, &costs, 0.0).is_err());
        assert_eq!(
            c.step(&[f64::NAN; 16], None, 0.8, 0.7, &costs, 0.01).unwrap_err(),
            PhysicsError::NonFiniteTheta
        );
        assert_eq!(c.pi_states().map(|p| *p), pis);
        assert_eq!(c.h_rec_history().count(), 1);
        assert_eq!(c.plv_buffer().count(), 1);
        assert!(c.plv_gate_open());
    }
}
