//! The coherence scorer: is a response to a prompt coherent enough to
//! release?
//!
//! ```text
//!  (prompt, response) ──► NliBackend ──► h_logical = divergence(nli)        nli.rs
//!                     └─► KnowledgeStore ──► facts ──► h_factual            knowledge.rs
//!                                   │
//!        CoherenceScore::combine(h_logical, h_factual, weights, limits)    (core)
//!                                   ▼
//!                  score = 1 − (w_logic·h_logical + w_fact·h_factual)
//!                  approved = score >= threshold; warning below soft limit
//! ```
//!
//! # Factual divergence
//!
//! The facts retrieved for the prompt are compared with the response by
//! words (`V` = value words, `K` = key words, `O` = response words):
//!
//! * `V ⊆ O` — the response states the fact: supported, 0.1;
//! * else `K ∩ O ≠ ∅` — it talks about the fact's subject without stating
//!   it: contradicted, 0.9;
//! * else unrelated, 0.5.
//!
//! The result is the minimum over the facts (one supporting fact is
//! enough); no facts, or facts without value words (an empty context), give
//! 0.5. This replaces the reference's hard-coded `"16"` / `"sky color"`
//! prototype (spec/10 §10 item 14).

mod knowledge;
mod nli;
mod words;

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use backfire_nostd::gate::{CoherenceScore, divergence};

pub use knowledge::{DEFAULT_FACTS, ExternalKnowledge, Fact, InMemoryKnowledge, KnowledgeStore};
pub use nli::{ExternalNli, HeuristicNli, NliBackend};
use words::{WordSet, Words};

use crate::config::{BackfireConfig, ValidConfig};
use crate::error::BackfireResult;

/// Divergence of a response that agrees with the evidence.
pub const DIVERGENCE_ALIGNED: f64 = 0.1;
/// Divergence when there is no evidence either way.
pub const DIVERGENCE_NEUTRAL: f64 = 0.5;
/// Divergence of a response that contradicts the evidence.
pub const DIVERGENCE_CONTRADICTED: f64 = 0.9;

/// Scores (prompt, response) pairs and keeps a bounded history of the
/// approved responses.
///
/// `review` takes `&self` (the history sits behind a mutex), so one scorer
/// can serve several threads; the limits change only through `&mut self`
/// setters that validate.
///
/// ```
/// use backfire_std::scorer::CoherenceScorer;
/// use backfire_std::BackfireConfig;
///
/// let scorer = CoherenceScorer::from_config(&BackfireConfig::default())?;
/// let (approved, score) = scorer.review("What color is the sky?", "The sky is blue, consistent with reality");
/// assert!(approved && !score.warning);
/// assert!((score.score - 0.9).abs() < 1e-9);
/// let (approved, _) = scorer.review("What color is the sky?", "The sky is green and the opposite is true");
/// assert!(!approved);
/// assert_eq!(scorer.history_len(), 1);
/// # Ok::<(), backfire_std::BackfireError>(())
/// ```
pub struct CoherenceScorer {
    config: ValidConfig,
    nli: Box<dyn NliBackend>,
    knowledge: Box<dyn KnowledgeStore>,
    /// Approved actions, oldest first, at most `history_window` long.
    history: Mutex<VecDeque<String>>,
}

impl CoherenceScorer {
    /// A scorer with the given backends.
    pub fn new(
        config: &ValidConfig,
        nli: impl NliBackend + 'static,
        knowledge: impl KnowledgeStore + 'static,
    ) -> Self {
        CoherenceScorer {
            config: config.clone(),
            nli: Box::new(nli),
            knowledge: Box::new(knowledge),
            history: Mutex::new(VecDeque::new()),
        }
    }

    /// A scorer with the [`HeuristicNli`] and the default
    /// [`InMemoryKnowledge`].
    pub fn heuristic(config: &ValidConfig) -> Self {
        Self::new(config, HeuristicNli, InMemoryKnowledge::default())
    }

