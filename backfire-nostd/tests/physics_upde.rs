//! UPDE stepper: golden trajectories (spec §3.6), reference invariants
//! (spec §7.1), backend tracking bounds and property tests.

#![allow(clippy::excessive_precision)] // golden digits as the spec prints them

use std::f64::consts::TAU;

use backfire_nostd::num::{PhaseBackend, Q16, Real};
use backfire_nostd::physics::{
    KNM, OMEGA_N, PhysicsError, UPDEParams, UPDEState, UPDEStepper, order_parameter,
};
use backfire_nostd::rng::SimpleRng;
use proptest::prelude::*;

fn stepper<T: PhaseBackend>(dt: f64, f: f64, sigma: f64, seed: u64) -> UPDEStepper<T> {
    UPDEStepper::canonical(dt, f, sigma, SimpleRng::new(seed)).unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}[{i}]: {g} vs {w}");
    }
}

#[test]
fn noise_free_from_zero_ten_steps() {
    let mut st = stepper::<f64>(0.01, 0.1, 0.0, 1);
    let mut s = UPDEState::<f64>::new(&[0.0; 16]).unwrap();
    st.step(&mut s).unwrap();
    let one = [
        0.01429, 2.51427, 0.00728, 0.31516, 0.06383, 0.49299, 0.03242, 0.00205, 0.01671, 0.01042, 0.00309,
        0.00142, 0.00113, 0.00106, 0.00103, 0.01091,
    ];
    assert_close(&s.theta_radians(), &one, 1e-12, "theta after 1 step");
    assert!((s.r_global() - 0.8814366140298765).abs() < 1e-9);
    st.run(&mut s, 9).unwrap();
    let ten = [
        0.1601589228617723,
        6.280734220378767,
        0.10206723362652825,
        3.0755182556863465,
        0.6351915179502002,
        4.8477057273250095,
        0.3333885849214397,
        0.04761337609466859,
        0.17513863696274978,
        0.11321767924122089,
        0.043042323836636254,
        0.024829518827676304,
        0.019874151806189153,
        0.017583929964297182,
        0.016212508963470935,
        0.10741090641364212,
    ];
    assert_close(&s.theta_radians(), &ten, 1e-9, "theta after 10 steps");
    assert!((s.r_global() - 0.8040443306249034).abs() < 1e-9);
    // Reference: 0.09999999999999999 by plain summation; ours is compensated.
    assert!((s.t() - 0.09999999999999999).abs() < 1e-9);
    assert_eq!(s.t(), 0.1);
    assert_eq!(s.step_count(), 10);
}

#[test]
fn noise_free_ramp_velocities_and_hundred_steps() {
    let mut st = stepper::<f64>(0.01, 0.1, 0.0, 1);
    let theta: [f64; 16] = std::array::from_fn(|i| 0.1 * i as f64);
    let mut s = UPDEState::<f64>::new(&theta).unwrap();
    st.step(&mut s).unwrap();
    let want = [
        1.904081294660842,
        251.81147409494977,
        1.0704407731145629,
        31.77824837096373,
        6.586006620257925,
        49.43608567411047,
        3.3322718820617543,
        0.21076890308419316,
        1.6113859865789724,
        0.9156866948509248,
        0.11370281266538168,
        -0.12489798713513953,
        -0.2272626214348932,
        -0.30659272821899175,
        -0.37506013921327325,
        0.5198608309950745,
    ];
    assert_close(s.dtheta_dt(), &want, 1e-12, "dtheta_dt");
    st.run(&mut s, 99).unwrap();
    assert!((s.r_global() - 0.6781510410827967).abs() < 1e-9, "R = {}", s.r_global());
}

#[test]
fn seed_42_reproduces_reference_noise_trajectory() {
    let mut st = stepper::<f64>(0.01, 0.1, 0.05, 42);
    let mut s = UPDEState::<f64>::new(&[0.0; 16]).unwrap();
    st.step(&mut s).unwrap();
    let want = [
        6.275237451254193,
        2.517312384266106,
        6.283116268381765,
        0.310818328884649,
        0.06128285840157953,
        0.49677674839555974,
        0.02801211199865683,
        0.0010251629884800678,
        0.016116010326942553,
        0.004062760142292656,
        6.274892781773469,
        6.2814338534017,
        6.2795557412002925,
        0.003894976476331614,
        0.006286198780355516,
        0.008201555109553949,
    ];
    assert_close(&s.theta_radians(), &want, 1e-9, "theta");
    assert!((s.r_global() - 0.8809110235013369).abs() < 1e-9);
    st.run(&mut s, 99).unwrap();
    assert!((s.r_global() - 0.7576618317313849).abs() < 1e-9, "R = {}", s.r_global());
    assert!((s.t() - 1.0000000000000007).abs() < 1e-9);
    assert_eq!(s.step_count(), 100);
}

