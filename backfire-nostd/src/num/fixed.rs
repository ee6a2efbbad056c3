//! Fixed-point Q16.16 backend for cores without an FPU.
//!
//! [`Q16`] wraps the `fixed` crate's `I16F16` (16 integer bits, 16
//! fractional bits: range ±32768, resolution 2^-16 ≈ 1.5e-5) and makes every
//! operation total: arithmetic saturates instead of overflowing, division by
//! zero saturates towards the sign of the dividend (0/0 is 0).
//!
//! Trigonometry goes through 32-bit binary angles (one turn = 2^32) and a
//! quarter-wave table with linear interpolation (error below 5e-6, under one
//! Q16.16 LSB), so it is pure integer arithmetic. `sqrt` is an integer square
//! root. `exp` and `ln` are evaluated through `f64` (soft-float on an M0):
//! exact to the last Q16.16 bit but slow; nothing on a hot path uses them.

use core::fmt;
use core::ops::{Add, Div, Mul, Neg, Sub};

use fixed::types::I16F16;

use super::{IntAccumulator, Real, Transcendental};

/// A Q16.16 fixed-point number with saturating arithmetic.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Q16(pub I16F16);

impl Q16 {
    /// The largest value, 32767.99998.
    pub const MAX: Self = Q16(I16F16::MAX);
    /// The smallest value, −32768.
    pub const MIN: Self = Q16(I16F16::MIN);

    /// Builds a value from its raw bit pattern (`value = bits / 65536`).
    #[inline]
    pub const fn from_bits(bits: i32) -> Self {
        Q16(I16F16::from_bits(bits))
    }

    /// The raw bit pattern.
    #[inline]
    pub const fn to_bits(self) -> i32 {
        self.0.to_bits()
    }

    /// Sine of a 32-bit binary angle (`2^32` = one turn), in Q16.16.
    #[inline]
    pub fn sin_bam(angle: u32) -> Self {
        Q16::from_bits(sin_bam_q30(angle) >> 14)
    }

    /// Cosine of a 32-bit binary angle (`2^32` = one turn), in Q16.16.
    #[inline]
    pub fn cos_bam(angle: u32) -> Self {
        Self::sin_bam(angle.wrapping_add(QUARTER_TURN))
    }

    /// Converts an angle in radians to a 32-bit binary angle (wrapping:
    /// any value maps into one turn).
    #[inline]
    pub fn to_bam(self) -> u32 {
        // 2^32 / 2π in Q48.16: bam = raw * (2^16 / 2π), exact to < 1 BAM LSB
        // per radian of input.
        const TURNS_PER_RAD_Q16: i64 = 683_565_276;
        ((i64::from(self.to_bits()) * TURNS_PER_RAD_Q16) >> 16) as u32
    }
}

impl fmt::Debug for Q16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Q16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Q16 {
    fn format(&self, f: defmt::Formatter) {
        // Raw bits keep the wire format small; value = bits / 65536.
        defmt::write!(f, "Q16({=i32})", self.to_bits())
    }
}

