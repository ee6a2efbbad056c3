//! PGBO engine and bridge: the reference's invariants and golden values
//! (spec §6.2, §6.4) and our input validation.

use backfire_nostd::observers::{
    ObserverError, PGBOConfig, PGBOEngine, PGBOParams, pgbo_storage_len, phase_geometry_bridge, wrap_phase,
};
use std::f64::consts::PI;

type Engine = PGBOEngine<f64, Vec<f64>>;

fn engine(d: usize, params: PGBOParams) -> Engine {
    PGBOEngine::new(d, PGBOConfig::new(&params).unwrap(), vec![0.0; pgbo_storage_len(d)]).unwrap()
}

fn default_engine(d: usize) -> Engine {
    engine(d, PGBOParams::default())
}

#[track_caller]
fn assert_golden(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-12 * expected.abs().max(1e-3),
        "got {actual:?}, expected {expected:?}"
    );
}

#[track_caller]
fn assert_all_golden(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len());
    actual.iter().zip(expected).for_each(|(&a, &e)| assert_golden(a, e));
}

fn trace(h: &[f64], d: usize) -> f64 {
    (0..d).map(|i| h[i * d + i]).sum()
}

// ---- spec §6.2 -----------------------------------------------------------

#[test]
fn fresh_engine_is_zero() {
    let e = default_engine(4);
    assert_eq!((e.u_norm(), e.h_frob(), e.d()), (0.0, 0.0, 4));
    assert!(e.h_munu().iter().chain(e.u_mu()).all(|&x| x == 0.0));
}

#[test]
fn first_call_has_zero_velocity_then_uniform_step() {
    let mut e = default_engine(4);
    assert_eq!(e.compute(&[0.1, 0.2, 0.3, 0.4], 0.01).unwrap().u_norm, 0.0);
    let out = e.compute(&[0.2, 0.3, 0.4, 0.5], 0.01).unwrap();
    assert_all_golden(out.u_mu, &[3.3333333333333295; 4]);
    assert_golden(out.u_norm, 6.666666666666659);
    assert_all_golden(out.h_munu, &[3.3333333333333255; 16]);
    assert_golden(out.h_trace, 13.333333333333302);
    assert_golden(out.h_frob, 13.333333333333302);
}

#[test]
fn tensor_is_symmetric_and_psd() {
    let mut e = default_engine(4);
    e.compute(&[0.1, 0.2, 0.3, 0.4], 0.01).unwrap();
    let out = e.compute(&[0.5, 0.1, 0.7, 0.2], 0.01).unwrap();
    assert_all_golden(
        out.u_mu,
        &[5.64751392255358, -1.4118784806383888, 5.64751392255358, -2.8237569612767777],
    );
    assert_golden(out.u_norm, 8.588121519361605);
    assert_golden(out.h_trace, 22.126749369396563);
    assert_golden(out.h_frob, 22.126749369396563);
    let h = out.h_munu;
    for i in 0..4 {
        for j in 0..4 {
            assert!((h[i * 4 + j] - h[j * 4 + i]).abs() < 1e-12);
        }
    }
    let x = [1.0, -0.5, 0.3, 0.7];
    let quad: f64 = (0..16).map(|k| x[k / 4] * h[k] * x[k % 4]).sum();
    assert!(quad >= -1e-12);
}

#[test]
fn traceless_projection() {
    let mut e = engine(4, PGBOParams { traceless: true, ..Default::default() });
    e.compute(&[0.1, 0.2, 0.3, 0.4], 0.01).unwrap();
    let out = e.compute(&[0.5, 0.1, 0.7, 0.2], 0.01).unwrap();
    assert!(trace(out.h_munu, 4).abs() < 1e-10);
    assert_golden(out.h_frob, 19.16232705706873);
    let diagonal: Vec<f64> = (0..4).map(|i| out.h_munu[i * 5]).collect();
    assert_all_golden(
        &diagonal,
        &[4.036636709281817, -4.933667089122212, 4.036636709281817, -3.1396063294414223],
    );
    // h_trace is the trace of the returned tensor, computed: rounding-level,
    // not the reference's hard-coded 0.0.
    assert!(out.h_trace.abs() < 1e-12);
    assert_eq!(out.h_trace, trace(out.h_munu, 4));
    // Identity: h_frob = κ·u_norm²·sqrt(1 − 1/d).
    assert!((out.h_frob - 0.3 * out.u_norm.powi(2) * (0.75f64).sqrt()).abs() < 1e-10);
}

