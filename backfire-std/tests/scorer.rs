//! The scorer against spec/10 §6 and §8.5. Where our word-level heuristics
//! (spec/10 §10 items 14–17) change a value, the test says `deviation` and
//! gives the reference's value in a comment.

use backfire_std::scorer::{
    CoherenceScorer, DIVERGENCE_NEUTRAL, ExternalKnowledge, ExternalNli, HeuristicNli, InMemoryKnowledge,
    NliBackend,
};
use backfire_std::{BackfireConfig, ValidConfig};

const SKY: &str = "What color is the sky?";
const LAYERS: &str = "How many SCPN layers?";

fn valid() -> ValidConfig {
    BackfireConfig::default().validate().unwrap()
}

fn scorer() -> CoherenceScorer {
    CoherenceScorer::heuristic(&valid())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn truthful_sky_answer_is_approved_at_0_9() {
    let (approved, s) = scorer().review(SKY, "The sky is blue, consistent with reality");
    assert!(approved && s.approved && !s.warning);
    assert!(close(s.score, 0.9) && close(s.h_logical, 0.1) && close(s.h_factual, 0.1), "{s:?}");
}

#[test]
fn deviation_green_sky_scores_0_1() {
    // Reference: hF 1.0 from the hard-coded "green" branch, score 0.05999999999999994.
    // Ours: "sky" is a key word of `sky color` and "blue" is missing, so the
    // fact is contradicted: hF 0.9, score 1 − (0.6·0.9 + 0.4·0.9) = 0.1.
    let (approved, s) = scorer().review(SKY, "The sky is green and the opposite is true");
    assert!(!approved && !s.warning);
    assert!(close(s.h_logical, 0.9) && close(s.h_factual, 0.9) && close(s.score, 0.1), "{s:?}");
}

#[test]
fn factual_divergence_of_the_layer_question() {
    let s = scorer();
    assert!(close(s.calculate_factual_divergence(LAYERS, "There are many layers in the system"), 0.9));
    assert!(close(s.calculate_factual_divergence(LAYERS, "There are 16 layers"), 0.1));
}

#[test]
fn deviation_sky_is_blue_scores_0_768() {
    // Reference 0.732: whitespace words made "sky?" miss "sky" (hL 0.38).
    // Ours: hL = 0.5 − 0.3·3/5 = 0.32, hF = 0.1 → 1 − (0.192 + 0.04) = 0.768.
    let (approved, s) = scorer().review(SKY, "The sky is blue");
    assert!(approved && close(s.score, 0.768), "{s:?}");
}

#[test]
fn deviation_sixteen_layers_scores_0_705() {
    // Reference 0.66 with a warning (hL 0.5: "layers?" missed "layers").
    // Ours: hL = 0.5 − 0.3·1/4 = 0.425, hF = 0.1 → 0.705, no warning.
    let (approved, s) = scorer().review(LAYERS, "There are 16 layers");
    assert!(approved && !s.warning && close(s.score, 0.705), "{s:?}");
}

#[test]
fn unchanged_reference_values() {
    let s = scorer();
    let (approved, score) = s.review("test prompt", "test action");
    assert!(!approved && close(score.score, 0.59));
    for (p, a) in [("a", "b"), ("prompt", "action"), ("test", "response")] {
        let (approved, score) = s.review(p, a);
        assert!(!approved && close(score.score, 0.5), "{p}/{a}: {score:?}");
    }
}

#[test]
fn history_is_capped_at_history_window() {
    let s = scorer();
    for _ in 0..10 {
        assert!(s.review(SKY, "The sky is blue, consistent with reality").0);
    }
    assert!(s.history_len() <= 5);
    assert_eq!(s.history_len(), 5);
    assert!(s.history().iter().all(|h| h == "The sky is blue, consistent with reality"));
}

#[test]
fn divergences_stay_in_the_unit_interval() {
    let s = scorer();
    for (p, o) in [("test", "some text"), (SKY, "The sky is green"), ("", ""), (LAYERS, "16")] {
        for d in [
            s.compute_divergence(p, o),
            s.calculate_logical_divergence(p, o),
            s.calculate_factual_divergence(p, o),
        ] {
            assert!((0.0..=1.0).contains(&d), "{p}/{o}: {d}");
        }
    }
    // compute_divergence is the weighted sum the score is one minus.
    let (_, score) = s.review(SKY, "The sky is blue");
    assert!(close(s.compute_divergence(SKY, "The sky is blue"), 1.0 - score.score));
}

#[test]
fn nli_values_are_sanitised() {
    let v = valid();
    let nan =
        CoherenceScorer::new(&v, ExternalNli::new(|_: &str, _: &str| f64::NAN), InMemoryKnowledge::default());
    assert_eq!(nan.calculate_logical_divergence("p", "h"), 0.5);
    let big =
        CoherenceScorer::new(&v, ExternalNli::new(|_: &str, _: &str| 7.0), InMemoryKnowledge::default());
    assert_eq!(big.calculate_logical_divergence("p", "h"), 1.0);
    let neg =
        CoherenceScorer::new(&v, ExternalNli::new(|_: &str, _: &str| -3.0), InMemoryKnowledge::default());
    assert_eq!(neg.calculate_logical_divergence("p", "h"), 0.0);
}

#[test]
fn constant_nli_and_no_facts_give_0_74() {
    let s =
        CoherenceScorer::new(&valid(), ExternalNli::new(|_: &str, _: &str| 0.1), InMemoryKnowledge::empty());
    let (approved, score) = s.review(SKY, "The sky is blue");
    assert!(approved && close(score.h_factual, DIVERGENCE_NEUTRAL) && close(score.score, 0.74), "{score:?}");
    let s = CoherenceScorer::new(
        &valid(),
        ExternalNli::new(|_: &str, _: &str| 0.2),
        InMemoryKnowledge::default(),
    );
    let (approved, score) = s.review("query", "answer");
    assert!(approved && score.warning && close(score.score, 0.68), "{score:?}");
}

#[test]
fn raising_the_limits_changes_the_verdicts() {
    let mut s = scorer();
    // Deviation: the threshold may not pass the soft limit, so raise that first.
    assert!(s.set_threshold(0.99).is_err());
    s.set_soft_limit(0.99).unwrap();
    assert!(s.review(SKY, "The sky is blue, consistent with reality").1.warning);
    s.set_threshold(0.99).unwrap();
    assert!(!s.review("test", "consistent with reality").0);
    assert_eq!(s.config().config().coherence_threshold, 0.99);
}

#[test]
fn config_reports_its_limits() {
    let s = scorer();
    assert_eq!(s.config().config().coherence_threshold, 0.6);
    assert_eq!(s.config().config().hard_limit, 0.5);
    assert_eq!((s.threshold(), s.soft_limit()), (0.6, 0.7));
}

#[test]
fn external_knowledge_context_counts_by_its_words() {
    let known = ExternalKnowledge::new(|_: &str| Some("known fact".to_owned()));
    let s = CoherenceScorer::new(&valid(), HeuristicNli, known);
    let (approved, score) = s.review("query", "known fact");
    assert!(approved && close(score.h_factual, 0.1) && close(score.score, 0.66), "{score:?}");
}

#[test]
fn deviation_empty_context_is_no_context() {
    // Reference (Rust): an empty context was evidence of alignment (0.1).
    let empty = ExternalKnowledge::new(|_: &str| Some(String::new()));
    let s = CoherenceScorer::new(&valid(), HeuristicNli, empty);
    assert_eq!(s.calculate_factual_divergence("q", "anything"), DIVERGENCE_NEUTRAL);
    let sky_only = ExternalKnowledge::new(|q: &str| q.contains("sky").then(|| "blue".to_owned()));
    let s = CoherenceScorer::new(&valid(), HeuristicNli, sky_only);
    assert_eq!(s.calculate_factual_divergence("the sky", "it is blue"), 0.1);
    assert_eq!(s.calculate_factual_divergence("the sea", "it is blue"), DIVERGENCE_NEUTRAL);
}

#[test]
fn heuristic_nli_reference_phrases() {
    let nli = HeuristicNli;
    assert_eq!(nli.score("x", "consistent with reality"), 0.1);
    assert_eq!(nli.score("x", "the opposite is true"), 0.9);
    assert_eq!(nli.score("x", "it depends on your perspective"), 0.5);
    let unrelated = nli.score("What is the capital of France?", "Bananas are yellow.");
    assert!((0.1..=0.9).contains(&unrelated));
    assert_eq!(ExternalNli::new(|_: &str, _: &str| 0.42).score("a", "b"), 0.42);
}

#[test]
fn scorer_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CoherenceScorer>();
    let s = scorer();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..50 {
                    assert!(s.review(SKY, "The sky is blue").0);
                }
            });
        }
    });
    assert_eq!(s.history_len(), 5);
}
