//! Parameter validation shared by every model.
//!
//! Constructors across the crate check their numbers with these functions
//! and report a [`ParamError`] naming the field, the value and the rule, so
//! that every message reads the same way:
//! `hard_limit must be in [0, 1], got 1.1`.

use core::fmt;

use crate::num::Real;

/// A parameter that failed validation: which one, its value, and the rule.
///
/// Renders as `{field} must be {rule}, got {value}`, e.g.
/// `hard_limit must be in [0, 1], got 1.1` — the reference's wording.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ParamError {
    /// The parameter name, as in the configuration.
    pub field: &'static str,
    /// The rejected value (integers are carried exactly as `f64`).
    pub value: f64,
    /// What the value must satisfy, e.g. `"in [0, 1]"`.
    pub rule: &'static str,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} must be {}, got {}", self.field, self.rule, self.value)
    }
}

impl core::error::Error for ParamError {}

impl ParamError {
    /// An error for `field` = `value` breaking `rule`.
    pub const fn new(field: &'static str, value: f64, rule: &'static str) -> Self {
        ParamError { field, value, rule }
    }
}

/// Checks that `value` is a finite number in `[0, 1]`.
pub fn check_unit(field: &'static str, value: f64) -> Result<f64, ParamError> {
    if (0.0..=1.0).contains(&value) { Ok(value) } else { Err(ParamError::new(field, value, "in [0, 1]")) }
}

/// Checks that `value` is finite (not NaN or ±∞).
pub fn check_finite(field: &'static str, value: f64) -> Result<f64, ParamError> {
    if value.is_finite() { Ok(value) } else { Err(ParamError::new(field, value, "finite")) }
}

/// Checks that `value` is finite and strictly positive.
pub fn check_positive(field: &'static str, value: f64) -> Result<f64, ParamError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ParamError::new(field, value, "finite and > 0"))
    }
}

/// Checks that `value` is finite and not negative.
pub fn check_non_negative(field: &'static str, value: f64) -> Result<f64, ParamError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ParamError::new(field, value, "finite and >= 0"))
    }
}

/// Applies a `check_*` rule to every value (e.g. the entries of a matrix),
/// reporting the first that fails under `field`.
pub fn check_each<'a>(
    field: &'static str,
    values: impl IntoIterator<Item = &'a f64>,
    rule: fn(&'static str, f64) -> Result<f64, ParamError>,
) -> Result<(), ParamError> {
    for &v in values {
        rule(field, v)?;
    }
    Ok(())
}

/// A parameter already checked as `f64`, converted to the backend `T`:
/// rejected if it does not stay finite and of the same sign there (e.g.
/// `beta = 1e91` overflows `f32`, `1e-50` rounds to 0).
pub(crate) fn to_backend<T: Real>(field: &'static str, value: f64) -> Result<T, ParamError> {
    let x = T::from_f64(value);
    let same_sign = (value > 0.0) == (x > T::ZERO) && (value < 0.0) == (x < T::ZERO);
    if x.is_finite() && same_sign {
        Ok(x)
    } else {
        Err(ParamError::new(field, value, "representable in the number type"))
    }
}

/// [`to_backend`] of every entry of an array.
pub(crate) fn to_backend_array<T: Real, const N: usize>(
    field: &'static str,
    values: &[f64; N],
) -> Result<[T; N], ParamError> {
    let mut out = [T::ZERO; N];
    for (x, &v) in out.iter_mut().zip(values) {
        *x = to_backend(field, v)?;
    }
    Ok(out)
}

/// [`to_backend`] of every entry of a square matrix.
pub(crate) fn to_backend_matrix<T: Real, const N: usize>(
    field: &'static str,
    values: &[[f64; N]; N],
) -> Result<[[T; N]; N], ParamError> {
    let mut out = [[T::ZERO; N]; N];
    for (row, values) in out.iter_mut().zip(values) {
        *row = to_backend_array(field, values)?;
    }
    Ok(out)
}

/// Checks that a count is at least `min` (`rule` spells it, e.g. `">= 1"`,
/// so messages stay static strings).
pub fn check_at_least(
    field: &'static str,
    value: usize,
    min: usize,
    rule: &'static str,
) -> Result<usize, ParamError> {
    if value >= min { Ok(value) } else { Err(ParamError::new(field, value as f64, rule)) }
}

/// Checks `lower <= upper` for two already-validated values; the error
/// names the lower field, e.g. `rule = "<= coherence_threshold"`.
pub fn check_order(
    field: &'static str,
    lower: f64,
    upper: f64,
    rule: &'static str,
) -> Result<(), ParamError> {
    if lower <= upper { Ok(()) } else { Err(ParamError::new(field, lower, rule)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::render;

    #[test]
    fn unit_interval_accepts_bounds_and_rejects_nan() {
        assert!(check_unit("x", 0.0).is_ok());
        assert!(check_unit("x", 1.0).is_ok());
        for bad in [f64::NAN, f64::INFINITY, -0.1, 1.1] {
            assert!(check_unit("x", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn positive_and_non_negative_reject_non_finite() {
        assert!(check_positive("dt", 0.0).is_err());
        assert!(check_positive("dt", f64::INFINITY).is_err());
        assert!(check_non_negative("sigma", 0.0).is_ok());
        assert!(check_non_negative("sigma", -1e-300).is_err());
        assert!(check_finite("f", f64::NAN).is_err());
        assert!(check_finite("f", -1e300).is_ok());
    }

    #[test]
    fn each_reports_the_first_failure() {
        assert!(check_each("k", &[0.0, 1.0], check_non_negative).is_ok());
        let e = check_each("k", &[0.0, -1.0, -2.0], check_non_negative).unwrap_err();
        assert_eq!(e, ParamError::new("k", -1.0, "finite and >= 0"));
    }

    #[test]
    fn backend_conversion_rejects_overflow_and_underflow() {
        assert_eq!(to_backend::<f32>("beta", 2.0), Ok(2.0));
        let e = to_backend::<f32>("beta", 1e39).unwrap_err();
        assert_eq!(
            render(&e).as_str(),
            "beta must be representable in the number type, got 1000000000000000000000000000000000000000"
        );
        assert!(to_backend::<f32>("beta", 1e-50).is_err());
        assert!(to_backend_matrix::<f32, 2>("k", &[[0.0, 1.0], [-1e300, 0.0]]).is_err());
        assert_eq!(to_backend_array::<f64, 2>("w", &[1e300, -1.0]), Ok([1e300, -1.0]));
    }

    #[test]
    fn messages_name_field_rule_and_value() {
        let e = check_at_least("window_size", 0, 1, ">= 1").unwrap_err();
        assert_eq!(render(&e).as_str(), "window_size must be >= 1, got 0");
        let e = check_order("hard_limit", 0.7, 0.6, "<= coherence_threshold").unwrap_err();
        assert_eq!(render(&e).as_str(), "hard_limit must be <= coherence_threshold, got 0.7");
        assert!(check_order("hard_limit", 0.6, 0.6, "<= coherence_threshold").is_ok());
    }
}
