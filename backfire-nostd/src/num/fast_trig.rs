//! Inlinable `f64` sine/cosine for the UPDE hot path.
//!
//! Phases are kept in `[0, 2π)` and the Box–Muller angle `2π·u` is in the
//! same range, so the general argument reduction of `libm::sincos` (and its
//! out-of-line call, ~13 ns) is not needed. Here `x = j·π/32 + r` with
//! `|r| ≤ π/64`: `j mod 64` indexes a table of `sin` over one period of the
//! grid, which also gives `cos` 16 entries on (correctly rounded, generated
//! by `scripts/gen_trig_table.py`),
//! and short Taylor polynomials give `sin r` and `cos r − 1`; then
//!
//! ```text
//! sin x = S_j + (S_j·(cos r − 1) + C_j·sin r)
//! cos x = C_j + (C_j·(cos r − 1) − S_j·sin r)
//! ```
//!
//! No quadrant logic, no branch: a loop over an array of phases compiles to
//! SIMD arithmetic (two lanes on baseline x86-64) plus two table loads per
//! element. `j` is exact up to 12.5 (the fast path's range). `r` is reduced with a 45+45+53-bit split of π/32, and the grid
//! points where sin or cos vanish hold exact zeros, so results keep their
//! relative accuracy near zeros too (the Box–Muller goldens need that).
//! Error: ≤ 2 ulp from `libm` (≤ 1 ulp where the result is at least 0.5
//! in magnitude) and ≤ 1.2e-16 absolute, checked at 400 000 points and
//! around every grid point and index switch below; against the correctly
//! rounded value, ≤ 1.5 ulp on samples (`libm`'s fdlibm kernels: ≤ 0.7).
//! Near a zero of sin or cos the table entry is an exact 0, so the result
//! keeps ≤ 2 ulp *relative* accuracy there — which the Box–Muller
//! goldens (1e-15 relative, spec §3.5) need.
//!
//! [`sin_cos_batch`] runs the kernel over a whole array and repairs the
//! rare out-of-range element with `libm` afterwards; [`sin_cos_fast`] is the
//! one-value version.

#![allow(clippy::excessive_precision, clippy::unreadable_literal)] // generated constants

/// `32/π`: grid steps per radian.
const STEPS_PER_RAD: f64 = 10.185_916_357_881_302;

/// `1.5·2^52`: adding it rounds a value below 2^51 in magnitude to the
/// nearest integer, which then sits in the low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// Largest argument of the fast path (the table's last grid point is
/// 127·π/32 ≈ 12.47).
pub const FAST_TRIG_MAX: f64 = 12.5;

// The grid step π/32 in three parts (~143 bits): the first two have 45
// significant bits, so `j·STEP_1` and `j·STEP_2` are exact for every index.
const STEP_1: f64 = 0.0981747704246807;
const STEP_2: f64 = 3.368939286348769e-16;
const STEP_3: f64 = 5.527325353834813e-30;

/// `sin(j·π/32)` for one period, j = 0..64, correctly rounded; the table
/// serves cosine too, as `cos(j·π/32) = sin((j + 16)·π/32)`.
#[rustfmt::skip]
#[allow(clippy::approx_constant)] // the grid values happen to include 1/√2
const SIN: [f64; 64] = [
    0.0, 0.0980171403295606, 0.19509032201612828, 0.2902846772544624,
    0.3826834323650898, 0.47139673682599764, 0.5555702330196022, 0.6343932841636455,
    0.7071067811865476, 0.773010453362737, 0.8314696123025452, 0.881921264348355,
    0.9238795325112867, 0.9569403357322088, 0.9807852804032304, 0.9951847266721969,
    1.0, 0.9951847266721969, 0.9807852804032304, 0.9569403357322088,
    0.9238795325112867, 0.881921264348355, 0.8314696123025452, 0.773010453362737,
    0.7071067811865476, 0.6343932841636455, 0.5555702330196022, 0.47139673682599764,
    0.3826834323650898, 0.2902846772544624, 0.19509032201612828, 0.0980171403295606,
    0.0, -0.0980171403295606, -0.19509032201612828, -0.2902846772544624,
    -0.3826834323650898, -0.47139673682599764, -0.5555702330196022, -0.6343932841636455,
    -0.7071067811865476, -0.773010453362737, -0.8314696123025452, -0.881921264348355,
    -0.9238795325112867, -0.9569403357322088, -0.9807852804032304, -0.9951847266721969,
    -1.0, -0.9951847266721969, -0.9807852804032304, -0.9569403357322088,
    -0.9238795325112867, -0.881921264348355, -0.8314696123025452, -0.773010453362737,
    -0.7071067811865476, -0.6343932841636455, -0.5555702330196022, -0.47139673682599764,
    -0.3826834323650898, -0.2902846772544624, -0.19509032201612828, -0.0980171403295606,
];

