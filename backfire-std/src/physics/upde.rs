//! UPDE stepper with owned, runtime-length states.

use backfire_nostd::num::NeumaierSum;
use backfire_nostd::physics::{self as core, N_LAYERS, order_parameter};
use backfire_nostd::rng::SimpleRng;
use serde::{Deserialize, Serialize};

use super::simd::{Dispatch, SimdLevel};
use super::{clock_seed, matrix_from_flat, omega_from_slice, physics_error};
use crate::{BackfireError, BackfireResult};

/// An oscillator state with the reference's fields (and serde names).
///
/// `theta` may have any length and any values here; a step checks it
/// (length 16, all finite) and returns phases in `[0, 2π)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UPDEState {
    /// Phases (rad).
    pub theta: Vec<f64>,
    /// Noise-free phase velocities of the last step (zeros before one).
    pub dtheta_dt: Vec<f64>,
    /// Simulated time (s).
    pub t: f64,
    /// Kuramoto order parameter of `theta` (NaN if `theta` holds NaN).
    pub r_global: f64,
    /// Steps taken.
    pub step_count: u64,
    /// Rounding compensation of `t`, carried between steps so that a long
    /// run's time stays exact (valid while `t` is not edited).
    #[serde(skip)]
    clock: Option<NeumaierSum<f64>>,
}

impl UPDEState {
    /// A state at `t = 0` with the given phases (any length, not checked —
    /// the reference's `create_state`); R is computed at once.
    ///
    /// ```
    /// use backfire_std::physics::UPDEState;
    /// let s = UPDEState::new(vec![0.0; 16]);
    /// assert!((s.r_global - 1.0).abs() < 1e-12);
    /// assert_eq!(UPDEState::new(vec![]).r_global, 0.0);
    /// ```
    pub fn new(theta: Vec<f64>) -> Self {
        UPDEState {
            dtheta_dt: vec![0.0; theta.len()],
            r_global: order_parameter(&theta),
            theta,
            t: 0.0,
            step_count: 0,
            clock: None,
        }
    }

    /// 16 phases `next_f64()·2π` from a generator seeded with `seed`, or
    /// from the clock when `None`.
    pub fn random(seed: Option<u64>) -> Self {
        let mut rng = SimpleRng::new(seed.unwrap_or_else(clock_seed));
        let s = core::UPDEState::<f64>::random(&mut rng);
        // Not `from_core`: R is recomputed with `order_parameter`, as for
        // any new state; the core's table sine can differ in the last ulp.
        Self::new(s.theta_radians().to_vec())
    }

    /// Checks and converts into the core's fixed-size state.
    fn to_core(&self) -> BackfireResult<core::UPDEState<f64>> {
        let s = core::UPDEState::<f64>::from_slice(&self.theta).map_err(physics_error)?;
        match self.clock {
            Some(c) if c.value() == self.t => Ok(s.with_time_sum(c, self.step_count)),
            _ => Ok(s.with_clock(self.t, self.step_count)?),
        }
    }

    fn from_core(s: &core::UPDEState<f64>) -> Self {
        UPDEState {
            theta: s.theta_radians().to_vec(),
            dtheta_dt: s.dtheta_dt().to_vec(),
            t: s.t(),
            r_global: s.r_global(),
            step_count: s.step_count(),
            clock: Some(s.time_sum()),
        }
    }
}

/// The 16-layer UPDE stepper with its own noise stream.
///
/// Steps run in the widest vector instruction set the CPU has
/// ([`Self::simd_level`]: AVX-512, AVX2 or portable, chosen at run time,
/// same bits at every level). [`Self::step_in_place`] and
/// [`Self::run_in_place`] step a core state without allocating; `step` and
/// `run` take and return the owned, reference-shaped [`UPDEState`].
///
/// ```
/// use backfire_std::physics::{UPDEStepper, UPDEState};
///
/// let mut stepper = UPDEStepper::new(0.01, 0.1, 0.05, Some(42)).unwrap();
/// let state = stepper.run(&UPDEState::new(vec![0.0; 16]), 100).unwrap();
/// assert_eq!(state.step_count, 100);
/// assert!((state.r_global - 0.7576618317313849).abs() < 1e-9);
/// let err = stepper.run(&UPDEState::new(vec![0.0; 4]), 1).unwrap_err();
/// assert_eq!(err.to_string(), "validation error: theta length mismatch");
/// ```
#[derive(Clone, Debug)]
pub struct UPDEStepper {
    inner: core::UPDEStepper<f64>,
    dispatch: Dispatch,
}

impl Default for UPDEStepper {
    /// dt = 0.01, F = 0.1, σ = 0.05, clock-seeded.
    fn default() -> Self {
        Self::from_params(core::UPDEParams::default(), None)
    }
}

