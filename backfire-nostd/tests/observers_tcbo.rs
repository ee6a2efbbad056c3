//! TCBO observer: the reference's invariants and golden values (spec §6.1,
//! §6.4) in the reference-compatible linear embedding, and the behaviour of
//! our defaults (angular embedding, input validation).
//!
//! Golden values were measured on the reference with glibc's `exp`; we use
//! `libm`, so they are asserted to 1e-12 relative (observed: bit-identical).

// Golden values are quoted with the digits the spec measured.
#![allow(clippy::excessive_precision)]

use backfire_nostd::observers::{
    FlatPoints, ObserverError, PhaseEmbedding, PointSet, TCBOConfig, TCBOObserver, TCBOParams, delay_embed,
    delay_embed_multi, dispersion_lifetime, persistence_to_probability, s0_for_threshold,
};
use std::f64::consts::PI;

fn close(actual: f64, expected: f64, rel: f64) -> bool {
    (actual - expected).abs() <= rel * expected.abs().max(1e-300)
}

#[track_caller]
fn assert_golden(actual: f64, expected: f64) {
    assert!(close(actual, expected, 1e-12), "got {actual:?}, expected {expected:?}");
}

fn observer(n: usize, params: TCBOParams) -> TCBOObserver<f64, Vec<f64>> {
    let config = TCBOConfig::new(&params).unwrap();
    let len = config.storage_len(n).unwrap();
    TCBOObserver::new(n, config, vec![0.0; len]).unwrap()
}

fn reference(n: usize) -> TCBOObserver<f64, Vec<f64>> {
    observer(n, TCBOParams::reference())
}

fn lifetime(points: &[f64], dim: usize) -> f64 {
    let points = FlatPoints::new(points, dim).unwrap();
    let mut centroid = vec![0.0; points.dim()];
    let mut radii = vec![0.0; points.len()];
    dispersion_lifetime(&points, &mut centroid, &mut radii).unwrap()
}

// ---- spec §6.1 -----------------------------------------------------------

#[test]
fn logistic_and_calibration() {
    assert!((persistence_to_probability(0.0, 0.0, 8.0) - 0.5f64).abs() < 1e-9);
    assert!(persistence_to_probability(1.0, 0.0, 8.0f64) > 0.99);
    assert!(persistence_to_probability(-1.0, 0.0, 8.0f64) < 0.01);
    let s0 = s0_for_threshold(0.5, 0.72, 8.0f64).unwrap();
    assert_golden(s0, 0.38194229889489362);
    assert!((persistence_to_probability(0.5, s0, 8.0) - 0.72).abs() < 1e-6);
}

#[test]
fn delay_embedding_shapes() {
    let x: Vec<f64> = (0..10).map(f64::from).collect();
    let mut out = vec![0.0; 30];
    assert_eq!(delay_embed(&x, 3, 1, &mut out), Ok(8));
    assert_eq!(out[..3], [2.0, 1.0, 0.0]);
    assert_eq!(out[21..24], [9.0, 8.0, 7.0]);
    assert_eq!(delay_embed(&[1.0, 2.0], 3, 2, &mut out), Ok(0));

    let rows: Vec<f64> = (0..10).flat_map(|i| [f64::from(i), 2.0 * f64::from(i)]).collect();
    let mut out = vec![0.0; 48];
    assert_eq!(delay_embed_multi(&rows, 2, 3, 1, &mut out), Ok((8, 6)));
    assert_eq!(out[42..48], [9.0, 8.0, 7.0, 18.0, 16.0, 14.0]);
}

#[test]
fn dispersion_of_helix_and_of_identical_points() {
    let helix: Vec<f64> =
        (0..50).flat_map(|i| [(0.1 * i as f64).cos(), (0.1 * i as f64).sin(), 0.01 * i as f64]).collect();
    assert_golden(lifetime(&helix, 3), 0.10708235956064976);
    let copies: Vec<f64> = (0..10).flat_map(|_| [1.0, 2.0, 3.0]).collect();
    assert!(lifetime(&copies, 3) < 1e-9);
}

#[test]
fn fresh_observer_reports_zero() {
    let obs = reference(16);
    let state = obs.state();
    assert_eq!((state.p_h1, state.is_conscious, state.buffer_size), (0.0, false, 0));
    assert_eq!(state.h1_error, 0.72);
}

