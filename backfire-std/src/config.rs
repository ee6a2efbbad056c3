//! The gate's configuration: a plain serde struct for files and code, and a
//! validated form that kernels and scorers are built from.
//!
//! ```text
//!  JSON / TOML / code ──► BackfireConfig ──validate()──► ValidConfig ──► kernels, scorer
//!                         (any numbers)                   (checked, private)
//! ```
//!
//! A [`BackfireConfig`] is whatever the user wrote. [`BackfireConfig::validate`]
//! checks every field and the cross-field order
//! `hard_limit <= coherence_threshold <= soft_limit`, and returns a
//! [`ValidConfig`]: the only way to build a kernel or a scorer, so an
//! unchecked number can never reach the gate.
//!
//! Every rule lives in the core (`backfire_nostd::gate::limits`,
//! `backfire_nostd::check`); this module only decides which rules apply to
//! which field.

use backfire_nostd::check::{check_at_least, check_order, check_positive};
use backfire_nostd::gate::{HardLimit, ScoreLimits, StreamingLimits, Weights};
use serde::{Deserialize, Serialize};

use crate::error::{BackfireError, BackfireResult};

/// The largest `window_size` / `trend_window` accepted: the streaming
/// kernel allocates this many scores per stream, so an absurd window must
/// be a configuration error, not an out-of-memory abort.
pub const MAX_WINDOW: usize = 1 << 20;

/// Rule text for [`MAX_WINDOW`] in error messages.
const MAX_WINDOW_RULE: &str = "<= 1048576";

/// The twelve settings of the safety gate, with the reference's names,
/// order and defaults (spec/10 §2.1).
///
/// Fields are public: build one in code, or load it with
/// [`from_json`](Self::from_json) / [`from_toml`](Self::from_toml). Missing
/// keys take their defaults; unknown keys are an error (a misspelt key in a
/// safety configuration must not be silently ignored).
///
/// ```
/// use backfire_std::BackfireConfig;
///
/// let config = BackfireConfig::from_json(r#"{"hard_limit": 0.4, "window_size": 20}"#)?;
/// assert_eq!(config.hard_limit, 0.4);
/// assert_eq!(config.coherence_threshold, 0.6); // default
///
/// let err = BackfireConfig::from_json(r#"{"hard_limt": 0.4}"#).unwrap_err();
/// assert!(err.to_string().starts_with("config error: JSON parse error: unknown field `hard_limt`"));
/// # Ok::<(), backfire_std::BackfireError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackfireConfig {
    /// The scorer approves a response iff its score is `>=` this.
    pub coherence_threshold: f64,
    /// A token whose score is strictly below this halts the stream.
    pub hard_limit: f64,
    /// Approved scores strictly below this carry a warning.
    pub soft_limit: f64,
    /// Weight of the logical (NLI) divergence.
    pub w_logic: f64,
    /// Weight of the factual (knowledge) divergence.
    pub w_fact: f64,
    /// Length of the sliding window, in tokens.
    pub window_size: usize,
    /// The stream halts when the full window's mean is strictly below this.
    pub window_threshold: f64,
    /// Number of most recent scores spanned by the trend check.
    pub trend_window: usize,
    /// The stream halts when the score falls by strictly more than this
    /// across the trend window.
    pub trend_threshold: f64,
    /// Capacity of the scorer's history of approved actions (0 = none).
    pub history_window: usize,
    /// Scoring deadline in milliseconds (carried, not enforced).
    pub deadline_ms: u64,
    /// Entropy ceiling in bits per token (carried, not enforced).
    pub logit_entropy_limit: f64,
}

impl Default for BackfireConfig {
    fn default() -> Self {
        BackfireConfig {
            coherence_threshold: 0.6,
            hard_limit: 0.5,
            soft_limit: 0.7,
            w_logic: 0.6,
            w_fact: 0.4,
            window_size: 10,
            window_threshold: 0.55,
            trend_window: 5,
            trend_threshold: 0.15,
            history_window: 5,
            deadline_ms: 50,
            logit_entropy_limit: 1.2,
        }
    }
}

