//! The H1 "persistence" the TCBO observer reports, and its logistic.
//!
//! [`dispersion_lifetime`] is the reference's surrogate (spec §2.4 step 8):
//! not persistent homology, but the spread of the points' distances from
//! their centroid, times 0.7, dressed up as a bar born at `0.15σ` that dies
//! at `0.85σ`. It is cheap (linear in the cloud) and kept bit-compatible
//! with the reference: same summation orders, population standard
//! deviation, two-pass variance, and the two-product form `0.85σ − 0.15σ`.
//! A real Vietoris–Rips H1 estimator lives in the std layer
//! (`backfire_std::observers::rips`); it feeds the same noise floor and
//! logistic.

use crate::check::{check_finite, check_positive, check_unit};

use super::ObserverFloat;
use super::embedding::PointSet;
use super::error::{ObserverError, split_storage};

/// The radial-dispersion lifetime `ℓ` of a point cloud (spec §2.4 step 8).
///
/// With centroid `g`, radii `ρ_r = |p_r − g|`, mean `μ` and population
/// standard deviation `σ` of the radii, `ℓ = 0.85σ − 0.15σ` if `σ` exceeds
/// the cut-off, else 0. `centroid` must hold `dim()` values and `radii`
/// `len()` values (scratch, overwritten). An empty cloud gives 0.
///
/// The cut-off is `max(1e-12, 4·len·ε·μ)` (ε the machine epsilon): the
/// reference's absolute `1e-12` plus the rounding noise of the mean, so
/// that identical points give exactly 0 in `f32` too. For `f64` data of
/// ordinary scale the relative term is far below `1e-12`.
///
/// ```
/// use backfire_nostd::observers::{FlatPoints, dispersion_lifetime};
/// let triangle = [0.0f64, 0.0, 1.0, 0.0, 0.0, 1.0];
/// let points = FlatPoints::new(&triangle, 2).unwrap();
/// let (mut centroid, mut radii) = ([0.0; 2], [0.0; 3]);
/// let l = dispersion_lifetime(&points, &mut centroid, &mut radii).unwrap();
/// assert!((l - 0.09039937356865174).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// [`ObserverError::Storage`] when a scratch buffer is too short;
/// [`ObserverError::NonFiniteResult`] when the radii overflow.
pub fn dispersion_lifetime<T: ObserverFloat, P: PointSet<T>>(
    points: &P,
    centroid: &mut [T],
    radii: &mut [T],
) -> Result<T, ObserverError> {
    let (len, dim) = (points.len(), points.dim());
    if len == 0 {
        return Ok(T::ZERO);
    }
    let (centroid, _) = split_storage(centroid, dim)?;
    let (radii, _) = split_storage(radii, len)?;
    let count = T::from_u32(u32::try_from(len).unwrap_or(u32::MAX));

    centroid.fill(T::ZERO);
    points.accumulate(centroid);
    centroid.iter_mut().for_each(|g| *g = *g / count);

    points.squared_distances(centroid, radii);
    let mut total = T::ZERO;
    for radius in radii.iter_mut() {
        *radius = radius.sqrt_exact();
        total = total + *radius;
    }
    let mean = total / count;
    let variance = radii.iter().fold(T::ZERO, |acc, &rho| acc + (rho - mean) * (rho - mean)) / count;
    let sigma = variance.sqrt_exact();
    if !sigma.is_finite() {
        return Err(ObserverError::NonFiniteResult { quantity: "radial dispersion" });
    }

    let cutoff = T::from_f64(1e-12).max(T::from_u32(4) * count * T::EPSILON * mean);
    if sigma > cutoff {
        // The reference's synthetic bar [0.15σ, 0.85σ]; not `0.7 * sigma`,
        // which differs in the last bit.
        Ok(T::from_f64(0.85) * sigma - T::from_f64(0.15) * sigma)
    } else {
        Ok(T::ZERO)
    }
}

/// The logistic `1 / (1 + exp(a))` with `a = −β·(s − s0)` clamped to
/// `[−500, 500]` (spec §2.4 step 10, §2.6). Increasing in `s` for `β > 0`;
/// `(0, 0, 8) → 0.5`. NaN in any argument gives NaN.
///
/// ```
/// use backfire_nostd::observers::persistence_to_probability;
/// assert_eq!(persistence_to_probability(0.0, 0.0, 8.0), 0.5);
/// assert_eq!(persistence_to_probability(1e9, 0.0, 8.0), 1.0);
/// assert!(persistence_to_probability(-1e9f64, 0.0, 8.0) > 0.0); // 7.1e-218, never 0
/// ```
#[inline]
pub fn persistence_to_probability<T: ObserverFloat>(s: T, s0: T, beta: T) -> T {
    let bound = T::from_f64(500.0);
    let a = (-beta * (s - s0)).clamp_to(-bound, bound);
    // exp(500) overflows f32 to +∞; 1/(1+∞) = 0 is the right limit.
    T::ONE / (T::ONE + a.exp())
}

