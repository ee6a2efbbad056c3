//! The SEC functional: a Lyapunov-style energy of a phase snapshot,
//! normalised into a 0..1 coherence score (spec §4).
//!
//! ```text
//! V   = V_c + V_f + V_S
//! V_c = Σ_{i,j<n'} K_ij (1 − cos(θ_i − θ_j))                 coupling energy
//! V_f = λ_ω Σ_i ((θ_i − θ_prev,i)/dt − ω_i)²                 frequency penalty
//! V_S = λ_S max(0, ln n_eval − H)                            concentration penalty
//! coherence = clamp(1 − V / v_max, 0, 1),  v_max = 2 ΣK
//! ```
//!
//! H is the entropy of a von Mises kernel density (κ = 2) of the phases on
//! `n_eval = max(L, 16)` grid points.
//!
//! How this differs from the reference (see COMPATIBILITY.md):
//!
//! * `1 − cos(θ_i − θ_j) = 2 (sin(θ_i/2) cos(θ_j/2) − cos(θ_i/2) sin(θ_j/2))²`:
//!   O(N) trigonometry, no cancellation, and exactly 0 for equal phases in
//!   any precision (the O(N) cosine identity would leave ≈1e-5 in f32).
//! * The entropy's constant normalisation (I0(κ)·2π·L) cancels and is
//!   dropped, and `H = ln D − Σ d_k ln d_k / D` with `D = Σ d_k`, one pass
//!   without storing the density.
//! * An empty `theta`, and a `theta_prev` of another length, are errors
//!   (the reference: R = NaN, and a comparison of the shorter prefix);
//!   `dt` must be finite; K must be finite and ≥ 0 (the reference masks
//!   NaN K as "coherence 0"); [`SECFunctional::reset`] forgets the
//!   previous V.
//!
//! Kept as the reference has them (spec §9 items 12, 16): `v_max = 2ΣK` is
//! not a true maximum (it assumes every pair anti-phase, impossible for
//! N > 2) and V_f (rad²/s²) and V_S are added to a coupling energy
//! normalised by a coupling-only bound, so the score rarely nears 0 from
//! coupling alone but collapses from any frequency mismatch; and
//! `update_coupling` keeps the previous V, so dV/dt stays continuous for a
//! caller that updates K every step (call `reset` to start afresh).
//!
//! ```
//! use backfire_nostd::physics::SECFunctional;
//!
//! let mut sec = SECFunctional::<f64>::default();
//! let r = sec.evaluate(&[0.0; 16], None, 0.01).unwrap();
//! assert!((r.coherence_score - 0.99990587935604).abs() < 1e-12);
//! ```

use core::f64::consts::TAU;

use crate::check::{
    ParamError, check_each, check_finite, check_non_negative, to_backend, to_backend_array, to_backend_matrix,
};
use crate::num::Transcendental;
use crate::physics::constants::{KNM, N_LAYERS, OMEGA_N};
use crate::physics::error::PhysicsError;
use crate::physics::upde::{order_parameter, order_parameter_from_sums};

/// Default weight of the frequency penalty λ_ω.
pub const DEFAULT_LAMBDA_OMEGA: f64 = 0.1;
/// Default weight of the entropy penalty λ_S.
pub const DEFAULT_LAMBDA_ENTROPY: f64 = 0.01;
/// Von Mises concentration κ of the density estimate.
pub const VON_MISES_KAPPA: f64 = 2.0;
/// Minimum number of density evaluation points.
pub const MIN_EVAL_POINTS: usize = 16;
/// Floor of `dt` and of `v_max`.
pub const FLOOR: f64 = 1e-12;

/// One evaluation of the functional. Field names are the reference's
/// (and the Python dict keys).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SECResult<T> {
    /// Total V (replaced by `v_max` if it was not finite).
    pub v: T,
    /// `clamp(V / v_max, 0, 1)`.
    pub v_normalised: T,
    /// Kuramoto order parameter of all input phases (0 for none).
    pub r_global: T,
    /// `(V − V_prev) / max(dt, 1e-12)`; 0 on the first call after
    /// construction or [`SECFunctional::reset`], and when not finite.
    pub dv_dt: T,
    /// `clamp(1 − v_normalised, 0, 1)`.
    pub coherence_score: T,
    /// Coupling energy V_c (raw).
    pub v_coupling: T,
    /// Frequency penalty V_f (raw; may be +∞ while `v == v_max`).
    pub v_frequency: T,
    /// Entropy penalty V_S (raw).
    pub v_entropy: T,
}