// Taylor coefficients of (sin r − r)/r³ and (cos r − 1)/r² in r²; on
// |r| ≤ π/64 the first omitted terms are below 1e-19 relative.
const S1: f64 = -1.0 / 6.0;
const S2: f64 = 1.0 / 120.0;
const S3: f64 = -1.0 / 5_040.0;
const S4: f64 = 1.0 / 362_880.0;
const C1: f64 = -0.5;
const C2: f64 = 1.0 / 24.0;
const C3: f64 = -1.0 / 720.0;
const C4: f64 = 1.0 / 40_320.0;

/// `(sin x, cos x)`, fast for `x ∈ [0, 12.5]`, `libm` elsewhere (and for NaN).
///
/// ```
/// use backfire_nostd::num::sin_cos_fast;
/// let (s, c) = sin_cos_fast(1.0);
/// assert!((s - 0.8414709848078965).abs() < 2e-16 && (c - 0.5403023058681398).abs() < 2e-16);
/// ```
#[inline]
pub fn sin_cos_fast(x: f64) -> (f64, f64) {
    if in_fast_range(x) { sin_cos_in_range(x) } else { libm::sincos(x) }
}

/// `(sin, cos)` of every element of `x`, written into `sin` and `cos`.
///
/// Elements in `[0, 12.5]` (every UPDE phase) take the branch-free SIMD path;
/// any other element (negative, large, NaN) is recomputed with `libm`, so
/// the result always equals [`sin_cos_fast`]'s, bit for bit.
///
/// ```
/// use backfire_nostd::num::{sin_cos_batch, sin_cos_fast};
/// let x = [0.0, 1.0, 6.2, -1.0];
/// let (mut s, mut c) = ([0.0; 4], [0.0; 4]);
/// sin_cos_batch(&x, &mut s, &mut c);
/// for i in 0..4 {
///     assert_eq!((s[i], c[i]), sin_cos_fast(x[i]));
/// }
/// ```
#[inline]
pub fn sin_cos_batch<const N: usize>(x: &[f64; N], sin: &mut [f64; N], cos: &mut [f64; N]) {
    for ((&xi, s), c) in x.iter().zip(sin.iter_mut()).zip(cos.iter_mut()) {
        (*s, *c) = sin_cos_in_range(xi);
    }
    // One predictable branch for the whole batch instead of one per element.
    let all_fast = x.iter().fold(true, |ok, &xi| ok & in_fast_range(xi));
    if !all_fast {
        repair_out_of_range(x, sin, cos);
    }
}

#[cold]
fn repair_out_of_range<const N: usize>(x: &[f64; N], sin: &mut [f64; N], cos: &mut [f64; N]) {
    for ((&xi, s), c) in x.iter().zip(sin.iter_mut()).zip(cos.iter_mut()) {
        if !in_fast_range(xi) {
            (*s, *c) = libm::sincos(xi);
        }
    }
}

#[inline(always)]
fn in_fast_range(x: f64) -> bool {
    (0.0..=FAST_TRIG_MAX).contains(&x)
}