impl UPDEStepper {
    /// The canonical model. `seed = None` seeds from the clock (the
    /// reference's only behaviour). dt finite > 0, F finite, σ finite ≥ 0.
    pub fn new(
        dt: f64,
        field_pressure: f64,
        noise_amplitude: f64,
        seed: Option<u64>,
    ) -> BackfireResult<Self> {
        let params = core::UPDEParams::canonical(dt, field_pressure, noise_amplitude)?;
        Ok(Self::from_params(params, seed))
    }

    /// Arbitrary ω (16 values) and K (256 values, row-major).
    pub fn with_params(
        omega: &[f64],
        knm_flat: &[f64],
        dt: f64,
        field_pressure: f64,
        noise_amplitude: f64,
        seed: Option<u64>,
    ) -> BackfireResult<Self> {
        let omega = omega_from_slice(omega)?;
        let knm = matrix_from_flat(knm_flat)?;
        let params = core::UPDEParams::new(omega, knm, dt, field_pressure, noise_amplitude)?;
        Ok(Self::from_params(params, seed))
    }

    fn from_params(params: core::UPDEParams, seed: Option<u64>) -> Self {
        UPDEStepper {
            inner: core::UPDEStepper::new(params, SimpleRng::new(seed.unwrap_or_else(clock_seed))),
            dispatch: Dispatch::detected(),
        }
    }

    /// Restarts the noise stream from `seed` (or the clock).
    pub fn reseed(&mut self, seed: Option<u64>) {
        self.inner.set_rng(SimpleRng::new(seed.unwrap_or_else(clock_seed)));
    }

    /// The reference's `create_state`: any phases, t = 0.
    pub fn create_state(theta: &[f64]) -> UPDEState {
        UPDEState::new(theta.to_vec())
    }

    /// The reference's `random_state`, with an optional seed.
    pub fn random_state(seed: Option<u64>) -> UPDEState {
        UPDEState::random(seed)
    }

    /// One step from `state`, continuing its `t` and `step_count`.
    /// Errors: `"theta length mismatch"`, `"input theta contains NaN or Inf"`.
    pub fn step(&mut self, state: &UPDEState) -> BackfireResult<UPDEState> {
        self.run(state, 1)
    }

    /// `n_steps` steps from `state`, continuing its `t` and `step_count`.
    /// The input is validated even for `n_steps = 0` (the reference skips
    /// the checks then); on error nothing is returned and the noise stream
    /// has advanced only by the steps that succeeded.
    pub fn run(&mut self, state: &UPDEState, n_steps: u64) -> BackfireResult<UPDEState> {
        let mut s = state.to_core()?;
        if n_steps == 0 {
            return Ok(state.clone());
        }
        self.run_in_place(&mut s, n_steps)?;
        Ok(UPDEState::from_core(&s))
    }

    /// One step of a core state, in place and without allocating: the
    /// fastest way to step from Rust (what the Criterion benchmark times).
    ///
    /// ```
    /// use backfire_nostd::physics::UPDEState as CoreState;
    /// use backfire_std::physics::UPDEStepper;
    /// let mut stepper = UPDEStepper::new(0.01, 0.1, 0.05, Some(42)).unwrap();
    /// let mut state = CoreState::<f64>::new(&[0.0; 16]).unwrap();
    /// stepper.step_in_place(&mut state).unwrap();
    /// assert_eq!(state.step_count(), 1);
    /// assert!((state.r_global() - 0.8809110235013369).abs() < 1e-9);
    /// ```
    pub fn step_in_place(&mut self, state: &mut core::UPDEState<f64>) -> BackfireResult<()> {
        self.run_in_place(state, 1)
    }

    /// `n_steps` steps of a core state in place. On error the state holds
    /// the last successful step.
    pub fn run_in_place(&mut self, state: &mut core::UPDEState<f64>, n_steps: u64) -> BackfireResult<()> {
        self.dispatch.run(&mut self.inner, state, n_steps).map_err(physics_error)
    }

    /// The vector instruction set steps run in: the widest the CPU has,
    /// unless limited by [`Self::set_simd_level`]. Results are the same
    /// bit for bit at every level.
    pub fn simd_level(&self) -> SimdLevel {
        self.dispatch.level()
    }

    /// Runs steps in `level` (for comparisons and benchmarks). An error if
    /// this CPU cannot execute it.
    ///
    /// ```
    /// use backfire_std::physics::{SimdLevel, UPDEStepper};
    /// let mut stepper = UPDEStepper::new(0.01, 0.1, 0.05, Some(1)).unwrap();
    /// stepper.set_simd_level(SimdLevel::Portable).unwrap();
    /// assert_eq!(stepper.simd_level(), SimdLevel::Portable);
    /// ```
    pub fn set_simd_level(&mut self, level: SimdLevel) -> BackfireResult<()> {
        self.dispatch = Dispatch::checked(level).ok_or_else(|| {
            BackfireError::Validation(format!("this CPU cannot run the {level} instruction set"))
        })?;
        Ok(())
    }

