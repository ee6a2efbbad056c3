//! Properties of the std kernels over arbitrary tokens, scores and
//! configurations.

use std::cell::Cell;

use backfire_std::core_kernel::gate::HaltReason;
use backfire_std::{BackfireConfig, SafetyKernel, StreamingKernel};
use proptest::prelude::*;

/// Scores that are mostly plausible, sometimes anything at all: NaN, ±∞,
/// subnormals, huge values, negative zero.
fn score() -> impl Strategy<Value = f64> {
    prop_oneof![4 => 0.0..1.0f64, 1 => proptest::num::f64::ANY, 1 => Just(f64::NAN), 1 => Just(-0.0)]
}

fn tokens() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-z ]{0,4}|[éß😀]{1,2}|", 0..40)
}

/// Any float: finite or not.
fn any_float() -> impl Strategy<Value = f64> {
    prop_oneof![3 => 0.0..1.0f64, 1 => proptest::num::f64::ANY]
}

/// Any size: small, or anything up to `usize::MAX`.
fn any_size() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..16, 1 => any::<usize>()]
}

fn small_config() -> impl Strategy<Value = BackfireConfig> {
    (0.0..0.6f64, 1usize..8, 0.0..0.7f64, 2usize..8, 0.01..0.5f64).prop_map(|(hard, ws, wt, tw, tt)| {
        BackfireConfig {
            hard_limit: hard,
            window_size: ws,
            window_threshold: wt,
            trend_window: tw,
            trend_threshold: tt,
            ..Default::default()
        }
    })
}

/// Twelve unrelated values, each anything at all.
fn wild_config() -> impl Strategy<Value = BackfireConfig> {
    (prop::collection::vec(any_float(), 8), prop::collection::vec(any_size(), 3), any::<u64>()).prop_map(
        |(f, n, deadline_ms)| BackfireConfig {
            coherence_threshold: f[0],
            hard_limit: f[1],
            soft_limit: f[2],
            w_logic: f[3],
            w_fact: f[4],
            window_size: n[0],
            window_threshold: f[5],
            trend_window: n[1],
            trend_threshold: f[6],
            history_window: n[2],
            deadline_ms,
            logit_entropy_limit: f[7],
        },
    )
}