#[test]
fn sixteen_sines_are_conscious() {
    let mut obs = reference(16);
    for i in 0..60 {
        let theta: Vec<f64> = (0..16).map(|j| (0.1 * i as f64 + 0.5 * j as f64).sin()).collect();
        obs.push(&theta).unwrap();
    }
    let p = obs.compute(true).unwrap();
    assert_golden(p, 0.98470434117791694);
    assert_golden(obs.s_h1(), 0.52059654798191823);
    assert!(obs.is_conscious());
    assert_eq!(obs.h1_error(), 0.0);
    // The reference keeps 10 unused rows of slack (buffer_size 60); the
    // ring holds exactly the min_needed = 52 rows a computation reads.
    assert_eq!(obs.buffer_size(), 52);
}

#[test]
fn ramp_then_reset() {
    let mut obs = reference(16);
    for i in 0..60 {
        let theta: Vec<f64> = (0..16).map(|j| 0.1 * (i + j) as f64).collect();
        obs.push(&theta).unwrap();
    }
    assert_golden(obs.compute(true).unwrap(), 0.99999999999929279);
    assert_golden(obs.s_h1(), 3.4971988791031028);
    obs.reset();
    let state = obs.state();
    assert_eq!((state.p_h1, state.s_h1, state.is_conscious, state.buffer_size), (0.0, 0.0, false, 0));
    assert_eq!(state.h1_error, 0.72);
    assert_eq!(obs.compute(true), Ok(0.0), "an emptied buffer cannot compute");
}

// ---- spec §6.4 -----------------------------------------------------------

#[test]
fn two_channel_circle() {
    let mut obs = reference(2);
    for t in 0..60 {
        let phase = 2.0 * PI * t as f64 / 20.0;
        obs.push(&[phase.cos(), phase.sin()]).unwrap();
    }
    assert_golden(obs.compute(true).unwrap(), 0.7033912539670735);
    assert!(!obs.is_conscious());
}

#[test]
fn single_channel_sines() {
    let mut small = reference(1);
    let mut large = reference(1);
    for t in 0..60 {
        small.push(&[0.01 * (0.3 * t as f64).sin()]).unwrap();
        large.push(&[(0.3 * t as f64).sin()]).unwrap();
    }
    assert_eq!(small.compute(true), Ok(0.5), "below the noise floor");
    assert_golden(large.compute(true).unwrap(), 0.92167949982671282);
    assert_golden(large.s_h1(), 0.30817352057177727);
}

#[test]
fn short_window_sequence() {
    let mut obs = observer(4, TCBOParams { window_size: 10, ..TCBOParams::reference() });
    let results: Vec<f64> = (0..14)
        .map(|i| {
            let theta: Vec<f64> = (0..4).map(|k| (0.7 * i as f64 + k as f64).sin()).collect();
            obs.push_and_compute(&theta, false).unwrap()
        })
        .collect();
    assert!(results[..11].iter().all(|&p| p == 0.0), "{results:?}");
    assert_golden(results[11], 0.7579170298411265);
    assert_golden(results[12], 0.7551745342753936);
    assert_golden(results[13], 0.7550935945727542);
}

#[test]
fn custom_threshold_and_beta() {
    let params = TCBOParams { tau_h1: 0.9, beta: 2.0, window_size: 20, ..TCBOParams::reference() };
    let mut obs = observer(1, params);
    for i in 0..30 {
        obs.push(&[(0.3 * i as f64).sin()]).unwrap();
    }
    assert_golden(obs.compute(true).unwrap(), 0.6498728090119127);
    assert!(!obs.is_conscious());
}

#[test]
fn stride_counter_counts_every_call() {
    let params = TCBOParams { compute_every_n: 3, window_size: 5, ..TCBOParams::reference() };
    let mut obs = observer(1, params);
    let results: Vec<f64> =
        (0..12).map(|i: i32| obs.push_and_compute(&[f64::from(i * i % 7)], false).unwrap()).collect();
    assert!(results[..8].iter().all(|&p| p == 0.0), "{results:?}");
    for &p in &results[8..11] {
        assert_golden(p, 0.8935388758864498);
    }
    assert_golden(results[11], 0.8997624313921506);
}

/// A forced computation between strided ones leaves the stride's phase
/// alone (spec §8 item 10: the reference's shifted it).
#[test]
fn forced_computations_do_not_shift_the_stride() {
    let params = TCBOParams { compute_every_n: 3, window_size: 5, ..TCBOParams::reference() };
    let (mut plain, mut forced) = (observer(1, params), observer(1, params));
    for i in 0..12 {
        let theta = [f64::from(i * i % 7)];
        plain.push(&theta).unwrap();
        forced.push(&theta).unwrap();
        if i == 8 {
            forced.compute(true).unwrap();
        }
        // The next strided computation refreshes both at the same call.
        let (a, b) = (plain.compute(false).unwrap(), forced.compute(false).unwrap());
        if i >= 10 {
            assert_eq!(a.to_bits(), b.to_bits(), "call {i}");
        }
    }
    // Calls 9 and 12 are strided: the last result is the twelfth row's.
    assert_golden(plain.compute(false).unwrap(), 0.8997624313921506);
}

