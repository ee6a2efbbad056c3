//! Integration tests of the gate monitors: the three numeric backends agree
//! on well-separated inputs, halts are final, nothing panics, and the window
//! mean does not drift over a million tokens.

use backfire_nostd::gate::{HaltReason, StreamMonitor, StreamingLimits, Verdict};
use backfire_nostd::num::{Q16, Real};
use proptest::prelude::*;

/// Decisions closer than this to a threshold may legitimately differ
/// between backends (Q16.16 resolves 1.5e-5).
const MARGIN: f64 = 1e-3;

#[derive(Clone, Copy, Debug)]
struct Params {
    hard: f64,
    window_size: usize,
    window_threshold: f64,
    trend_window: usize,
    trend_threshold: f64,
}

impl Params {
    fn limits<T: Real>(&self) -> StreamingLimits<T> {
        StreamingLimits::new(
            self.hard,
            self.window_size,
            self.window_threshold,
            self.trend_window,
            self.trend_threshold,
        )
        .unwrap()
    }
}

/// What a backend decided: the index of the halting token and its kind.
fn run<T: Real>(p: &Params, scores: &[f64]) -> Option<(usize, &'static str)> {
    let limits = p.limits::<T>();
    let mut monitor = StreamMonitor::new(limits, vec![T::ZERO; limits.capacity()]).unwrap();
    scores.iter().enumerate().find_map(|(i, &s)| match monitor.push(T::from_f64(s)) {
        Verdict::Continue => None,
        Verdict::Halt(reason) => Some((i, reason.kind())),
    })
}

/// The longest prefix of `scores` on which every decision the monitor
/// could take is at least [`MARGIN`] away from its threshold, evaluated
/// exactly (in f64, from a naive re-sum).
fn well_separated_prefix(p: &Params, scores: &[f64]) -> usize {
    for i in 0..scores.len() {
        let seen = &scores[..=i];
        let near = |value: f64, threshold: f64| (value - threshold).abs() < MARGIN;
        if near(scores[i], p.hard) {
            return i;
        }
        if seen.len() >= p.window_size {
            let window = &seen[seen.len() - p.window_size..];
            if near(window.iter().sum::<f64>() / p.window_size as f64, p.window_threshold) {
                return i;
            }
        }
        if seen.len() >= p.trend_window {
            let drop = seen[seen.len() - p.trend_window] - seen[seen.len() - 1];
            if near(drop, p.trend_threshold) {
                return i;
            }
        }
    }
    scores.len()
}

fn params() -> impl Strategy<Value = Params> {
    (0.0..0.6f64, 1usize..12, 0.0..0.8f64, 2usize..12, 0.01..0.6f64).prop_map(
        |(hard, window_size, window_threshold, trend_window, trend_threshold)| Params {
            hard,
            window_size,
            window_threshold,
            trend_window,
            trend_threshold,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn f64_f32_and_q16_agree_away_from_thresholds(
        p in params(),
        scores in prop::collection::vec(prop_oneof![3 => 0.45..1.0f64, 1 => 0.0..1.0f64], 1..60),
    ) {
        let scores = &scores[..well_separated_prefix(&p, &scores)];
        let reference = run::<f64>(&p, scores);
        prop_assert_eq!(run::<f32>(&p, scores), reference);
        prop_assert_eq!(run::<Q16>(&p, scores), reference);
    }

    /// Whatever is pushed — NaN, ±∞, subnormals, huge values — the monitor
    /// answers, a non-finite score halts, and a halt repeats until reset.
    #[test]
    fn any_scores_give_final_verdicts(
        p in params(),
        scores in prop::collection::vec(proptest::num::f64::ANY, 1..40),
    ) {
        let limits = p.limits::<f64>();
        let mut monitor = StreamMonitor::new(limits, vec![0.0; limits.capacity()]).unwrap();
        let mut halted: Option<HaltReason<f64>> = None;
        for &s in &scores {
            let verdict = monitor.push(s);
            match halted {
                Some(reason) => prop_assert_eq!(verdict, Verdict::Halt(reason)),
                None => {
                    if !s.is_finite() {
                        prop_assert_eq!(verdict, Verdict::Halt(HaltReason::NonFiniteScore { limit: p.hard }));
                    }
                    halted = verdict.halt_reason().copied();
                }
            }
        }
        prop_assert_eq!(monitor.halted(), halted);
        monitor.reset();
        prop_assert_eq!(monitor.halted(), None);
    }
}

/// A deterministic stream of scores in `[0, 1)` with full 53-bit mantissas.
fn scores(n: usize) -> impl Iterator<Item = f64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..n).map(move |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// Distance in units in the last place.
fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
}

#[test]
fn window_mean_does_not_drift_over_a_million_tokens() {
    for window_size in [1, 7, 10, 64] {
        // Limits that never halt a score in [0, 1).
        let limits = StreamingLimits::<f64>::new(0.0, window_size, 0.0, 2, 1.0).unwrap();
        let mut monitor = StreamMonitor::new(limits, vec![0.0; limits.capacity()]).unwrap();
        let mut ring = vec![0.0; window_size];
        let mut worst = 0;
        for (i, s) in scores(1_000_000).enumerate() {
            assert_eq!(monitor.push(s), Verdict::Continue);
            ring[i % window_size] = s;
            if i + 1 >= window_size {
                let naive = ring.iter().sum::<f64>() / window_size as f64;
                worst = worst.max(ulps(monitor.window_mean().unwrap(), naive));
            }
        }
        // A naive re-sum itself carries up to ~window_size/2 ulps of rounding.
        assert!(worst <= 4 + window_size as u64 / 2, "window {window_size}: {worst} ulps");
    }
}

#[test]
fn q16_window_mean_is_exact_over_a_million_tokens() {
    let limits = StreamingLimits::<Q16>::new(0.0, 10, 0.0, 2, 1.0).unwrap();
    let mut monitor = StreamMonitor::new(limits, [Q16::ZERO; 10]).unwrap();
    let mut ring = [0i64; 10];
    for (i, s) in scores(1_000_000).enumerate() {
        let q = Q16::from_f64(s);
        assert_eq!(monitor.push(q), Verdict::Continue);
        ring[i % 10] = i64::from(q.to_bits());
    }
    // Exact integer mean, floored (so a reported mean is never above the
    // exact one).
    let sum: i64 = ring.iter().sum();
    assert_eq!(i64::from(monitor.window_mean().unwrap().to_bits()), sum.div_euclid(10));
}