impl Add for Q16 {
    type Output = Self;
    #[inline]
    fn add(self, rhs: Self) -> Self {
        Q16(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Q16 {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: Self) -> Self {
        Q16(self.0.saturating_sub(rhs.0))
    }
}

impl Mul for Q16 {
    type Output = Self;
    #[inline]
    fn mul(self, rhs: Self) -> Self {
        if NO_LONG_MULTIPLY {
            Q16::from_bits(mul_by_halves(self.to_bits(), rhs.to_bits()))
        } else {
            Q16(self.0.saturating_mul(rhs.0))
        }
    }
}

/// ARMv6-M (Cortex-M0/M0+/M1) has no 32×32→64 multiply, so a widening
/// product is a call to the 64×64 `__aeabi_lmul`: ≈218 instructions per
/// Q16.16 multiply-add on a Cortex-M0, against ≈45 with [`mul_by_halves`].
/// (The cfg: ARMv6-M is the Arm profile without 32-bit atomics.)
const NO_LONG_MULTIPLY: bool = cfg!(all(target_arch = "arm", not(target_has_atomic = "32")));

/// The Q16.16 product `⌊a·b / 2¹⁶⌋`, saturated — bit for bit what
/// `I16F16::saturating_mul` returns — from four 32-bit products of 16-bit
/// halves, for cores without a widening multiply.
///
/// With `a = aₕ·2¹⁶ + aₗ` (aₕ signed, aₗ in [0, 2¹⁶)), the product is
/// `aₕbₕ·2¹⁶ + aₕbₗ + aₗbₕ + aₗbₗ/2¹⁶`; every partial product fits in 32
/// bits and only the last has a fraction, so flooring it floors the sum.
#[inline]
fn mul_by_halves(a: i32, b: i32) -> i32 {
    let (a_hi, a_lo) = (a >> 16, a & 0xFFFF);
    let (b_hi, b_lo) = (b >> 16, b & 0xFFFF);
    let high = i64::from(a_hi * b_hi) << 16; // |a_hi·b_hi| ≤ 2³⁰
    let cross = i64::from(a_hi * b_lo) + i64::from(a_lo * b_hi); // each |·| < 2³¹
    let low = i64::from(((a_lo as u32 * b_lo as u32) >> 16) as i32); // < 2¹⁶
    (high + cross + low).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

impl Div for Q16 {
    type Output = Self;
    #[inline]
    fn div(self, rhs: Self) -> Self {
        if rhs.0 == I16F16::ZERO {
            return match self.to_bits() {
                0 => Q16::default(),
                b if b > 0 => Q16::MAX,
                _ => Q16::MIN,
            };
        }
        Q16(self.0.saturating_div(rhs.0))
    }
}

impl Neg for Q16 {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Q16(self.0.saturating_neg())
    }
}

impl Real for Q16 {
    const NAME: &'static str = "q16.16";
    const ZERO: Self = Q16(I16F16::ZERO);
    const ONE: Self = Q16(I16F16::ONE);
    const EPSILON: Self = Q16(I16F16::DELTA);
    type Accumulator = IntAccumulator;

    #[inline]
    fn from_f64(x: f64) -> Self {
        if x.is_nan() {
            return Self::ZERO;
        }
        Q16(I16F16::saturating_from_num(x))
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self.0.to_num::<f64>()
    }
    #[inline]
    fn from_u32(n: u32) -> Self {
        Q16(I16F16::saturating_from_num(n))
    }
    #[inline]
    fn is_finite(self) -> bool {
        true
    }
    #[inline]
    fn abs(self) -> Self {
        Q16(self.0.saturating_abs())
    }
}

impl super::Accumulator<Q16> for IntAccumulator {
    /// `threshold · n` in raw units: exact.
    type Cutoff = i64;

    #[inline]
    fn add(&mut self, x: Q16) {
        self.add_raw(x.to_bits());
    }

    fn cutoff(threshold: Q16, n: u32) -> i64 {
        i64::from(threshold.to_bits()) * i64::from(n.max(1))
    }

    #[inline]
    fn mean_below(
        total: &Self,
        evicted: &Self,
        fill: &Self,
        n: u32,
        _threshold: Q16,
        cutoff: i64,
    ) -> Option<Q16> {
        // Exact: mean < threshold ⟺ sum < threshold · n in integers, so no
        // division per token (a 64-bit division is most of a Cortex-M0's
        // per-token cost). The reported mean is floored, hence also below.
        if total.raw() - evicted.raw() + fill.raw() >= cutoff {
            return None;
        }
        Some(Self::mean(total, evicted, fill, n))
    }

    /// Floored, and saturated into Q16.16's range.
    fn mean(total: &Self, evicted: &Self, fill: &Self, n: u32) -> Q16 {
        let sum = total.raw() - evicted.raw() + fill.raw();
        let mean = sum.div_euclid(i64::from(n.max(1)));
        Q16::from_bits(mean.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
    }
}

impl Transcendental for Q16 {
    fn sqrt(self) -> Self {
        let bits = self.to_bits();
        if bits <= 0 {
            return Self::ZERO;
        }
        // sqrt(b / 2^16) * 2^16 = sqrt(b * 2^16)
        Q16::from_bits(isqrt_u64((bits as u64) << 16) as i32)
    }

    #[inline]
    fn sin(self) -> Self {
        Self::sin_bam(self.to_bam())
    }

    #[inline]
    fn cos(self) -> Self {
        Self::cos_bam(self.to_bam())
    }

    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        let a = self.to_bam();
        (Self::sin_bam(a), Self::cos_bam(a))
    }

    fn exp(self) -> Self {
        Self::from_f64(libm::exp(self.to_f64()))
    }

    fn ln(self) -> Self {
        if self.to_bits() <= 0 {
            return Self::MIN;
        }
        Self::from_f64(libm::log(self.to_f64()))
    }
}

/// A quarter of a turn in binary-angle units.
pub(crate) const QUARTER_TURN: u32 = 1 << 30;

/// Number of segments in the quarter-wave table.
const TABLE_SEGMENTS: usize = 256;

/// `sin(k · (π/2) / 256)` for k = 0..=256 in Q1.30, evaluated at compile time.
static SIN_QUARTER_Q30: [i32; TABLE_SEGMENTS + 1] = build_sin_table();

const fn build_sin_table() -> [i32; TABLE_SEGMENTS + 1] {
    let mut table = [0i32; TABLE_SEGMENTS + 1];
    let mut k = 0;
    while k <= TABLE_SEGMENTS {
        let x = (k as f64) * (core::f64::consts::FRAC_PI_2 / TABLE_SEGMENTS as f64);
        let s = const_sin(x) * (1u64 << 30) as f64;
        // Round to nearest.
        table[k] = (s + 0.5) as i32;
        k += 1;
    }
    table
}

/// Taylor series for sin on [0, π/2]; 12 terms give full f64 accuracy.
const fn const_sin(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 1;
    while n < 12 {
        let k = (2 * n) as f64;
        term = -term * x2 / (k * (k + 1.0));
        sum += term;
        n += 1;
    }
    sum
}

/// Sine of a binary angle in Q1.30, by quarter-wave symmetry and linear
/// interpolation between table entries.
fn sin_bam_q30(angle: u32) -> i32 {
    let quadrant = angle >> 30;
    let within = angle & (QUARTER_TURN - 1);
    // Quadrants 1 and 3 run the quarter wave backwards.
    let x = if quadrant & 1 == 1 { QUARTER_TURN - within } else { within };
    // x in [0, 2^30]: top 8 bits pick the segment, low 22 bits interpolate.
    let index = (x >> 22) as usize;
    let frac = i64::from(x & ((1 << 22) - 1));
    let lo = i64::from(SIN_QUARTER_Q30[index.min(TABLE_SEGMENTS)]);
    let hi = i64::from(SIN_QUARTER_Q30[(index + 1).min(TABLE_SEGMENTS)]);
    let value = lo + (((hi - lo) * frac) >> 22);
    if quadrant >= 2 { -(value as i32) } else { value as i32 }
}

/// Integer square root (floor) of a `u64`, digit by digit: shifts, adds
/// and compares only, because a 64-bit division is a slow library call on
/// the cores the fixed-point backend is for.
pub(crate) fn isqrt_u64(n: u64) -> u64 {
    let mut rem = n;
    let mut root = 0u64;
    // Highest power of four not above n.
    let mut bit = if n == 0 { 0 } else { 1u64 << ((63 - n.leading_zeros()) & !1) };
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_square_root_is_the_floor() {
        for n in [0, 1, 2, 3, 4, 15, 16, 17, (1 << 32) - 1, 1 << 32, (1 << 47) + 12_345, u64::MAX] {
            let r = isqrt_u64(n);
            assert!(r * r <= n, "{n}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|sq| sq > n), "{n}");
        }
    }

    #[test]
    fn multiply_by_halves_is_the_saturating_product_bit_for_bit() {
        let edges = [0, 1, -1, 0xFFFF, 0x1_0000, -0x1_0000, 0x7FFF_FFFF, i32::MIN, i32::MIN + 1, 46_341 << 8];
        let mut rng = crate::rng::SimpleRng::new(7);
        let random = (0..200_000).map(|_| {
            let w = rng.next_u64();
            // Every magnitude: shift the operands down by a random amount.
            ((w as i32) >> (w >> 59), ((w >> 32) as i32) >> ((w >> 54) & 31))
        });
        for (a, b) in edges.iter().flat_map(|&a| edges.iter().map(move |&b| (a, b))).chain(random) {
            let expected = I16F16::from_bits(a).saturating_mul(I16F16::from_bits(b)).to_bits();
            assert_eq!(mul_by_halves(a, b), expected, "{a} * {b}");
        }
    }

    fn q(x: f64) -> Q16 {
        Q16::from_f64(x)
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        assert_eq!(Q16::MAX + Q16::ONE, Q16::MAX);
        assert_eq!(Q16::MIN - Q16::ONE, Q16::MIN);
        assert_eq!(q(300.0) * q(300.0), Q16::MAX);
        assert_eq!(-Q16::MIN, Q16::MAX);
        assert_eq!(Q16::MIN.abs(), Q16::MAX);
    }

    #[test]
    fn division_by_zero_saturates_by_sign() {
        assert_eq!(Q16::ONE / Q16::ZERO, Q16::MAX);
        assert_eq!(-Q16::ONE / Q16::ZERO, Q16::MIN);
        assert_eq!(Q16::ZERO / Q16::ZERO, Q16::ZERO);
        assert_eq!(q(1.0) / q(4.0), q(0.25));
    }

    #[test]
    fn conversion_rounds_and_saturates() {
        assert_eq!(q(f64::NAN), Q16::ZERO);
        assert_eq!(q(f64::INFINITY), Q16::MAX);
        assert_eq!(q(f64::NEG_INFINITY), Q16::MIN);
        assert_eq!(q(1e9), Q16::MAX);
        assert_eq!(q(0.5).to_f64(), 0.5);
        assert!((q(0.1).to_f64() - 0.1).abs() <= 0.5 / 65536.0);
    }

    #[test]
    fn trig_is_within_one_lsb_over_a_turn() {
        let lsb = 1.0 / 65536.0;
        for i in -2000..=2000 {
            let x = f64::from(i) * 0.00631;
            let (s, c) = q(x).sin_cos();
            let xq = q(x).to_f64();
            assert!((s.to_f64() - xq.sin()).abs() < 2.0 * lsb, "sin({x})");
            assert!((c.to_f64() - xq.cos()).abs() < 2.0 * lsb, "cos({x})");
        }
    }

    #[test]
    fn sin_bam_hits_exact_cardinal_points() {
        assert_eq!(Q16::sin_bam(0), Q16::ZERO);
        assert_eq!(Q16::sin_bam(QUARTER_TURN), Q16::ONE);
        assert_eq!(Q16::sin_bam(2 * QUARTER_TURN), Q16::ZERO);
        assert_eq!(Q16::sin_bam(3 * QUARTER_TURN), -Q16::ONE);
        assert_eq!(Q16::cos_bam(0), Q16::ONE);
    }

    #[test]
    fn sqrt_matches_f64() {
        for x in [0.0, 1.0, 2.0, 0.25, 1e-4, 100.0, 32767.0] {
            let r = q(x).sqrt().to_f64();
            assert!((r - q(x).to_f64().sqrt()).abs() <= 1.0 / 65536.0, "sqrt({x}) = {r}");
        }
        assert_eq!(q(-1.0).sqrt(), Q16::ZERO);
    }

    #[test]
    fn exp_and_ln_saturate_at_the_range() {
        assert_eq!(q(20.0).exp(), Q16::MAX);
        assert_eq!(q(-20.0).exp(), Q16::ZERO);
        assert_eq!(Q16::ZERO.ln(), Q16::MIN);
        assert!((q(2.0).ln().to_f64() - 2f64.ln()).abs() < 1e-4);
    }
}
