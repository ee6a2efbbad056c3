//! The UPDE stepper: `N` coupled phase oscillators (Kuramoto coupling, a
//! cosine field term, additive Gaussian noise) advanced by fixed-step
//! Euler–Maruyama (spec §3).
//!
//! ```text
//! drift_n = ω_n + Σ_m K[n][m]·sin(θ_m − θ_n) + F·cos θ_n
//! θ'_n    = (θ_n + drift_n·dt + σ·√dt·ξ_n) mod 2π,   ξ_n ~ N(0, 1)
//! ```
//!
//! Differences from the reference, all deliberate (see COMPATIBILITY.md):
//!
//! * **O(N) trigonometry.** `sin(θ_m − θ_n) = sin θ_m cos θ_n − cos θ_m sin θ_n`,
//!   so a step needs the sines and cosines of the N phases (cached in the
//!   state by the previous step, which also serve R when it is read) and two
//!   mat-vec products instead of N² sines. For the canonical K (an
//!   exponential `b·q^{|n−m|}` with six anchor pairs) the f64 backend
//!   replaces the mat-vecs by O(N) recursions (`physics::coupling`).
//! * **SIMD f64 step**: table sine/cosine,
//!   branch-free `ln` and batched normals ([`SimpleRng::fill_normals`]),
//!   within a few ulp of `libm`, so the results agree with the reference to
//!   rounding, not bit for bit.
//! * **In place, no allocation**: [`UPDEStepper::step`] updates a
//!   [`UPDEState`] of fixed arrays.
//! * **Explicit seed**: the RNG is passed in; the std layer seeds from the
//!   clock when no seed is given.
//! * **Validated parameters** ([`UPDEParams`]), and a step that would
//!   produce NaN/±∞ is rejected before anything changes.
//! * **Time** is summed with compensation, so 100 steps of 0.01 give
//!   `t = 1.0` (the reference's plain sum gives 1.0000000000000007).
//!
//! The noise stream is the reference's: one normal per oscillator per step
//! in index order, drawn even when σ = 0, so a seeded f64 run reproduces
//! the reference trajectory.
//!
//! ```
//! use backfire_nostd::physics::{UPDEParams, UPDEState, UPDEStepper};
//! use backfire_nostd::rng::SimpleRng;
//!
//! let params = UPDEParams::canonical(0.01, 0.1, 0.05).unwrap();
//! let mut stepper = UPDEStepper::<f64>::new(params, SimpleRng::new(42));
//! let mut state = UPDEState::<f64>::new(&[0.0; 16]).unwrap();
//! stepper.run(&mut state, 100).unwrap();
//! assert_eq!(state.step_count(), 100);
//! assert!((state.r_global() - 0.7576618317313849).abs() < 1e-9);
//! ```

use crate::check::{ParamError, check_each, check_finite, check_non_negative, check_positive};
use crate::num::{NeumaierSum, PhaseBackend, Transcendental};
use crate::physics::constants::{KNM, N_LAYERS, OMEGA_N};
use crate::physics::coupling::CouplingPlan;
use crate::physics::error::PhysicsError;
use crate::rng::SimpleRng;

/// Default step (s).
pub const DEFAULT_DT: f64 = 0.01;
/// Default field pressure F.
pub const DEFAULT_FIELD_PRESSURE: f64 = 0.1;
/// Default noise amplitude σ.
pub const DEFAULT_NOISE_AMPLITUDE: f64 = 0.05;

/// Validated stepper parameters: finite ω and K, `dt` finite and > 0,
/// `F` finite, `σ` finite and ≥ 0. K need not be symmetric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UPDEParams<const N: usize = N_LAYERS> {
    omega: [f64; N],
    knm: [[f64; N]; N],
    dt: f64,
    field_pressure: f64,
    noise_amplitude: f64,
}

impl UPDEParams<N_LAYERS> {
    /// The canonical 16-layer model ([`OMEGA_N`], [`KNM`]) with the given
    /// step, field pressure and noise amplitude.
    ///
    /// ```
    /// use backfire_nostd::physics::UPDEParams;
    /// assert!(UPDEParams::canonical(0.01, 0.1, 0.05).is_ok());
    /// let err = UPDEParams::canonical(-0.01, 0.1, 0.05).unwrap_err();
    /// assert_eq!(err.to_string(), "dt must be finite and > 0, got -0.01");
    /// ```
    pub fn canonical(dt: f64, field_pressure: f64, noise_amplitude: f64) -> Result<Self, ParamError> {
        Self::new(OMEGA_N, KNM, dt, field_pressure, noise_amplitude)
    }
}