/// Floats inside their ranges and ordered (hard ≤ threshold ≤ soft);
/// sizes and the deadline still anything, so the size rules are hit too.
fn plausible_config() -> impl Strategy<Value = BackfireConfig> {
    let limits = prop::array::uniform3(0.0..=1.0f64).prop_map(|mut l| {
        l.sort_by(f64::total_cmp);
        l
    });
    let sizes =
        (prop_oneof![1usize..16, any::<usize>()], prop_oneof![2usize..16, any::<usize>()], any_size());
    let deadline = prop_oneof![1u64..1000, Just(0u64), any::<u64>()];
    (limits, 0.0..=1.0f64, sizes, 0.0..=1.0f64, 1e-9..10.0f64, deadline, 1e-9..10.0f64).prop_map(
        |([hard, threshold, soft], w, (ws, tw, hw), wt, tt, deadline_ms, entropy)| BackfireConfig {
            coherence_threshold: threshold,
            hard_limit: hard,
            soft_limit: soft,
            w_logic: w,
            w_fact: 1.0 - w,
            window_size: ws,
            window_threshold: wt,
            trend_window: tw,
            trend_threshold: tt,
            history_window: hw,
            deadline_ms,
            logit_entropy_limit: entropy,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The output is always a prefix of the concatenated input; without a
    /// halt it is all of it. The callback runs once per recorded token and
    /// never after the halting one.
    #[test]
    fn output_is_a_prefix_and_nothing_follows_a_halt(
        config in small_config(),
        tokens in tokens(),
        scores in prop::collection::vec(score(), 40),
    ) {
        let kernel = StreamingKernel::from_config(&config).unwrap();
        let all: String = tokens.concat();
        let calls = Cell::new(0usize);
        let session = kernel.stream_tokens(&tokens, |_| {
            let i = calls.get();
            calls.set(i + 1);
            scores[i]
        });
        prop_assert!(all.starts_with(session.output()));
        prop_assert_eq!(calls.get(), session.token_count());
        prop_assert_eq!(session.tokens().collect::<String>(), tokens[..session.token_count()].concat());
        match session.halt_index() {
            None => prop_assert_eq!(session.output(), all.as_str()),
            Some(i) => {
                // A score halt is the last recorded token; the output stops before it.
                prop_assert_eq!(i + 1, session.token_count());
                prop_assert_eq!(session.output(), tokens[..i].concat());
                prop_assert!(session.events().filter(|e| e.halted).map(|e| e.index).eq([i]));
            }
        }
        prop_assert!(session.coherence_history().iter().all(|c| c.is_finite()));
        prop_assert!((0.0..=1.0).contains(&session.avg_coherence()));
        prop_assert!(session.min_coherence() >= 0.0);
        prop_assert!(session.duration_ms() >= 0.0);
    }

    /// A non-finite score always halts, whatever the limits, and only
    /// hard-limit halts latch the kernel.
    #[test]
    fn non_finite_scores_always_halt_and_only_hard_halts_latch(
        config in small_config(),
        scores in prop::collection::vec(score(), 1..30),
    ) {
        let kernel = StreamingKernel::from_config(&config).unwrap();
        let tokens = vec!["t"; scores.len()];
        let session = kernel.stream_scores(&tokens, &scores).unwrap();
        if let Some(first_bad) = scores.iter().position(|s| !s.is_finite()) {
            prop_assert!(session.halted());
            prop_assert!(session.halt_index().unwrap() <= first_bad);
        }
        let latching = matches!(session.halt(), Some(HaltReason::HardLimit { .. } | HaltReason::NonFiniteScore { .. }));
        prop_assert_eq!(kernel.is_active(), !latching);
    }

    /// The basic kernel agrees with a direct reading of its rule.
    #[test]
    fn safety_kernel_emits_exactly_the_tokens_before_the_first_failure(
        limit in 0.0..=1.0f64,
        scores in prop::collection::vec(score(), 0..30),
    ) {
        let kernel = SafetyKernel::new(limit).unwrap();
        let tokens: Vec<String> = (0..scores.len()).map(|i| format!("{i},")).collect();
        let first_fail = scores.iter().position(|&s| !s.is_finite() || s < limit);
        let out = kernel.stream_output(&tokens, {
            let mut it = scores.iter();
            move |_| *it.next().unwrap()
        });
        match first_fail {
            None => prop_assert_eq!(out, tokens.concat()),
            Some(_) => {
                prop_assert_eq!(out, "[KERNEL INTERRUPT: COHERENCE LIMIT EXCEEDED]");
                prop_assert!(!kernel.is_active());
            }
        }
    }

    /// Any configuration either fails validation with a config error or
    /// builds kernels and a scorer that run without panicking.
    #[test]
    fn any_config_validates_or_runs(
        config in prop_oneof![wild_config(), plausible_config()],
        scores in prop::collection::vec(score(), 0..12),
    ) {
        match config.validate() {
            Err(e) => prop_assert!(e.to_string().starts_with("config error: "), "{}", e),
            Ok(valid) => {
                let tokens = vec!["t"; scores.len()];
                let session = StreamingKernel::new(&valid).stream_scores(&tokens, &scores).unwrap();
                prop_assert!(session.token_count() <= tokens.len());
                SafetyKernel::from_valid(&valid).stream_scores(&tokens, &scores).unwrap();
                let scorer = backfire_std::CoherenceScorer::heuristic(&valid);
                let (approved, score) = scorer.review("What color is the sky?", "blue");
                prop_assert_eq!(approved, score.score >= valid.config().coherence_threshold);
                prop_assert!(scorer.history_len() <= valid.history_window());
                // What validated also survives a round trip through TOML.
                let toml = valid.config().to_toml().unwrap();
                prop_assert_eq!(&BackfireConfig::from_toml(&toml).unwrap(), valid.config());
            }
        }
    }

    /// Configurations inside every documented range validate.
    #[test]
    fn configs_within_the_rules_validate(config in plausible_config()) {
        let in_rules = config.window_size <= backfire_std::config::MAX_WINDOW
            && config.trend_window <= backfire_std::config::MAX_WINDOW
            && config.deadline_ms > 0;
        prop_assert_eq!(config.validate().is_ok(), in_rules, "{:?}", config);
    }

    /// Arbitrary JSON-ish text never panics the loader.
    #[test]
    fn config_loaders_never_panic(text in ".{0,80}") {
        let _ = BackfireConfig::from_json(&text);
        let _ = BackfireConfig::from_toml(&text);
    }
}
