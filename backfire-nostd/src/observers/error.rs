//! The observers' error type.

use core::fmt;

use crate::check::{ParamError, check_at_least};

/// Why an observer call was rejected. The call changed nothing (except the
/// TCBO stride counter, which counts every `compute` call, see
/// [`super::TCBOObserver::compute`]).
///
/// ```
/// use backfire_nostd::observers::ObserverError;
/// let e = ObserverError::Length { field: "theta", expected: 16, got: 3 };
/// assert_eq!(e.to_string(), "theta must have length 16, got 3");
/// let e = ObserverError::NonFinite { field: "theta", index: 2, value: f64::NAN };
/// assert_eq!(e.to_string(), "theta[2] must be finite, got NaN");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ObserverError {
    /// A parameter or scalar argument failed validation.
    Param(ParamError),
    /// A vector argument has the wrong length.
    Length {
        /// The argument's name.
        field: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A vector argument holds NaN or ±∞.
    NonFinite {
        /// The argument's name.
        field: &'static str,
        /// Index of the first offending entry.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The storage lent to an observer (or an output buffer) is too small.
    Storage {
        /// Values needed.
        needed: usize,
        /// Values provided.
        provided: usize,
    },
    /// A computed quantity is not finite although every input was: the
    /// inputs are too large for the number type (e.g. phases of 1e20 in
    /// `f32`, whose squares overflow).
    NonFiniteResult {
        /// What overflowed.
        quantity: &'static str,
    },
}

impl fmt::Display for ObserverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObserverError::Param(e) => e.fmt(f),
            ObserverError::Length { field, expected, got } => {
                write!(f, "{field} must have length {expected}, got {got}")
            }
            ObserverError::NonFinite { field, index, value } => {
                write!(f, "{field}[{index}] must be finite, got {value}")
            }
            ObserverError::Storage { needed, provided } => {
                write!(f, "storage holds {provided} values but {needed} are needed")
            }
            ObserverError::NonFiniteResult { quantity } => {
                write!(f, "{quantity} is not finite: the input is too large for this number type")
            }
        }
    }
}

impl core::error::Error for ObserverError {}

impl From<ParamError> for ObserverError {
    fn from(e: ParamError) -> Self {
        ObserverError::Param(e)
    }
}

/// Checks a vector argument: exactly `expected` entries, all finite.
pub(crate) fn check_vector<T: crate::num::Real>(
    field: &'static str,
    xs: &[T],
    expected: usize,
) -> Result<(), ObserverError> {
    check_length(field, xs.len(), expected)?;
    match xs.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        Some((index, x)) => Err(ObserverError::NonFinite { field, index, value: x.to_f64() }),
        None => Ok(()),
    }
}

/// Checks that a vector argument (e.g. an output buffer) has exactly
/// `expected` entries.
pub(crate) fn check_length(field: &'static str, got: usize, expected: usize) -> Result<(), ObserverError> {
    if got == expected { Ok(()) } else { Err(ObserverError::Length { field, expected, got }) }
}

/// Checks the storage lent to an observer of `n >= 1` channels: `needed`
/// values (`None` if that count overflows) against `provided`.
pub(crate) fn check_storage(n: usize, needed: Option<usize>, provided: usize) -> Result<(), ObserverError> {
    check_at_least("n", n, 1, ">= 1")?;
    let needed =
        needed.ok_or(ParamError::new("n", n as f64, "small enough that the storage fits in memory"))?;
    if provided < needed { Err(ObserverError::Storage { needed, provided }) } else { Ok(()) }
}

/// `split_at_mut` of lent storage or scratch that reports a short buffer as
/// [`ObserverError::Storage`] (`needed = mid`) instead of panicking.
pub(crate) fn split_storage<T>(buf: &mut [T], mid: usize) -> Result<(&mut [T], &mut [T]), ObserverError> {
    let provided = buf.len();
    buf.split_at_mut_checked(mid).ok_or(ObserverError::Storage { needed: mid, provided })
}