impl Default for UPDEParams<N_LAYERS> {
    /// The canonical model with dt = 0.01, F = 0.1, σ = 0.05.
    fn default() -> Self {
        UPDEParams {
            omega: OMEGA_N,
            knm: KNM,
            dt: DEFAULT_DT,
            field_pressure: DEFAULT_FIELD_PRESSURE,
            noise_amplitude: DEFAULT_NOISE_AMPLITUDE,
        }
    }
}

impl<const N: usize> UPDEParams<N> {
    /// Validates arbitrary frequencies and couplings.
    pub fn new(
        omega: [f64; N],
        knm: [[f64; N]; N],
        dt: f64,
        field_pressure: f64,
        noise_amplitude: f64,
    ) -> Result<Self, ParamError> {
        check_each("omega", omega.iter(), check_finite)?;
        check_each("knm", knm.iter().flatten(), check_finite)?;
        Ok(UPDEParams {
            omega,
            knm,
            dt: check_positive("dt", dt)?,
            field_pressure: check_finite("field_pressure", field_pressure)?,
            noise_amplitude: check_non_negative("noise_amplitude", noise_amplitude)?,
        })
    }

    /// Natural frequencies ω (rad/s).
    pub fn omega(&self) -> &[f64; N] {
        &self.omega
    }
    /// Coupling matrix K (`K[n][m]` acts on oscillator n).
    pub fn knm(&self) -> &[[f64; N]; N] {
        &self.knm
    }
    /// Step dt (s).
    pub fn dt(&self) -> f64 {
        self.dt
    }
    /// Field pressure F.
    pub fn field_pressure(&self) -> f64 {
        self.field_pressure
    }
    /// Noise amplitude σ.
    pub fn noise_amplitude(&self) -> f64 {
        self.noise_amplitude
    }

    /// Replaces dt (finite, > 0).
    pub fn set_dt(&mut self, dt: f64) -> Result<(), ParamError> {
        self.dt = check_positive("dt", dt)?;
        Ok(())
    }
    /// Replaces F (finite).
    pub fn set_field_pressure(&mut self, f: f64) -> Result<(), ParamError> {
        self.field_pressure = check_finite("field_pressure", f)?;
        Ok(())
    }
    /// Replaces σ (finite, ≥ 0).
    pub fn set_noise_amplitude(&mut self, sigma: f64) -> Result<(), ParamError> {
        self.noise_amplitude = check_non_negative("noise_amplitude", sigma)?;
        Ok(())
    }
    /// Replaces ω (all finite).
    pub fn set_omega(&mut self, omega: [f64; N]) -> Result<(), ParamError> {
        check_each("omega", omega.iter(), check_finite)?;
        self.omega = omega;
        Ok(())
    }
    /// Replaces K (all finite).
    pub fn set_knm(&mut self, knm: [[f64; N]; N]) -> Result<(), ParamError> {
        check_each("knm", knm.iter().flatten(), check_finite)?;
        self.knm = knm;
        Ok(())
    }
}

/// Kuramoto order parameter `R = |Σ e^{iθ}| / n`, clamped to `[0, 1]`;
/// 0 for an empty slice. Sums run in index order.
///
/// ```
/// use backfire_nostd::physics::order_parameter;
/// assert!((order_parameter(&[0.5f64; 16]) - 1.0).abs() < 1e-12);
/// assert_eq!(order_parameter::<f64>(&[]), 0.0);
/// ```
pub fn order_parameter<T: Transcendental>(theta: &[T]) -> T {
    let (mut s, mut c) = (T::ZERO, T::ZERO);
    for &x in theta {
        let (sx, cx) = x.sin_cos();
        s = s + sx;
        c = c + cx;
    }
    order_parameter_from_sums(s, c, theta.len())
}

