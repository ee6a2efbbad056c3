//! An inlinable `f64` sine/cosine for the UPDE hot path.
//!
//! Phases are kept in `[0, 2π)` and the Box–Muller angle `2π·u` is in the
//! same range, so the general argument reduction of `libm::sincos` (and its
//! out-of-line call, ~13 ns) is not needed: one Cody–Waite step by π/2 with
//! a 33+53-bit split of π/2 and the classic minimax kernels on `[−π/4, π/4]`
//! give the same accuracy (< 1 ulp, tested against `libm` below and in
//! `tests/physics_upde.rs`) in a few nanoseconds. Arguments outside
//! `[0, 8]` fall back to `libm`.

#![allow(clippy::excessive_precision)] // constants as published, 21 digits

use core::f64::consts::FRAC_2_PI;

/// High 33 bits of π/2: `k·PIO2_HI` is exact for the small `k` used here.
const PIO2_HI: f64 = 1.570_796_326_734_125_614_17;
/// π/2 − `PIO2_HI`.
const PIO2_LO: f64 = 6.077_100_506_506_192_249_32e-11;

// Minimax coefficients of sin(r) − r and cos(r) − (1 − r²/2) on
// [−π/4, π/4] (the well-known fdlibm set).
const S1: f64 = -1.666_666_666_666_663_243_48e-1;
const S2: f64 = 8.333_333_333_322_489_461_24e-3;
const S3: f64 = -1.984_126_982_985_794_931_34e-4;
const S4: f64 = 2.755_731_370_707_006_767_89e-6;
const S5: f64 = -2.505_076_025_340_686_341_95e-8;
const S6: f64 = 1.589_690_995_211_550_102_21e-10;
const C1: f64 = 4.166_666_666_666_660_190_37e-2;
const C2: f64 = -1.388_888_888_887_410_957_49e-3;
const C3: f64 = 2.480_158_728_947_672_941_78e-5;
const C4: f64 = -2.755_731_435_139_066_330_35e-7;
const C5: f64 = 2.087_572_321_298_174_827_90e-9;
const C6: f64 = -1.135_964_755_778_819_482_65e-11;

/// `(sin x, cos x)`, fast for `x ∈ [0, 8]`, `libm` elsewhere (and for NaN).
///
/// ```
/// use backfire_nostd::num::sin_cos_fast;
/// let (s, c) = sin_cos_fast(1.0);
/// assert!((s - 0.8414709848078965).abs() < 2e-16 && (c - 0.5403023058681398).abs() < 2e-16);
/// ```
#[inline]
pub fn sin_cos_fast(x: f64) -> (f64, f64) {
    if !(0.0..=8.0).contains(&x) {
        return libm::sincos(x);
    }
    // Nearest multiple of π/2 (x ≥ 0, so truncation is floor).
    let k = (x * FRAC_2_PI + 0.5) as u32;
    let kf = f64::from(k);
    let r = (x - kf * PIO2_HI) - kf * PIO2_LO;
    let (s, c) = kernel(r);
    // Quadrant k: (s, c), (c, −s), (−s, −c), (−c, s). Branch-free, because
    // the quadrants of successive phases are unpredictable.
    let swap = 0u64.wrapping_sub(u64::from(k & 1));
    let (sb, cb) = (s.to_bits(), c.to_bits());
    let sin_bits = ((sb & !swap) | (cb & swap)) ^ (u64::from(k & 2) << 62);
    let cos_bits = ((cb & !swap) | (sb & swap)) ^ (u64::from((k + 1) & 2) << 62);
    (f64::from_bits(sin_bits), f64::from_bits(cos_bits))
}

/// sin and cos on `|r| ≤ π/4` (plus rounding).
#[inline]
fn kernel(r: f64) -> (f64, f64) {
    let z = r * r;
    let sin_poly = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
    let s = r + (z * r) * (S1 + z * sin_poly);
    let cos_poly = C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6))));
    // 1 − z/2 with the rounding error of the subtraction added back.
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    let c = w + (((1.0 - w) - hz) + (z * z) * cos_poly);
    (s, c)
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

    #[test]
    fn matches_libm_within_one_ulp_or_1e_minus_16() {
        let mut worst_abs: f64 = 0.0;
        for i in 0..200_000u32 {
            let x = f64::from(i) * (8.0 / 200_000.0) + 1.3e-7 * f64::from(i % 7);
            let (s, c) = sin_cos_fast(x);
            let (ls, lc) = libm::sincos(x);
            for (got, want) in [(s, ls), (c, lc)] {
                let err = (got - want).abs();
                worst_abs = worst_abs.max(err);
                assert!(ulps(got, want) <= 1 || err <= 1.2e-16, "x = {x}: {got} vs {want}");
            }
        }
        assert!(worst_abs <= 1.2e-16, "{worst_abs}");
    }

    #[test]
    fn pi_split_is_exact_enough() {
        // 33 significant bits, so k·PIO2_HI is exact for k < 2^20.
        assert_eq!(PIO2_HI.to_bits() & ((1 << 20) - 1), 0);
        assert_eq!(PIO2_HI + PIO2_LO, core::f64::consts::FRAC_PI_2);
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
}
