//! The error type of the phase-dynamics models.

use core::fmt;

use crate::check::ParamError;

/// Why a physics call was rejected. Nothing is modified when one is
/// returned.
///
/// `Display` renders the reference's messages (spec §6), so the std and
/// Python layers can pass them on unchanged.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PhysicsError {
    /// A parameter failed validation.
    Param(ParamError),
    /// A phase vector had the wrong number of entries
    /// (`"theta length mismatch"`).
    ThetaLength {
        /// The number of oscillators.
        expected: usize,
        /// The length supplied.
        got: usize,
    },
    /// A UPDE input phase was NaN or ±∞ (`"input theta contains NaN or Inf"`).
    NonFiniteInput,
    /// A UPDE step would have produced a NaN or ±∞ phase or velocity
    /// (parameters so large that the arithmetic overflowed).
    NonFiniteResult,
    /// An SEC phase was NaN or ±∞ (`"theta contains NaN or Inf"`).
    NonFiniteTheta,
    /// An SEC previous phase was NaN or ±∞ (`"theta_prev contains NaN or Inf"`).
    NonFinitePrev,
    /// An SEC snapshot had no phases (`"theta must not be empty"`): an empty
    /// set of oscillators has no coherence to score.
    EmptyTheta,
    /// An SEC previous snapshot of another length than `theta`.
    PrevLength {
        /// The length of `theta`.
        expected: usize,
        /// The length of `theta_prev`.
        got: usize,
    },
    /// A flat matrix had the wrong number of entries
    /// (`"expected 256 elements, got 10"`).
    MatrixLength {
        /// Required number of entries.
        expected: usize,
        /// The number supplied.
        got: usize,
    },
    /// Eigenvector and target blocks of the full H_rec path do not have
    /// compatible shapes.
    BlockShape {
        /// Which block (`"eigvecs"` or `"target"`).
        block: &'static str,
        /// Number of entries supplied.
        len: usize,
        /// Number of columns supplied.
        cols: usize,
        /// The row count implied by the eigenvector block.
        rows: usize,
    },
}

impl fmt::Display for PhysicsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhysicsError::Param(e) => e.fmt(f),
            PhysicsError::ThetaLength { .. } => f.write_str("theta length mismatch"),
            PhysicsError::NonFiniteInput => f.write_str("input theta contains NaN or Inf"),
            PhysicsError::NonFiniteResult => f.write_str("step produced NaN or Inf (parameters overflow)"),
            PhysicsError::NonFiniteTheta => f.write_str("theta contains NaN or Inf"),
            PhysicsError::NonFinitePrev => f.write_str("theta_prev contains NaN or Inf"),
            PhysicsError::EmptyTheta => f.write_str("theta must not be empty"),
            PhysicsError::PrevLength { expected, got } => {
                write!(f, "theta_prev must have the length of theta ({expected}), got {got}")
            }
            PhysicsError::MatrixLength { expected, got } => {
                write!(f, "expected {expected} elements, got {got}")
            }
            PhysicsError::BlockShape { block, len, cols, rows } => {
                write!(f, "{block} block of {len} entries is not {rows} rows x {cols} columns (column-major)")
            }
        }
    }
}

impl core::error::Error for PhysicsError {}

impl From<ParamError> for PhysicsError {
    fn from(e: ParamError) -> Self {
        PhysicsError::Param(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::render;

    #[test]
    fn messages_are_the_reference_wording() {
        let cases = [
            (PhysicsError::ThetaLength { expected: 16, got: 4 }, "theta length mismatch"),
            (PhysicsError::NonFiniteInput, "input theta contains NaN or Inf"),
            (PhysicsError::NonFiniteTheta, "theta contains NaN or Inf"),
            (PhysicsError::NonFinitePrev, "theta_prev contains NaN or Inf"),
            (PhysicsError::MatrixLength { expected: 256, got: 10 }, "expected 256 elements, got 10"),
            (
                PhysicsError::Param(ParamError::new("dt", -1.0, "finite and > 0")),
                "dt must be finite and > 0, got -1",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(render(&e).as_str(), text);
        }
    }
}