/// R from the sums of sines and cosines of `n` phases.
pub fn order_parameter_from_sums<T: Transcendental>(sum_sin: T, sum_cos: T, n: usize) -> T {
    if n == 0 {
        return T::ZERO;
    }
    let n = T::from_u32(u32::try_from(n).unwrap_or(u32::MAX));
    let (s, c) = (sum_sin / n, sum_cos / n);
    (s * s + c * c).sqrt().clamp_to(T::ZERO, T::ONE)
}

/// The state of `N` oscillators: phases in `[0, 2π)`, the last step's
/// noise-free velocities, time, step count and R.
///
/// [`Self::new`], [`Self::from_slice`], [`Self::random`] and every step
/// give finite phases in `[0, 2π)`. [`Self::from_phases`] trusts its
/// caller to supply such phases; binary-angle phases (the `f32` and `Q16`
/// backends) always are, `f64` radians are not checked there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UPDEState<T: PhaseBackend, const N: usize = N_LAYERS> {
    theta: [T::Phase; N],
    dtheta_dt: [T; N],
    sin: [T; N],
    cos: [T; N],
    time: NeumaierSum<f64>,
    step_count: u64,
}

impl<T: PhaseBackend, const N: usize> UPDEState<T, N> {
    /// A state at `t = 0` from phases in radians (any finite value; wrapped
    /// into `[0, 2π)`), velocities zero.
    ///
    /// ```
    /// use backfire_nostd::physics::UPDEState;
    /// let s = UPDEState::<f64, 3>::new(&[7.0, -1.0, 0.0]).unwrap();
    /// assert!((s.theta_radians()[0] - (7.0 - core::f64::consts::TAU)).abs() < 1e-15);
    /// assert!(UPDEState::<f64, 2>::new(&[f64::NAN, 0.0]).is_err());
    /// ```
    pub fn new(theta: &[f64; N]) -> Result<Self, PhysicsError> {
        if theta.iter().any(|x| !x.is_finite()) {
            return Err(PhysicsError::NonFiniteInput);
        }
        Ok(Self::from_phases(theta.map(T::phase_from_radians)))
    }

    /// [`Self::new`] from a slice: `"theta length mismatch"` unless it has
    /// exactly `N` entries, then the finiteness check.
    pub fn from_slice(theta: &[f64]) -> Result<Self, PhysicsError> {
        let array: &[f64; N] =
            theta.try_into().map_err(|_| PhysicsError::ThetaLength { expected: N, got: theta.len() })?;
        Self::new(array)
    }

    /// A state from phases already in the backend's representation.
    ///
    /// Not checked: for the `f64` backend (radians) the phases must be
    /// finite and in `[0, 2π)`, as [`PhaseRepr::from_radians`] gives them;
    /// otherwise [`Self::theta_radians`] reports them unwrapped until the
    /// first step (a NaN or ±∞ phase makes that step fail with
    /// [`PhysicsError::NonFiniteResult`]). Use [`Self::new`] for radians
    /// from elsewhere.
    ///
    /// [`PhaseRepr::from_radians`]: crate::num::PhaseRepr::from_radians
    pub fn from_phases(theta: [T::Phase; N]) -> Self {
        let mut state = UPDEState {
            theta,
            dtheta_dt: [T::ZERO; N],
            sin: [T::ZERO; N],
            cos: [T::ZERO; N],
            time: NeumaierSum::default(),
            step_count: 0,
        };
        state.refresh_trig();
        state
    }

    /// Phases `next_f64() · 2π` drawn from `rng`, in index order (the
    /// reference's `UPDEState::random` with an explicit generator).
    pub fn random(rng: &mut SimpleRng) -> Self {
        let theta = core::array::from_fn(|_| T::phase_from_radians(rng.next_f64() * core::f64::consts::TAU));
        Self::from_phases(theta)
    }

    /// The same state with its clock set to `t` (finite) and `step_count`,
    /// e.g. to resume a saved run.
    pub fn with_clock(mut self, t: f64, step_count: u64) -> Result<Self, ParamError> {
        let mut time = NeumaierSum::default();
        time.add(check_finite("t", t)?);
        self.time = time;
        self.step_count = step_count;
        Ok(self)
    }

    /// The same state with its clock taken from another state's compensated
    /// time sum (lossless resume).
    pub fn with_time_sum(mut self, time: NeumaierSum<f64>, step_count: u64) -> Self {
        self.time = time;
        self.step_count = step_count;
        self
    }