    /// Validates `config` and builds a [`heuristic`](Self::heuristic) scorer.
    pub fn from_config(config: &BackfireConfig) -> BackfireResult<Self> {
        Ok(Self::heuristic(&config.validate()?))
    }

    /// Scores `action` as a response to `prompt`; an approved action joins
    /// the history. Returns `(approved, score)`.
    pub fn review(&self, prompt: &str, action: &str) -> (bool, CoherenceScore<f64>) {
        let h_logical = self.calculate_logical_divergence(prompt, action);
        let h_factual = self.calculate_factual_divergence(prompt, action);
        let score =
            CoherenceScore::combine(h_logical, h_factual, self.config.weights(), self.config.score_limits());
        if score.approved {
            self.remember(action);
        }
        (score.approved, score)
    }

    /// `w_logic·h_logical + w_fact·h_factual`: the divergence the score is
    /// one minus (before clamping).
    pub fn compute_divergence(&self, prompt: &str, output: &str) -> f64 {
        let weights = self.config.weights();
        weights.logic() * self.calculate_logical_divergence(prompt, output)
            + weights.fact() * self.calculate_factual_divergence(prompt, output)
    }

    /// The NLI divergence of `output` from `prompt`; non-finite → 0.5,
    /// otherwise clamped into `[0, 1]`.
    pub fn calculate_logical_divergence(&self, prompt: &str, output: &str) -> f64 {
        divergence(self.nli.score(prompt, output))
    }

    /// The factual divergence of `output` given what the store knows about
    /// `prompt` (see the module documentation).
    pub fn calculate_factual_divergence(&self, prompt: &str, output: &str) -> f64 {
        let facts = self.knowledge.retrieve_facts(prompt);
        let output = Words::of(output);
        let output = output.set();
        facts.iter().filter_map(|fact| judge(fact, &output)).reduce(f64::min).unwrap_or(DIVERGENCE_NEUTRAL)
    }

    /// The configuration in force.
    pub fn config(&self) -> &ValidConfig {
        &self.config
    }

    /// Approve iff `score >= threshold`.
    pub fn threshold(&self) -> f64 {
        self.config.score_limits().threshold()
    }

    /// Approved scores below this carry a warning.
    pub fn soft_limit(&self) -> f64 {
        self.config.score_limits().soft_limit()
    }

    /// Sets the approval threshold. The configuration is validated again,
    /// so the threshold must be in `[0, 1]` and between the hard limit and
    /// the soft limit; on error nothing changes.
    pub fn set_threshold(&mut self, threshold: f64) -> BackfireResult<()> {
        self.set_limits(threshold, self.soft_limit())
    }

    /// Sets the soft limit (validated as for
    /// [`set_threshold`](Self::set_threshold)).
    pub fn set_soft_limit(&mut self, soft_limit: f64) -> BackfireResult<()> {
        self.set_limits(self.threshold(), soft_limit)
    }

    /// Sets both limits at once (to move them past each other).
    pub fn set_limits(&mut self, threshold: f64, soft_limit: f64) -> BackfireResult<()> {
        let mut raw = self.config.config().clone();
        raw.coherence_threshold = threshold;
        raw.soft_limit = soft_limit;
        self.config = raw.validate()?;
        Ok(())
    }

    /// Number of approved actions remembered (at most `history_window`).
    pub fn history_len(&self) -> usize {
        self.lock_history().len()
    }

    /// A copy of the remembered approved actions, oldest first.
    pub fn history(&self) -> Vec<String> {
        self.lock_history().iter().cloned().collect()
    }

    fn lock_history(&self) -> MutexGuard<'_, VecDeque<String>> {
        // The history is valid after any panic (pushes are whole strings).
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `action`, dropping the oldest beyond `history_window`; the
    /// dropped string's buffer is reused, so a full history stops
    /// allocating.
    fn remember(&self, action: &str) {
        let capacity = self.config.history_window();
        if capacity == 0 {
            return;
        }
        let mut history = self.lock_history();
        let mut slot =
            if history.len() >= capacity { history.pop_front().unwrap_or_default() } else { String::new() };
        slot.clear();
        slot.push_str(action);
        history.push_back(slot);
    }
}

