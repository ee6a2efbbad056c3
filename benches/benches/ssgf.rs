//! SSGF benchmarks: the reference's names and fixtures (spec/40 §11), plus
//! an explicitly named finite-difference engine step.
//!
//! `cargo bench -p backfire-benches --bench ssgf -- --warm-up-time 1 --measurement-time 3`
//!
//! Fixtures (N = 16): `z_k = 0.5·sin(0.07k)`, `θ_i = π·sin(0.4i)` (not
//! wrapped), `W` = gram-decode(z), the canonical Ω and K, and the fixed
//! eigenvalue list of the cost benches. Unlike the reference's, the engine
//! benches do not grow a log (the engine keeps none).

use std::f64::consts::PI;
use std::hint::black_box;

use backfire_nostd::physics::{KNM, OMEGA_N};
use backfire_nostd::rng::SimpleRng;
use backfire_nostd::ssgf::costs::{
    C9Gradient, CostInputs, CostWeights, analytic_weight_gradient, c_micro, c8_phase, c10_boundary,
    compute_costs, order_parameter, r_graph,
};
use backfire_nostd::ssgf::decoder::Decoder;
use backfire_nostd::ssgf::micro::{MicroParams, effective_coupling, micro_cycle, micro_step};
use backfire_nostd::ssgf::spectral::{Gauge, SpectralBridge, normalized_laplacian};
use backfire_nostd::ssgf::{GradientMethod, SSGFConfig, SSGFEngine, ssgf_storage_len};
use criterion::{Criterion, criterion_group, criterion_main};

const N: usize = 16;
const LAMBDA: [f64; N] = [0.0, 0.5, 1.0, 1.5, 1.8, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0];

fn fixture_z() -> Vec<f64> {
    (0..120).map(|k| 0.5 * (0.07 * k as f64).sin()).collect()
}

fn fixture_theta() -> Vec<f64> {
    (0..N).map(|i| PI * (0.4 * i as f64).sin()).collect()
}

fn fixture_w() -> Vec<f64> {
    let mut w = vec![0.0; N * N];
    Decoder::GramSoftplus.decode(&fixture_z(), N, &mut w).unwrap();
    w
}

fn canonical_k() -> &'static [f64] {
    KNM.as_flattened()
}

fn engine(config: SSGFConfig) -> SSGFEngine<Vec<f64>> {
    SSGFEngine::new(config, &OMEGA_N, canonical_k(), vec![0.0; ssgf_storage_len(N)]).unwrap()
}

fn decoders(c: &mut Criterion) {
    let (z, mut w) = (fixture_z(), vec![0.0; N * N]);
    c.bench_function("decode_gram_softplus_16x16", |b| {
        b.iter(|| Decoder::GramSoftplus.decode(black_box(&z), N, &mut w).unwrap())
    });
    let z_rbf: Vec<f64> = (0..128).map(|k| (0.03 * k as f64).sin()).collect();
    let rbf = Decoder::rbf(1.0).unwrap();
    c.bench_function("decode_rbf_16x16_d8", |b| b.iter(|| rbf.decode(black_box(&z_rbf), N, &mut w).unwrap()));
}

fn micro(c: &mut Criterion) {
    let params = MicroParams::default();
    let (k, w) = (canonical_k(), fixture_w());
    let (mut m, mut scratch) = (vec![0.0; N * N], vec![0.0; 2 * N]);
    effective_coupling(k, &w, None, &params, N, &mut m).unwrap();
    let mut theta = fixture_theta();
    let mut rng = SimpleRng::new(42);
    c.bench_function("micro_single_step_16", |b| {
        b.iter(|| micro_step(&mut theta, &OMEGA_N, &m, &params, &mut rng, &mut scratch).unwrap())
    });
    // The 10-step benches form the cycle's coupling too, as an outer step does.
    let mut ten = |name: &str, h: Option<&[f64]>| {
        let mut theta = fixture_theta();
        let mut rng = SimpleRng::new(42);
        c.bench_function(name, |b| {
            b.iter(|| {
                effective_coupling(k, &w, h, &params, N, &mut m).unwrap();
                micro_cycle(&mut theta, &OMEGA_N, &m, &params, 10, &mut rng, &mut scratch).unwrap();
            })
        });
    };
    ten("micro_10_steps_16", None);
    ten("micro_10_steps_16_pgbo", Some(&[0.01; N * N]));
    let theta = fixture_theta();
    c.bench_function("order_parameter_16", |b| b.iter(|| order_parameter(black_box(&theta))));
}

