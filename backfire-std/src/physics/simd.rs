//! Run-time choice of the vector instruction set for the f64 UPDE step.
//!
//! The core writes the step once, generic and `#[inline(always)]` down to
//! its SIMD kernels (Box–Muller `ln`/`cos`, the phase sines and cosines,
//! the coupling product). Compiled in an ordinary function it uses the
//! x86-64 baseline: SSE2, two f64 lanes. Compiled inside a function marked
//! `#[target_feature(enable = "avx512f,…")]`, the *same code* becomes an
//! eight-lane copy; inside `avx2`, a four-lane one. This module holds those
//! copies and picks the widest one the running CPU has (about 30 % off a
//! step with noise on an AVX-512 machine, see BENCHMARKS.md).
//!
//! The results are the same bit for bit at every level: a wider vector
//! changes how many elements one instruction handles, not the arithmetic —
//! Rust never fuses `a·b + c` into an FMA, and no sum is reordered. The
//! tests step all levels side by side and compare the bits.
//!
//! This is the crate's only `unsafe`: calling a `#[target_feature]`
//! function is unsafe because executing, say, AVX-512 instructions on a
//! CPU without them is undefined behaviour. [`Dispatch`] makes that state
//! unrepresentable: the only way to hold one is through a check of the
//! running CPU.
#![allow(unsafe_code)]

use std::fmt;

use backfire_nostd::physics::{PhysicsError, UPDEState, UPDEStepper};

/// Vector instruction sets the f64 UPDE step can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SimdLevel {
    /// The target's baseline (SSE2 on x86-64; whatever the build enables
    /// elsewhere). Always available.
    Portable,
    /// x86-64 AVX2: four f64 lanes.
    Avx2,
    /// x86-64 AVX-512 (F, DQ, VL): eight f64 lanes.
    Avx512,
}

impl SimdLevel {
    /// Every level, narrowest first.
    pub const ALL: [SimdLevel; 3] = [SimdLevel::Portable, SimdLevel::Avx2, SimdLevel::Avx512];

    /// The widest level the running CPU supports.
    ///
    /// ```
    /// use backfire_std::physics::SimdLevel;
    /// assert!(SimdLevel::detected().is_supported());
    /// ```
    pub fn detected() -> SimdLevel {
        SimdLevel::ALL.into_iter().rev().find(|level| level.is_supported()).unwrap_or(SimdLevel::Portable)
    }

    /// Whether the running CPU can execute this level.
    pub fn is_supported(self) -> bool {
        match self {
            SimdLevel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx2")
            }
            #[cfg(not(target_arch = "x86_64"))]
            SimdLevel::Avx2 | SimdLevel::Avx512 => false,
        }
    }

    /// The lower-case name (`"portable"`, `"avx2"`, `"avx512"`).
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Portable => "portable",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// The level with this [`name`](Self::name), if any.
    ///
    /// ```
    /// use backfire_std::physics::SimdLevel;
    /// assert_eq!(SimdLevel::from_name("avx2"), Some(SimdLevel::Avx2));
    /// assert_eq!(SimdLevel::from_name("sse9"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<SimdLevel> {
        SimdLevel::ALL.into_iter().find(|level| level.name() == name)
    }
}

impl fmt::Display for SimdLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A [`SimdLevel`] checked against the running CPU: the proof the
/// `unsafe` calls below rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dispatch(SimdLevel);

impl Dispatch {
    /// The widest supported level.
    pub(crate) fn detected() -> Dispatch {
        Dispatch(SimdLevel::detected())
    }

    /// `level`, if the CPU supports it.
    pub(crate) fn checked(level: SimdLevel) -> Option<Dispatch> {
        level.is_supported().then_some(Dispatch(level))
    }

    pub(crate) fn level(self) -> SimdLevel {
        self.0
    }

    /// `n_steps` steps in place (as [`UPDEStepper::run`]) in this
    /// instruction set.
    pub(crate) fn run(
        self,
        stepper: &mut UPDEStepper<f64>,
        state: &mut UPDEState<f64>,
        n_steps: u64,
    ) -> Result<(), PhysicsError> {
        for _ in 0..n_steps {
            self.step(stepper, state)?;
        }
        Ok(())
    }

    /// One step in this instruction set. (One call per step, rather than
    /// the loop inside the `target_feature` functions: the core's step
    /// inlined into a loop runs ~10 % slower.)
    #[inline]
    fn step(self, stepper: &mut UPDEStepper<f64>, state: &mut UPDEState<f64>) -> Result<(), PhysicsError> {
        match self.0 {
            // SAFETY: a `Dispatch` holding `Avx512` or `Avx2` exists only
            // if `is_supported` confirmed those features on this CPU.
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => unsafe { step_avx512(stepper, state) },
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => unsafe { step_avx2(stepper, state) },
            _ => stepper.step(state),
        }
    }
}