#[test]
fn dispersion_of_exact_shapes() {
    let circle: Vec<f64> = (0..50)
        .flat_map(|i| [(2.0 * PI * i as f64 / 50.0).cos(), (2.0 * PI * i as f64 / 50.0).sin()])
        .collect();
    assert!(lifetime(&circle, 2) < 1e-12, "a perfect circle has no radial spread");
    let line: Vec<f64> = (0..50).map(|i| 0.1 * i as f64).collect();
    assert_golden(lifetime(&line, 1), 0.5047771785649585);
    assert_eq!(lifetime(&[0.0, 0.0, 1.0, 1.0], 2), 0.0);
    assert_golden(lifetime(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0], 2), 0.09039937356865174);
}

#[test]
fn one_row_short_then_a_jump() {
    let mut obs = reference(2);
    for i in 0..51 {
        obs.push(&[0.1 * i as f64, 0.0]).unwrap();
    }
    assert_eq!(obs.compute(true), Ok(0.0));
    obs.push(&[5.1, 0.0]).unwrap();
    assert_golden(obs.compute(true).unwrap(), 0.99908383524222666);
}

// ---- edge cases (spec §2.7) and our validation ---------------------------

#[test]
fn window_of_one_and_constant_input_give_one_half() {
    let mut single = observer(3, TCBOParams { window_size: 1, ..TCBOParams::reference() });
    let mut constant = reference(3);
    for i in 0..60 {
        single.push(&[i as f64, 1.0, -2.0]).unwrap();
        constant.push(&[0.5, 0.5, 0.5]).unwrap();
    }
    assert_eq!(single.compute(true), Ok(0.5));
    assert_eq!(constant.compute(true), Ok(0.5));
    assert!(!constant.is_conscious());
    assert!(close(constant.h1_error(), 0.21999999999999997, 1e-15));
}

#[test]
fn bad_rows_are_rejected_and_not_stored() {
    let mut obs = reference(3);
    assert_eq!(obs.push(&[1.0]), Err(ObserverError::Length { field: "theta", expected: 3, got: 1 }));
    assert_eq!(obs.push(&[1.0, 2.0, 3.0, 4.0]).unwrap_err().to_string(), "theta must have length 3, got 4");
    let err = obs.push(&[0.0, f64::INFINITY, f64::NAN]).unwrap_err();
    assert_eq!(err.to_string(), "theta[1] must be finite, got inf");
    assert_eq!(obs.buffer_size(), 0);
    assert!(obs.push_and_compute(&[f64::NAN; 3], true).is_err());
    assert_eq!(obs.buffer_size(), 0);
}

#[test]
fn invalid_configurations_are_rejected() {
    let cases: [(TCBOParams, &str); 8] = [
        (TCBOParams { embed_dim: 0, ..Default::default() }, "embed_dim must be >= 1, got 0"),
        (TCBOParams { tau_delay: 0, ..Default::default() }, "tau_delay must be >= 1, got 0"),
        (TCBOParams { window_size: 0, ..Default::default() }, "window_size must be >= 1, got 0"),
        (TCBOParams { tau_h1: 1.5, ..Default::default() }, "tau_h1 must be in [0, 1], got 1.5"),
        (TCBOParams { beta: f64::NAN, ..Default::default() }, "beta must be finite and > 0, got NaN"),
        (TCBOParams { s0: f64::INFINITY, ..Default::default() }, "s0 must be finite, got inf"),
        (
            TCBOParams { persistence_threshold: -0.1, ..Default::default() },
            "persistence_threshold must be finite and >= 0, got -0.1",
        ),
        (
            TCBOParams { embed_dim: usize::MAX, tau_delay: 2, ..Default::default() },
            "tau_delay must be small enough that the window fits, got 2",
        ),
    ];
    for (params, message) in cases {
        assert_eq!(TCBOConfig::<f64>::new(&params).unwrap_err().to_string(), message);
    }
    // Valid as f64 but not as f32 (found by the property test: β = ∞ in
    // f32 made p_h1 NaN).
    let huge = TCBOParams { beta: 1e91, ..Default::default() };
    assert!(TCBOConfig::<f64>::new(&huge).is_ok());
    let err = TCBOConfig::<f32>::new(&huge).unwrap_err();
    assert_eq!((err.field, err.value, err.rule), ("beta", 1e91, "representable in the number type"));
    assert!(TCBOConfig::<f32>::new(&TCBOParams { beta: 1e-50, ..Default::default() }).is_err());
    assert!(TCBOConfig::<f32>::new(&TCBOParams { s0: -1e40, ..Default::default() }).is_err());

    let config = TCBOConfig::<f64>::new(&TCBOParams::default()).unwrap();
    assert!(TCBOObserver::new(0, config, vec![0.0; 10]).is_err());
    assert_eq!(
        TCBOObserver::new(16, config, vec![0.0; 10]).unwrap_err(),
        ObserverError::Storage { needed: 2130, provided: 10 }
    );
    assert!(TCBOObserver::new(usize::MAX / 2, config, vec![0.0; 10]).is_err());
}

