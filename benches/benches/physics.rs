//! Physics benchmarks: one UPDE step per backend (with the default noise
//! and noise-free), a 1000-step run, one SEC evaluation, one L16 step.
//!
//! `cargo bench -p backfire-benches --bench physics -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use backfire_nostd::num::{PhaseBackend, Q16};
use backfire_nostd::physics::{
    KNM, L16Controller, L16CostInputs, OMEGA_N, SECFunctional, UPDEParams, UPDEState, UPDEStepper,
};
use backfire_nostd::rng::SimpleRng;
use backfire_std::physics::{SimdLevel, UPDEStepper as StdStepper};
use criterion::{Criterion, criterion_group, criterion_main};

/// A spread start (seeded), so that no trigonometric fast path is hit.
fn start_state<T: PhaseBackend>() -> UPDEState<T> {
    let mut rng = SimpleRng::new(2024);
    UPDEState::random(&mut rng)
}

fn bench_step<T: PhaseBackend>(c: &mut Criterion, name: &str, sigma: f64) {
    bench_step_mode::<T>(c, name, sigma, true);
}

/// `skip`: a σ = 0 stepper stops drawing normals (non-compatible mode);
/// without it, it draws them like the reference.
fn bench_step_mode<T: PhaseBackend>(c: &mut Criterion, name: &str, sigma: f64, skip: bool) {
    let mut stepper = UPDEStepper::<T>::canonical(0.01, 0.1, sigma, SimpleRng::new(42)).unwrap();
    stepper.set_skip_silent_noise(skip);
    let mut state = start_state::<T>();
    c.bench_function(name, |b| {
        b.iter(|| {
            stepper.step(black_box(&mut state)).unwrap();
        })
    });
}

/// The canonical step with every off-diagonal K entry scaled by a
/// different factor in [1, 1.004]: no longer of the exponential shape, so
/// the stepper uses the dense N² product (any user-supplied matrix).
fn bench_dense_k(c: &mut Criterion) {
    let mut knm = KNM;
    for (n, row) in knm.iter_mut().enumerate() {
        for (m, k) in row.iter_mut().enumerate() {
            *k *= 1.0 + 1e-3 * ((7 * n + 3 * m) % 5) as f64;
        }
    }
    let params = UPDEParams::new(OMEGA_N, knm, 0.01, 0.1, 0.05).unwrap();
    let mut stepper = UPDEStepper::<f64>::new(params, SimpleRng::new(42));
    assert!(!stepper.structured_coupling());
    let mut state = start_state::<f64>();
    c.bench_function("upde_step_16_f64_dense_k", |b| {
        b.iter(|| {
            stepper.step(black_box(&mut state)).unwrap();
        })
    });
}

/// The f64 step through `backfire-std`, in every vector instruction set
/// this CPU has (the std stepper picks the widest; the core's own `step`
/// is the portable one).
fn bench_dispatch(c: &mut Criterion) {
    for level in SimdLevel::ALL.into_iter().filter(|l| l.is_supported()) {
        let mut stepper = StdStepper::new(0.01, 0.1, 0.05, Some(42)).unwrap();
        stepper.set_simd_level(level).unwrap();
        let mut state = start_state::<f64>();
        c.bench_function(&format!("upde_step_16_f64_{level}"), |b| {
            b.iter(|| {
                stepper.step_in_place(black_box(&mut state)).unwrap();
            })
        });
    }
}

fn upde_step(c: &mut Criterion) {
    bench_step::<f64>(c, "upde_step_16_f64", 0.05);
    bench_dispatch(c);
    bench_step::<f64>(c, "upde_step_16_f64_noise_free", 0.0);
    bench_dense_k(c);
    bench_step_mode::<f64>(c, "upde_step_16_f64_noise_free_drawing", 0.0, false);
    bench_step::<f32>(c, "upde_step_16_f32", 0.05);
    bench_step::<f32>(c, "upde_step_16_f32_noise_free", 0.0);
    bench_step::<Q16>(c, "upde_step_16_q16", 0.05);
    bench_step::<Q16>(c, "upde_step_16_q16_noise_free", 0.0);
}

fn upde_run(c: &mut Criterion) {
    let mut stepper = UPDEStepper::<f64>::canonical(0.01, 0.1, 0.05, SimpleRng::new(42)).unwrap();
    c.bench_function("upde_run_1000", |b| {
        b.iter(|| {
            let mut state = start_state::<f64>();
            stepper.run(&mut state, black_box(1000)).unwrap();
            black_box(state.r_global())
        })
    });
    let mut stepper = StdStepper::new(0.01, 0.1, 0.05, Some(42)).unwrap();
    c.bench_function(&format!("upde_run_1000_{}", stepper.simd_level()), |b| {
        b.iter(|| {
            let mut state = start_state::<f64>();
            stepper.run_in_place(&mut state, black_box(1000)).unwrap();
            black_box(state.r_global())
        })
    });
}

fn sec_evaluate(c: &mut Criterion) {
    let mut sec = SECFunctional::<f64>::default();
    let theta: Vec<f64> = (0..16).map(|i| 0.4 * f64::from(i)).collect();
    let prev: Vec<f64> = (0..16).map(|i| 0.39 * f64::from(i)).collect();
    c.bench_function("sec_evaluate", |b| {
        b.iter(|| black_box(sec.evaluate(black_box(&theta), Some(&prev), 0.01).unwrap()))
    });
    let mut sec32 = SECFunctional::<f32>::default();
    let theta32: Vec<f32> = theta.iter().map(|&x| x as f32).collect();
    c.bench_function("sec_evaluate_f32", |b| {
        b.iter(|| black_box(sec32.evaluate(black_box(&theta32), None, 0.01).unwrap()))
    });
}

fn l16_step(c: &mut Criterion) {
    let mut ctl = L16Controller::<f64, [f64; 10]>::default();
    let costs = L16CostInputs { c7_symbolic: 0.1, c8_phase: 0.2, c10_boundary: 0.15, p_h1: 0.8, h_frob: 0.5 };
    let theta = [0.5; 16];
    let mut i = 0u32;
    c.bench_function("l16_step", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let r = 0.5 + 0.001 * f64::from(i % 100);
            black_box(ctl.step(black_box(&theta), None, r, 0.65, &costs, 0.01).unwrap())
        })
    });
}

criterion_group!(benches, upde_step, upde_run, sec_evaluate, l16_step);
criterion_main!(benches);
