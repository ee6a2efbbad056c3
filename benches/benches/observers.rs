//! Observers benchmarks: TCBO observer (surrogate and Rips), TCBO
//! controller step, PGBO compute.
//!
//! `cargo bench -p backfire-benches --bench observers -- --warm-up-time 1 --measurement-time 3`

use std::f64::consts::PI;
use std::hint::black_box;

use backfire_nostd::observers::{
    self as core_obs, ControlLaw, ObserverFloat, PGBOConfig, PGBOParams, PhaseEmbedding, TCBOConfig,
    TCBOControllerConfig, TCBOControllerParams, TCBOParams, pgbo_storage_len,
};
use backfire_std::observers::{PGBOEngine as StdEngine, TCBOObserver as StdObserver, TcboMethod};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};

const N: usize = 16;
const ROWS: usize = 256;

/// `ROWS` phase vectors of 16 oscillators with spread frequencies,
/// wrapped to `[−π, π)`.
fn phase_rows() -> Vec<[f64; N]> {
    (0..ROWS)
        .map(|t| {
            core::array::from_fn(|j| {
                let x = 0.21 * t as f64 * (1.0 + 0.07 * j as f64) + 0.3 * j as f64;
                (x + PI).rem_euclid(2.0 * PI) - PI
            })
        })
        .collect()
}

/// Benchmarks `step` fed the rows in turn (a stream, so the observers see
/// new data every iteration).
fn stream<R, O>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    rows: &[R],
    mut step: impl FnMut(&R) -> O,
) {
    let mut t = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            t = (t + 1) % rows.len();
            black_box(step(black_box(&rows[t])))
        })
    });
}

fn core_observer<T: ObserverFloat>(embedding: PhaseEmbedding) -> core_obs::TCBOObserver<T, Vec<T>> {
    let config = TCBOConfig::<T>::new(&TCBOParams { embedding, ..TCBOParams::default() }).unwrap();
    let len = config.storage_len(N).unwrap();
    core_obs::TCBOObserver::new(N, config, vec![T::ZERO; len]).unwrap()
}

fn tcbo(c: &mut Criterion) {
    let rows = phase_rows();
    let rows32: Vec<[f32; N]> = rows.iter().map(|r| r.map(|x| x as f32)).collect();
    let mut group = c.benchmark_group("tcbo_push_and_compute");
    for (name, embedding) in
        [("surrogate", PhaseEmbedding::Angular), ("surrogate_linear", PhaseEmbedding::Linear)]
    {
        let mut obs = core_observer::<f64>(embedding);
        stream(&mut group, name, &rows, |row| obs.push_and_compute(row, false).unwrap());
    }
    let mut obs = core_observer::<f32>(PhaseEmbedding::Angular);
    stream(&mut group, "surrogate_f32", &rows32, |row| obs.push_and_compute(row, false).unwrap());
    for (name, method) in [("surrogate_std", TcboMethod::Surrogate), ("rips", TcboMethod::Rips)] {
        let mut obs = StdObserver::new(N, 0.72, 8.0, 50, method).unwrap();
        stream(&mut group, name, &rows, |row| obs.push_and_compute(row, false).unwrap());
    }
    group.finish();
}

fn controller(c: &mut Criterion) {
    // A deficit half of the time, a surplus the other half.
    let p_h1: Vec<f64> = (0..64).map(|i| if i < 32 { 0.5 } else { 0.9 }).collect();
    let mut group = c.benchmark_group("tcbo_controller_step");
    for (name, law) in [("anti_windup", ControlLaw::AntiWindup), ("reference", ControlLaw::Reference)] {
        let params = TCBOControllerParams { law, ..Default::default() };
        let mut ctl = core_obs::TCBOController::new(TCBOControllerConfig::<f64>::new(&params).unwrap());
        let mut kappa = 1.0;
        stream(&mut group, name, &p_h1, |&p| {
            kappa = ctl.step(p, kappa, 0.01).unwrap();
            kappa
        });
    }
    group.finish();
}

fn pgbo(c: &mut Criterion) {
    let rows = phase_rows();
    let mut group = c.benchmark_group("pgbo_compute_16");
    for (name, traceless) in [("plain", false), ("traceless", true)] {
        let config = PGBOConfig::<f64>::new(&PGBOParams { traceless, ..Default::default() }).unwrap();
        let mut engine = core_obs::PGBOEngine::new(N, config, vec![0.0; pgbo_storage_len(N)]).unwrap();
        stream(&mut group, name, &rows, |row| engine.compute(row, 0.01).unwrap().h_frob);
    }
    let mut engine = StdEngine::new(N, 0.5, 0.3, 10.0, false).unwrap();
    stream(&mut group, "std", &rows, |row| engine.compute(row, 0.01).unwrap().h_frob);
    group.finish();
}

criterion_group!(benches, tcbo, controller, pgbo);
criterion_main!(benches);
