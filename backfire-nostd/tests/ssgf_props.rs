//! Property tests of the SSGF engine: no construction or step panics for
//! any configuration or input; a step either fails cleanly (state kept) or
//! logs values in their documented ranges.

use backfire_nostd::ssgf::costs::C9Gradient;
use backfire_nostd::ssgf::decoder::Decoder;
use backfire_nostd::ssgf::{GradientMethod, SSGFConfig, SSGFEngine, ssgf_storage_len};
use proptest::prelude::*;

/// Mostly ordinary values, sometimes anything (NaN, ±∞, huge, subnormal).
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![6 => -2.0..2.0f64, 1 => any::<f64>()]
}

fn positive() -> impl Strategy<Value = f64> {
    prop_oneof![12 => 1e-4..0.05f64, 1 => any::<f64>()]
}

/// Mostly valid non-negative settings, sometimes anything.
fn non_negative(max: f64) -> impl Strategy<Value = f64> {
    prop_oneof![12 => 0.0..max, 1 => any::<f64>()]
}

fn config() -> impl Strategy<Value = SSGFConfig> {
    let shape =
        (1usize..7, 0usize..4, any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<u64>());
    let numbers = (
        positive(),
        positive(),
        non_negative(1.0),
        value(),
        non_negative(1.0),
        value(),
        non_negative(6.0),
        0usize..12,
        0usize..8,
    );
    (shape, numbers).prop_map(
        |(
            (n, n_micro, rbf, fd, reference_c9, pgbo, seed),
            (dt_micro, dt_outer, lr_z, sigma_g, noise_amp, field_pressure, kappa, plv_window, h_rec_window),
        )| SSGFConfig {
            n,
            decoder: if rbf { Decoder::Rbf { sigma: 1.0 } } else { Decoder::GramSoftplus },
            n_micro,
            dt_micro,
            dt_outer,
            lr_z,
            sigma_g,
            noise_amp,
            field_pressure,
            gradient_method: if fd { GradientMethod::FiniteDifference } else { GradientMethod::Analytic },
            c9_gradient: if reference_c9 { C9Gradient::Reference } else { C9Gradient::Exact },
            seed,
            pgbo_enabled: pgbo,
            pgbo_kappa: kappa,
            plv_window,
            h_rec_window,
            ..SSGFConfig::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_never_panics_and_logs_stay_in_range(
        config in config(),
        omega in prop::collection::vec(value(), 1..8),
        k in prop::collection::vec(value(), 1..50),
        steps in 1usize..4,
    ) {
        let n = config.n;
        // Ω and K of the right size most of the time (cycled), else as drawn.
        let omega: Vec<f64> = if omega.len() > 1 { omega.iter().copied().cycle().take(n).collect() } else { omega };
        let k: Vec<f64> = if k.len() > 1 { k.iter().copied().cycle().take(n * n).collect() } else { k };
        let inputs_ok = config.validate().is_ok()
            && omega.len() == n
            && k.len() == n * n
            && omega.iter().chain(&k).all(|x| x.is_finite());
        let engine = SSGFEngine::new(config, &omega, &k, vec![0.0; ssgf_storage_len(n)]);
        prop_assert_eq!(engine.is_ok(), inputs_ok);
        let Ok(mut engine) = engine else { return Ok(()) };
        for _ in 0..steps {
            let (z, theta, count) = (engine.z().to_vec(), engine.theta().to_vec(), engine.step_count());
            match engine.outer_step() {
                Ok(log) => {
                    prop_assert_eq!(log.step, count);
                    prop_assert!((0.0..=1.0).contains(&log.r_global), "R = {}", log.r_global);
                    prop_assert!(log.h_rec >= 0.0);
                    prop_assert!(engine.theta().iter().all(|t| (0.0..core::f64::consts::TAU).contains(t)));
                    prop_assert!(engine.z().iter().all(|z| z.is_finite()));
                    prop_assert!((0.0..=5.0).contains(&engine.pgbo_kappa()));
                }
                Err(_) => {
                    // A failed step keeps z, θ and the count.
                    prop_assert_eq!(engine.z(), &z[..]);
                    prop_assert_eq!(engine.theta(), &theta[..]);
                    prop_assert_eq!(engine.step_count(), count);
                    break;
                }
            }
        }
    }
}