    /// The reference's Python `run(theta, n_steps)`: a fresh state from
    /// `theta` (t = 0, step_count = 0), then `n_steps` steps.
    pub fn run_from(&mut self, theta: &[f64], n_steps: u64) -> BackfireResult<UPDEState> {
        self.run(&UPDEState::new(theta.to_vec()), n_steps)
    }

    /// Natural frequencies ω (rad/s).
    pub fn omega(&self) -> &[f64; N_LAYERS] {
        self.inner.params().omega()
    }
    /// Coupling matrix K.
    pub fn knm(&self) -> &[[f64; N_LAYERS]; N_LAYERS] {
        self.inner.params().knm()
    }
    /// Step dt (s).
    pub fn dt(&self) -> f64 {
        self.inner.params().dt()
    }
    /// Field pressure F.
    pub fn field_pressure(&self) -> f64 {
        self.inner.params().field_pressure()
    }
    /// Noise amplitude σ.
    pub fn noise_amplitude(&self) -> f64 {
        self.inner.params().noise_amplitude()
    }

    /// Replaces dt (finite, > 0).
    pub fn set_dt(&mut self, dt: f64) -> BackfireResult<()> {
        Ok(self.inner.set_dt(dt)?)
    }
    /// Replaces F (finite).
    pub fn set_field_pressure(&mut self, f: f64) -> BackfireResult<()> {
        Ok(self.inner.set_field_pressure(f)?)
    }
    /// Replaces σ (finite, ≥ 0).
    pub fn set_noise_amplitude(&mut self, sigma: f64) -> BackfireResult<()> {
        Ok(self.inner.set_noise_amplitude(sigma)?)
    }
    /// Replaces ω (16 finite values).
    pub fn set_omega(&mut self, omega: &[f64]) -> BackfireResult<()> {
        Ok(self.inner.set_omega(omega_from_slice(omega)?)?)
    }
    /// Replaces K (256 finite values, row-major).
    pub fn set_knm(&mut self, knm_flat: &[f64]) -> BackfireResult<()> {
        Ok(self.inner.set_knm(matrix_from_flat(knm_flat)?)?)
    }

    /// Whether a σ = 0 stepper skips the normal draws (not stream-compatible;
    /// see [`core::UPDEStepper::set_skip_silent_noise`]).
    pub fn skip_silent_noise(&self) -> bool {
        self.inner.skip_silent_noise()
    }
    /// Turns the σ = 0 skip on or off.
    pub fn set_skip_silent_noise(&mut self, on: bool) {
        self.inner.set_skip_silent_noise(on);
    }

    /// The core stepper (for allocation-free stepping of a core state).
    pub fn core(&mut self) -> &mut core::UPDEStepper<f64> {
        &mut self.inner
    }
}