    /// Phases in the backend's representation.
    pub fn phases(&self) -> &[T::Phase; N] {
        &self.theta
    }
    /// Phases in radians, each in `[0, 2π)` (given the precondition of
    /// [`Self::from_phases`]).
    pub fn theta_radians(&self) -> [f64; N] {
        self.theta.map(T::phase_to_radians)
    }
    /// Noise-free phase velocities of the last step (zeros before the first).
    pub fn dtheta_dt(&self) -> &[T; N] {
        &self.dtheta_dt
    }
    /// Simulated time (s).
    pub fn t(&self) -> f64 {
        self.time.value()
    }
    /// The compensated time sum (see [`Self::with_time_sum`]).
    pub fn time_sum(&self) -> NeumaierSum<f64> {
        self.time
    }
    /// Number of steps taken.
    pub fn step_count(&self) -> u64 {
        self.step_count
    }
    /// Kuramoto order parameter R of the current phases, in `[0, 1]`.
    ///
    /// Computed when asked, from the sines and cosines the state caches
    /// for the next step (16 additions and a square root for N = 16): a
    /// step does not pay for an R nobody reads. The sums run in index
    /// order, so every read gives the same bits.
    pub fn r_global(&self) -> T {
        let (mut s, mut c) = (T::ZERO, T::ZERO);
        for (&sin, &cos) in self.sin.iter().zip(&self.cos) {
            s = s + sin;
            c = c + cos;
        }
        order_parameter_from_sums(s, c, N)
    }

    #[inline(always)]
    fn refresh_trig(&mut self) {
        if T::BATCHED {
            T::phase_sin_cos_batch(&self.theta, &mut self.sin, &mut self.cos);
        } else {
            for ((phase, sin), cos) in self.theta.iter().zip(self.sin.iter_mut()).zip(self.cos.iter_mut()) {
                (*sin, *cos) = T::phase_sin_cos(*phase);
            }
        }
    }
}

/// Advances [`UPDEState`]s with fixed parameters and its own noise stream.
#[derive(Clone, Debug)]
pub struct UPDEStepper<T: PhaseBackend, const N: usize = N_LAYERS> {
    params: UPDEParams<N>,
    omega: [T; N],
    /// How K multiplies the sine and cosine vectors (dense, or O(N) for
    /// the exponential shape of the canonical matrix).
    coupling: CouplingPlan<T, N>,
    field_pressure: T,
    increments: [T::Increment; N],
    rng: SimpleRng,
    /// Skip the normal draws while σ = 0 (not stream-compatible).
    skip_silent_noise: bool,
    /// Whether this step draws noise: always, unless skipping and σ = 0.
    draw_noise: bool,
}

impl<T: PhaseBackend> UPDEStepper<T, N_LAYERS> {
    /// The canonical model with the given dt, F, σ (validated).
    pub fn canonical(
        dt: f64,
        field_pressure: f64,
        noise_amplitude: f64,
        rng: SimpleRng,
    ) -> Result<Self, ParamError> {
        Ok(Self::new(UPDEParams::canonical(dt, field_pressure, noise_amplitude)?, rng))
    }
}

impl<T: PhaseBackend, const N: usize> UPDEStepper<T, N> {
    /// A stepper for validated parameters, drawing noise from `rng`.
    pub fn new(params: UPDEParams<N>, rng: SimpleRng) -> Self {
        let mut stepper = UPDEStepper {
            params,
            omega: [T::ZERO; N],
            coupling: CouplingPlan::new(&params.knm),
            field_pressure: T::ZERO,
            increments: [T::Increment::default(); N],
            rng,
            skip_silent_noise: false,
            draw_noise: true,
        };
        stepper.install(params);
        stepper
    }

    /// The parameters in `f64`, as given.
    pub fn params(&self) -> &UPDEParams<N> {
        &self.params
    }

    /// Replaces all parameters (already validated). The coupling plan is
    /// rebuilt only if K changed.
    pub fn set_params(&mut self, params: UPDEParams<N>) {
        let same_k = params
            .knm
            .iter()
            .flatten()
            .zip(self.params.knm.iter().flatten())
            .all(|(a, b)| a.to_bits() == b.to_bits());
        if !same_k {
            self.coupling = CouplingPlan::new(&params.knm);
        }
        self.install(params);
    }