impl<T: PartialOrd> SECResult<T> {
    /// `true` if dV/dt is at most `tolerance` (the reference's
    /// `SECFunctional::is_stable(result, tolerance)`).
    pub fn is_stable(&self, tolerance: T) -> bool {
        self.dv_dt <= tolerance
    }
}

/// The SEC functional over `N` oscillators, with the previous V for dV/dt.
#[derive(Clone, Debug, PartialEq)]
pub struct SECFunctional<T, const N: usize = N_LAYERS> {
    knm: [[T; N]; N],
    omega: [T; N],
    omega_f64: [f64; N],
    lambda_omega: T,
    lambda_entropy: T,
    v_max: T,
    prev_v: Option<T>,
    unwrap_frequency: bool,
}

impl<T: Transcendental> SECFunctional<T, N_LAYERS> {
    /// The canonical model ([`KNM`], [`OMEGA_N`]) with the given weights
    /// (finite, ≥ 0).
    pub fn new(lambda_omega: f64, lambda_entropy: f64) -> Result<Self, ParamError> {
        Self::with_params(KNM, OMEGA_N, lambda_omega, lambda_entropy)
    }
}

impl<T: Transcendental> Default for SECFunctional<T, N_LAYERS> {
    /// The canonical model with λ_ω = 0.1, λ_S = 0.01.
    fn default() -> Self {
        Self::from_parts(
            KNM.map(|row| row.map(T::from_f64)),
            v_max_of(&KNM),
            OMEGA_N.map(T::from_f64),
            OMEGA_N,
            T::from_f64(DEFAULT_LAMBDA_OMEGA),
            T::from_f64(DEFAULT_LAMBDA_ENTROPY),
        )
    }
}

impl<T: Transcendental, const N: usize> SECFunctional<T, N> {
    /// Arbitrary couplings (finite, ≥ 0) and frequencies (finite). Note the
    /// reference's argument order: matrix first. Every parameter must also
    /// be representable in `T` (e.g. `λ_ω = 1e300` is rejected for `f32`).
    pub fn with_params(
        knm: [[f64; N]; N],
        omega: [f64; N],
        lambda_omega: f64,
        lambda_entropy: f64,
    ) -> Result<Self, ParamError> {
        check_each("omega", &omega, check_finite)?;
        check_coupling(&knm)?;
        let lambda_omega = check_non_negative("lambda_omega", lambda_omega)?;
        let lambda_entropy = check_non_negative("lambda_entropy", lambda_entropy)?;
        Ok(Self::from_parts(
            to_backend_matrix("knm", &knm)?,
            v_max_of(&knm),
            to_backend_array("omega", &omega)?,
            omega,
            to_backend("lambda_omega", lambda_omega)?,
            to_backend("lambda_entropy", lambda_entropy)?,
        ))
    }

    /// A functional with no previous V from parameters already in `T`,
    /// unchecked.
    const fn from_parts(
        knm: [[T; N]; N],
        v_max: T,
        omega: [T; N],
        omega_f64: [f64; N],
        lambda_omega: T,
        lambda_entropy: T,
    ) -> Self {
        SECFunctional {
            knm,
            omega,
            omega_f64,
            lambda_omega,
            lambda_entropy,
            v_max,
            prev_v: None,
            unwrap_frequency: false,
        }
    }

    /// Replaces K (finite, ≥ 0, representable in `T`) and recomputes `v_max`. ω, the weights and
    /// the previous V are unchanged (call [`Self::reset`] to forget it).
    pub fn update_coupling(&mut self, knm: &[[f64; N]; N]) -> Result<(), ParamError> {
        check_coupling(knm)?;
        self.knm = to_backend_matrix("knm", knm)?;
        self.v_max = v_max_of(knm);
        Ok(())
    }

    /// Forgets the previous V: the next evaluation reports dV/dt = 0.
    pub fn reset(&mut self) {
        self.prev_v = None;
    }