impl From<core::PhysicsError> for BackfireError {
    fn from(e: core::PhysicsError) -> Self {
        physics_error(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    fn seeded() -> UPDEStepper {
        UPDEStepper::new(0.01, 0.1, 0.05, Some(42)).unwrap()
    }

    #[test]
    fn python_api_cases() {
        let s = UPDEStepper::create_state(&[0.0; 16]);
        assert_eq!((s.theta.len(), s.step_count), (16, 0));
        assert!((s.r_global - 1.0).abs() < 1e-6);
        let r = UPDEStepper::random_state(None);
        assert!(r.theta.len() == 16 && r.theta.iter().all(|x| (0.0..TAU).contains(x)));

        let mut st = UPDEStepper::default();
        let one = st.run_from(&[0.0; 16], 1).unwrap();
        assert_eq!(one.step_count, 1);
        assert!((one.t - 0.01).abs() < 1e-10);
        let hundred = st.run_from(&[0.0; 16], 100).unwrap();
        assert_eq!(hundred.step_count, 100);
        assert!(hundred.theta.iter().all(|x| (0.0..TAU).contains(x)));

        let e = st.run_from(&[0.0; 4], 1).unwrap_err();
        assert_eq!(e, BackfireError::Validation("theta length mismatch".into()));
        let e = st.run_from(&[f64::NAN; 16], 1).unwrap_err();
        assert_eq!(e, BackfireError::Validation("input theta contains NaN or Inf".into()));
        // Checked even for zero steps (stricter than the reference).
        assert!(st.run_from(&[0.0; 4], 0).is_err());
        let empty = UPDEStepper::create_state(&[]);
        assert_eq!((empty.r_global, empty.t, empty.step_count), (0.0, 0.0, 0));
        assert!(UPDEStepper::create_state(&[f64::NAN; 3]).r_global.is_nan());
    }

    #[test]
    fn run_continues_time_and_count_and_matches_single_steps() {
        let mut a = seeded();
        let mut b = seeded();
        let start = UPDEState::new(vec![0.0; 16]);
        let mut s = start.clone();
        for _ in 0..100 {
            s = a.step(&s).unwrap();
        }
        let mid = b.run(&start, 40).unwrap();
        let r = b.run(&mid, 60).unwrap();
        assert_eq!(s, r);
        assert_eq!(r.step_count, 100);
        assert_eq!(r.t, 1.0);
        assert!((r.r_global - 0.7576618317313849).abs() < 1e-9);
    }

    #[test]
    fn seeds_reproduce_and_clock_seeds_differ() {
        assert_eq!(UPDEState::random(Some(5)), UPDEState::random(Some(5)));
        let mut a = seeded();
        let mut b = seeded();
        let s = UPDEState::new(vec![0.3; 16]);
        assert_eq!(a.run(&s, 10).unwrap(), b.run(&s, 10).unwrap());
        b.reseed(Some(43));
        assert_ne!(a.run(&s, 1).unwrap(), b.run(&s, 1).unwrap());
    }

    #[test]
    fn parameters_are_validated_and_readable() {
        assert!(UPDEStepper::new(0.0, 0.1, 0.05, None).is_err());
        let e = UPDEStepper::new(0.01, 0.1, -1.0, None).unwrap_err();
        assert_eq!(e.to_string(), "validation error: noise_amplitude must be finite and >= 0, got -1");
        let mut st = seeded();
        assert_eq!((st.dt(), st.field_pressure(), st.noise_amplitude()), (0.01, 0.1, 0.05));
        assert_eq!(st.omega()[1], 251.327);
        assert_eq!(st.knm()[0][1], 0.302);
        assert!(st.set_knm(&[0.1; 10]).is_err());
        st.set_knm(&[0.1; 256]).unwrap();
        assert_eq!(st.knm()[3][7], 0.1);
        assert!(st.set_omega(&[1.0; 15]).is_err());
        assert!(st.set_dt(f64::INFINITY).is_err());
        let w = vec![1.0; 16];
        let k = vec![0.5; 256];
        let custom = UPDEStepper::with_params(&w, &k, 0.001, 0.0, 0.0, Some(1)).unwrap();
        assert_eq!(custom.omega(), &[1.0; 16]);
        assert!(UPDEStepper::with_params(&w, &k[..255], 0.001, 0.0, 0.0, None).is_err());
    }

    #[test]
    fn edited_time_is_respected_and_checked() {
        let mut st = seeded();
        let mut s = UPDEState::new(vec![0.0; 16]);
        s.t = 5.0;
        s.step_count = 500;
        let r = st.step(&s).unwrap();
        assert!((r.t - 5.01).abs() < 1e-12);
        assert_eq!(r.step_count, 501);
        s.t = f64::NAN;
        assert!(st.step(&s).is_err());
    }

    #[test]
    fn state_serialises_with_reference_field_names() {
        let s = UPDEState::new(vec![0.0, 1.0]);
        let json = serde_json::to_value(&s).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 5);
        for k in ["theta", "dtheta_dt", "t", "r_global", "step_count"] {
            assert!(keys.contains(&k), "{k}");
        }
        let back: UPDEState = serde_json::from_value(json).unwrap();
        assert_eq!(back.theta, s.theta);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any input vector: either a reference error message or a state
        /// with phases in [0, 2π) and R in [0, 1]; never a panic.
        #[test]
        fn any_theta_is_stepped_or_rejected_clearly(
            theta in proptest::collection::vec(proptest::num::f64::ANY, 0..24),
            steps in 1u64..5,
        ) {
            let mut st = seeded();
            match st.run_from(&theta, steps) {
                Ok(s) => {
                    proptest::prop_assert_eq!(theta.len(), 16);
                    proptest::prop_assert!(s.theta.iter().all(|x| (0.0..TAU).contains(x)));
                    proptest::prop_assert!((0.0..=1.0).contains(&s.r_global));
                    proptest::prop_assert_eq!(s.step_count, steps);
                }
                Err(BackfireError::Validation(msg)) => {
                    let want = if theta.len() != 16 { "theta length mismatch" } else { "input theta contains NaN or Inf" };
                    proptest::prop_assert_eq!(msg, want);
                    proptest::prop_assert!(theta.len() != 16 || theta.iter().any(|x| !x.is_finite()));
                }
                Err(e) => proptest::prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
}