    /// Installs `params` and everything derived from them except the
    /// coupling plan, which must already be built for `params.knm`.
    fn install(&mut self, params: UPDEParams<N>) {
        self.params = params;
        self.omega = params.omega.map(T::from_f64);
        self.field_pressure = T::from_f64(params.field_pressure);
        let noise_scale = params.noise_amplitude * crate::num::sqrt(params.dt);
        self.increments = params.omega.map(|w| T::increment(w, params.dt, noise_scale));
        self.refresh_draw_noise();
    }

    /// Recomputes `draw_noise`. It stays a field: deriving it in
    /// [`Self::step`] would load σ and compare on every step.
    fn refresh_draw_noise(&mut self) {
        self.draw_noise = !(self.skip_silent_noise && self.params.noise_amplitude == 0.0);
    }

    /// With `on`, a stepper whose σ is 0 stops drawing normals (saving
    /// 16 `ln`/`sqrt`/`cos` per step). **Not compatible** with reference
    /// streams: the reference draws even when σ = 0, so a later non-zero σ
    /// would see a different noise sequence (spec §9 item 3). Off by
    /// default.
    pub fn set_skip_silent_noise(&mut self, on: bool) {
        self.skip_silent_noise = on;
        self.refresh_draw_noise();
    }

    /// Whether [`Self::set_skip_silent_noise`] is on.
    pub fn skip_silent_noise(&self) -> bool {
        self.skip_silent_noise
    }

    /// Replaces dt (finite, > 0).
    pub fn set_dt(&mut self, dt: f64) -> Result<(), ParamError> {
        self.update(|p| p.set_dt(dt))
    }
    /// Replaces F (finite).
    pub fn set_field_pressure(&mut self, f: f64) -> Result<(), ParamError> {
        self.update(|p| p.set_field_pressure(f))
    }
    /// Replaces σ (finite, ≥ 0).
    pub fn set_noise_amplitude(&mut self, sigma: f64) -> Result<(), ParamError> {
        self.update(|p| p.set_noise_amplitude(sigma))
    }
    /// Replaces ω (finite).
    pub fn set_omega(&mut self, omega: [f64; N]) -> Result<(), ParamError> {
        self.update(|p| p.set_omega(omega))
    }
    /// Replaces K (finite).
    pub fn set_knm(&mut self, knm: [[f64; N]; N]) -> Result<(), ParamError> {
        self.update(|p| p.set_knm(knm))
    }

    fn update(
        &mut self,
        f: impl FnOnce(&mut UPDEParams<N>) -> Result<(), ParamError>,
    ) -> Result<(), ParamError> {
        let mut p = self.params;
        f(&mut p)?;
        self.set_params(p);
        Ok(())
    }

    /// Whether K is multiplied with the O(N) recursion for the canonical
    /// exponential shape (true for the canonical matrix on the `f64`
    /// backend) rather than the dense N² product; see `physics::coupling`.
    pub fn structured_coupling(&self) -> bool {
        self.coupling.is_structured()
    }

    /// The noise generator (its state tells where the stream is).
    pub fn rng(&self) -> &SimpleRng {
        &self.rng
    }
    /// Replaces the noise generator.
    pub fn set_rng(&mut self, rng: SimpleRng) {
        self.rng = rng;
    }

    /// One Euler–Maruyama step, in place.
    ///
    /// Fails with [`PhysicsError::NonFiniteResult`] (leaving the state and
    /// the noise stream untouched) if the parameters are so large that the
    /// velocities overflow.
    ///
    /// Never inlined: inlined into a caller's loop the step runs ~10 %
    /// slower on x86-64 (measured with Criterion and in-process A/B runs).
    #[inline(never)]
    pub fn step(&mut self, state: &mut UPDEState<T, N>) -> Result<(), PhysicsError> {
        self.step_inlined(state)
    }

