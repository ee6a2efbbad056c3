//! SEC functional: golden values (spec §4.5), reference invariants (spec
//! §7.1), f32 agreement and property tests.

#![allow(clippy::excessive_precision)] // golden digits as the spec prints them

use std::f64::consts::{PI, TAU};

use backfire_nostd::physics::sec::bessel_i0_approx;
use backfire_nostd::physics::{KNM, PhysicsError, SECFunctional, SECResult};
use proptest::prelude::*;

fn fresh() -> SECFunctional<f64> {
    SECFunctional::default()
}

fn ramp(step: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| step * i as f64).collect()
}

/// |got − want| within `rel` of |want| plus an absolute floor `abs`.
fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    (got - want).abs() <= rel * want.abs() + abs
}

macro_rules! assert_close {
    ($got:expr, $want:expr) => {
        assert_close!($got, $want, 1e-11, 1e-15)
    };
    ($got:expr, $want:expr, $rel:expr, $abs:expr) => {{
        let (g, w) = ($got, $want);
        assert!(close(g, w, $rel, $abs), "{} = {g}, want {w}", stringify!($got));
    }};
}

struct Row {
    theta: Vec<f64>,
    v: f64,
    v_normalised: f64,
    r_global: f64,
    coherence: f64,
    v_coupling: f64,
    v_entropy: f64,
}

#[test]
fn golden_table() {
    let rows = [
        Row {
            theta: vec![0.0; 16],
            v: 0.00571555774445,
            v_normalised: 9.412064395755e-5,
            r_global: 1.0,
            coherence: 0.99990587935604,
            v_coupling: 0.0,
            v_entropy: 0.00571555774445,
        },
        Row {
            theta: ramp(0.4, 16),
            v: 19.680136668532857,
            v_normalised: 0.3240816065958409,
            r_global: 0.01836410254981567,
            coherence: 0.6759183934041591,
            v_coupling: 19.680134684382448,
            v_entropy: 1.98415040981e-6,
        },
        Row {
            theta: ramp(0.3, 16),
            v: 14.076463713274544,
            v_normalised: 0.23180341946914737,
            r_global: 0.2825011801583186,
            coherence: 0.7681965805308526,
            v_coupling: 14.075990245892285,
            v_entropy: 4.7346738225835e-4,
        },
        Row {
            theta: ramp(TAU / 16.0, 16),
            v: 19.31384909781221,
            v_normalised: 0.3180497854558465,
            r_global: 4e-17,
            coherence: 0.6819502145441535,
            v_coupling: 19.31384909781221,
            v_entropy: 0.0,
        },
        Row {
            theta: (0..16).map(|i| if i % 2 == 0 { 0.0 } else { PI }).collect(),
            v: 35.708688810276463,
            v_normalised: 0.5880309387062833,
            r_global: 6e-17,
            coherence: 0.4119690612937167,
            v_coupling: 35.70774640500462,
            v_entropy: 9.4240527184099e-4,
        },
    ];
    for row in &rows {
        let r = fresh().evaluate(&row.theta, None, 0.01).unwrap();
        // Values given to ~13 digits get a matching tolerance.
        assert_close!(r.v, row.v, 1e-11, 1e-14);
        assert_close!(r.v_normalised, row.v_normalised, 1e-11, 1e-15);
        assert_close!(r.r_global, row.r_global, 1e-11, 1e-15);
        assert_close!(r.coherence_score, row.coherence, 1e-11, 1e-14);
        assert_close!(r.v_coupling, row.v_coupling, 1e-12, 1e-14);
        assert_close!(r.v_entropy, row.v_entropy, 1e-9, 1e-16);
        assert_eq!(r.v_frequency, 0.0);
        assert_eq!(r.dv_dt, 0.0);
    }
    // all 0.5 and all 1.0 give the same row as all 0.
    for x in [0.5, 1.0] {
        let r = fresh().evaluate(&[x; 16], None, 0.01).unwrap();
        assert_eq!(r.v_coupling, 0.0);
        assert_close!(r.v, 0.00571555774445, 1e-11, 1e-15);
    }
}

