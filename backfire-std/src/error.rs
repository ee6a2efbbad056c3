//! The one error type of the std layer.

use backfire_nostd::check::ParamError;

/// Everything that can go wrong in the std layer. Each variant renders as
/// `<prefix>: <detail>`, the reference's wording (spec/10 §2.4).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BackfireError {
    /// The coherence computation failed.
    #[error("coherence error: {0}")]
    Coherence(String),
    /// A kernel halted an operation that required it to run.
    #[error("kernel halt: {0}")]
    KernelHalt(String),
    /// A text generator failed.
    #[error("generator error: {0}")]
    Generator(String),
    /// An argument was rejected (wrong length, non-finite value, …).
    #[error("validation error: {0}")]
    Validation(String),
    /// The NLI backend failed.
    #[error("NLI error: {0}")]
    Nli(String),
    /// The knowledge store failed.
    #[error("knowledge store error: {0}")]
    Knowledge(String),
    /// Scoring took longer than the configured deadline.
    #[error("timeout: scoring exceeded {deadline_ms}ms deadline")]
    Timeout {
        /// The deadline that was exceeded.
        deadline_ms: u64,
    },
    /// A configuration was malformed or failed validation.
    #[error("config error: {0}")]
    Config(String),
    /// A computation produced or received a non-finite number.
    #[error("numerical error: {0}")]
    Numerical(String),
}

/// `Result` with [`BackfireError`].
pub type BackfireResult<T> = Result<T, BackfireError>;

impl BackfireError {
    /// A configuration error from a parameter check.
    pub fn config(e: impl std::fmt::Display) -> Self {
        BackfireError::Config(e.to_string())
    }
}

/// Parameter checks of model constructors are argument validation.
impl From<ParamError> for BackfireError {
    fn from(e: ParamError) -> Self {
        BackfireError::Validation(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_render_with_reference_prefixes() {
        let cases = [
            (BackfireError::Coherence("x".into()), "coherence error: x"),
            (BackfireError::KernelHalt("x".into()), "kernel halt: x"),
            (BackfireError::Generator("x".into()), "generator error: x"),
            (BackfireError::Validation("x".into()), "validation error: x"),
            (BackfireError::Nli("x".into()), "NLI error: x"),
            (BackfireError::Knowledge("x".into()), "knowledge store error: x"),
            (BackfireError::Timeout { deadline_ms: 50 }, "timeout: scoring exceeded 50ms deadline"),
            (BackfireError::Config("x".into()), "config error: x"),
            (BackfireError::Numerical("x".into()), "numerical error: x"),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
        }
    }

    #[test]
    fn param_errors_become_validation_errors() {
        let e: BackfireError = ParamError::new("dt", -1.0, "finite and > 0").into();
        assert_eq!(e.to_string(), "validation error: dt must be finite and > 0, got -1");
    }
}
