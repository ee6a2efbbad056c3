//! L16 controller: golden values (spec §5.7), reference invariants (spec
//! §7.1), f32 agreement and property tests.

#![allow(clippy::excessive_precision)] // golden digits as the spec prints them

use backfire_nostd::physics::{
    EigenBlocks, L16Controller, L16CostInputs, L16Params, L16StepResult, PIState, PhysicsError,
};
use proptest::prelude::*;

type Ctl = L16Controller<f64, Vec<f64>>;

fn controller(params: L16Params) -> Ctl {
    L16Controller::new(params, vec![0.0; params.plv_window()]).unwrap()
}

fn default_ctl() -> Ctl {
    controller(L16Params::default())
}

fn costs(c7: f64, c8: f64, c10: f64, p_h1: f64, h_frob: f64) -> L16CostInputs<f64> {
    L16CostInputs { c7_symbolic: c7, c8_phase: c8, c10_boundary: c10, p_h1, h_frob }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn default_step_golden() {
    let mut c = default_ctl();
    let r = c.step(&[0.5; 16], None, 0.7, 0.65, &costs(0.1, 0.2, 0.15, 0.8, 0.5), 0.01).unwrap();
    let want = L16StepResult {
        lambda7: 0.01,
        lambda8: 0.01,
        lambda10: 0.01,
        nu_star: 0.01,
        gate_open: true,
        refusal: false,
        h_rec: 0.30000000000000004,
        dh_rec_dt: 0.0,
        lyapunov_stable: true,
        avg_plv: 0.65,
        lr_z_scale: 1.0,
        d_theta_scale: 1.0,
        tau_d_scale: 1.0,
    };
    assert_eq!(r, want);
}

#[test]
fn python_test_goldens() {
    let mut c = default_ctl();
    let r = c.step(&[0.0; 16], None, 0.8, 0.7, &costs(0.1, 0.1, 0.1, 0.8, 0.1), 0.01).unwrap();
    assert!(close(r.h_rec, 0.19999999999999996));
    assert_eq!([r.lambda7, r.lambda8, r.lambda10, r.nu_star], [0.01; 4]);
    assert!(r.gate_open);

    let p = L16Params::new(16, 0.5, 10, 5, 0.5, 0.5, 1.5).unwrap();
    let mut c = controller(p);
    let r = c.step(&[0.0; 16], None, 0.9, 0.8, &costs(0.0, 0.0, 0.0, 0.8, 0.0), 0.01).unwrap();
    assert!(close(r.h_rec, 0.09999999999999998));
    assert!(r.gate_open && c.plv_gate_open());
}

#[test]
fn negative_costs_drive_the_pis() {
    let mut c = default_ctl();
    let r = c.step(&[0.0; 16], None, 0.1, 0.7, &costs(-1.0, -0.5, -2.0, 0.0, 0.0), 0.1).unwrap();
    assert!(close(r.lambda7, 0.303), "{}", r.lambda7);
    assert!(close(r.lambda8, 0.1515));
    assert!(close(r.lambda10, 0.606));
    assert!(close(r.nu_star, 0.202));
    assert!(close(r.h_rec, 1.62));
}

#[test]
fn falling_r_sequence_refuses() {
    let mut c = default_ctl();
    let mut results = Vec::new();
    for i in 0..8 {
        let r_global = 1.0 - 0.1 * i as f64;
        results.push(c.step(&[0.0; 16], None, r_global, 0.9, &costs(0.0, 0.0, 0.0, 0.0, 0.0), 0.01).unwrap());
    }
    for (i, r) in results.iter().enumerate() {
        assert!((r.h_rec - (0.72 + 0.1 * i as f64)).abs() < 1e-12, "h_rec[{i}] = {}", r.h_rec);
        let slope = if i == 0 { 0.0 } else { 10.0 };
        assert!((r.dh_rec_dt - slope).abs() < 1e-9, "dh_rec_dt[{i}] = {}", r.dh_rec_dt);
        assert_eq!(r.lyapunov_stable, i == 0);
        assert_eq!(r.refusal, i >= 5, "refusal[{i}]");
    }
    assert_eq!((results[5].lr_z_scale, results[5].d_theta_scale, results[5].tau_d_scale), (0.5, 0.5, 1.5));
    assert_eq!(c.refusal_count(), 3);
    assert!(c.refusal_active());
    for r in &results[..6] {
        assert_eq!(r.nu_star, 0.01);
    }
    assert!((results[6].nu_star - 0.0493).abs() < 1e-4, "{}", results[6].nu_star);
    assert!((results[7].nu_star - 0.0994).abs() < 1e-4, "{}", results[7].nu_star);
}

/// 16×2 column-major block with ones at flat indices 0 and 17.
fn identity_like() -> Vec<f64> {
    let mut e = vec![0.0; 32];
    e[0] = 1.0;
    e[17] = 1.0;
    e
}

#[test]
fn full_path_goldens() {
    let c = default_ctl();
    let e = identity_like();
    let same = EigenBlocks { eigvecs: &e, eig_cols: 2, target: &e, target_cols: 2 };
    let h = c.compute_h_rec(&[1.0; 16], Some(&same), 1.0, &costs(0.0, 0.0, 0.0, 0.72, 0.0)).unwrap();
    assert!(h.abs() < 1e-12 && h < 0.01);

    let zero = vec![0.0; 32];
    let diff = EigenBlocks { eigvecs: &e, eig_cols: 2, target: &zero, target_cols: 2 };
    let theta: Vec<f64> = (0..16).map(|i| 0.4 * i as f64).collect();
    let k = costs(0.0, 0.0, 0.0, 0.5, 2.0);
    let h = c.compute_h_rec(&theta, Some(&diff), 0.5, &k).unwrap();
    assert!((h - 3.73966275973754).abs() < 1e-12, "{h}");
    let h = c.compute_h_rec(&[], Some(&diff), 0.5, &k).unwrap();
    assert!((h - 2.74).abs() < 1e-12, "{h}");

    // Simplified path: r 0.8, p_h1 0.5 → 0.42; empty blocks fall back to it.
    let k = costs(0.0, 0.0, 0.0, 0.5, 0.0);
    assert!((c.compute_h_rec(&[], None, 0.8, &k).unwrap() - 0.42).abs() < 1e-9);
    let empty = EigenBlocks { eigvecs: &[], eig_cols: 2, target: &e, target_cols: 2 };
    assert!((c.compute_h_rec(&[], Some(&empty), 0.8, &k).unwrap() - 0.42).abs() < 1e-9);
}

#[test]
fn full_path_rejects_mismatched_shapes() {
    let c = default_ctl();
    let e = identity_like();
    let k = costs(0.0, 0.0, 0.0, 0.5, 0.0);
    let short = vec![0.0; 30];
    let bad_target = EigenBlocks { eigvecs: &e, eig_cols: 2, target: &short, target_cols: 2 };
    assert!(matches!(
        c.compute_h_rec(&[], Some(&bad_target), 0.5, &k),
        Err(PhysicsError::BlockShape { block: "target", len: 30, cols: 2, rows: 16 })
    ));
    let ragged = EigenBlocks { eigvecs: &e[..31], eig_cols: 2, target: &e, target_cols: 2 };
    assert!(matches!(
        c.compute_h_rec(&[], Some(&ragged), 0.5, &k),
        Err(PhysicsError::BlockShape { block: "eigvecs", .. })
    ));
    let tall = vec![0.0; 34];
    let too_many_rows = EigenBlocks { eigvecs: &tall, eig_cols: 2, target: &tall, target_cols: 2 };
    assert!(c.compute_h_rec(&[], Some(&too_many_rows), 0.5, &k).is_err());
    // Different column counts with the same row count are fine (k = min).
    let three = vec![0.0; 48];
    let wide = EigenBlocks { eigvecs: &e, eig_cols: 2, target: &three, target_cols: 3 };
    assert!(
        (c.compute_h_rec(&[], Some(&wide), 1.0, &costs(0.0, 0.0, 0.0, 0.72, 0.0)).unwrap() - 2.0).abs()
            < 1e-12
    );
}

#[test]
fn pi_invariants() {
    let mut pi = PIState::<f64>::new(1.0, 0.5, 0.05).unwrap();
    assert!((pi.step(0.0, 0.01).unwrap() - 0.5005).abs() < 1e-9);
    let before = pi;
    assert!(pi.step(f64::NAN, 0.01).is_err() && pi.step(0.0, f64::INFINITY).is_err());
    assert_eq!(pi, before);
    let mut pi = PIState::<f64>::new(100.0, 0.5, 0.05).unwrap();
    let mut out = 0.0;
    for _ in 0..10_000 {
        out = pi.step(0.0, 1.0).unwrap();
    }
    assert_eq!(pi.integral(), 10.0);
    assert_eq!(out, 10.0);
    let mut pi = PIState::<f64>::new(0.0, 0.5, 0.05).unwrap();
    let o = pi.step(1000.0, 0.01).unwrap();
    assert!((0.01..=10.0).contains(&o));
    assert!(PIState::<f64>::new(f64::NAN, 0.5, 0.05).is_err());
    let d = PIState::<f64>::default();
    assert_eq!((d.setpoint(), d.integral()), (0.0, 0.0));
}

#[test]
fn plv_gate_and_buffer() {
    let mut c = default_ctl();
    assert!(!c.plv_gate_open());
    let k = costs(0.0, 0.0, 0.0, 0.8, 0.0);
    for _ in 0..10 {
        c.step(&[0.0; 16], None, 0.9, 0.8, &k, 0.01).unwrap();
    }
    assert!(c.plv_gate_open());
    for _ in 0..10 {
        c.step(&[0.0; 16], None, 0.9, 0.3, &k, 0.01).unwrap();
    }
    assert!(!c.plv_gate_open());
    // A mean exactly at the threshold keeps the gate closed.
    let mut c = controller(L16Params::new(16, 0.5, 4, 5, 0.5, 0.5, 1.5).unwrap());
    for _ in 0..4 {
        c.step(&[], None, 0.9, 0.5, &k, 0.01).unwrap();
    }
    assert!(!c.plv_gate_open());

    let mut c = controller(L16Params::new(16, 0.6, 5, 5, 0.5, 0.5, 1.5).unwrap());
    for i in 0..20 {
        c.step(&[], None, 0.9, i as f64, &k, 0.01).unwrap();
    }
    assert_eq!(c.plv_buffer().collect::<Vec<_>>(), vec![15.0, 16.0, 17.0, 18.0, 19.0]);
}

/// Drives the controller so that its H_rec history is exactly `hs`
/// (simplified path: H = 1 − r with p_h1 ≥ 0.72).
fn drive(c: &mut Ctl, hs: &[f64]) -> Vec<L16StepResult<f64>> {
    let k = costs(0.0, 0.0, 0.0, 0.72, 0.0);
    hs.iter().map(|&h| c.step(&[], None, 1.0 - h, 0.5, &k, 0.01).unwrap()).collect()
}

#[test]
fn refusal_and_recovery() {
    let mut c = default_ctl();
    let r = drive(&mut c, &[0.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    assert!(r[5].refusal && c.refusal_active());
    assert_eq!(c.refusal_count(), 1);
    assert_eq!(r[5].lr_z_scale, 0.5);
    let r = drive(&mut c, &[0.5; 6]);
    assert!(!r[5].refusal && !c.refusal_active());
    assert_eq!(r[5].lr_z_scale, 1.0);
    assert_eq!(c.refusal_count(), 1);
}

#[test]
fn trend_signs() {
    let mut c = default_ctl();
    let up: Vec<f64> = (0..10).map(|i| 0.1 * i as f64).collect();
    let r = drive(&mut c, &up);
    assert!(r[9].dh_rec_dt > 0.0);
    assert!((r[9].dh_rec_dt - 9.999999999999986).abs() < 1e-9);
    let mut c = default_ctl();
    let down: Vec<f64> = (0..10).map(|i| 1.0 - 0.1 * i as f64).collect();
    assert!(drive(&mut c, &down)[9].dh_rec_dt < 0.0);
    let mut c = default_ctl();
    assert!(drive(&mut c, &[0.5; 10])[9].dh_rec_dt.abs() < 1e-9);
}

#[test]
fn history_capped_and_reset_restores_fresh_state() {
    let mut c = default_ctl();
    let hs: Vec<f64> = (0..130).map(|i| (i % 7) as f64 * 0.1).collect();
    drive(&mut c, &hs);
    assert_eq!(c.h_rec_history().count(), 100);
    assert!(c.h_rec_history().zip(&hs[30..]).all(|(a, b)| (a - b).abs() < 1e-12));
    c.reset();
    let fresh = default_ctl();
    assert_eq!(c.h_rec_history().count(), 0);
    assert_eq!(c.plv_buffer().count(), 0);
    assert!(!c.plv_gate_open());
    assert_eq!(c.refusal_count(), 0);
    assert_eq!(c.pi_states().map(|p| *p), fresh.pi_states().map(|p| *p));
    let mut a = default_ctl();
    let k = costs(0.1, 0.2, 0.3, 0.5, 0.1);
    assert_eq!(
        c.step(&[0.1; 16], None, 0.4, 0.7, &k, 0.01).unwrap(),
        a.step(&[0.1; 16], None, 0.4, 0.7, &k, 0.01).unwrap()
    );
}

#[test]
fn f32_agrees_with_f64() {
    let mut a = default_ctl();
    let mut b = L16Controller::<f32, [f32; 10]>::default();
    for i in 0..50 {
        let r = 0.5 + 0.4 * ((i as f64) * 0.3).sin();
        let p = 0.6 + 0.3 * ((i as f64) * 0.17).cos();
        let ka = costs(-0.2, 0.1, -0.05, 0.6, 0.2);
        let kb = L16CostInputs {
            c7_symbolic: -0.2f32,
            c8_phase: 0.1,
            c10_boundary: -0.05,
            p_h1: 0.6,
            h_frob: 0.2,
        };
        let x = a.step(&[0.0; 16], None, r, p, &ka, 0.01).unwrap();
        let y = b.step(&[0.0; 16], None, r as f32, p as f32, &kb, 0.01).unwrap();
        assert!((f64::from(y.h_rec) - x.h_rec).abs() < 1e-6);
        assert!((f64::from(y.lambda7) - x.lambda7).abs() < 1e-5);
        assert!((f64::from(y.nu_star) - x.nu_star).abs() < 1e-5);
        assert!((f64::from(y.avg_plv) - x.avg_plv).abs() < 1e-6);
        assert!((f64::from(y.dh_rec_dt) - x.dh_rec_dt).abs() < 1e-2 * x.dh_rec_dt.abs().max(1.0));
        assert_eq!((x.gate_open, x.refusal), (y.gate_open, y.refusal));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn outputs_are_bounded_for_any_finite_input(
        steps in prop::collection::vec((-10.0f64..10.0, -10.0f64..10.0, -10.0f64..10.0, -2.0f64..2.0, 1e-4f64..1.0), 1..60),
        window in 2usize..20,
        plv_window in 1usize..15,
    ) {
        let p = L16Params::new(16, 0.6, plv_window, window, 0.5, 0.5, 1.5).unwrap();
        let mut c = controller(p);
        for (r, plv, cost, p_h1, dt) in steps {
            let out = c.step(&[r; 16], None, r, plv, &costs(cost, -cost, cost, p_h1, 0.0), dt).unwrap();
            for w in [out.lambda7, out.lambda8, out.lambda10, out.nu_star] {
                prop_assert!((0.01..=10.0).contains(&w));
            }
            prop_assert!(out.h_rec >= 0.0 && out.h_rec.is_finite());
            prop_assert!(out.dh_rec_dt.is_finite());
            for pi in c.pi_states() {
                prop_assert!((-10.0..=10.0).contains(&pi.integral()));
            }
        }
        prop_assert!(c.plv_buffer().count() <= plv_window);
    }

    #[test]
    fn nan_anywhere_is_rejected(which in 0usize..8) {
        let mut c = default_ctl();
        let mut args = [0.5, 0.7, 0.1, 0.1, 0.1, 0.8, 0.1, 0.01];
        args[which] = f64::NAN;
        let [r, plv, c7, c8, c10, p_h1, h_frob, dt] = args;
        prop_assert!(c.step(&[0.0; 16], None, r, plv, &costs(c7, c8, c10, p_h1, h_frob), dt).is_err());
        prop_assert_eq!(c.h_rec_history().count(), 0);
    }
}