    /// Maps each phase difference of the frequency penalty into (−π, π]
    /// before dividing by dt, so a phase crossing 0/2π between snapshots
    /// does not read as a ±2π/dt spike (spec §9 item 11). Off by default,
    /// for reference parity.
    pub fn set_unwrap_frequency(&mut self, on: bool) {
        self.unwrap_frequency = on;
    }

    /// The normaliser `max(2 ΣK, 1e-12)`.
    pub fn v_max(&self) -> T {
        self.v_max
    }
    /// The coupling matrix in the backend type.
    pub fn knm(&self) -> &[[T; N]; N] {
        &self.knm
    }
    /// The natural frequencies in the backend type.
    pub fn omega(&self) -> &[T; N] {
        &self.omega
    }
    /// The V of the last successful evaluation, if any.
    pub fn prev_v(&self) -> Option<T> {
        self.prev_v
    }

    /// Scores a snapshot `theta` (any non-zero length, as in the reference:
    /// V_c reads the first `min(len, N)` phases, the entropy and R all of
    /// them), optionally against the previous snapshot `theta_prev` taken
    /// `dt` earlier.
    ///
    /// Errors (nothing changes): `"theta contains NaN or Inf"`,
    /// `"theta_prev contains NaN or Inf"`, non-finite `dt`, an empty
    /// `theta` (the reference scored it R = NaN), a `theta_prev` of another
    /// length (the reference compared the shorter prefix). A `dt ≤ 0` is
    /// floored at 1e-12 as in the reference.
    pub fn evaluate(
        &mut self,
        theta: &[T],
        theta_prev: Option<&[T]>,
        dt: T,
    ) -> Result<SECResult<T>, PhysicsError> {
        if theta.iter().any(|x| !x.is_finite()) {
            return Err(PhysicsError::NonFiniteTheta);
        }
        if theta_prev.is_some_and(|p| p.iter().any(|x| !x.is_finite())) {
            return Err(PhysicsError::NonFinitePrev);
        }
        if theta.is_empty() {
            return Err(PhysicsError::EmptyTheta);
        }
        if let Some(prev) = theta_prev.filter(|p| p.len() != theta.len()) {
            return Err(PhysicsError::PrevLength { expected: theta.len(), got: prev.len() });
        }
        check_finite("dt", dt.to_f64())?;
        let v_coupling = self.coupling_potential(theta);
        let v_frequency = self.frequency_penalty(theta, theta_prev, dt);
        // One pass of sines and cosines serves the density and R.
        let trig = PhaseTrig::of(theta);
        let v_entropy = self.entropy_penalty(density_entropy(theta, trig.as_ref()));
        let mut v = v_coupling + v_frequency + v_entropy;
        if !v.is_finite() {
            v = self.v_max;
        }
        let v_normalised = (v / self.v_max).clamp_to(T::ZERO, T::ONE);
        let dv_dt = match self.prev_v {
            None => T::ZERO,
            Some(prev) => {
                let d = (v - prev) / floor_dt(dt);
                if d.is_finite() { d } else { T::ZERO }
            }
        };
        self.prev_v = Some(v);
        Ok(SECResult {
            v,
            v_normalised,
            r_global: match &trig {
                Some(t) => order_parameter_from_sums(t.sum_sin, t.sum_cos, theta.len()),
                None => order_parameter(theta),
            },
            dv_dt,
            coherence_score: (T::ONE - v_normalised).clamp_to(T::ZERO, T::ONE),
            v_coupling,
            v_frequency,
            v_entropy,
        })
    }

    /// V_c over the first `min(len, N)` phases (the top-left block of K);
    /// ≥ 0, and exactly 0 for equal phases.
    pub fn coupling_potential(&self, theta: &[T]) -> T {
        let half = T::ONE / (T::ONE + T::ONE);
        let mut sin_half = [T::ZERO; N];
        let mut cos_half = [T::ZERO; N];
        let n = theta.len().min(N);
        for ((&x, s), c) in theta.iter().zip(sin_half.iter_mut()).zip(cos_half.iter_mut()) {
            (*s, *c) = (x * half).sin_cos();
        }
        let mut total = T::ZERO;
        for ((row, &a_i), &b_i) in self.knm.iter().zip(&sin_half).zip(&cos_half).take(n) {
            let mut row_sum = T::ZERO;
            for ((&k, &a_j), &b_j) in row.iter().zip(&sin_half).zip(&cos_half).take(n) {
                // sin((θ_i − θ_j)/2)
                let d = a_i * b_j - b_i * a_j;
                row_sum = row_sum + k * (d * d);
            }
            total = total + row_sum;
        }
        let v = (T::ONE + T::ONE) * total;
        v.max(T::ZERO)
    }