impl BackfireConfig {
    /// Parses a JSON object and validates it.
    ///
    /// Errors: `config error: JSON parse error: …` for malformed text, an
    /// array instead of an object, wrong types (a float or negative number
    /// for a count, `null`) or unknown keys; `config error: <field> must be
    /// …, got …` for a value that fails [`validate`](Self::validate).
    pub fn from_json(text: &str) -> BackfireResult<Self> {
        // serde maps a JSON array onto the fields by position; a reordered
        // or shortened list would then configure the wrong thresholds.
        if text.trim_start().starts_with('[') {
            return Err(BackfireError::Config("JSON parse error: expected an object, got an array".into()));
        }
        let config: Self = serde_json::from_str(text)
            .map_err(|e| BackfireError::Config(format!("JSON parse error: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML document (top-level keys) and validates it. Errors as
    /// for [`from_json`](Self::from_json), with `TOML parse error: …`.
    pub fn from_toml(text: &str) -> BackfireResult<Self> {
        let config: Self =
            toml::from_str(text).map_err(|e| BackfireError::Config(format!("TOML parse error: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Serialises to compact JSON in field order. The default gives exactly
    /// the reference's string (spec/10 §2.3).
    ///
    /// Fails for a NaN or infinite field, which JSON cannot represent
    /// (serde_json would silently write `null`).
    pub fn to_json(&self) -> BackfireResult<String> {
        if let Some((field, value)) = self.floats().into_iter().find(|(_, v)| !v.is_finite()) {
            return Err(BackfireError::Config(format!(
                "JSON cannot represent {field} = {value}, which must be finite"
            )));
        }
        serde_json::to_string(self).map_err(|e| BackfireError::Config(format!("JSON write error: {e}")))
    }

    /// Serialises to a TOML document.
    pub fn to_toml(&self) -> BackfireResult<String> {
        toml::to_string(self).map_err(|e| BackfireError::Config(format!("TOML write error: {e}")))
    }

    /// Checks every field and returns the validated form.
    ///
    /// Rules (first failure wins, reported as `config error: …`):
    /// `coherence_threshold`, `soft_limit`, `hard_limit`, `window_threshold`
    /// finite in `[0, 1]`; `coherence_threshold <= soft_limit`;
    /// `window_size >= 1`; `trend_window >= 2`; both windows at most
    /// [`MAX_WINDOW`]; `trend_threshold` finite and `> 0`; `w_logic`,
    /// `w_fact` finite, `>= 0`, summing to 1 (within 1e-9);
    /// `hard_limit <= coherence_threshold`; `deadline_ms > 0`;
    /// `logit_entropy_limit` finite and `> 0`. `history_window` may be 0.
    ///
    /// ```
    /// use backfire_std::BackfireConfig;
    /// let bad = BackfireConfig { coherence_threshold: 1.5, ..Default::default() };
    /// assert_eq!(
    ///     bad.validate().unwrap_err().to_string(),
    ///     "config error: coherence_threshold must be in [0, 1], got 1.5"
    /// );
    /// ```
    pub fn validate(&self) -> BackfireResult<ValidConfig> {
        let score_limits = ScoreLimits::new(self.coherence_threshold, self.soft_limit).map_err(config)?;
        for (field, value) in [("window_size", self.window_size), ("trend_window", self.trend_window)] {
            check_order(field, value as f64, MAX_WINDOW as f64, MAX_WINDOW_RULE).map_err(config)?;
        }
        let streaming = StreamingLimits::new(
            self.hard_limit,
            self.window_size,
            self.window_threshold,
            self.trend_window,
            self.trend_threshold,
        )
        .map_err(config)?;
        let weights = Weights::new(self.w_logic, self.w_fact).map_err(config)?;
        check_order("hard_limit", self.hard_limit, self.coherence_threshold, "<= coherence_threshold")
            .map_err(config)?;
        let deadline = usize::try_from(self.deadline_ms).unwrap_or(usize::MAX);
        check_at_least("deadline_ms", deadline, 1, "> 0").map_err(config)?;
        check_positive("logit_entropy_limit", self.logit_entropy_limit).map_err(config)?;
        Ok(ValidConfig { raw: self.clone(), streaming, weights, score_limits })
    }

    /// The float fields with their names, in field order.
    fn floats(&self) -> [(&'static str, f64); 8] {
        [
            ("coherence_threshold", self.coherence_threshold),
            ("hard_limit", self.hard_limit),
            ("soft_limit", self.soft_limit),
            ("w_logic", self.w_logic),
            ("w_fact", self.w_fact),
            ("window_threshold", self.window_threshold),
            ("trend_threshold", self.trend_threshold),
            ("logit_entropy_limit", self.logit_entropy_limit),
        ]
    }
}

fn config(e: impl std::fmt::Display) -> BackfireError {
    BackfireError::config(e)
}

/// A configuration that passed [`BackfireConfig::validate`]: the only input
/// kernels and scorers accept.
///
/// It holds the core's validated parameter types, built once, and gives
/// read access to the numbers it was made from. Its fields are private, so
/// it cannot be altered after validation.
///
/// ```
/// use backfire_std::{BackfireConfig, StreamingKernel};
/// let valid = BackfireConfig { window_size: 3, ..Default::default() }.validate()?;
/// assert_eq!(valid.streaming_limits().window_size(), 3);
/// let kernel = StreamingKernel::new(&valid);
/// assert!(kernel.is_active());
/// # Ok::<(), backfire_std::BackfireError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BackfireConfig", into = "BackfireConfig")]
pub struct ValidConfig {
    raw: BackfireConfig,
    streaming: StreamingLimits<f64>,
    weights: Weights<f64>,
    score_limits: ScoreLimits<f64>,
}

impl ValidConfig {
    /// The numbers this configuration was validated from.
    #[inline]
    pub fn config(&self) -> &BackfireConfig {
        &self.raw
    }

    /// Hard limit, window and trend parameters of the streaming kernel.
    #[inline]
    pub fn streaming_limits(&self) -> &StreamingLimits<f64> {
        &self.streaming
    }

    /// The hard limit alone (what the basic safety kernel uses).
    #[inline]
    pub fn hard_limit(&self) -> HardLimit<f64> {
        self.streaming.hard_limit()
    }

    /// The scorer's divergence weights.
    #[inline]
    pub fn weights(&self) -> &Weights<f64> {
        &self.weights
    }

    /// The scorer's approval threshold and soft limit.
    #[inline]
    pub fn score_limits(&self) -> &ScoreLimits<f64> {
        &self.score_limits
    }

    /// Capacity of the scorer's approved-action history.
    #[inline]
    pub fn history_window(&self) -> usize {
        self.raw.history_window
    }
}

impl TryFrom<BackfireConfig> for ValidConfig {
    type Error = BackfireError;

    fn try_from(config: BackfireConfig) -> BackfireResult<Self> {
        config.validate()
    }
}

impl From<ValidConfig> for BackfireConfig {
    fn from(valid: ValidConfig) -> Self {
        valid.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_JSON: &str = r#"{"coherence_threshold":0.6,"hard_limit":0.5,"soft_limit":0.7,"w_logic":0.6,"w_fact":0.4,"window_size":10,"window_threshold":0.55,"trend_window":5,"trend_threshold":0.15,"history_window":5,"deadline_ms":50,"logit_entropy_limit":1.2}"#;

    fn with(edit: impl FnOnce(&mut BackfireConfig)) -> BackfireConfig {
        let mut c = BackfireConfig::default();
        edit(&mut c);
        c
    }

    fn error_of(c: BackfireConfig) -> String {
        c.validate().unwrap_err().to_string()
    }

    #[test]
    fn default_serialises_to_the_reference_string() {
        assert_eq!(BackfireConfig::default().to_json().unwrap(), DEFAULT_JSON);
    }

    #[test]
    fn default_validates_and_round_trips() {
        assert!(BackfireConfig::default().validate().is_ok());
        assert_eq!(BackfireConfig::from_json(DEFAULT_JSON).unwrap(), BackfireConfig::default());
        let toml = BackfireConfig::default().to_toml().unwrap();
        assert_eq!(BackfireConfig::from_toml(&toml).unwrap(), BackfireConfig::default());
    }

    #[test]
    fn reference_rejections_keep_reference_messages() {
        let cases = [
            (with(|c| c.coherence_threshold = 1.5), "coherence_threshold must be in [0, 1], got 1.5"),
            (with(|c| c.coherence_threshold = -0.1), "coherence_threshold must be in [0, 1], got -0.1"),
            (with(|c| c.hard_limit = 1.1), "hard_limit must be in [0, 1], got 1.1"),
            (with(|c| c.w_fact = 0.3), "w_logic + w_fact must equal 1.0, got 0.6 + 0.3 = 0.8999999999999999"),
            (with(|c| c.window_size = 0), "window_size must be >= 1, got 0"),
            (with(|c| c.trend_window = 1), "trend_window must be >= 2, got 1"),
            (with(|c| c.trend_threshold = 0.0), "trend_threshold must be finite and > 0, got 0"),
            (with(|c| c.deadline_ms = 0), "deadline_ms must be > 0, got 0"),
        ];
        for (config, message) in cases {
            assert_eq!(error_of(config), format!("config error: {message}"));
        }
    }

    #[test]
    fn boundary_values_validate() {
        // Reference: threshold and hard limit both 0.0 or both 1.0 are valid.
        assert!(with(|c| (c.coherence_threshold, c.hard_limit) = (0.0, 0.0)).validate().is_ok());
        assert!(
            with(|c| (c.coherence_threshold, c.hard_limit, c.soft_limit) = (1.0, 1.0, 1.0))
                .validate()
                .is_ok()
        );
        assert!(with(|c| c.history_window = 0).validate().is_ok());
    }

    #[test]
    fn holes_of_the_reference_are_closed() {
        // Each of these passed the reference's validate() (spec/10 §10 item 8).
        let cases = [
            (with(|c| c.w_logic = f64::NAN), "w_logic must be finite and >= 0, got NaN"),
            (with(|c| (c.w_logic, c.w_fact) = (1.5, -0.5)), "w_fact must be finite and >= 0, got -0.5"),
            (with(|c| c.trend_threshold = f64::NAN), "trend_threshold must be finite and > 0, got NaN"),
            (with(|c| c.soft_limit = f64::INFINITY), "soft_limit must be in [0, 1], got inf"),
            (with(|c| c.window_threshold = 1.2), "window_threshold must be in [0, 1], got 1.2"),
            (with(|c| c.logit_entropy_limit = 0.0), "logit_entropy_limit must be finite and > 0, got 0"),
            (
                with(|c| c.logit_entropy_limit = f64::NAN),
                "logit_entropy_limit must be finite and > 0, got NaN",
            ),
            (with(|c| c.soft_limit = 0.55), "coherence_threshold must be <= soft_limit, got 0.6"),
            (with(|c| c.hard_limit = 0.65), "hard_limit must be <= coherence_threshold, got 0.65"),
            (with(|c| c.window_size = MAX_WINDOW + 1), "window_size must be <= 1048576, got 1048577"),
            (
                with(|c| c.trend_window = usize::MAX),
                "trend_window must be <= 1048576, got 18446744073709552000",
            ),
        ];
        for (config, message) in cases {
            assert_eq!(error_of(config), format!("config error: {message}"));
        }
    }

    #[test]
    fn valid_config_exposes_the_core_types() {
        let v = with(|c| (c.window_size, c.trend_window, c.w_logic, c.w_fact) = (4, 3, 0.7, 0.3))
            .validate()
            .unwrap();
        assert_eq!(v.streaming_limits().window_size(), 4);
        assert_eq!(v.streaming_limits().trend_window(), 3);
        assert_eq!(v.hard_limit().value(), 0.5);
        assert_eq!(v.weights().logic(), 0.7);
        assert_eq!(v.score_limits().soft_limit(), 0.7);
        assert_eq!(v.history_window(), 5);
        assert_eq!(v.config().window_size, 4);
        assert_eq!(BackfireConfig::from(v.clone()), *v.config());
    }

    #[test]
    fn valid_config_deserialises_only_valid_input() {
        let v: ValidConfig = serde_json::from_str(DEFAULT_JSON).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), DEFAULT_JSON);
        let err = serde_json::from_str::<ValidConfig>(r#"{"hard_limit": 2}"#).unwrap_err();
        assert!(err.to_string().contains("hard_limit must be in [0, 1], got 2"), "{err}");
    }
}
