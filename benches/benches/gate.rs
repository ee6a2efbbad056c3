//! Safety-gate benchmarks: the reference's names and inputs (spec/10 §9),
//! the timing-mode variants of the streaming kernel, and the core monitor
//! alone on each numeric backend.

use std::hint::black_box;

use backfire_benches::{COHERENCE, SKY_PIPELINE, SKY_PROMPT, SKY_REVIEWED, tokens};
use backfire_nostd::gate::{StreamMonitor, StreamingLimits, Verdict};
use backfire_nostd::num::{Q16, Real};
use backfire_std::{BackfireConfig, CoherenceScorer, SafetyKernel, StreamingKernel, Timestamps};
use criterion::{Criterion, criterion_group, criterion_main};

fn scorer(c: &mut Criterion) {
    let scorer = CoherenceScorer::from_config(&BackfireConfig::default()).unwrap();
    c.bench_function("scorer_review", |b| {
        b.iter(|| scorer.review(black_box(SKY_PROMPT), black_box(SKY_REVIEWED)))
    });
}

fn safety_kernel(c: &mut Criterion) {
    let kernel = SafetyKernel::new(0.5).unwrap();
    for n in [10, 100] {
        let input = tokens(n);
        c.bench_function(&format!("safety_kernel_{n}tok"), |b| {
            b.iter(|| kernel.stream_output(black_box(&input), |_| black_box(COHERENCE)))
        });
    }
}

fn streaming_kernel(c: &mut Criterion) {
    let config = BackfireConfig::default();
    // The reference's names measure the default (end-only timing); the
    // `_per_token` variants read the clock at every token.
    for (suffix, mode) in [("", Timestamps::EndOnly), ("_per_token", Timestamps::PerToken)] {
        let kernel = StreamingKernel::from_config(&config).unwrap().with_timestamps(mode);
        for n in [10, 100, 1000] {
            let input = tokens(n);
            c.bench_function(&format!("streaming_kernel_{n}tok{suffix}"), |b| {
                b.iter(|| kernel.stream_tokens(black_box(&input), |_| black_box(COHERENCE)))
            });
        }
    }
    let kernel = StreamingKernel::from_config(&config).unwrap();
    let input = tokens(1000);
    let scores = vec![COHERENCE; 1000];
    c.bench_function("streaming_kernel_1000tok_batch", |b| {
        b.iter(|| kernel.stream_scores(black_box(&input), black_box(&scores)))
    });
}

fn full_pipeline(c: &mut Criterion) {
    let scorer = CoherenceScorer::from_config(&BackfireConfig::default()).unwrap();
    let kernel = SafetyKernel::new(0.5).unwrap();
    let input = tokens(10);
    c.bench_function("full_pipeline_10tok", |b| {
        b.iter(|| {
            let (approved, score) = scorer.review(black_box(SKY_PROMPT), black_box(SKY_PIPELINE));
            approved.then(|| kernel.stream_output(&input, |_| score.score))
        })
    });
}

/// The core monitor alone: 1000 pushes of a passing score, on one backend.
fn monitor_1000<T: Real>(c: &mut Criterion, name: &str) {
    let limits = StreamingLimits::<T>::new(0.5, 10, 0.55, 5, 0.15).unwrap();
    let mut monitor = StreamMonitor::new(limits, [T::ZERO; 10]).unwrap();
    let score = T::from_f64(COHERENCE);
    c.bench_function(name, |b| {
        b.iter(|| {
            monitor.reset();
            (0..1000).filter(|_| monitor.push(black_box(score)) == Verdict::Continue).count()
        })
    });
}

fn monitors(c: &mut Criterion) {
    monitor_1000::<f64>(c, "monitor_f64_1000");
    monitor_1000::<f32>(c, "monitor_f32_1000");
    monitor_1000::<Q16>(c, "monitor_q16_1000");
}

criterion_group!(benches, scorer, safety_kernel, streaming_kernel, full_pipeline, monitors);
criterion_main!(benches);