    /// [`Self::step`], always inlined down to the SIMD kernels it calls:
    /// a caller compiled for wider vectors (`#[target_feature]`, as the
    /// run-time dispatch of `backfire-std` does) gets the whole step in
    /// that instruction set. Elsewhere prefer `step`.
    #[inline(always)]
    pub fn step_inlined(&mut self, state: &mut UPDEState<T, N>) -> Result<(), PhysicsError> {
        // Σ_m K[n][m]·sin(θ_m − θ_n) = cos θ_n·Σ_m K[n][m] s_m − sin θ_n·Σ_m K[n][m] c_m.
        // Computed between drawing the noise words (a serial xorshift chain)
        // and transforming them, so the CPU overlaps the two.
        let (mut ks, mut kc) = ([T::ZERO; N], [T::ZERO; N]);
        // One normal per oscillator in index order, even when σ = 0 (unless
        // the non-compatible skip mode is on).
        let mut rng = self.rng;
        let mut xi = [T::ZERO; N];
        if self.draw_noise {
            T::standard_normals_around(
                &mut rng,
                &mut xi,
                #[inline(always)]
                || {
                    self.coupling.apply(&state.sin, &state.cos, &mut ks, &mut kc);
                },
            );
        } else {
            self.coupling.apply(&state.sin, &state.cos, &mut ks, &mut kc);
        }
        let mut drift = [T::ZERO; N];
        let mut next = state.theta;
        let valid = if T::BATCHED {
            // Stage by stage over all oscillators (SIMD lanes).
            let mut variable = [T::ZERO; N];
            let rows = self.omega.iter().zip(ks.iter().zip(&kc)).zip(state.sin.iter().zip(&state.cos));
            for (((&omega, (&ks_n, &kc_n)), (&s_n, &c_n)), (d, v)) in
                rows.zip(drift.iter_mut().zip(variable.iter_mut()))
            {
                (*d, *v) = self.drift(omega, ks_n, kc_n, s_n, c_n);
            }
            T::advance_batch(&mut next, &self.increments, &drift, &variable, &xi)
        } else {
            // Oscillator by oscillator: no intermediate arrays on scalar cores.
            let rows = self.omega.iter().zip(&self.increments).zip(ks.iter().zip(&kc)).zip(&xi);
            let per_osc = state.sin.iter().zip(&state.cos).zip(next.iter_mut()).zip(drift.iter_mut());
            for ((((&omega, inc), (&ks_n, &kc_n)), &xi_n), (((&s_n, &c_n), phase), drift_n)) in
                rows.zip(per_osc)
            {
                let (d, variable) = self.drift(omega, ks_n, kc_n, s_n, c_n);
                *phase = T::advance(*phase, inc, d, variable, xi_n);
                *drift_n = d;
            }
            !(drift.iter().any(|d| !d.is_finite()) || next.iter().any(|&p| !T::phase_is_finite(p)))
        };
        if !valid {
            return Err(PhysicsError::NonFiniteResult);
        }
        self.rng = rng;
        state.theta = next;
        state.dtheta_dt = drift;
        state.time.add(self.params.dt);
        state.step_count = state.step_count.saturating_add(1);
        state.refresh_trig();
        Ok(())
    }

    /// `(drift, drift − ω)` of one oscillator:
    /// `ω + Σ_m K[n][m]·sin(θ_m − θ_n) + F·cos θ_n` from the coupling sums.
    #[inline(always)]
    fn drift(&self, omega: T, ks_n: T, kc_n: T, s_n: T, c_n: T) -> (T, T) {
        let coupling = c_n * ks_n - s_n * kc_n;
        let field = self.field_pressure * c_n;
        (omega + coupling + field, coupling + field)
    }

