//! Shared inputs for the Criterion benchmarks (see `benches/`).

/// The reference benchmarks' token stream: `"token "` repeated `n` times.
pub fn tokens(n: usize) -> Vec<&'static str> {
    vec!["token "; n]
}

/// The coherence every benchmark callback returns (never halts the
/// default configuration).
pub const COHERENCE: f64 = 0.8;

/// Prompt of the scorer benchmarks.
pub const SKY_PROMPT: &str = "What color is the sky?";

/// Response of `scorer_review` (approved, 0.9).
pub const SKY_REVIEWED: &str = "The sky is blue, consistent with reality";

/// Response of `full_pipeline_10tok` (approved, 0.768).
pub const SKY_PIPELINE: &str = "The sky is blue";
