//! TCBO controller: the reference law's golden values (spec §6.1, §6.4)
//! and the anti-windup law that lets κ come back down.

use backfire_nostd::observers::{ControlLaw, TCBOController, TCBOControllerConfig, TCBOControllerParams};

fn controller(law: ControlLaw) -> TCBOController<f64> {
    let params = TCBOControllerParams { law, ..Default::default() };
    TCBOController::new(TCBOControllerConfig::new(&params).unwrap())
}

#[track_caller]
fn assert_golden(actual: f64, expected: f64) {
    assert!((actual - expected).abs() <= 1e-12 * expected.abs(), "got {actual:?}, expected {expected:?}");
}

const LAWS: [ControlLaw; 2] = [ControlLaw::Reference, ControlLaw::AntiWindup];

#[test]
fn error_step_and_gate() {
    for law in LAWS {
        let mut c = controller(law);
        assert!((c.compute_error(0.5).unwrap() - 0.22).abs() < 1e-9);
        assert_eq!(c.compute_error(0.9), Ok(0.0));
        assert_golden(c.step(0.3, 1.0, 0.01).unwrap(), 1.33684);
        assert!(!c.is_gate_open(Some(0.5)));
        assert!(c.is_gate_open(Some(0.8)));
        assert!(!c.is_gate_open(Some(0.72)), "the gate is strict");
        assert!(!c.is_gate_open(Some(f64::NAN)), "NaN reads as closed");
    }
}

#[test]
fn full_deficit_trajectory_is_the_reference_for_both_laws() {
    for law in LAWS {
        let mut c = controller(law);
        let mut kappa = 0.0;
        let mut trajectory = Vec::new();
        for _ in 0..1000 {
            kappa = c.step(0.0, kappa, 1.0).unwrap();
            assert!((0.0..=5.0).contains(&kappa));
            trajectory.push(kappa);
        }
        for (k, e) in trajectory.iter().zip([0.72, 1.584, 2.592, 3.744, 5.0, 5.0]) {
            assert_golden(*k, e);
        }
        assert!(trajectory.iter().all(|&k| k <= 5.0));
        match law {
            // The reference integral saturates at 5 after 7 steps.
            ControlLaw::Reference => assert_eq!(c.integral(), 5.0),
            // Conditional integration stops once κ sits at kappa_max.
            ControlLaw::AntiWindup => assert_golden(c.integral(), 3.6),
        }
    }
}

#[test]
fn reference_integral_saturates_after_seven_steps() {
    let mut c = controller(ControlLaw::Reference);
    let mut kappa = 0.0;
    for step in 1..=7 {
        kappa = c.step(0.0, kappa, 1.0).unwrap();
        assert_eq!(c.integral() == 5.0, step == 7, "step {step}: integral {}", c.integral());
    }
}

#[test]
fn reset_clears_integral_error_and_last_p() {
    for law in LAWS {
        let mut c = controller(law);
        c.step(0.5, 1.0, 0.01).unwrap();
        assert!(c.integral() > 0.0 && c.last_error() > 0.0);
        c.reset();
        assert_eq!((c.integral(), c.last_error(), c.last_p_h1()), (0.0, 0.0, None));
        assert!(!c.is_gate_open(None));
    }
}

#[test]
fn reference_law_ratchets_after_the_deficit() {
    let mut c = controller(ControlLaw::Reference);
    let mut kappa = 1.0;
    let expected = [1.3444, 1.5332, 1.546, 1.5588, 1.5716];
    for (p, e) in [0.3, 0.5, 0.8, 0.9, 0.9].into_iter().zip(expected) {
        kappa = c.step(p, kappa, 0.1).unwrap();
        assert_golden(kappa, e);
    }
    assert!(c.is_gate_open(None));
    // Measured in the reference: after step(0, 1, 1), step(0.9, 1, 1) = 1.144.
    let mut c = controller(ControlLaw::Reference);
    c.step(0.0, 1.0, 1.0).unwrap();
    assert_golden(c.step(0.9, 1.0, 1.0).unwrap(), 1.144);
}