#[test]
fn frequency_penalty_and_dv_dt_sequence() {
    let mut sec = fresh();
    let r = sec.evaluate(&[0.0; 16], Some(&[0.1; 16]), 0.01).unwrap();
    assert_close!(r.v_frequency, 7517.279063400001, 1e-13, 0.0);
    assert_close!(r.v, 7517.284778957745, 1e-13, 0.0);
    assert_eq!(r.v_normalised, 1.0);
    assert_eq!(r.coherence_score, 0.0);
    assert_eq!(r.dv_dt, 0.0);
    let r = sec.evaluate(&ramp(0.4, 16), None, 0.01).unwrap();
    assert_close!(r.dv_dt, -749760.4642289212, 1e-12, 0.0);
    // θ = prev: λ_ω Σ ω².
    let p = fresh().frequency_penalty(&[0.3; 16], Some(&[0.3; 16]), 0.01);
    assert_close!(p, 6662.867063399998, 1e-13, 0.0);
    // reset forgets V.
    sec.reset();
    assert_eq!(sec.evaluate(&ramp(0.4, 16), None, 0.01).unwrap().dv_dt, 0.0);
}

#[test]
fn update_coupling_goldens() {
    let mut sec = fresh();
    sec.update_coupling(&[[0.1; 16]; 16]).unwrap();
    assert_close!(sec.v_max(), 51.2, 1e-13, 0.0);
    let r = sec.evaluate(&ramp(0.4, 16), None, 0.01).unwrap();
    assert_close!(r.v_coupling, 25.591366649280985, 1e-12, 0.0);
    assert_close!(r.coherence_score, 0.5001685813782949, 1e-12, 0.0);

    let mut sec = fresh();
    let before = sec.evaluate(&ramp(0.4, 16), None, 0.01).unwrap().v_coupling;
    sec.update_coupling(&[[0.0; 16]; 16]).unwrap();
    assert_eq!(sec.v_max(), 1e-12);
    let r = sec.evaluate(&ramp(0.4, 16), None, 0.01).unwrap();
    assert!(r.v_coupling < 1e-12 && r.v_coupling < before);
    assert_close!(r.v, 1.98415040981e-6, 1e-9, 0.0);
    assert_eq!(r.v_normalised, 1.0);
    assert_eq!(r.coherence_score, 0.0);

    // Doubling K doubles v_max.
    let mut sec = fresh();
    let v1 = sec.v_max();
    sec.update_coupling(&KNM.map(|row| row.map(|k| 2.0 * k))).unwrap();
    assert!((sec.v_max() - 2.0 * v1).abs() < 1e-9);
}

#[test]
fn other_lengths() {
    let r = fresh().evaluate(&[0.0, 1.0, 2.0], None, 0.01).unwrap();
    assert_close!(r.v_coupling, 1.1619339563799866, 1e-13, 0.0);
    assert_close!(r.v_entropy, 0.0026734228280435, 1e-12, 0.0);
    assert_close!(r.r_global, 0.6935348705787598, 1e-13, 0.0);

    let sixteen = fresh().evaluate(&ramp(0.3, 16), None, 0.01).unwrap();
    let r = fresh().evaluate(&ramp(0.3, 20), None, 0.01).unwrap();
    assert_close!(r.v_coupling, sixteen.v_coupling, 1e-15, 0.0);
    assert_close!(r.v_entropy, 1.331963e-5, 1e-6, 0.0);
    assert_close!(r.r_global, 0.04721686684782368, 1e-12, 0.0);

    // The reference scored an empty snapshot R = NaN ("coherence 1").
    assert_eq!(fresh().evaluate(&[], None, 0.01).unwrap_err(), PhysicsError::EmptyTheta);
}

#[test]
fn reference_invariants() {
    let sec = fresh();
    assert!(sec.coupling_potential(&[1.0; 16]).abs() < 1e-9);
    assert!(sec.coupling_potential(&ramp(0.4, 16)) >= 0.0);
    assert_eq!(sec.frequency_penalty(&[1.0; 16], None, 0.01), 0.0);
    let splay = sec.entropy_term(&ramp(TAU / 16.0, 16));
    assert!(sec.entropy_term(&ramp(0.3, 16)) >= 0.0);
    assert!((0.0..0.005).contains(&splay));
    assert!(sec.entropy_term(&[1.0; 16]) > splay);
    let mut sec = fresh();
    let r = sec.evaluate(&[0.5; 16], None, 0.01).unwrap();
    assert!((0.0..=1.0).contains(&r.coherence_score));
    assert!(sec.evaluate(&[1.0; 16], None, 0.01).unwrap().coherence_score > 0.9);
    assert_eq!(sec.evaluate(&[f64::NAN; 16], None, 0.01).unwrap_err(), PhysicsError::NonFiniteTheta);

    assert!((bessel_i0_approx(0.0) - 1.0).abs() < 1e-6);
    assert!((bessel_i0_approx(2.0) - 2.2796).abs() < 1e-3);

    let kc = sec.critical_coupling();
    assert!(kc > 0.0 && kc.is_finite() && kc < 100.0);
    assert_close!(kc, 96.98004588726975, 1e-14, 0.0);

    let mk = |dv_dt| SECResult { dv_dt, ..r };
    assert!(mk(-0.01).is_stable(0.0));
    assert!(mk(0.005).is_stable(0.01));
    assert!(!mk(0.005).is_stable(0.001));
}