#[test]
fn reference_invariants() {
    // R of identical phases; splay R.
    let s = UPDEState::<f64>::new(&[0.5; 16]).unwrap();
    assert!((s.r_global() - 1.0).abs() < 1e-9);
    let splay: [f64; 16] = std::array::from_fn(|i| i as f64 * TAU / 16.0);
    assert!(UPDEState::<f64>::new(&splay).unwrap().r_global() < 0.15);

    // Defaults, one step from zero.
    let mut st = stepper::<f64>(0.01, 0.1, 0.05, 7);
    let mut s = UPDEState::<f64>::new(&[0.0; 16]).unwrap();
    st.step(&mut s).unwrap();
    assert_eq!(s.step_count(), 1);
    assert!((s.t() - 0.01).abs() < 1e-12);
    assert!(s.theta_radians().iter().all(|x| x.is_finite()));

    // Random start, 100 steps, all phases in range.
    let mut rng = SimpleRng::new(99);
    let mut s = UPDEState::<f64>::random(&mut rng);
    st.run(&mut s, 100).unwrap();
    assert!(s.theta_radians().iter().all(|x| (0.0..TAU).contains(x)));

    // No field, no noise: the first velocity is exactly ω from zero.
    let mut st =
        UPDEStepper::<f64>::new(UPDEParams::new(OMEGA_N, KNM, 0.01, 0.0, 0.0).unwrap(), SimpleRng::new(1));
    let mut s = UPDEState::<f64>::new(&[0.0; 16]).unwrap();
    st.step(&mut s).unwrap();
    for (d, w) in s.dtheta_dt().iter().zip(OMEGA_N) {
        assert!((d - w).abs() < 0.1);
    }

    // run(0) changes nothing.
    let before = s;
    st.run(&mut s, 0).unwrap();
    assert_eq!(s, before);

    // Non-finite and wrong-length inputs are errors.
    assert_eq!(UPDEState::<f64>::new(&[f64::NAN; 16]).unwrap_err(), PhysicsError::NonFiniteInput);
    assert_eq!(UPDEState::<f64>::new(&[f64::INFINITY; 16]).unwrap_err(), PhysicsError::NonFiniteInput);
    assert!(matches!(UPDEState::<f64>::from_slice(&[0.0; 4]), Err(PhysicsError::ThetaLength { got: 4, .. })));

    // Canonical, dt 0.001, no noise/field, random start: velocities finite.
    let mut st =
        UPDEStepper::<f64>::new(UPDEParams::new(OMEGA_N, KNM, 0.001, 0.0, 0.0).unwrap(), SimpleRng::new(1));
    let mut s = UPDEState::<f64>::random(&mut rng);
    st.run(&mut s, 500).unwrap();
    assert!(s.dtheta_dt().iter().all(|d| d.is_finite()));
}

fn strong_coupling<T: PhaseBackend>(k: f64, dt: f64) -> UPDEStepper<T> {
    let params = UPDEParams::new([1.0; 16], [[k; 16]; 16], dt, 0.0, 0.0).unwrap();
    UPDEStepper::new(params, SimpleRng::new(1))
}

#[test]
fn strong_coupling_synchronises() {
    let start = [0.1, 0.2, 0.15, 0.12, 0.18, 0.11, 0.14, 0.13, 0.16, 0.17, 0.19, 0.1, 0.12, 0.14, 0.15, 0.11];
    let knm = KNM.map(|row| row.map(|k| 10.0 * k));
    let params = UPDEParams::new([1.0; 16], knm, 0.001, 0.0, 0.0).unwrap();
    let mut st = UPDEStepper::<f64>::new(params, SimpleRng::new(1));
    let mut s = UPDEState::<f64>::new(&start).unwrap();
    let r0 = s.r_global();
    assert!((r0 - 0.99952995657).abs() < 1e-10);
    st.run(&mut s, 1000).unwrap();
    assert!(s.r_global() > r0);
    assert!((s.r_global() - 0.99999999998759).abs() < 1e-9, "R = {}", s.r_global());
}