    /// V_f over the first `min(len θ, N, len prev)` phases; exactly 0
    /// without previous phases.
    pub fn frequency_penalty(&self, theta: &[T], theta_prev: Option<&[T]>, dt: T) -> T {
        let Some(prev) = theta_prev else {
            return T::ZERO;
        };
        let h = floor_dt(dt);
        let pi = T::from_f64(core::f64::consts::PI);
        let tau = T::from_f64(TAU);
        let mut sum = T::ZERO;
        for ((&x, &p), &w) in theta.iter().zip(prev).zip(&self.omega) {
            let mut d = x - p;
            if self.unwrap_frequency && (d > pi || d <= -pi) {
                d = d - tau * T::from_f64(libm::round((d / tau).to_f64()));
                if d <= -pi {
                    d = d + tau;
                }
            }
            let e = d / h - w;
            sum = sum + e * e;
        }
        self.lambda_omega * sum
    }

    /// V_S over all phases; 0 for none, 0 for an exact splay, at most
    /// `λ_S · ln n_eval`.
    pub fn entropy_term(&self, theta: &[T]) -> T {
        self.entropy_penalty(density_entropy(theta, PhaseTrig::of(theta).as_ref()))
    }

    /// V_S from the result of [`density_entropy`].
    fn entropy_penalty(&self, h: Option<(T, T)>) -> T {
        match h {
            None => T::ZERO,
            Some((h, ln_n_eval)) => self.lambda_entropy * (ln_n_eval - h).max(T::ZERO),
        }
    }

    /// Textbook critical coupling `σ_ω·√(8/π)` for a Gaussian frequency
    /// spread (population σ); 0 if the spread is below 1e-12. Depends on
    /// ω only; see spec §9 item 18 for why it is of limited meaning here.
    pub fn critical_coupling(&self) -> T {
        let n = N as f64;
        let mean = self.omega_f64.iter().sum::<f64>() / n;
        let var = self.omega_f64.iter().map(|w| (w - mean) * (w - mean)).sum::<f64>() / n;
        let sigma = crate::num::sqrt(var);
        if sigma.is_nan() || sigma < FLOOR {
            return T::ZERO;
        }
        let g0 = 1.0 / (crate::num::sqrt(TAU) * sigma);
        T::from_f64(2.0 / (core::f64::consts::PI * g0))
    }
}

fn check_coupling<const N: usize>(knm: &[[f64; N]; N]) -> Result<(), ParamError> {
    check_each("knm", knm.iter().flatten(), check_non_negative)
}

/// The normaliser `max(2 ΣK, 1e-12)` of a coupling matrix.
fn v_max_of<T: Transcendental, const N: usize>(knm: &[[f64; N]; N]) -> T {
    // Row-major sum in f64, as the reference sums the flattened matrix.
    let total: f64 = knm.iter().flatten().sum();
    T::from_f64((2.0 * total).max(FLOOR))
}

fn floor_dt<T: Transcendental>(dt: T) -> T {
    dt.max(T::from_f64(FLOOR))
}

/// Sines and cosines of at most [`MIN_EVAL_POINTS`] phases (the usual
/// 16-layer case), and their sums in index order.
struct PhaseTrig<T> {
    sin: [T; MIN_EVAL_POINTS],
    cos: [T; MIN_EVAL_POINTS],
    sum_sin: T,
    sum_cos: T,
}

impl<T: Transcendental> PhaseTrig<T> {
    /// `None` for longer inputs, whose density recomputes per grid point.
    fn of(theta: &[T]) -> Option<Self> {
        if theta.len() > MIN_EVAL_POINTS {
            return None;
        }
        let mut trig = PhaseTrig {
            sin: [T::ZERO; MIN_EVAL_POINTS],
            cos: [T::ZERO; MIN_EVAL_POINTS],
            sum_sin: T::ZERO,
            sum_cos: T::ZERO,
        };
        for ((&x, s), c) in theta.iter().zip(trig.sin.iter_mut()).zip(trig.cos.iter_mut()) {
            (*s, *c) = x.sin_cos();
            trig.sum_sin = trig.sum_sin + *s;
            trig.sum_cos = trig.sum_cos + *c;
        }
        Some(trig)
    }
}