// ---- the angular embedding (our default) ---------------------------------

fn drifting_phases(t: usize) -> [f64; 3] {
    let t = t as f64;
    [0.9 * t, 0.4 * t + 1.0, -0.7 * t + 0.3]
}

fn wrap(x: f64) -> f64 {
    (x + PI).rem_euclid(2.0 * PI) - PI
}

#[test]
fn angular_embedding_ignores_wrapping() {
    let mut unwrapped = observer(3, TCBOParams::default());
    let mut wrapped = observer(3, TCBOParams::default());
    let mut linear_unwrapped = reference(3);
    let mut linear_wrapped = reference(3);
    for t in 0..80 {
        let theta = drifting_phases(t);
        let theta_wrapped = theta.map(wrap);
        unwrapped.push(&theta).unwrap();
        wrapped.push(&theta_wrapped).unwrap();
        linear_unwrapped.push(&theta).unwrap();
        linear_wrapped.push(&theta_wrapped).unwrap();
    }
    let (a, b) = (unwrapped.compute(true).unwrap(), wrapped.compute(true).unwrap());
    assert!((a - b).abs() < 1e-9, "angular: {a} vs {b}");
    assert!(close(unwrapped.s_h1(), wrapped.s_h1(), 1e-9));
    // The Euclidean embedding sees the ±π jumps (and the unbounded drift).
    let (c, d) = (linear_unwrapped.compute(true).unwrap(), linear_wrapped.compute(true).unwrap());
    assert!((linear_unwrapped.s_h1() - linear_wrapped.s_h1()).abs() > 0.1, "linear: {c} vs {d}");
}

#[test]
fn angular_embedding_exposes_cosine_sine_cloud() {
    let mut obs = observer(1, TCBOParams { window_size: 4, embed_dim: 2, ..TCBOParams::default() });
    for t in 0..5 {
        obs.push(&[0.5 * t as f64]).unwrap();
    }
    let cloud = obs.point_cloud().unwrap();
    assert_eq!((cloud.len(), cloud.dim()), (4, 4));
    // Point 0: (cos θ_1, cos θ_0, sin θ_1, sin θ_0).
    let expected = [0.5f64.cos(), 1.0, 0.5f64.sin(), 0.0];
    for (j, e) in expected.iter().enumerate() {
        assert!((cloud.coord(0, j).unwrap() - e).abs() < 1e-15);
    }
    assert_eq!(obs.config().embedding(), PhaseEmbedding::Angular);
}

#[test]
fn compute_with_uses_the_estimator_lifetime() {
    let mut obs = reference(2);
    for i in 0..52 {
        obs.push(&[i as f64, 0.0]).unwrap();
    }
    let mut seen = (0, 0);
    let p = obs
        .compute_with(true, |cloud| {
            seen = (cloud.len(), cloud.dim());
            Ok(0.5)
        })
        .unwrap();
    assert_eq!(seen, (50, 6));
    assert!(close(p, persistence_to_probability(0.5, 0.0, 8.0), 1e-15));
    assert_eq!(obs.s_h1(), 0.5);
    // Below the noise floor the lifetime counts as 0.
    assert_eq!(obs.compute_with(true, |_| Ok(0.04)), Ok(0.5));
    assert!(obs.compute_with(true, |_| Ok(f64::NAN)).is_err());
    assert_eq!(obs.p_h1(), 0.5, "a rejected lifetime keeps the cached value");
}

// ---- f32 tracks f64 -------------------------------------------------------