    /// `n_steps` steps in place. On error the state holds the last
    /// successful step. `n_steps = 0` changes nothing.
    pub fn run(&mut self, state: &mut UPDEState<T, N>, n_steps: u64) -> Result<(), PhysicsError> {
        for _ in 0..n_steps {
            self.step(state)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Q16;
    use core::f64::consts::TAU;

    #[test]
    fn params_reject_bad_values() {
        let ok = UPDEParams::canonical(0.01, 0.1, 0.05).unwrap();
        assert_eq!(ok, UPDEParams::default());
        for (dt, f, s, field) in [
            (0.0, 0.1, 0.05, "dt"),
            (f64::NAN, 0.1, 0.05, "dt"),
            (0.01, f64::INFINITY, 0.05, "field_pressure"),
            (0.01, 0.1, -0.1, "noise_amplitude"),
            (0.01, 0.1, f64::NAN, "noise_amplitude"),
        ] {
            assert_eq!(UPDEParams::canonical(dt, f, s).unwrap_err().field, field);
        }
        let mut k = KNM;
        k[3][5] = f64::NAN;
        assert_eq!(UPDEParams::new(OMEGA_N, k, 0.01, 0.1, 0.0).unwrap_err().field, "knm");
        let mut w = OMEGA_N;
        w[0] = f64::NEG_INFINITY;
        assert_eq!(UPDEParams::new(w, KNM, 0.01, 0.1, 0.0).unwrap_err().field, "omega");
    }

    #[test]
    fn setters_validate_and_keep_old_value() {
        let mut st = UPDEStepper::<f64>::canonical(0.01, 0.1, 0.05, SimpleRng::new(1)).unwrap();
        assert!(st.set_dt(-1.0).is_err());
        assert_eq!(st.params().dt(), 0.01);
        st.set_dt(0.02).unwrap();
        assert_eq!(st.params().dt(), 0.02);
        assert!(st.set_noise_amplitude(f64::NAN).is_err());
        assert!(st.set_field_pressure(f64::NAN).is_err());
        let mut k = KNM;
        k[0][0] = f64::INFINITY;
        assert!(st.set_knm(k).is_err());
        assert_eq!(st.params().knm(), &KNM);
    }

    #[test]
    fn first_step_from_zero_is_free_rotation_plus_field() {
        let mut st = UPDEStepper::<f64>::canonical(0.01, 0.1, 0.0, SimpleRng::new(3)).unwrap();
        let mut s = UPDEState::<f64>::new(&[0.0; 16]).unwrap();
        assert!((s.r_global() - 1.0).abs() < 1e-12);
        st.step(&mut s).unwrap();
        for (n, (&d, &th)) in s.dtheta_dt().iter().zip(s.theta_radians().iter()).enumerate() {
            assert_eq!(d, OMEGA_N[n] + 0.1);
            assert!((th - 0.01 * (OMEGA_N[n] + 0.1)).abs() < 1e-15);
        }
        assert!((s.r_global() - 0.8814366140298765).abs() < 1e-12);
        assert!((s.t() - 0.01).abs() < 1e-15);
        assert_eq!(s.step_count(), 1);
    }

    #[test]
    fn noise_is_drawn_even_when_sigma_is_zero() {
        let mut st = UPDEStepper::<f32>::canonical(0.01, 0.1, 0.0, SimpleRng::new(5)).unwrap();
        let mut s = UPDEState::<f32>::new(&[0.0; 16]).unwrap();
        st.step(&mut s).unwrap();
        let mut r = SimpleRng::new(5);
        for _ in 0..32 {
            r.next_u64();
        }
        assert_eq!(st.rng(), &r);
    }

    #[test]
    fn skip_mode_keeps_the_stream_and_the_trajectory() {
        let mut a = UPDEStepper::<f64>::canonical(0.01, 0.1, 0.0, SimpleRng::new(5)).unwrap();
        let mut b = a.clone();
        b.set_skip_silent_noise(true);
        let (mut sa, mut sb) =
            (UPDEState::<f64>::new(&[0.2; 16]).unwrap(), UPDEState::<f64>::new(&[0.2; 16]).unwrap());
        a.run(&mut sa, 10).unwrap();
        b.run(&mut sb, 10).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(b.rng(), &SimpleRng::new(5));
        // A non-zero σ draws again.
        b.set_noise_amplitude(0.05).unwrap();
        b.step(&mut sb).unwrap();
        assert_ne!(b.rng(), &SimpleRng::new(5));
    }

    #[test]
    fn plan_is_rebuilt_only_for_a_new_k() {
        let mut st = UPDEStepper::<f64>::canonical(0.01, 0.1, 0.05, SimpleRng::new(1)).unwrap();
        assert!(st.structured_coupling());
        st.set_dt(0.02).unwrap();
        st.set_noise_amplitude(0.0).unwrap();
        st.set_skip_silent_noise(true);
        assert!(st.structured_coupling());
        let fresh = UPDEStepper::<f64>::canonical(0.02, 0.1, 0.0, SimpleRng::new(1)).unwrap();
        assert_eq!(st.coupling, fresh.coupling);
        let mut k = KNM;
        k[0][1] = 0.5;
        st.set_knm(k).unwrap();
        assert_eq!(st.coupling, CouplingPlan::new(&k));
        assert_ne!(st.coupling, fresh.coupling);
        st.set_knm(KNM).unwrap();
        assert!(st.structured_coupling());
    }

    #[test]
    fn f32_overflowing_parameters_fail_the_step() {
        // ω = 1e39 is a finite f64 but ∞ in f32: the step reports it.
        let mut w = OMEGA_N;
        w[3] = 1e39;
        let params = UPDEParams::new(w, KNM, 0.01, 0.1, 0.0).unwrap();
        let mut st = UPDEStepper::<f32>::new(params, SimpleRng::new(1));
        let mut s = UPDEState::<f32>::new(&[0.0; 16]).unwrap();
        let before = s;
        assert_eq!(st.step(&mut s), Err(PhysicsError::NonFiniteResult));
        assert_eq!(s, before);
    }

    #[test]
    fn unchecked_f64_phases_wrap_or_fail_at_the_first_step() {
        let mut st = UPDEStepper::<f64, 2>::new(
            UPDEParams::new([1.0; 2], [[0.0; 2]; 2], 0.01, 0.0, 0.0).unwrap(),
            SimpleRng::new(1),
        );
        let mut s = UPDEState::<f64, 2>::from_phases([7.0, 0.5]);
        assert_eq!(s.theta_radians()[0], 7.0);
        st.step(&mut s).unwrap();
        assert!(s.theta_radians().iter().all(|x| (0.0..TAU).contains(x)));
        let mut s = UPDEState::<f64, 2>::from_phases([f64::NAN, 0.5]);
        assert_eq!(st.step(&mut s), Err(PhysicsError::NonFiniteResult));
    }

    #[test]
    fn overflowing_parameters_are_rejected_without_change() {
        let params =
            UPDEParams::<2>::new([1e308, 1e308], [[0.0, 1e308], [1e308, 0.0]], 0.01, 1e308, 0.0).unwrap();
        let mut st = UPDEStepper::<f64, 2>::new(params, SimpleRng::new(1));
        let mut s = UPDEState::<f64, 2>::new(&[0.0, 1.0]).unwrap();
        let before = s;
        let rng_before = *st.rng();
        assert_eq!(st.step(&mut s), Err(PhysicsError::NonFiniteResult));
        assert_eq!(s, before);
        assert_eq!(st.rng(), &rng_before);
    }

    #[test]
    fn from_slice_checks_length_then_finiteness() {
        assert_eq!(
            UPDEState::<f64>::from_slice(&[0.0; 4]).unwrap_err(),
            PhysicsError::ThetaLength { expected: 16, got: 4 }
        );
        assert_eq!(UPDEState::<f64>::from_slice(&[f64::NAN; 16]).unwrap_err(), PhysicsError::NonFiniteInput);
        assert_eq!(
            UPDEState::<Q16>::from_slice(&[f64::INFINITY; 16]).unwrap_err(),
            PhysicsError::NonFiniteInput
        );
    }

    #[test]
    fn random_state_is_in_range_and_seeded() {
        let mut rng = SimpleRng::new(11);
        let a = UPDEState::<f64>::random(&mut rng);
        let b = UPDEState::<f64>::random(&mut rng);
        assert!(a.theta_radians().iter().all(|x| (0.0..TAU).contains(x)));
        assert_ne!(a.theta_radians(), b.theta_radians());
        let mut rng2 = SimpleRng::new(11);
        assert_eq!(UPDEState::<f64>::random(&mut rng2), a);
    }

    #[test]
    fn mcu_backends_fit_the_firmware_budget() {
        // The firmware keeps a 16-oscillator stepper and its state in 4 KiB;
        // the structured coupling must cost them nothing.
        use core::mem::size_of;
        assert!(size_of::<UPDEStepper<f32>>() + size_of::<UPDEState<f32>>() <= 4096);
        assert!(size_of::<UPDEStepper<Q16>>() + size_of::<UPDEState<Q16>>() <= 4096);
    }

    #[test]
    fn with_clock_resumes_time() {
        let s = UPDEState::<f64>::new(&[0.0; 16]).unwrap().with_clock(2.5, 250).unwrap();
        assert_eq!(s.t(), 2.5);
        assert_eq!(s.step_count(), 250);
        assert!(UPDEState::<f64>::new(&[0.0; 16]).unwrap().with_clock(f64::NAN, 0).is_err());
    }
}