/// Spec §7.1 NOTE: the splay is an unstable equilibrium; round-off must
/// seed the instability. Checked on every backend.
fn splay_escapes<T: PhaseBackend>() -> f64 {
    let mut st = strong_coupling::<T>(5.0, 0.001);
    let splay: [f64; 16] = std::array::from_fn(|i| i as f64 * TAU / 16.0);
    let mut s = UPDEState::<T>::new(&splay).unwrap();
    assert!(s.r_global().to_f64() < 0.15);
    for _ in 0..50 {
        st.run(&mut s, 100).unwrap();
        if s.r_global().to_f64() > 0.9 {
            return s.r_global().to_f64();
        }
    }
    s.r_global().to_f64()
}

#[test]
fn splay_desynchronised_start_reaches_sync() {
    assert!(splay_escapes::<f64>() > 0.9);
    assert!(splay_escapes::<f32>() > 0.9);
    assert!(splay_escapes::<Q16>() > 0.9);
}

/// Largest circular distance between two phase vectors (radians).
fn max_phase_gap(a: &[f64; 16], b: &[f64; 16]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = (x - y).rem_euclid(TAU);
            d.min(TAU - d)
        })
        .fold(0.0, f64::max)
}

/// How far a backend strays from f64 (same start, noise-free, defaults).
struct Tracking {
    /// Max circular phase gap after 10 steps (rad).
    gap_10: f64,
    /// Max circular phase gap after 1000 steps (rad).
    gap_1000: f64,
    /// Max |R − R_f64| over the first 10 steps.
    r_gap_10: f64,
    /// |mean R − mean R_f64| over 1000 steps.
    mean_r_gap: f64,
}

fn track<T: PhaseBackend>() -> Tracking {
    let mut rng = SimpleRng::new(2024);
    let start: [f64; 16] = std::array::from_fn(|_| rng.next_f64() * TAU);
    let mut ref_st = stepper::<f64>(0.01, 0.1, 0.0, 3);
    let mut st = stepper::<T>(0.01, 0.1, 0.0, 3);
    let mut a = UPDEState::<f64>::new(&start).unwrap();
    let mut b = UPDEState::<T>::new(&start).unwrap();
    let mut out = Tracking { gap_10: 0.0, gap_1000: 0.0, r_gap_10: 0.0, mean_r_gap: 0.0 };
    let (mut mean_a, mut mean_b) = (0.0, 0.0);
    for k in 1..=1000 {
        ref_st.step(&mut a).unwrap();
        st.step(&mut b).unwrap();
        if k <= 10 {
            out.r_gap_10 = out.r_gap_10.max((a.r_global() - b.r_global().to_f64()).abs());
        }
        if k == 10 {
            out.gap_10 = max_phase_gap(&a.theta_radians(), &b.theta_radians());
        }
        mean_a += a.r_global();
        mean_b += b.r_global().to_f64();
    }
    out.gap_1000 = max_phase_gap(&a.theta_radians(), &b.theta_radians());
    out.mean_r_gap = ((mean_a - mean_b) / 1000.0).abs();
    out
}

#[test]
fn f32_tracks_f64() {
    // Measured (seed 2024 start): gaps 1.5e-8 / 1.1e-6 rad, R gap 4.6e-8,
    // mean R gap 2.0e-8. Bounds leave 10-60x headroom.
    let t = track::<f32>();
    assert!(t.gap_10 < 1e-6, "gap after 10 steps {}", t.gap_10);
    assert!(t.gap_1000 < 2e-5, "gap after 1000 steps {}", t.gap_1000);
    assert!(t.r_gap_10 < 1e-6, "R gap {}", t.r_gap_10);
    assert!(t.mean_r_gap < 1e-6, "mean R gap {}", t.mean_r_gap);
}

#[test]
fn q16_tracks_f64() {
    // Measured: gaps 2.0e-5 / 3.6e-4 rad, R gap 9.6e-5, mean R gap 3.0e-5.
    let t = track::<Q16>();
    assert!(t.gap_10 < 1e-4, "gap after 10 steps {}", t.gap_10);
    assert!(t.gap_1000 < 3e-3, "gap after 1000 steps {}", t.gap_1000);
    assert!(t.r_gap_10 < 5e-4, "R gap {}", t.r_gap_10);
    assert!(t.mean_r_gap < 3e-4, "mean R gap {}", t.mean_r_gap);
}