#[test]
fn f32_agrees_with_f64() {
    let cases =
        [vec![0.0; 16], ramp(0.4, 16), ramp(0.3, 16), ramp(TAU / 16.0, 16), vec![1.0; 16], ramp(0.3, 20)];
    for theta in &cases {
        let t32: Vec<f32> = theta.iter().map(|&x| x as f32).collect();
        let a = fresh().evaluate(theta, None, 0.01).unwrap();
        let b = SECFunctional::<f32>::default().evaluate(&t32, None, 0.01).unwrap();
        assert!((f64::from(b.coherence_score) - a.coherence_score).abs() < 1e-5, "{theta:?}");
        assert!((f64::from(b.v_coupling) - a.v_coupling).abs() < 1e-5 * a.v_coupling.max(1.0));
        assert!((f64::from(b.v_entropy) - a.v_entropy).abs() < 2e-7);
        assert!((f64::from(b.r_global) - a.r_global).abs() < 1e-6);
    }
    // Aligned phases: exactly zero coupling energy even in f32.
    assert_eq!(SECFunctional::<f32>::default().coupling_potential(&[1.234; 16]), 0.0);
    assert!((SECFunctional::<f32>::default().critical_coupling() - 96.98005).abs() < 1e-4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn outputs_stay_in_range(
        snapshots in (1usize..40).prop_flat_map(|n| {
            let phases = prop::collection::vec(-1e3f64..1e3, n);
            (phases.clone(), prop::option::of(phases))
        }),
        dt in -1.0f64..1.0,
    ) {
        let (theta, prev) = snapshots;
        let mut sec = fresh();
        for _ in 0..2 {
            let r = sec.evaluate(&theta, prev.as_deref(), dt).unwrap();
            prop_assert!((0.0..=1.0).contains(&r.coherence_score));
            prop_assert!((0.0..=1.0).contains(&r.v_normalised));
            prop_assert!((0.0..=1.0).contains(&r.r_global));
            prop_assert!(r.v_coupling >= 0.0 && r.v_entropy >= 0.0 && r.v_frequency >= 0.0);
            prop_assert!(r.v.is_finite() && r.dv_dt.is_finite());
            prop_assert!(r.v_entropy <= 0.01 * (theta.len().max(16) as f64).ln() + 1e-12);
        }
    }

    #[test]
    fn non_finite_input_is_rejected(mut theta in prop::collection::vec(-10.0f64..10.0, 1..20), idx in any::<prop::sample::Index>(), bad in prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY])) {
        let i = idx.index(theta.len());
        theta[i] = bad;
        let mut sec = fresh();
        prop_assert_eq!(sec.evaluate(&theta, None, 0.01).unwrap_err(), PhysicsError::NonFiniteTheta);
        let good = vec![0.0; theta.len()];
        prop_assert_eq!(sec.evaluate(&good, Some(&theta), 0.01).unwrap_err(), PhysicsError::NonFinitePrev);
        prop_assert_eq!(sec.prev_v(), None);
    }

    #[test]
    fn a_previous_snapshot_of_another_length_is_rejected(n in 1usize..40, m in 0usize..40) {
        prop_assume!(n != m);
        let mut sec = fresh();
        sec.evaluate(&vec![0.1; n], None, 0.01).unwrap();
        let before = sec.prev_v();
        let err = sec.evaluate(&vec![0.2; n], Some(&vec![0.3; m]), 0.01).unwrap_err();
        prop_assert_eq!(err, PhysicsError::PrevLength { expected: n, got: m });
        prop_assert_eq!(sec.prev_v(), before);
    }
}