#[test]
fn anti_windup_brings_kappa_back_down() {
    let mut c = controller(ControlLaw::AntiWindup);
    let mut kappa = 1.0;
    // Same deficit steps as the reference's ratchet example.
    for (p, e) in [(0.3, 1.3444), (0.5, 1.5332)] {
        kappa = c.step(p, kappa, 0.1).unwrap();
        assert_golden(kappa, e);
    }
    let peak_integral = c.integral();
    // The target is now met and exceeded: the integral bleeds, κ peaks and
    // falls back to kappa_min.
    let mut history = vec![kappa];
    for _ in 0..200 {
        kappa = c.step(0.9, kappa, 0.1).unwrap();
        assert!((0.0..=5.0).contains(&kappa));
        history.push(kappa);
    }
    assert!(c.integral() < peak_integral);
    let peak = history.iter().copied().fold(f64::MIN, f64::max);
    assert!(peak < 1.6, "κ stops rising soon after the deficit: peak {peak}");
    assert_eq!(kappa, 0.0, "κ came back down to kappa_min");
    // Pinned at kappa_min with a surplus, the integral no longer winds down.
    let frozen = c.integral();
    c.step(0.9, 0.0, 0.1).unwrap();
    assert_eq!(c.integral(), frozen);
    assert!(frozen > -5.0, "conditional integration kept the integral off its bound");
}

#[test]
fn anti_windup_keeps_the_integral_off_the_upper_bound() {
    let mut c = controller(ControlLaw::AntiWindup);
    let mut kappa = 0.0;
    for _ in 0..50 {
        kappa = c.step(0.1, kappa, 1.0).unwrap();
    }
    assert_eq!(kappa, 5.0);
    let wound = c.integral();
    assert!(wound < 5.0);
    // Leaving saturation: with the surplus the integral falls at once.
    let next = c.step(0.95, kappa, 1.0).unwrap();
    assert!(c.integral() < wound);
    assert!(next <= 5.0);
}

#[test]
fn invalid_inputs_are_rejected_without_state_change() {
    let mut c = controller(ControlLaw::AntiWindup);
    c.step(0.5, 1.0, 0.1).unwrap();
    let before = c;
    assert_eq!(c.step(f64::NAN, 1.0, 0.1).unwrap_err().to_string(), "p_h1 must be in [0, 1], got NaN");
    assert!(c.step(1.5, 1.0, 0.1).is_err());
    assert_eq!(
        c.step(0.5, f64::INFINITY, 0.1).unwrap_err().to_string(),
        "current_kappa must be finite, got inf"
    );
    assert_eq!(c.step(0.5, 1.0, f64::NAN).unwrap_err().to_string(), "dt must be finite and >= 0, got NaN");
    assert!(c.step(0.5, 1.0, -0.1).is_err());
    assert!(c.compute_error(f64::NAN).is_err());
    assert_eq!(c, before);
}

#[test]
fn invalid_configurations_are_rejected() {
    let d = TCBOControllerParams::default();
    let cases = [
        (TCBOControllerParams { kappa_max: -1.0, ..d }, "kappa_min must be <= kappa_max, got 0"),
        (TCBOControllerParams { kappa_max: f64::NAN, ..d }, "kappa_max must be finite, got NaN"),
        (TCBOControllerParams { integral_min: 6.0, ..d }, "integral_min must be <= integral_max, got 6"),
        (TCBOControllerParams { kp: f64::NAN, ..d }, "kp must be finite and >= 0, got NaN"),
        (TCBOControllerParams { ki: -0.1, ..d }, "ki must be finite and >= 0, got -0.1"),
        (TCBOControllerParams { tau_h1: -0.1, ..d }, "tau_h1 must be in [0, 1], got -0.1"),
    ];
    for (params, message) in cases {
        assert_eq!(TCBOControllerConfig::<f64>::new(&params).unwrap_err().to_string(), message);
    }
    let huge = TCBOControllerParams { kappa_max: 1e39, ..d };
    assert!(TCBOControllerConfig::<f64>::new(&huge).is_ok());
    let err = TCBOControllerConfig::<f32>::new(&huge).unwrap_err();
    assert_eq!((err.field, err.value, err.rule), ("kappa_max", 1e39, "representable in the number type"));
}

/// f32 tracks f64 within 1e-5 over a mixed trajectory (κ ≤ 5, so that is
/// ~2 ulp of f32 accumulated over 100 steps).
#[test]
fn f32_tracks_f64() {
    for law in LAWS {
        let params = TCBOControllerParams { law, ..Default::default() };
        let mut c64 = TCBOController::new(TCBOControllerConfig::<f64>::new(&params).unwrap());
        let mut c32 = TCBOController::new(TCBOControllerConfig::<f32>::new(&params).unwrap());
        let (mut k64, mut k32) = (1.0f64, 1.0f32);
        for i in 0..100 {
            let p = 0.5 + 0.4 * (0.2 * f64::from(i)).sin();
            k64 = c64.step(p, k64, 0.05).unwrap();
            k32 = c32.step(p as f32, k32, 0.05).unwrap();
            assert!((k64 - f64::from(k32)).abs() < 1e-5, "{law:?} step {i}: {k64} vs {k32}");
        }
    }
}