/// `(sin x, cos x)` for `x ∈ [0, 12.5]`, branch-free (inlines into SIMD
/// loops). Outside that range the result is meaningless (but computing it
/// never panics): callers check.
#[inline(always)]
pub(crate) fn sin_cos_in_range(x: f64) -> (f64, f64) {
    let (grid, r) = reduce(x);
    let (sin_r, cos_r_m1) = kernel(r);
    let [s, c] = grid;
    (s + (s * cos_r_m1 + c * sin_r), c + (c * cos_r_m1 - s * sin_r))
}

/// `cos x` alone, the same value as `sin_cos_in_range(x).1`.
#[inline(always)]
pub(crate) fn cos_in_range(x: f64) -> f64 {
    let (grid, r) = reduce(x);
    let (sin_r, cos_r_m1) = kernel(r);
    let [s, c] = grid;
    c + (c * cos_r_m1 - s * sin_r)
}

/// The nearest grid point's `[sin, cos]` and the remainder `r = x − j·π/32`.
#[inline(always)]
fn reduce(x: f64) -> ([f64; 2], f64) {
    // j = nearest integer to x·32/π; the shifter leaves it in the low bits.
    let shifted = x * STEPS_PER_RAD + SHIFTER;
    let j = shifted - SHIFTER;
    // Cody–Waite: the first two subtractions are exact near a grid point
    // (Sterbenz), so r keeps its relative accuracy even where sin or cos
    // vanishes.
    let r = ((x - j * STEP_1) - j * STEP_2) - j * STEP_3;
    // j mod 64 (sin and cos have period 64 grid steps); the mask also
    // keeps any out-of-range input in bounds.
    let index = (shifted.to_bits() & 0x3f) as usize;
    ([SIN[index], SIN[(index + 16) & 0x3f]], r)
}