/// The divergence of a response (as words) from one fact, or `None` if the
/// fact has no value words and so is no evidence.
fn judge(fact: &Fact, output: &WordSet<'_>) -> Option<f64> {
    let value = Words::of(&fact.value);
    let mut value_words = value.iter().peekable();
    value_words.peek()?;
    if value_words.all(|w| output.contains(w)) {
        return Some(DIVERGENCE_ALIGNED);
    }
    let key = Words::of(&fact.key);
    let about_the_key = key.iter().any(|w| output.contains(w));
    Some(if about_the_key { DIVERGENCE_CONTRADICTED } else { DIVERGENCE_NEUTRAL })
}

impl fmt::Debug for CoherenceScorer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoherenceScorer")
            .field("config", &self.config)
            .field("history_len", &self.history_len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scorer() -> CoherenceScorer {
        CoherenceScorer::from_config(&BackfireConfig::default()).unwrap()
    }

    fn judged(key: &str, value: &str, output: &str) -> Option<f64> {
        let words = Words::of(output);
        judge(&Fact::new(key, value), &words.set())
    }

    #[test]
    fn judge_supports_contradicts_or_ignores() {
        assert_eq!(judged("sky color", "blue", "The sky is BLUE."), Some(DIVERGENCE_ALIGNED));
        assert_eq!(judged("sky color", "blue", "The sky is green"), Some(DIVERGENCE_CONTRADICTED));
        assert_eq!(judged("sky color", "blue", "Grass is green"), Some(DIVERGENCE_NEUTRAL));
        assert_eq!(
            judged("vibrana symmetry", "13-fold", "It has 13 fold symmetry"),
            Some(DIVERGENCE_ALIGNED)
        );
        assert_eq!(judged("", "known fact", "a known fact"), Some(DIVERGENCE_ALIGNED));
        assert_eq!(judged("", "known fact", "unknown"), Some(DIVERGENCE_NEUTRAL));
        assert_eq!(judged("sky", "", "sky"), None);
        assert_eq!(judged("sky", " ; ", "sky"), None);
    }

    #[test]
    fn history_is_bounded_and_reuses_slots() {
        let s = scorer();
        for i in 0..10 {
            let (approved, _) =
                s.review("What color is the sky?", &format!("{i}: the sky is blue, consistent with reality"));
            assert!(approved);
        }
        assert_eq!(s.history_len(), 5);
        assert_eq!(s.history().first().unwrap(), "5: the sky is blue, consistent with reality");
        assert_eq!(s.history().last().unwrap(), "9: the sky is blue, consistent with reality");
    }

    #[test]
    fn zero_history_window_keeps_nothing() {
        let config = BackfireConfig { history_window: 0, ..Default::default() };
        let s = CoherenceScorer::from_config(&config).unwrap();
        assert!(s.review("test", "consistent with reality").0);
        assert_eq!(s.history_len(), 0);
    }

    #[test]
    fn setters_validate_and_leave_the_scorer_unchanged_on_error() {
        let mut s = scorer();
        let err = s.set_threshold(999.0).unwrap_err();
        assert_eq!(err.to_string(), "config error: coherence_threshold must be in [0, 1], got 999");
        assert!(s.set_threshold(f64::NAN).is_err());
        assert!(s.set_threshold(0.9).is_err(), "0.9 is above the soft limit 0.7");
        assert!(s.set_threshold(0.4).is_err(), "0.4 is below the hard limit 0.5");
        assert!(s.set_soft_limit(1.5).is_err());
        assert_eq!((s.threshold(), s.soft_limit()), (0.6, 0.7));
        s.set_limits(0.9, 0.95).unwrap();
        assert_eq!((s.threshold(), s.soft_limit()), (0.9, 0.95));
        assert_eq!(s.config().config().coherence_threshold, 0.9);
        s.set_soft_limit(0.99).unwrap();
        s.set_threshold(0.99).unwrap();
        assert_eq!(s.threshold(), 0.99);
    }
}