/// The entropy H of the von Mises density of `theta` on `n_eval` grid
/// points, and `ln n_eval`; `None` for no phases. `trig` is
/// [`PhaseTrig::of`] `theta`.
fn density_entropy<T: Transcendental>(theta: &[T], trig: Option<&PhaseTrig<T>>) -> Option<(T, T)> {
    if theta.is_empty() {
        return None;
    }
    let n_eval = theta.len().max(MIN_EVAL_POINTS);
    let n_eval_t = T::from_u32(u32::try_from(n_eval).unwrap_or(u32::MAX));
    let kappa = T::from_f64(VON_MISES_KAPPA);
    let tau = T::from_f64(TAU);
    let (mut total, mut weighted_log) = (T::ZERO, T::ZERO);
    for k in 0..n_eval {
        let x_k = T::from_u32(u32::try_from(k).unwrap_or(u32::MAX)) / n_eval_t * tau;
        let (sin_x, cos_x) = x_k.sin_cos();
        let mut d = T::ZERO;
        if let Some(trig) = trig {
            for (&s, &c) in trig.sin.iter().zip(&trig.cos).take(theta.len()) {
                // cos(x_k − θ_j) by the angle-difference identity
                d = d + (kappa * (cos_x * c + sin_x * s)).exp();
            }
        } else {
            for &x in theta {
                d = d + (kappa * (x_k - x).cos()).exp();
            }
        }
        total = total + d;
        weighted_log = weighted_log + d * d.ln();
    }
    if total.is_nan() || total <= T::from_f64(FLOOR) {
        return None;
    }
    // H = −Σ p ln p with p = d / D  ⇔  H = ln D − Σ d ln d / D
    Some((total.ln() - weighted_log / total, n_eval_t.ln()))
}