#[test]
fn saturation_keeps_u_below_the_cap() {
    let mut e = engine(4, PGBOParams { u_cap: 1.0, ..Default::default() });
    e.compute(&[0.0; 4], 0.01).unwrap();
    let out = e.compute(&[3.0; 4], 0.01).unwrap();
    assert!(out.u_norm < 100.0);
    assert_golden(out.u_norm, 600.0 / 601.0);
    assert_all_golden(out.u_mu, &[0.49916805324459235; 4]);
}

#[test]
fn reset_zeroes_everything() {
    let mut e = default_engine(4);
    e.set_boundary_potential(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    e.compute(&[0.1, 0.2, 0.3, 0.4], 0.01).unwrap();
    e.compute(&[0.2, 0.3, 0.4, 0.5], 0.01).unwrap();
    e.reset();
    assert!(e.u_norm() < 1e-9 && e.h_frob() < 1e-9);
    assert!(e.boundary_potential().iter().all(|&a| a == 0.0), "reset clears A as in the reference");
    // The next call is a first call again: zero velocity, and A = 0.
    assert_eq!(e.compute(&[3.0, 1.0, 2.0, 0.0], 0.01).unwrap().u_norm, 0.0);
}

#[test]
fn standalone_bridge() {
    let config = PGBOConfig::<f64>::new(&PGBOParams::default()).unwrap();
    let traceless = PGBOConfig::<f64>::new(&PGBOParams { traceless: true, ..Default::default() }).unwrap();
    for d in [4, 16] {
        let dphi: Vec<f64> = (0..d).map(|i| 0.3 * i as f64 - 1.0).collect();
        let a: Vec<f64> = (0..d).map(|i| 0.1 * (i % 3) as f64).collect();
        let (mut u, mut h) = (vec![0.0; d], vec![0.0; d * d]);
        for cfg in [&config, &traceless] {
            let norms = phase_geometry_bridge(cfg, &dphi, &a, &mut u, &mut h).unwrap();
            for i in 0..d {
                for j in 0..d {
                    assert!((h[i * d + j] - h[j * d + i]).abs() < 1e-12);
                }
            }
            if cfg.traceless() {
                assert!(trace(&h, d).abs() < 1e-10);
            } else {
                assert!((norms.h_frob - 0.3 * norms.u_norm.powi(2)).abs() < 1e-10);
            }
        }
    }
    let (mut u, mut h) = ([0.0; 4], [0.0; 16]);
    phase_geometry_bridge(&config, &[1.0, 0.5, -0.3, 0.2], &[0.1, 0.0, 0.2, 0.0], &mut u, &mut h).unwrap();
    assert_all_golden(
        &u,
        &[0.8510279714931208, 0.4479094586805899, -0.35832756694447193, 0.17916378347223597],
    );
    assert_golden(h[0], 0.2172745824791088);
}

#[test]
fn bridge_rejects_mismatched_lengths() {
    let config = PGBOConfig::<f64>::new(&PGBOParams::default()).unwrap();
    let (mut u, mut h) = ([0.0; 2], [0.0; 4]);
    let err = phase_geometry_bridge(&config, &[1.0, 0.5], &[0.1], &mut u, &mut h).unwrap_err();
    assert_eq!(err, ObserverError::Length { field: "a", expected: 2, got: 1 });
    assert!(phase_geometry_bridge(&config, &[1.0, 0.5], &[0.1, 0.0, 0.0], &mut u, &mut h).is_err());
    assert!(phase_geometry_bridge(&config, &[1.0, 0.5], &[0.1, 0.0], &mut u, &mut h[..3]).is_err());
    assert!(phase_geometry_bridge(&config, &[1.0], &[0.1], &mut u, &mut h[..1]).is_err(), "u too long");
    assert!(phase_geometry_bridge(&config, &[f64::NAN, 0.5], &[0.1, 0.0], &mut u, &mut h).is_err());
}

#[test]
fn boundary_potential_kick_on_first_call() {
    let mut e = default_engine(4);
    e.set_boundary_potential(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    let out = e.compute(&[0.0; 4], 0.01).unwrap();
    assert_all_golden(
        out.u_mu,
        &[-0.3925074168904957, -0.7850148337809914, -1.177522250671487, -1.5700296675619827],
    );
    assert_golden(out.u_norm, 2.149851662190087);
    assert_golden(out.h_frob, 1.3865586508264443);
    // A stays in force: an unchanged theta gives the same offset again.
    assert_golden(e.compute(&[0.0; 4], 0.01).unwrap().u_norm, 2.149851662190087);
}

// ---- spec §6.4 -----------------------------------------------------------

#[test]
fn phase_differences_wrap() {
    let params = PGBOParams { alpha: 0.5, kappa: 0.3, u_cap: 10.0, traceless: false };
    let mut e = engine(2, params);
    e.compute(&[0.0, 0.0], 1.0).unwrap();
    let out = e.compute(&[6.0, -6.0], 1.0).unwrap();
    assert_all_golden(out.u_mu, &[-0.2722808799176633, 0.2722808799176633]);
    let mut e = engine(2, params);
    e.compute(&[0.0, 0.0], 1.0).unwrap();
    let out = e.compute(&[PI, -PI], 1.0).unwrap();
    assert_all_golden(out.u_mu, &[-2.175183906870592, -2.175183906870592]);
    assert_eq!(wrap_phase(PI), -PI);
    assert_eq!(wrap_phase(-PI), -PI);
}

#[test]
fn wrap_fast_paths_match_fmod() {
    let reference = |x: f64| ((x + PI) % (2.0 * PI) + 2.0 * PI) % (2.0 * PI) - PI;
    for i in -4000..4000 {
        for x in [i as f64 * 0.00731, i as f64 * 0.731, i as f64 * 1e3, PI * i as f64] {
            assert_eq!(wrap_phase(x).to_bits(), reference(x).to_bits(), "x = {x}");
        }
    }
    assert_eq!(wrap_phase(1e300f64).to_bits(), reference(1e300).to_bits());
}

#[test]
fn short_input_is_rejected_instead_of_drifting() {
    // The reference reuses the stale third component (spec §6.4); we reject.
    let mut e = engine(3, PGBOParams::default());
    e.set_boundary_potential(&[0.0, 0.0, 1.0]).unwrap();
    let first = e.compute(&[0.0, 0.0, 0.0], 1.0).unwrap();
    assert_golden(first.u_mu[2], -0.47619047619047616);
    let before = (e.u_mu().to_vec(), e.h_munu().to_vec(), e.norms());
    let err = e.compute(&[0.1, 0.1], 1.0).unwrap_err();
    assert_eq!(err.to_string(), "theta must have length 3, got 2");
    assert_eq!((e.u_mu().to_vec(), e.h_munu().to_vec(), e.norms()), before, "state unchanged");
}

#[test]
fn short_boundary_potential_is_rejected() {
    let mut e = default_engine(2);
    assert_eq!(
        e.set_boundary_potential(&[1.0]),
        Err(ObserverError::Length { field: "a_mu", expected: 2, got: 1 })
    );
    // With the full vector, the reference's first-call value for [1.0, 0.0].
    e.set_boundary_potential(&[1.0, 0.0]).unwrap();
    let out = e.compute(&[0.0, 0.0], 0.01).unwrap();
    assert_all_golden(out.u_mu, &[-0.47619047619047616, 0.0]);
}

// ---- validation ----------------------------------------------------------

#[test]
fn bad_dt_and_non_finite_phases_are_rejected() {
    let mut e = default_engine(2);
    e.compute(&[0.0, 0.0], 0.1).unwrap();
    let before = (e.u_mu().to_vec(), e.norms());
    for dt in [0.0, -0.01, f64::NAN, f64::INFINITY] {
        let err = e.compute(&[0.1, 0.1], dt).unwrap_err();
        assert!(err.to_string().starts_with("dt must be finite and > 0"), "{err}");
    }
    assert!(e.compute(&[f64::NAN, 0.0], 0.1).is_err());
    assert!(e.set_boundary_potential(&[f64::INFINITY, 0.0]).is_err());
    assert_eq!((e.u_mu().to_vec(), e.norms()), before);
    // The previous phases were not replaced by the rejected calls.
    let out = e.compute(&[0.1, 0.0], 0.1).unwrap();
    assert!((out.u_mu[0] - 1.0 / 1.1).abs() < 1e-12 && out.u_mu[1] == 0.0);
}

#[test]
fn an_overflowing_velocity_is_an_error() {
    let mut e = default_engine(2);
    e.compute(&[0.0, 0.0], 1.0).unwrap();
    let before = e.u_mu().to_vec();
    let err = e.compute(&[1.0, 0.0], 1e-310).unwrap_err();
    assert_eq!(err, ObserverError::NonFiniteResult { quantity: "phase velocity" });
    assert_eq!(e.u_mu(), before);
    // Large but finite velocities whose squares overflow are still capped.
    let out = e.compute(&[1.0, 1.0], 1e-300).unwrap();
    assert!((out.u_norm - 10.0).abs() < 1e-9 && out.h_frob.is_finite());
    // Components finite but the norm itself beyond f64::MAX (found by the
    // property test): the limit of the map, |u| = u_cap along the drive.
    let out = e.compute(&[-2.0, 2.0], 1.7e-308).unwrap();
    assert_eq!(out.u_norm, 10.0);
    let norm = out.u_mu.iter().map(|x| x * x).sum::<f64>().sqrt();
    // Phase steps −3 and +1 from [1, 1]: u = 10·(−3, 1)/√10.
    assert!((norm - 10.0).abs() < 1e-12 && (out.u_mu[0] + 3.0 * out.u_mu[1]).abs() < 1e-12, "{:?}", out.u_mu);
    assert!(out.h_frob.is_finite());
}

#[test]
fn invalid_configurations_are_rejected() {
    let d = PGBOParams::default();
    let cases = [
        (PGBOParams { alpha: f64::NAN, ..d }, "alpha must be finite and >= 0, got NaN"),
        (PGBOParams { kappa: -0.3, ..d }, "kappa must be finite and >= 0, got -0.3"),
        (PGBOParams { u_cap: 0.0, ..d }, "u_cap must be finite and > 1e-12, got 0"),
    ];
    for (params, message) in cases {
        assert_eq!(PGBOConfig::<f64>::new(&params).unwrap_err().to_string(), message);
    }
    assert!(PGBOConfig::<f32>::new(&PGBOParams { u_cap: 1e10, ..d }).is_err(), "h would overflow f32");
    assert!(PGBOConfig::<f32>::new(&PGBOParams { alpha: 1e39, ..d }).is_err(), "α overflows f32");
    assert!(PGBOConfig::<f64>::new(&PGBOParams { u_cap: 1e10, ..d }).is_ok());
    let config = PGBOConfig::<f64>::new(&d).unwrap();
    assert!(PGBOEngine::new(0, config, vec![0.0; 4]).is_err());
    assert_eq!(
        PGBOEngine::new(4, config, vec![0.0; 27]).unwrap_err(),
        ObserverError::Storage { needed: 28, provided: 27 }
    );
    assert!(PGBOEngine::new(usize::MAX, config, vec![0.0; 4]).is_err());
}

#[test]
fn state_snapshot() {
    let mut e = engine(3, PGBOParams { traceless: true, ..Default::default() });
    e.compute(&[0.0; 3], 0.1).unwrap();
    e.compute(&[0.1, 0.2, 0.3], 0.1).unwrap();
    let s = e.state();
    assert_eq!((s.alpha, s.kappa, s.traceless, s.d), (0.5, 0.3, true, 3));
    assert_eq!((s.u_norm, s.h_trace, s.h_frob), (e.u_norm(), e.h_trace(), e.h_frob()));
    assert_eq!(e.output().u_mu, e.u_mu());
}

/// f32 tracks f64: relative 1e-5 on u and the norms (the observers take
/// their square roots from libm even with the `micromath` feature).
#[test]
fn f32_tracks_f64() {
    let tol = 1e-5;
    let params = PGBOParams { traceless: true, ..Default::default() };
    let mut e64 = engine(16, params);
    let mut e32 =
        PGBOEngine::new(16, PGBOConfig::<f32>::new(&params).unwrap(), [0.0f32; pgbo_storage_len(16)])
            .unwrap();
    for t in 0..50 {
        let theta: Vec<f64> =
            (0..16).map(|i| (0.37 * t as f64 * (1.0 + 0.05 * i as f64)) % 6.0 - 3.0).collect();
        let theta32: Vec<f32> = theta.iter().map(|&x| x as f32).collect();
        let a = e64.compute(&theta, 0.05).unwrap();
        let b = e32.compute(&theta32, 0.05).unwrap();
        let rel = |x: f64, y: f32| (x - f64::from(y)).abs() / x.abs().max(1.0);
        assert!(rel(a.u_norm, b.u_norm) < tol && rel(a.h_frob, b.h_frob) < tol, "t = {t}");
        assert!(a.u_mu.iter().zip(b.u_mu).all(|(&x, &y)| rel(x, y) < tol), "t = {t}");
    }
}