#[test]
fn seeded_noise_is_portable_across_backends() {
    // The same seed consumes the same stream: after one step every backend
    // is within its noise accuracy of the f64 reference trajectory.
    let mut a = UPDEState::<f64>::new(&[0.0; 16]).unwrap();
    let mut b = UPDEState::<f32>::new(&[0.0; 16]).unwrap();
    let mut c = UPDEState::<Q16>::new(&[0.0; 16]).unwrap();
    let (mut sa, mut sb, mut sc) = (
        stepper::<f64>(0.01, 0.1, 0.05, 42),
        stepper::<f32>(0.01, 0.1, 0.05, 42),
        stepper::<Q16>(0.01, 0.1, 0.05, 42),
    );
    for _ in 0..5 {
        sa.step(&mut a).unwrap();
        sb.step(&mut b).unwrap();
        sc.step(&mut c).unwrap();
        assert_eq!(sa.rng(), sb.rng());
        assert_eq!(sa.rng(), sc.rng());
    }
    assert!(max_phase_gap(&a.theta_radians(), &b.theta_radians()) < 1e-5);
    assert!(max_phase_gap(&a.theta_radians(), &c.theta_radians()) < 1e-3);
}

#[test]
fn order_parameter_generic_matches_state() {
    let theta: [f64; 16] = std::array::from_fn(|i| 0.3 * i as f64);
    let s = UPDEState::<f64>::new(&theta).unwrap();
    assert!((order_parameter(&theta) - s.r_global()).abs() < 1e-15);
    assert_eq!(order_parameter::<f32>(&[]), 0.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn phases_stay_in_range_and_r_in_unit(
        theta in prop::array::uniform16(-1e6f64..1e6),
        seed in any::<u64>(),
        dt in 1e-4f64..0.1,
        f in -10.0f64..10.0,
        sigma in 0.0f64..2.0,
        steps in 1u64..20,
    ) {
        let params = UPDEParams::canonical(dt, f, sigma).unwrap();
        let mut a = UPDEStepper::<f64>::new(params, SimpleRng::new(seed));
        let mut b = UPDEStepper::<f32>::new(params, SimpleRng::new(seed));
        let mut c = UPDEStepper::<Q16>::new(params, SimpleRng::new(seed));
        let mut sa = UPDEState::<f64>::new(&theta).unwrap();
        let mut sb = UPDEState::<f32>::new(&theta).unwrap();
        let mut sc = UPDEState::<Q16>::new(&theta).unwrap();
        for _ in 0..steps {
            a.step(&mut sa).unwrap();
            b.step(&mut sb).unwrap();
            c.step(&mut sc).unwrap();
            for x in sa.theta_radians().iter().chain(&sb.theta_radians()).chain(&sc.theta_radians()) {
                prop_assert!((0.0..TAU).contains(x), "{}", x);
            }
            for r in [sa.r_global(), sb.r_global().to_f64(), sc.r_global().to_f64()] {
                prop_assert!((0.0..=1.0).contains(&r), "{}", r);
            }
        }
    }

    #[test]
    fn any_finite_input_never_panics(
        theta in prop::array::uniform16(prop::num::f64::ANY),
        omega in prop::array::uniform16(-1e300f64..1e300),
        k in -1e300f64..1e300,
        dt in prop::num::f64::ANY,
        sigma in prop::num::f64::ANY,
    ) {
        let params = UPDEParams::new(omega, [[k; 16]; 16], dt, 0.1, sigma);
        let state = UPDEState::<f64>::new(&theta);
        if theta.iter().any(|x| !x.is_finite()) {
            prop_assert_eq!(state.unwrap_err(), PhysicsError::NonFiniteInput);
        }
        if let (Ok(p), Ok(mut s)) = (params, state) {
            let mut st = UPDEStepper::<f64>::new(p, SimpleRng::new(1));
            let mut sq = UPDEState::<Q16>::new(&theta).unwrap();
            let mut stq = UPDEStepper::<Q16>::new(p, SimpleRng::new(1));
            match st.step(&mut s) {
                Ok(()) => prop_assert!(s.theta_radians().iter().all(|x| (0.0..TAU).contains(x))),
                Err(e) => prop_assert_eq!(e, PhysicsError::NonFiniteResult),
            }
            stq.step(&mut sq).unwrap();
        }
    }
}
