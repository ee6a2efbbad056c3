//! Property tests: no observer call panics for any input or configuration,
//! `p_h1` stays in `[0, 1]`, `κ` in `[kappa_min, kappa_max]`, `|u| < u_cap`.

use backfire_nostd::observers::{
    ControlLaw, ObserverFloat, PGBOConfig, PGBOEngine, PGBOParams, PhaseEmbedding, TCBOConfig,
    TCBOController, TCBOControllerConfig, TCBOControllerParams, TCBOObserver, TCBOParams, pgbo_storage_len,
};
use proptest::prelude::*;

/// Mostly ordinary phases, sometimes anything (NaN, ±∞, huge, subnormal).
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![4 => -10.0..10.0f64, 1 => any::<f64>()]
}

fn row(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(value(), 0..=max_len)
}

fn embedding() -> impl Strategy<Value = PhaseEmbedding> {
    prop_oneof![Just(PhaseEmbedding::Angular), Just(PhaseEmbedding::Linear)]
}

fn tcbo_params() -> impl Strategy<Value = TCBOParams> {
    (0usize..5, 0usize..4, 0usize..12, value(), value(), value(), value(), 0u64..4, embedding()).prop_map(
        |(embed_dim, tau_delay, window_size, tau_h1, beta, s0, persistence_threshold, k, embedding)| {
            TCBOParams {
                embed_dim,
                tau_delay,
                window_size,
                tau_h1,
                beta,
                s0,
                persistence_threshold,
                subsample_max: 500,
                compute_every_n: k,
                embedding,
            }
        },
    )
}

fn run_tcbo<T: ObserverFloat>(n: usize, params: &TCBOParams, rows: &[Vec<f64>], force: &[bool]) {
    let Ok(config) = TCBOConfig::<T>::new(params) else { return };
    let len = config.storage_len(n).unwrap_or(0);
    let Ok(mut obs) = TCBOObserver::new(n, config, vec![T::ZERO; len]) else {
        assert_eq!(n, 0);
        return;
    };
    for (theta, &force) in rows.iter().zip(force.iter().cycle()) {
        let theta: Vec<T> = theta.iter().map(|&x| T::from_f64(x)).collect();
        let valid = theta.len() == n && theta.iter().all(|x| x.is_finite());
        match obs.push_and_compute(&theta, force) {
            Ok(p) => {
                assert!(valid);
                let p = p.to_f64();
                assert!((0.0..=1.0).contains(&p), "p_h1 = {p}");
                assert_eq!(p, obs.p_h1().to_f64());
                assert!(obs.buffer_size() <= config.min_needed());
            }
            Err(_) => assert!(!valid || obs.buffer_size() == config.min_needed()),
        }
        let state = obs.state();
        assert!(state.h1_error.to_f64() >= 0.0 && state.h1_error.to_f64() <= 1.0);
        assert_eq!(state.is_conscious, state.p_h1 > state.tau_h1);
    }
}

/// One PGBO call: `theta`, `dt`, and maybe a new boundary potential first.
type PgboStep = (Vec<f64>, f64, Option<Vec<f64>>);

fn run_pgbo<T: ObserverFloat>(d: usize, params: &PGBOParams, steps: &[PgboStep]) {
    let Ok(config) = PGBOConfig::<T>::new(params) else { return };
    let mut engine = PGBOEngine::new(d, config, vec![T::ZERO; pgbo_storage_len(d)]).unwrap();
    let cap = params.u_cap;
    for (theta, dt, a) in steps {
        if let Some(a) = a {
            let a: Vec<T> = a.iter().map(|&x| T::from_f64(x)).collect();
            let _ = engine.set_boundary_potential(&a);
        }
        let theta: Vec<T> = theta.iter().map(|&x| T::from_f64(x)).collect();
        if let Ok(out) = engine.compute(&theta, T::from_f64(*dt)) {
            let u_norm = out.u_norm.to_f64();
            assert!(u_norm.is_finite() && u_norm < cap * (1.0 + 1e-6), "u_norm {u_norm} cap {cap}");
            assert!(out.h_frob.is_finite() && out.h_trace.is_finite());
            assert!(out.u_mu.iter().chain(out.h_munu).all(|x| x.is_finite()));
            for i in 0..d {
                for j in 0..i {
                    assert_eq!(out.h_munu[i * d + j], out.h_munu[j * d + i]);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tcbo_never_panics_and_p_stays_in_unit_interval(
        n in 0usize..4,
        params in tcbo_params(),
        rows in prop::collection::vec(row(5), 0..40),
        force in prop::collection::vec(any::<bool>(), 1..4),
    ) {
        run_tcbo::<f64>(n, &params, &rows, &force);
        run_tcbo::<f32>(n, &params, &rows, &force);
    }

    #[test]
    fn tcbo_valid_streams_always_compute(
        n in 1usize..4,
        window_size in 1usize..10,
        embedding in embedding(),
        rows in prop::collection::vec(prop::collection::vec(-1e6..1e6f64, 3), 0..40),
    ) {
        let params = TCBOParams { window_size, embedding, ..TCBOParams::default() };
        let config = TCBOConfig::<f64>::new(&params).unwrap();
        let mut obs = TCBOObserver::new(n, config, vec![0.0; config.storage_len(n).unwrap()]).unwrap();
        for (i, theta) in rows.iter().enumerate() {
            let p = obs.push_and_compute(&theta[..n], false).unwrap();
            if i + 1 >= config.min_needed() {
                prop_assert!(p >= 0.5, "computed p_h1 with s0 = 0 is at least 1/2, got {}", p);
            } else {
                prop_assert_eq!(p, 0.0);
            }
        }
    }

    #[test]
    fn controller_kappa_stays_within_bounds(
        tau_h1 in value(), kp in value(), ki in value(),
        bounds in (value(), value(), value(), value()),
        law in prop_oneof![Just(ControlLaw::AntiWindup), Just(ControlLaw::Reference)],
        steps in prop::collection::vec((value(), value(), value()), 0..60),
    ) {
        let params = TCBOControllerParams {
            tau_h1, kp, ki,
            integral_min: bounds.0, integral_max: bounds.1, kappa_min: bounds.2, kappa_max: bounds.3,
            law,
        };
        let Ok(config) = TCBOControllerConfig::<f64>::new(&params) else { return Ok(()) };
        let mut c = TCBOController::new(config);
        let (kmin, kmax) = config.kappa_bounds();
        let (imin, imax) = config.integral_bounds();
        for (p, kappa, dt) in steps {
            let before = c;
            match c.step(p.abs().min(1.0), kappa, dt.abs()) {
                Ok(k) => {
                    prop_assert!(k >= kmin && k <= kmax, "kappa {} outside [{}, {}]", k, kmin, kmax);
                    prop_assert!(c.integral() >= imin.min(0.0) && c.integral() <= imax.max(0.0));
                }
                Err(_) => prop_assert_eq!(c, before),
            }
            let _ = c.step(p, kappa, dt);
        }
    }

    #[test]
    fn pgbo_never_panics_and_u_stays_below_cap(
        d in 1usize..6,
        alpha in value(), kappa in value(), u_cap in value(), traceless in any::<bool>(),
        steps in prop::collection::vec(
            (row(6), prop_oneof![3 => 1e-6..10.0f64, 1 => any::<f64>()], prop::option::of(row(6))),
            0..20,
        ),
    ) {
        let params = PGBOParams { alpha, kappa, u_cap, traceless };
        run_pgbo::<f64>(d, &params, &steps);
        run_pgbo::<f32>(d, &params, &steps);
    }
}