/// # Safety
/// The CPU must support AVX-512 F, DQ and VL (and AVX2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,avx")]
unsafe fn step_avx512(
    stepper: &mut UPDEStepper<f64>,
    state: &mut UPDEState<f64>,
) -> Result<(), PhysicsError> {
    stepper.step_inlined(state)
}

/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx")]
unsafe fn step_avx2(stepper: &mut UPDEStepper<f64>, state: &mut UPDEState<f64>) -> Result<(), PhysicsError> {
    stepper.step_inlined(state)
}

#[cfg(test)]
mod tests {
    use backfire_nostd::physics::{KNM, OMEGA_N, UPDEParams};
    use backfire_nostd::rng::SimpleRng;

    use super::*;

    fn spread_state(seed: u64) -> UPDEState<f64> {
        UPDEState::random(&mut SimpleRng::new(seed))
    }

    /// Runs `steps` steps at every supported level from the same start;
    /// all must end in the same bits (phases, velocities, R, noise stream).
    fn assert_levels_agree(stepper: &UPDEStepper<f64>, steps: u64) {
        let mut reference = (stepper.clone(), spread_state(3));
        Dispatch(SimdLevel::Portable).run(&mut reference.0, &mut reference.1, steps).unwrap();
        let bits = |s: &UPDEState<f64>| {
            (s.phases().map(f64::to_bits), s.dtheta_dt().map(f64::to_bits), s.r_global().to_bits())
        };
        for level in SimdLevel::ALL {
            let Some(dispatch) = Dispatch::checked(level) else { continue };
            let (mut st, mut state) = (stepper.clone(), spread_state(3));
            dispatch.run(&mut st, &mut state, steps).unwrap();
            assert_eq!(bits(&state), bits(&reference.1), "{level} differs from portable");
            assert_eq!(st.rng(), reference.0.rng(), "{level}: noise stream differs");
        }
    }

    #[test]
    fn every_level_is_bit_identical_to_portable() {
        let canonical = UPDEStepper::canonical(0.01, 0.1, 0.05, SimpleRng::new(42)).unwrap();
        assert!(canonical.structured_coupling());
        assert_levels_agree(&canonical, 3000);

        // A matrix without the exponential shape takes the dense product.
        let mut knm = KNM;
        for (n, row) in knm.iter_mut().enumerate() {
            for (m, k) in row.iter_mut().enumerate() {
                *k *= 1.0 + 0.01 * ((7 * n + 3 * m) % 5) as f64;
            }
        }
        let dense = UPDEParams::new(OMEGA_N, knm, 0.02, -0.3, 0.2).unwrap();
        let dense = UPDEStepper::new(dense, SimpleRng::new(7));
        assert!(!dense.structured_coupling());
        assert_levels_agree(&dense, 3000);

        let mut silent = UPDEStepper::canonical(0.01, 0.1, 0.0, SimpleRng::new(1)).unwrap();
        silent.set_skip_silent_noise(true);
        assert_levels_agree(&silent, 1000);
    }

    #[test]
    fn errors_are_the_same_at_every_level() {
        // ω so large that the velocities overflow: the step must fail and
        // leave state and stream untouched, whatever the level.
        let omega = [f64::MAX; 16];
        let params = UPDEParams::new(omega, KNM, 1e10, 0.0, 0.0).unwrap();
        for level in SimdLevel::ALL {
            let Some(dispatch) = Dispatch::checked(level) else { continue };
            let mut st = UPDEStepper::new(params, SimpleRng::new(5));
            let mut state = spread_state(9);
            let before = (state.phases().map(f64::to_bits), *st.rng());
            assert_eq!(dispatch.run(&mut st, &mut state, 5), Err(PhysicsError::NonFiniteResult), "{level}");
            assert_eq!((state.phases().map(f64::to_bits), *st.rng()), before, "{level}");
        }
    }

    #[test]
    fn detection_and_names() {
        let best = SimdLevel::detected();
        assert!(best.is_supported());
        assert!(SimdLevel::Portable.is_supported());
        assert!(SimdLevel::ALL.iter().filter(|&&l| l > best).all(|l| !l.is_supported()));
        assert_eq!(Dispatch::detected().level(), best);
        for level in SimdLevel::ALL {
            assert_eq!(SimdLevel::from_name(level.name()), Some(level));
            assert_eq!(level.to_string(), level.name());
            assert_eq!(Dispatch::checked(level).is_some(), level.is_supported());
        }
        #[cfg(not(target_arch = "x86_64"))]
        assert_eq!(best, SimdLevel::Portable);
    }
}