/// `(sin r, cos r − 1)` for `|r| ≤ π/64`.
#[inline(always)]
fn kernel(r: f64) -> (f64, f64) {
    // Estrin's scheme: two short chains joined by z², instead of one long
    // Horner chain (the loops around this are latency-bound).
    let z = r * r;
    let z2 = z * z;
    let sin_r = r + (r * z) * ((S1 + z * S2) + z2 * (S3 + z * S4));
    let cos_r_m1 = z * ((C1 + z * C2) + z2 * (C3 + z * C4));
    (sin_r, cos_r_m1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        (a.to_bits() as i64).abs_diff(b.to_bits() as i64)
    }

    /// The stated bound: ≤ 2 ulp from `libm` everywhere, ≤ 1 ulp where the
    /// result is at least 0.5 in magnitude, and ≤ 1.2e-16 absolute.
    fn assert_within_bound(x: f64, got: f64, want: f64) {
        let d = ulps(got, want);
        assert!(d <= 2, "x = {x}: {got} vs {want} ({d} ulp)");
        assert!(want.abs() < 0.5 || d <= 1, "x = {x}: {got} vs {want} ({d} ulp)");
        assert!((got - want).abs() <= 1.2e-16, "x = {x}: {got} vs {want}");
    }

    #[test]
    fn matches_libm_within_the_stated_bound() {
        for i in 0..400_000u32 {
            let x = f64::from(i) * (FAST_TRIG_MAX / 400_000.0) + 1.3e-7 * f64::from(i % 7);
            let (s, c) = sin_cos_fast(x);
            let (ls, lc) = libm::sincos(x);
            assert_within_bound(x, s, ls);
            assert_within_bound(x, c, lc);
        }
    }

    #[test]
    fn step_split_is_exact_enough() {
        // 45 significant bits, so j·part is exact for every index < 2^8.
        assert_eq!(STEP_1.to_bits() & 0xff, 0);
        assert_eq!(STEP_2.to_bits() & 0xff, 0);
        let step = core::f64::consts::PI / 32.0;
        assert!((STEP_1 + STEP_2 - step).abs() <= f64::EPSILON * step);
        assert!(STEP_3.abs() < STEP_2.abs() * 1e-13);
        assert_eq!(STEPS_PER_RAD, 32.0 / core::f64::consts::PI);
    }

    #[test]
    fn relative_accuracy_at_the_zeros() {
        // cos(fl(π/2)) = 6.123233995736766e-17: the whole value is the
        // reduction's remainder, so only a long enough split gets it right.
        use core::f64::consts::{FRAC_PI_2, PI};
        assert!(ulps(sin_cos_fast(FRAC_PI_2).1, libm::cos(FRAC_PI_2)) <= 1);
        assert!(ulps(sin_cos_fast(PI).0, libm::sin(PI)) <= 1);
        assert!(ulps(sin_cos_fast(3.0 * FRAC_PI_2).1, libm::cos(3.0 * FRAC_PI_2)) <= 1);
        assert!(ulps(sin_cos_fast(2.0 * PI).0, libm::sin(2.0 * PI)) <= 1);
    }

    #[test]
    fn table_matches_libm_at_the_grid_points() {
        for j in 0..128 {
            let (s, c) = (SIN[j % 64], SIN[(j + 16) % 64]);
            // sin/cos at j·(STEP_1 + STEP_2), to first order in the tiny
            // second part; near the exact zeros this reference itself is
            // only good to ~1e-28 (checked exactly below).
            let hi = j as f64 * STEP_1;
            let lo = j as f64 * STEP_2;
            let (ls, lc) = libm::sincos(hi);
            let (want_s, want_c) = (ls + lc * lo, lc - ls * lo);
            assert!(ulps(s, want_s) <= 1 || (s - want_s).abs() <= 1e-27, "sin {j}: {s} vs {want_s}");
            assert!(ulps(c, want_c) <= 1 || (c - want_c).abs() <= 1e-27, "cos {j}: {c} vs {want_c}");
        }
        // Exact zeros and ±1 at the quarter turns (cos reads the same
        // entries 16 on, so its zeros are these zeros too).
        assert_eq!([SIN[0], SIN[16], SIN[32], SIN[48]], [0.0, 1.0, 0.0, -1.0]);
    }

    #[test]
    fn special_points_and_fallback() {
        assert_eq!(sin_cos_fast(0.0), (0.0, 1.0));
        let (s, c) = sin_cos_fast(core::f64::consts::PI);
        assert!(s.abs() < 1.3e-16 && (c + 1.0).abs() < 1e-16);
        assert_eq!(sin_cos_fast(-1.0), libm::sincos(-1.0));
        assert_eq!(sin_cos_fast(100.0), libm::sincos(100.0));
        assert!(sin_cos_fast(f64::NAN).0.is_nan());
    }

    #[test]
    fn batch_equals_scalar_and_repairs_out_of_range() {
        let mut x = [0.0; 16];
        for (i, v) in x.iter_mut().enumerate() {
            *v = 0.49 * i as f64;
        }
        x[3] = -0.5;
        x[7] = 1e6;
        x[11] = f64::NAN;
        x[15] = FAST_TRIG_MAX;
        let (mut s, mut c) = ([0.0; 16], [0.0; 16]);
        sin_cos_batch(&x, &mut s, &mut c);
        for i in 0..16 {
            let (ws, wc) = sin_cos_fast(x[i]);
            assert!(s[i].to_bits() == ws.to_bits() || (s[i].is_nan() && ws.is_nan()), "sin {i}");
            assert!(c[i].to_bits() == wc.to_bits() || (c[i].is_nan() && wc.is_nan()), "cos {i}");
        }
        assert_eq!((s[3], c[3]), libm::sincos(-0.5));
        assert_eq!((s[7], c[7]), libm::sincos(1e6));
    }

    #[test]
    fn grid_points_and_index_switches_are_accurate() {
        // Around every grid point j·π/32 (where sin or cos may vanish) and
        // every midpoint (where the table index switches), up to 12.5.
        for k in 0..=254u32 {
            let centre = f64::from(k) * (core::f64::consts::PI / 64.0);
            for delta in 0..48u64 {
                for y in [
                    f64::from_bits(centre.to_bits() + delta),
                    f64::from_bits(centre.to_bits().saturating_sub(delta)),
                ] {
                    let (s, c) = sin_cos_fast(y);
                    let (ls, lc) = libm::sincos(y);
                    assert_within_bound(y, s, ls);
                    assert_within_bound(y, c, lc);
                }
            }
        }
    }
}