/// The `s0` for which [`persistence_to_probability`] gives `p` at
/// `s = s_tau` (spec §2.6): `s0 = s_tau − ln(p̂/(1−p̂))/β`, with `p̂` = `p`
/// clamped to `[δ, 1−δ]`, `δ = max(1e-12, ε)` (ε the machine epsilon, so
/// that `1 − δ < 1` in `f32`).
///
/// ```
/// use backfire_nostd::observers::{persistence_to_probability, s0_for_threshold};
/// let s0 = s0_for_threshold(0.5, 0.72, 8.0).unwrap();
/// assert!((s0 - 0.38194229889489362f64).abs() < 1e-15);
/// assert!((persistence_to_probability(0.5, s0, 8.0) - 0.72).abs() < 1e-12);
/// assert!(s0_for_threshold(0.5, 0.72, 0.0f64).is_err());
/// ```
///
/// # Errors
///
/// `s_tau` must be finite, `p` in `[0, 1]`, `beta` finite and `> 0`.
pub fn s0_for_threshold<T: ObserverFloat>(s_tau: T, p: T, beta: T) -> Result<T, ObserverError> {
    check_finite("s_tau", s_tau.to_f64())?;
    check_unit("p", p.to_f64())?;
    check_positive("beta", beta.to_f64())?;
    let delta = T::from_f64(1e-12).max(T::EPSILON);
    let p = p.clamp_to(delta, T::ONE - delta);
    Ok(s_tau - (p / (T::ONE - p)).ln() / beta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observers::FlatPoints;

    #[test]
    fn logistic_matches_reference_values() {
        assert!((persistence_to_probability(0.0, 0.0, 8.0) - 0.5f64).abs() < 1e-9);
        assert!(persistence_to_probability(1.0, 0.0, 8.0) > 0.99f64);
        assert!(persistence_to_probability(-1.0, 0.0, 8.0) < 0.01f64);
        let tiny = persistence_to_probability(-1e9, 0.0, 8.0f64);
        assert!((tiny - 7.124576406741285e-218).abs() < 1e-230);
        assert!(persistence_to_probability(f64::NAN, 0.0, 8.0).is_nan());
    }

    #[test]
    fn f32_logistic_saturates_without_nan() {
        assert_eq!(persistence_to_probability(-1e9f32, 0.0, 8.0), 0.0);
        assert_eq!(persistence_to_probability(1e9f32, 0.0, 8.0), 1.0);
    }

    #[test]
    fn calibration_round_trips_in_f32() {
        let s0 = s0_for_threshold(0.5f32, 0.72, 8.0).unwrap();
        assert!((persistence_to_probability(0.5, s0, 8.0) - 0.72).abs() < 1e-5);
        // p = 1 is clamped below 1, so s0 stays finite.
        assert!(s0_for_threshold(0.5f32, 1.0, 8.0).unwrap().is_finite());
        assert!(s0_for_threshold(0.5f32, 1.5, 8.0).is_err());
    }

    #[test]
    fn identical_points_have_zero_lifetime_in_both_precisions() {
        let data: [f64; 30] = core::array::from_fn(|i| (i % 3 + 1) as f64);
        let points = FlatPoints::new(&data, 3).unwrap();
        let l = dispersion_lifetime(&points, &mut [0.0; 3], &mut [0.0; 10]).unwrap();
        assert!(l < 1e-9);
        let data32 = data.map(|x| x as f32 * 0.1);
        let points = FlatPoints::new(&data32, 3).unwrap();
        assert_eq!(dispersion_lifetime(&points, &mut [0.0; 3], &mut [0.0; 10]), Ok(0.0));
    }

    #[test]
    fn scratch_too_small_is_an_error() {
        let data = [0.0, 1.0, 2.0, 3.0];
        let points = FlatPoints::new(&data, 2).unwrap();
        let e = dispersion_lifetime(&points, &mut [0.0; 1], &mut [0.0; 2]);
        assert_eq!(e, Err(ObserverError::Storage { needed: 2, provided: 1 }));
        let e = dispersion_lifetime(&points, &mut [0.0; 2], &mut [0.0; 1]);
        assert_eq!(e, Err(ObserverError::Storage { needed: 2, provided: 1 }));
    }

    #[test]
    fn overflow_is_reported() {
        let data = [0.0f32, 1e30, 2e30];
        let points = FlatPoints::new(&data, 1).unwrap();
        let e = dispersion_lifetime(&points, &mut [0.0; 1], &mut [0.0; 3]);
        assert!(matches!(e, Err(ObserverError::NonFiniteResult { .. })));
    }
}