/// f32 vs f64 on the same inputs: |Δp_h1| < 1e-5 with libm (observed
/// 1.5e-7: the logistic's slope is at most β/4 = 2, and f32 lifetimes carry
/// ~1e-7 relative error); < 1e-3 with the `micromath` feature, whose
/// `sin_cos` and `exp` are approximations (observed 2.2e-4).
#[test]
fn f32_tracks_f64() {
    let tol = if cfg!(feature = "micromath") { 1e-3 } else { 1e-5 };
    for embedding in [PhaseEmbedding::Linear, PhaseEmbedding::Angular] {
        let params = TCBOParams { embedding, ..TCBOParams::default() };
        let c64 = TCBOConfig::<f64>::new(&params).unwrap();
        let c32 = TCBOConfig::<f32>::new(&params).unwrap();
        let len = c64.storage_len(16).unwrap();
        let mut o64 = TCBOObserver::new(16, c64, vec![0.0f64; len]).unwrap();
        let mut o32 = TCBOObserver::new(16, c32, vec![0.0f32; len]).unwrap();
        let mut worst = 0.0f64;
        for i in 0..200 {
            let theta: Vec<f64> = (0..16).map(|j| wrap(0.13 * i as f64 * (1.0 + 0.1 * j as f64))).collect();
            let theta32: Vec<f32> = theta.iter().map(|&x| x as f32).collect();
            let p64 = o64.push_and_compute(&theta, false).unwrap();
            let p32 = o32.push_and_compute(&theta32, false).unwrap();
            worst = worst.max((p64 - f64::from(p32)).abs());
        }
        assert!(o64.p_h1() > 0.5, "the test must exercise the logistic above the floor");
        assert!(worst < tol, "{embedding:?}: worst |p32 - p64| = {worst}");
    }
}

// ---- the cloud's fast paths give the reference's bits ---------------------

/// `PointCloud` overrides `accumulate` and `squared_distances` (channel
/// runs, several sums side by side); they must equal the generic per-point
/// implementation on the materialised cloud bit for bit, whatever the ring
/// position, lag structure or window length.
#[test]
fn cloud_fast_paths_are_bit_identical_to_the_generic_ones() {
    for (embed_dim, tau_delay, window_size) in [(3, 1, 50), (1, 1, 7), (4, 3, 13), (2, 5, 4), (5, 2, 1)] {
        for embedding in [PhaseEmbedding::Linear, PhaseEmbedding::Angular] {
            let params = TCBOParams { embed_dim, tau_delay, window_size, embedding, ..TCBOParams::default() };
            let mut obs = observer(3, params);
            let min_needed = obs.config().min_needed();
            // Several fillings, so the ring's oldest row sits everywhere.
            for t in 0..3 * min_needed + 5 {
                let x = t as f64;
                obs.push(&[(0.3 * x).sin() * 2.0, 0.01 * x * x, (1.7 * x).cos()]).unwrap();
                let Some(cloud) = obs.point_cloud() else { continue };
                let mut data = vec![0.0; cloud.len() * cloud.dim()];
                cloud.fill(&mut data).unwrap();
                let flat = FlatPoints::new(&data, cloud.dim()).unwrap();

                let (mut fast, mut slow) = (vec![0.0; cloud.dim()], vec![0.0; cloud.dim()]);
                cloud.accumulate(&mut fast);
                flat.accumulate(&mut slow);
                assert_eq!(bits(&fast), bits(&slow), "sums at t = {t}");

                let center: Vec<f64> = slow.iter().map(|s| s / cloud.len() as f64).collect();
                let (mut fast, mut slow) = (vec![0.0; cloud.len()], vec![0.0; cloud.len()]);
                cloud.squared_distances(&center, &mut fast);
                flat.squared_distances(&center, &mut slow);
                assert_eq!(bits(&fast), bits(&slow), "distances at t = {t}, {params:?}");
            }
        }
    }
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

/// Without the noise floor (θp = 0), a circle sampled over whole periods
/// (all radii equal) must read as no spread in f32 too: the σ cut-off
/// scales with the rounding of the mean, since the reference's absolute
/// 1e-12 lies far below f32's rounding noise (~1e-7 here).
#[test]
fn f32_equal_radii_have_no_spread_without_a_noise_floor() {
    let params = TCBOParams { persistence_threshold: 0.0, ..TCBOParams::reference() };
    let config = TCBOConfig::<f32>::new(&params).unwrap();
    let mut obs = TCBOObserver::new(2, config, vec![0.0f32; config.storage_len(2).unwrap()]).unwrap();
    let mut obs64 = observer(2, params);
    for t in 0..60 {
        let a = 2.0 * PI * t as f64 / 25.0; // W = 50 holds two periods
        obs.push(&[a.cos() as f32, a.sin() as f32]).unwrap();
        obs64.push(&[a.cos(), a.sin()]).unwrap();
    }
    assert_eq!(obs64.compute(true), Ok(0.5));
    assert_eq!(obs.compute(true), Ok(0.5));
    assert_eq!(obs.s_h1(), 0.0);
}
