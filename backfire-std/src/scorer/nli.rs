//! Natural-language-inference backends: how far a hypothesis is from
//! following from a premise.

use std::fmt;
use std::sync::Arc;

use backfire_nostd::num::Real;

use super::words::Words;
use super::{DIVERGENCE_ALIGNED, DIVERGENCE_CONTRADICTED, DIVERGENCE_NEUTRAL};

/// Scores a (premise, hypothesis) pair as a divergence: 0 = entailment,
/// 0.5 = neutral, 1 = contradiction.
///
/// The scorer treats a non-finite result as neutral (0.5) and clamps the
/// rest into `[0, 1]`, so an implementation need not.
pub trait NliBackend: Send + Sync {
    /// The divergence of `hypothesis` from `premise`.
    fn score(&self, premise: &str, hypothesis: &str) -> f64;
}

impl<T: NliBackend + ?Sized> NliBackend for Box<T> {
    fn score(&self, premise: &str, hypothesis: &str) -> f64 {
        (**self).score(premise, hypothesis)
    }
}

impl<T: NliBackend + ?Sized> NliBackend for Arc<T> {
    fn score(&self, premise: &str, hypothesis: &str) -> f64 {
        (**self).score(premise, hypothesis)
    }
}

/// The keyword-and-overlap heuristic used when no NLI model is supplied
/// (spec/10 §6.4, with word-level tokenisation).
///
/// 1. On the lowercased hypothesis: `"consistent with reality"` → 0.1,
///    else `"opposite is true"` → 0.9, else `"depends on your perspective"`
///    → 0.5.
/// 2. Otherwise, with `P`, `H` the word sets of premise and hypothesis:
///    `P` empty → 0.5, else `clamp(0.5 − 0.3·|P∩H|/|P|, 0.1, 0.9)`.
///
/// ```
/// use backfire_std::scorer::{HeuristicNli, NliBackend};
/// let nli = HeuristicNli;
/// assert_eq!(nli.score("anything", "That is consistent with reality."), 0.1);
/// assert!((nli.score("a b", "A, B!") - 0.2).abs() < 1e-12);
/// assert_eq!(nli.score("", "x"), 0.5);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeuristicNli;

/// Phrases that decide the heuristic outright, checked in this order.
const KEYWORD_RULES: [(&str, f64); 3] = [
    ("consistent with reality", DIVERGENCE_ALIGNED),
    ("opposite is true", DIVERGENCE_CONTRADICTED),
    ("depends on your perspective", DIVERGENCE_NEUTRAL),
];

impl NliBackend for HeuristicNli {
    fn score(&self, premise: &str, hypothesis: &str) -> f64 {
        let hypothesis = Words::of(hypothesis);
        if let Some(&(_, value)) = KEYWORD_RULES.iter().find(|(phrase, _)| hypothesis.text().contains(phrase))
        {
            return value;
        }
        let premise = Words::of(premise);
        let p = premise.set();
        if p.is_empty() {
            return DIVERGENCE_NEUTRAL;
        }
        let overlap = p.common(&hypothesis.set()) as f64 / p.len() as f64;
        (0.5 - 0.3 * overlap).clamp_to(0.1, 0.9)
    }
}

/// An NLI backend from a closure (e.g. a Python callback or a model call).
///
/// ```
/// use backfire_std::scorer::{ExternalNli, NliBackend};
/// let nli = ExternalNli::new(|_premise: &str, _hypothesis: &str| 0.42);
/// assert_eq!(nli.score("p", "h"), 0.42);
/// ```
#[derive(Clone, Copy)]
pub struct ExternalNli<F>(F);

impl<F: Fn(&str, &str) -> f64 + Send + Sync> ExternalNli<F> {
    /// Wraps `score(premise, hypothesis)`.
    pub fn new(score: F) -> Self {
        ExternalNli(score)
    }
}

impl<F: Fn(&str, &str) -> f64 + Send + Sync> NliBackend for ExternalNli<F> {
    fn score(&self, premise: &str, hypothesis: &str) -> f64 {
        (self.0)(premise, hypothesis)
    }
}

impl<F> fmt::Debug for ExternalNli<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExternalNli(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(p: &str, hyp: &str) -> f64 {
        HeuristicNli.score(p, hyp)
    }

    #[test]
    fn keyword_rules_win_in_order() {
        assert_eq!(h("x", "It is CONSISTENT WITH REALITY"), 0.1);
        assert_eq!(h("x", "I can argue that the opposite is true."), 0.9);
        assert_eq!(h("x", "It depends on your perspective"), 0.5);
        assert_eq!(h("x", "consistent with reality, though the opposite is true"), 0.1);
    }

    #[test]
    fn overlap_examples_of_the_reference() {
        assert!((h("test prompt", "test action") - 0.35).abs() < 1e-12);
        assert!((h("a b", "a b") - 0.2).abs() < 1e-12);
        assert!((h("A B", "a b c") - 0.2).abs() < 1e-12);
        assert_eq!(h("p", "h"), 0.5);
        assert_eq!(h("", "x"), 0.5);
        assert_eq!(h(" ?! ", "x"), 0.5);
        assert!((h("sky color", "the sky is blue") - 0.35).abs() < 1e-12);
    }

    #[test]
    fn punctuation_no_longer_defeats_a_match() {
        // Reference (whitespace split): "sky?" ≠ "sky", P ∩ H = {is, the}: 0.5 − 0.3·2/5 = 0.38.
        // Ours: "sky?" is the word "sky", P ∩ H = {is, the, sky}: 0.5 − 0.3·3/5 = 0.32.
        assert!((h("What color is the sky?", "The sky is blue") - 0.32).abs() < 1e-12);
    }

    #[test]
    fn wrappers_delegate() {
        let boxed: Box<dyn NliBackend> = Box::new(ExternalNli::new(|p: &str, _: &str| p.len() as f64));
        assert_eq!(boxed.score("abc", ""), 3.0);
        let shared = Arc::new(HeuristicNli);
        assert_eq!(shared.score("p", "h"), 0.5);
    }
}