/// The reference's Abramowitz & Stegun 9.8.1/9.8.2 approximation of the
/// modified Bessel function I0. Kept for parity and tests: the functional
/// no longer needs it, because the constant cancels.
pub fn bessel_i0_approx(x: f64) -> f64 {
    let a = x.abs();
    if a < 3.75 {
        let t = (a / 3.75) * (a / 3.75);
        1.0 + t
            * (3.5156229
                + t * (3.0899424 + t * (1.2067492 + t * (0.2659732 + t * (0.0360768 + t * 0.0045813)))))
    } else {
        let t = 3.75 / a;
        (libm::exp(a) / crate::num::sqrt(a))
            * (0.39894228
                + t * (0.01328592
                    + t * (0.00225319
                        + t * (-0.00157565
                            + t * (0.00916281
                                + t * (-0.02057706
                                    + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377))))))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::render;

    #[test]
    fn bessel_values_match_spec() {
        assert_eq!(bessel_i0_approx(0.0), 1.0);
        assert!((bessel_i0_approx(2.0) - 2.279585307296026).abs() < 1e-14);
        assert!((bessel_i0_approx(3.75) - 9.118945993790991).abs() < 1e-12);
        assert!((bessel_i0_approx(5.0) - 27.23987189439489).abs() < 1e-11);
        assert!((bessel_i0_approx(-2.0) - 2.2796).abs() < 1e-3);
    }

    #[test]
    fn construction_validates() {
        assert!(SECFunctional::<f64>::new(0.1, 0.01).is_ok());
        assert_eq!(SECFunctional::<f64>::new(-0.1, 0.01).unwrap_err().field, "lambda_omega");
        assert_eq!(SECFunctional::<f32>::new(0.1, f64::NAN).unwrap_err().field, "lambda_entropy");
        let mut k = KNM;
        k[2][3] = -0.1;
        assert_eq!(SECFunctional::<f64>::with_params(k, OMEGA_N, 0.1, 0.01).unwrap_err().field, "knm");
        let mut sec = SECFunctional::<f64>::default();
        k[2][3] = f64::NAN;
        assert!(sec.update_coupling(&k).is_err());
        assert!((sec.v_max() - 60.72586739881159).abs() < 1e-12);
    }

    #[test]
    fn empty_theta_and_mismatched_prev_are_rejected_without_change() {
        let mut sec = SECFunctional::<f64>::default();
        let theta = [0.3; 16];
        sec.evaluate(&theta, None, 0.01).unwrap();
        let before = sec.prev_v();
        let err = sec.evaluate(&[], None, 0.01).unwrap_err();
        assert_eq!(err, PhysicsError::EmptyTheta);
        assert_eq!(render(&err).as_str(), "theta must not be empty");
        let err = sec.evaluate(&theta, Some(&[0.3; 15]), 0.01).unwrap_err();
        assert_eq!(err, PhysicsError::PrevLength { expected: 16, got: 15 });
        assert_eq!(render(&err).as_str(), "theta_prev must have the length of theta (16), got 15");
        assert_eq!(sec.prev_v(), before);
        // Other lengths stay accepted, with a previous snapshot of the same length.
        assert!(sec.evaluate(&[0.1; 5], Some(&[0.2; 5]), 0.01).is_ok());
    }

    #[test]
    fn shared_trig_pass_gives_the_same_r_bit_for_bit() {
        let phases: [f64; 20] = core::array::from_fn(|i| 0.37 * i as f64 + 0.1);
        for len in [1, 7, 16, 17, 20] {
            let theta = &phases[..len];
            let r = SECFunctional::<f64>::default().evaluate(theta, None, 0.01).unwrap().r_global;
            assert_eq!(r.to_bits(), order_parameter(theta).to_bits(), "len {len}");
            let theta32: [f32; 20] = phases.map(|x| x as f32);
            let r = SECFunctional::<f32>::default().evaluate(&theta32[..len], None, 0.01).unwrap().r_global;
            assert_eq!(r.to_bits(), order_parameter(&theta32[..len]).to_bits(), "len {len}");
        }
    }

    #[test]
    fn parameters_must_fit_the_number_type() {
        assert!(SECFunctional::<f64>::new(1e300, 0.01).is_ok());
        let e = SECFunctional::<f32>::new(1e300, 0.01).unwrap_err();
        assert_eq!(e, ParamError::new("lambda_omega", 1e300, "representable in the number type"));
        let mut k = KNM;
        k[1][2] = 1e300;
        assert_eq!(SECFunctional::<f32>::with_params(k, OMEGA_N, 0.1, 0.01).unwrap_err().field, "knm");
        let mut sec = SECFunctional::<f32>::default();
        assert!(sec.update_coupling(&k).is_err());
        assert_eq!(sec.knm(), SECFunctional::<f32>::default().knm());
    }

    #[test]
    fn errors_leave_state_untouched() {
        let mut sec = SECFunctional::<f64>::default();
        sec.evaluate(&[0.1; 16], None, 0.01).unwrap();
        let prev = sec.prev_v();
        assert_eq!(sec.evaluate(&[f64::NAN; 16], None, 0.01).unwrap_err(), PhysicsError::NonFiniteTheta);
        assert_eq!(
            sec.evaluate(&[0.0; 16], Some(&[f64::INFINITY; 16]), 0.01).unwrap_err(),
            PhysicsError::NonFinitePrev
        );
        assert!(matches!(sec.evaluate(&[0.0; 16], None, f64::NAN), Err(PhysicsError::Param(_))));
        assert_eq!(sec.prev_v(), prev);
    }

    #[test]
    fn unwrap_option_removes_the_wrap_spike() {
        let mut sec = SECFunctional::<f64>::default();
        let theta = [0.01; 16];
        let prev = [TAU - 0.01; 16];
        let raw = sec.frequency_penalty(&theta, Some(&prev), 0.01);
        sec.set_unwrap_frequency(true);
        let unwrapped = sec.frequency_penalty(&theta, Some(&prev), 0.01);
        // Unwrapped difference 0.02 rad → 2 rad/s against each ω.
        let want: f64 = 0.1 * OMEGA_N.iter().map(|w| (2.0 - w) * (2.0 - w)).sum::<f64>();
        assert!((unwrapped - want).abs() < 1e-6 * want, "{unwrapped} vs {want}");
        assert!(raw > 100.0 * unwrapped);
    }
}