fn spectral(c: &mut Criterion) {
    let w = fixture_w();
    let (mut l, mut s) = (vec![0.0; N * N], vec![0.0; N]);
    c.bench_function("spectral_laplacian_16x16", |b| {
        b.iter(|| normalized_laplacian(black_box(&w), N, &mut l, &mut s).unwrap())
    });
    let mut bridge = SpectralBridge::new(Gauge::Sign);
    let (mut lambda, mut v, mut prev) = (vec![0.0; N], vec![0.0; N * N], vec![0.0; N * N]);
    c.bench_function("spectral_eigenpairs_16x16", |b| {
        b.iter(|| {
            bridge.eigenpairs(black_box(&w), N, &mut l, &mut s, &mut lambda, &mut v, &mut prev).unwrap()
        })
    });
}

fn costs(c: &mut Criterion) {
    let (theta, w) = (fixture_theta(), fixture_w());
    c.bench_function("cost_micro_16", |b| b.iter(|| c_micro(black_box(&theta))));
    c.bench_function("cost_c8_phase_16", |b| b.iter(|| c8_phase(black_box(&theta), &LAMBDA)));
    let mask: Vec<bool> = (0..N).map(|i| i < 8).collect();
    c.bench_function("cost_c10_boundary_16", |b| b.iter(|| c10_boundary(black_box(&w), N, &mask)));
    c.bench_function("regularise_graph_16", |b| b.iter(|| r_graph(black_box(&w), &LAMBDA)));
    let mut bridge = SpectralBridge::new(Gauge::Sign);
    let (mut l, mut s) = (vec![0.0; N * N], vec![0.0; N]);
    let (mut lambda, mut v, mut prev) = (vec![0.0; N], vec![0.0; N * N], vec![0.0; N * N]);
    bridge.eigenpairs(&w, N, &mut l, &mut s, &mut lambda, &mut v, &mut prev).unwrap();
    let (phi, no_mask) = (vec![0.0; N * N], [false; N]);
    let inputs = CostInputs {
        theta: &theta,
        w: &w,
        eigvals: &lambda,
        eigvecs: &v,
        phi: &phi,
        mask: &no_mask,
        p_h1: 0.5,
        h: None,
    };
    let weights = CostWeights::default();
    c.bench_function("compute_costs_all_16", |b| b.iter(|| compute_costs(black_box(&inputs), N, &weights)));
}

fn gradient(c: &mut Criterion) {
    let (z, w) = (fixture_z(), fixture_w());
    let (mut g_w, mut grad) = (vec![0.0; N * N], vec![0.0; 120]);
    let weights = CostWeights::default();
    c.bench_function("gradient_analytic_gram_120dim", |b| {
        b.iter(|| {
            analytic_weight_gradient(black_box(&w), N, &[false; N], &weights, C9Gradient::Exact, &mut g_w)
                .unwrap();
            Decoder::GramSoftplus.chain(&z, N, &w, &g_w, &mut grad).unwrap();
        })
    });
}

fn engines(c: &mut Criterion) {
    let config = SSGFConfig::default();
    c.bench_function("engine_init_16", |b| b.iter(|| engine(black_box(config))));
    let mut e = engine(config);
    c.bench_function("engine_outer_step", |b| b.iter(|| e.outer_step().unwrap()));
    let mut e = engine(config);
    c.bench_function("engine_5_outer_steps", |b| {
        b.iter(|| {
            for _ in 0..5 {
                e.outer_step().unwrap();
            }
        })
    });
    let mut e = engine(config);
    e.outer_step().unwrap();
    c.bench_function("engine_audio_mapping", |b| b.iter(|| black_box(&e).audio_mapping()));
    let mut e = engine(config);
    e.outer_step().unwrap();
    c.bench_function("DEADLINE_outer_step_warmed", |b| b.iter(|| e.outer_step().unwrap()));
    let mut e = engine(SSGFConfig { gradient_method: GradientMethod::FiniteDifference, ..config });
    let mut group = c.benchmark_group("fd");
    group.sample_size(10);
    group.bench_function("engine_outer_step_fd", |b| b.iter(|| e.outer_step().unwrap()));
    group.finish();
}

criterion_group!(benches, decoders, micro, spectral, costs, gradient, engines);
criterion_main!(benches);
