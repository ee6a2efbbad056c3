//! How each backend stores a phase on the circle and advances it.
//!
//! The UPDE stepper is written once over [`PhaseBackend`]; the backends
//! differ only in how a phase is held:
//!
//! | backend | phase type | why |
//! |---|---|---|
//! | `f64` | radians in `[0, 2π)` | reference parity: the step is the reference's formula, wrapped by a Euclidean remainder that never returns 2π |
//! | `f32` | [`BinaryAngle`] | an `f32` radian near 2π has an ulp of 4.8e-7 rad, up to 0.8 % of the slowest layer's step, with a systematic bias: measured against `f64` over 1000 noise-free steps, f32 radians drift 1.7e-4 rad, f32 with binary angles 1.1e-6 rad |
//! | [`Q16`] | [`BinaryAngle`] | Q16.16 radians have 1.5e-5 rad resolution, half the slowest layer's step |
//!
//! A [`BinaryAngle`] is a `u32` with 2^32 = one turn (LSB = 1.46e-9 rad):
//! wrapping is free and exact, and the value is in `[0, 2π)` by
//! construction. The binary-angle backends split each step's increment
//! into the free rotation `ω·dt`, precomputed once in `f64`, and the
//! variable part (coupling, field, noise), computed in the backend and
//! converted with a wide intermediate (spec §8.3).

use core::f64::consts::TAU;

use super::fixed::{QUARTER_TURN, isqrt_u64};
use super::{Q16, Transcendental, sin_cos_batch, sin_cos_fast};
use crate::rng::{INV_2_POW_53, SimpleRng};

/// A 32-bit binary angle: `2^32` is one full turn.
///
/// ```
/// use backfire_nostd::num::BinaryAngle;
/// let quarter = BinaryAngle::from_radians(core::f64::consts::FRAC_PI_2);
/// assert_eq!(quarter.bits(), 1 << 30);
/// assert_eq!(BinaryAngle::from_radians(-1e-17).bits(), 0); // never 2π
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BinaryAngle(pub u32);

/// Binary-angle units per radian, `2^32 / 2π`.
const BAM_PER_RAD: f64 = 4_294_967_296.0 / TAU;

impl BinaryAngle {
    /// The angle nearest to `radians` (any finite value; wraps).
    /// Non-finite input gives 0.
    pub fn from_radians(radians: f64) -> Self {
        let wrapped = wrap_radians(radians);
        if !wrapped.is_finite() {
            return BinaryAngle(0);
        }
        // Rounding can give exactly 2^32, which wraps to 0.
        BinaryAngle(libm::round(wrapped * BAM_PER_RAD) as u64 as u32)
    }

    /// The angle in radians, in `[0, 2π)`.
    #[inline]
    pub fn to_radians(self) -> f64 {
        f64::from(self.0) / BAM_PER_RAD
    }

    /// The raw bits.
    #[inline]
    pub const fn bits(self) -> u32 {
        self.0
    }
}

/// Wraps an angle into `[0, 2π)` by the Euclidean remainder, bit-identical
/// to the reference's `rem_euclid(TAU)` except that the one case where that
/// returns exactly 2π (a tiny negative input) gives 0 (spec §9 item 7).
#[inline]
pub fn wrap_radians(x: f64) -> f64 {
    // Fast paths are exact (Sterbenz) and equal to fmod's exact result.
    let r = if (0.0..TAU).contains(&x) {
        return x;
    } else if (TAU..2.0 * TAU).contains(&x) {
        x - TAU
    } else {
        libm::fmod(x, TAU)
    };
    let r = if r < 0.0 { r + TAU } else { r };
    if r >= TAU { 0.0 } else { r }
}

/// How a phase is stored: `f64` radians or a [`BinaryAngle`].
pub trait PhaseRepr: Copy + Default + PartialEq + core::fmt::Debug + Send + Sync + 'static {
    /// The phase nearest to a finite angle in radians, wrapped into
    /// `[0, 2π)`.
    fn from_radians(radians: f64) -> Self;
    /// The phase in radians, in `[0, 2π)`.
    fn to_radians(self) -> f64;
    /// `false` if the phase is NaN/±∞ (only possible for float radians).
    fn is_finite(self) -> bool;
}

impl PhaseRepr for f64 {
    #[inline]
    fn from_radians(radians: f64) -> f64 {
        wrap_radians(radians)
    }
    #[inline]
    fn to_radians(self) -> f64 {
        self
    }
    #[inline]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
}

impl PhaseRepr for BinaryAngle {
    #[inline]
    fn from_radians(radians: f64) -> BinaryAngle {
        BinaryAngle::from_radians(radians)
    }
    #[inline]
    fn to_radians(self) -> f64 {
        BinaryAngle::to_radians(self)
    }
    #[inline]
    fn is_finite(self) -> bool {
        true
    }
}

/// A numeric backend's phase representation and Euler–Maruyama update.
///
/// Implemented for `f64`, `f32` and [`Q16`]; see the module docs for the
/// representation each uses and why.
pub trait PhaseBackend: Transcendental {
    /// How one phase is stored.
    type Phase: PhaseRepr;
    /// Per-oscillator constants of one step (derived from `ω`, `dt`, `σ`).
    type Increment: Copy + Default + PartialEq + core::fmt::Debug + Send + Sync + 'static;

    /// Whether the stepper may multiply by a coupling matrix of the
    /// canonical exponential shape with the O(N) recursion instead of the
    /// dense product. It needs floating point: the recursion carries sums
    /// whose rounding must stay relative to their size.
    const EXPONENTIAL_COUPLING: bool = false;

    /// Whether the stepper runs each stage for all oscillators before the
    /// next ([`Self::phase_sin_cos_batch`], [`Self::advance_batch`]), the
    /// order SIMD kernels need, instead of one oscillator at a time, which
    /// saves the intermediate arrays on scalar cores (~0.4 % of a step on
    /// a Cortex-M4F). Both orders give the same results.
    const BATCHED: bool = false;

    /// [`PhaseRepr::from_radians`] of this backend's phase.
    #[inline]
    fn phase_from_radians(radians: f64) -> Self::Phase {
        Self::Phase::from_radians(radians)
    }
    /// [`PhaseRepr::to_radians`] of this backend's phase.
    #[inline]
    fn phase_to_radians(phase: Self::Phase) -> f64 {
        phase.to_radians()
    }
    /// [`PhaseRepr::is_finite`] of this backend's phase.
    #[inline]
    fn phase_is_finite(phase: Self::Phase) -> bool {
        phase.is_finite()
    }
    /// `(sin θ, cos θ)`.
    fn phase_sin_cos(phase: Self::Phase) -> (Self, Self);
    /// Precomputes one oscillator's step constants from its natural
    /// frequency `omega`, the step `dt` and the noise scale `σ·√dt`.
    fn increment(omega: f64, dt: f64, noise_scale: f64) -> Self::Increment;
    /// One Euler–Maruyama update: `θ + drift·dt + σ√dt·ξ`, wrapped.
    /// `drift = ω + variable`; float radians use `drift`, binary angles
    /// use the exact precomputed rotation plus `variable`.
    fn advance(
        phase: Self::Phase,
        inc: &Self::Increment,
        drift: Self,
        variable: Self,
        xi: Self,
    ) -> Self::Phase;
    /// One standard-normal draw in this backend's precision. Always
    /// consumes exactly two `next_u64`, so seeds are portable.
    fn standard_normal(rng: &mut SimpleRng) -> Self;

    /// [`Self::phase_sin_cos`] of every phase. Backends with a SIMD kernel
    /// override it; the result must equal the element-wise one.
    #[inline]
    fn phase_sin_cos_batch<const N: usize>(
        phases: &[Self::Phase; N],
        sin: &mut [Self; N],
        cos: &mut [Self; N],
    ) {
        for ((&p, s), c) in phases.iter().zip(sin.iter_mut()).zip(cos.iter_mut()) {
            (*s, *c) = Self::phase_sin_cos(p);
        }
    }

    /// `N` draws of [`Self::standard_normal`] in index order (same values,
    /// same stream position), and the result of `work`, which must not
    /// depend on them: backends may run it while the draws are in flight.
    #[inline]
    fn standard_normals_around<const N: usize, R>(
        rng: &mut SimpleRng,
        out: &mut [Self; N],
        work: impl FnOnce() -> R,
    ) -> R {
        for x in out.iter_mut() {
            *x = Self::standard_normal(rng);
        }
        work()
    }

    /// [`Self::advance`] of every oscillator (same results); backends may
    /// batch the work. Returns `false` if any `drift` or new phase is not
    /// finite (the step must then be rejected).
    #[inline]
    fn advance_batch<const N: usize>(
        phases: &mut [Self::Phase; N],
        inc: &[Self::Increment; N],
        drift: &[Self; N],
        variable: &[Self; N],
        xi: &[Self; N],
    ) -> bool {
        let per_osc = phases.iter_mut().zip(inc).zip(drift.iter().zip(variable)).zip(xi);
        for (((phase, inc), (&d, &v)), &x) in per_osc {
            *phase = Self::advance(*phase, inc, d, v, x);
        }
        // Folds, not `any`: no early exit, so the checks vectorise.
        drift.iter().fold(true, |ok, d| ok & d.is_finite())
            & phases.iter().fold(true, |ok, &p| ok & Self::phase_is_finite(p))
    }
}

/// [`wrap_radians`] for `x ∈ [−2π, 4π)` without branches; elsewhere (and
/// for a tiny negative `x` that rounds up to 2π) the result is outside
/// `[0, 2π)` and the caller falls back to [`wrap_radians`].
#[inline(always)]
fn wrap_near(x: f64) -> f64 {
    // Exact in both cases, like the fast paths of `wrap_radians`.
    let up = if x < 0.0 { TAU } else { 0.0 };
    let down = if x >= TAU { TAU } else { 0.0 };
    x + up - down
}

/// Step constants of the `f64` backend.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RadianIncrement {
    dt: f64,
    noise_scale: f64,
}

impl PhaseBackend for f64 {
    type Phase = f64;
    type Increment = RadianIncrement;
    const EXPONENTIAL_COUPLING: bool = true;
    const BATCHED: bool = true;

    #[inline]
    fn phase_sin_cos(phase: f64) -> (f64, f64) {
        sin_cos_fast(phase)
    }
    fn increment(_omega: f64, dt: f64, noise_scale: f64) -> RadianIncrement {
        RadianIncrement { dt, noise_scale }
    }
    #[inline]
    fn advance(phase: f64, inc: &RadianIncrement, drift: f64, _variable: f64, xi: f64) -> f64 {
        // The reference's expression and evaluation order.
        wrap_radians(phase + drift * inc.dt + inc.noise_scale * xi)
    }
    #[inline]
    fn standard_normal(rng: &mut SimpleRng) -> f64 {
        rng.next_normal()
    }
    #[inline(always)]
    fn phase_sin_cos_batch<const N: usize>(phases: &[f64; N], sin: &mut [f64; N], cos: &mut [f64; N]) {
        sin_cos_batch(phases, sin, cos);
    }
    #[inline(always)]
    fn standard_normals_around<const N: usize, R>(
        rng: &mut SimpleRng,
        out: &mut [f64; N],
        work: impl FnOnce() -> R,
    ) -> R {
        rng.fill_normals_around(out, work)
    }
    /// Branch-free SIMD pass for the usual case (the new phase is within
    /// one turn of `[0, 2π)`), then the exact [`wrap_radians`] for the
    /// rare rest, so the result equals the element-wise [`Self::advance`].
    ///
    /// One range check covers the finiteness of the drifts too: with `dt`
    /// and `σ√dt` finite and positive, a non-finite drift makes the raw
    /// phase non-finite, which wraps to NaN.
    #[inline(always)]
    fn advance_batch<const N: usize>(
        phases: &mut [f64; N],
        inc: &[RadianIncrement; N],
        drift: &[f64; N],
        _variable: &[f64; N],
        xi: &[f64; N],
    ) -> bool {
        let mut raw = [0.0; N];
        for (((r, &p), inc), (&d, &x)) in raw.iter_mut().zip(phases.iter()).zip(inc).zip(drift.iter().zip(xi))
        {
            *r = p + d * inc.dt + inc.noise_scale * x;
        }
        for (p, &r) in phases.iter_mut().zip(&raw) {
            *p = wrap_near(r);
        }
        let in_range = |phases: &[f64; N]| phases.iter().fold(true, |ok, p| ok & (0.0..TAU).contains(p));
        if in_range(phases) {
            return true;
        }
        for (p, &r) in phases.iter_mut().zip(&raw) {
            if !(0.0..TAU).contains(p) {
                *p = wrap_radians(r);
            }
        }
        in_range(phases)
    }
}

/// Step constants of the `f32` backend (binary-angle phases).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct F32Increment {
    /// `ω·dt` in binary-angle units, rounded once in `f64`.
    rotation: u32,
    /// Binary-angle units per rad/s of rate over one step, `dt·2^32/2π`.
    dt_bam: f32,
    /// Binary-angle units per unit of ξ, `σ√dt·2^32/2π`.
    noise_bam: f32,
}

/// `(sin, cos)` of a binary angle in `f32`: the quadrant is taken exactly
/// from the top bits, the remainder in `[−π/4, π/4)` keeps 24 bits.
#[inline]
fn sin_cos_bam_f32(angle: u32) -> (f32, f32) {
    let quadrant = angle.wrapping_add(QUARTER_TURN / 2) >> 30;
    let rest = angle.wrapping_sub(quadrant << 30) as i32;
    let (s, c) = sin_cos_quarter_f32(rest as f32 * (TAU / 4_294_967_296.0) as f32);
    match quadrant {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// `(sin r, cos r)` for `|r| ≤ π/4` in `f32` by Taylor polynomials (the
/// truncation error, below 2e-9 for sine and 3e-8 for cosine, is under half
/// an `f32` ulp of 1). The argument is already reduced, so `libm::sincosf`'s
/// general range reduction — which works in `f64`, soft-float on a
/// Cortex-M4F, ~2300 instructions — is not needed.
#[inline]
fn sin_cos_quarter_f32(r: f32) -> (f32, f32) {
    let z = r * r;
    let s = r * (1.0 + z * (-1.0 / 6.0 + z * (1.0 / 120.0 + z * (-1.0 / 5040.0 + z * (1.0 / 362_880.0)))));
    let c = 1.0
        + z * (-0.5
            + z * (1.0 / 24.0 + z * (-1.0 / 720.0 + z * (1.0 / 40_320.0 + z * (-1.0 / 3_628_800.0)))));
    (s, c)
}

/// The wrapped binary-angle equivalent of an `f64` number of BAM units.
#[inline]
fn bam_from_f64_units(units: f64) -> u32 {
    // Reduce modulo one turn first so the integer conversion is exact.
    libm::round(libm::fmod(units, 4_294_967_296.0)) as i64 as u32
}

impl PhaseBackend for f32 {
    type Phase = BinaryAngle;
    type Increment = F32Increment;

    #[inline]
    fn phase_sin_cos(phase: BinaryAngle) -> (f32, f32) {
        sin_cos_bam_f32(phase.0)
    }
    fn increment(omega: f64, dt: f64, noise_scale: f64) -> F32Increment {
        F32Increment {
            rotation: bam_from_f64_units(omega * dt * BAM_PER_RAD),
            dt_bam: (dt * BAM_PER_RAD) as f32,
            noise_bam: (noise_scale * BAM_PER_RAD) as f32,
        }
    }
    #[inline]
    fn advance(phase: BinaryAngle, inc: &F32Increment, _drift: f32, variable: f32, xi: f32) -> BinaryAngle {
        let units = variable * inc.dt_bam + xi * inc.noise_bam;
        // Saturating conversion: only increments beyond 2^63 units (10^9
        // turns per step) lose their turn count.
        let delta = libm::roundf(units) as i64 as u32;
        BinaryAngle(phase.0.wrapping_add(inc.rotation).wrapping_add(delta))
    }
    #[inline]
    fn standard_normal(rng: &mut SimpleRng) -> f32 {
        let u1 = ((rng.next_u64() >> 11) as f32 * INV_2_POW_53 as f32).max(f32::MIN_POSITIVE);
        // The top 32 bits of the second word are 2π·u2 as a binary angle.
        let angle = (rng.next_u64() >> 32) as u32;
        super::sqrtf(-2.0 * libm::logf(u1)) * sin_cos_bam_f32(angle).1
    }
}

/// Step constants of the [`Q16`] backend (binary-angle phases).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Q16Increment {
    /// `ω·dt` in binary-angle units, rounded once in `f64`.
    rotation: u32,
    /// `dt·2^48/2π`: a Q16.16 rate times this, shifted right by 32, is the
    /// step's binary-angle increment.
    dt_k: i64,
    /// `σ√dt·2^48/2π`, the same for a Q16.16 ξ.
    noise_k: i64,
}

/// `2^48 / 2π`.
const BAM_Q16_PER_RAD: f64 = 281_474_976_710_656.0 / TAU;

impl PhaseBackend for Q16 {
    type Phase = BinaryAngle;
    type Increment = Q16Increment;

    #[inline]
    fn phase_sin_cos(phase: BinaryAngle) -> (Q16, Q16) {
        (Q16::sin_bam(phase.0), Q16::cos_bam(phase.0))
    }
    fn increment(omega: f64, dt: f64, noise_scale: f64) -> Q16Increment {
        Q16Increment {
            rotation: bam_from_f64_units(omega * dt * BAM_PER_RAD),
            // Saturating casts: only steps beyond 2^15 s lose accuracy.
            dt_k: libm::round(dt * BAM_Q16_PER_RAD) as i64,
            noise_k: libm::round(noise_scale * BAM_Q16_PER_RAD) as i64,
        }
    }
    #[inline]
    fn advance(phase: BinaryAngle, inc: &Q16Increment, _drift: Q16, variable: Q16, xi: Q16) -> BinaryAngle {
        // Wrapping 64-bit arithmetic keeps bits 32..63 exact, which is
        // exactly the increment modulo one turn; one rounding at the end.
        let wide = i64::from(variable.to_bits())
            .wrapping_mul(inc.dt_k)
            .wrapping_add(i64::from(xi.to_bits()).wrapping_mul(inc.noise_k))
            .wrapping_add(1 << 31);
        let delta = (wide >> 32) as u32;
        BinaryAngle(phase.0.wrapping_add(inc.rotation).wrapping_add(delta))
    }
    fn standard_normal(rng: &mut SimpleRng) -> Q16 {
        let mantissa = (rng.next_u64() >> 11).max(1);
        let angle = (rng.next_u64() >> 32) as u32;
        // ξ = sqrt(−2 ln u1)·cos(2π u2) with u1 = mantissa / 2^53, all in
        // integers: −2 ln u1 = 2 ln2 · (53 − log2 mantissa).
        let neg_log2_q24 = (53u64 << 24) - log2_q24(mantissa);
        let radicand_q32 = (neg_log2_q24 * TWO_LN2_Q32) >> 24;
        let magnitude = Q16::from_bits(isqrt_u64(radicand_q32) as i32);
        magnitude * Q16::cos_bam(angle)
    }
}

/// `2·ln 2` in Q32.
const TWO_LN2_Q32: u64 = 5_954_088_943;

/// `log2(x)` for `x ≥ 1` in Q8.24 (24 fractional bits), by the classic
/// bit-by-bit squaring of the normalised mantissa; error below 2^-24.
fn log2_q24(x: u64) -> u64 {
    let msb = 63 - u64::from(x.leading_zeros());
    // Mantissa in Q1.31: [2^31, 2^32).
    let mut m = if msb >= 31 { x >> (msb - 31) } else { x << (31 - msb) };
    let mut frac = 0u64;
    for bit in (0..24).rev() {
        m = (m * m) >> 31;
        if m >= 1 << 32 {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (msb << 24) | frac
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Real;

    #[test]
    fn wrap_matches_euclidean_remainder_and_never_returns_tau() {
        for x in [0.0, 1.0, 6.0, TAU, 7.0, 13.0, 1e6, -3.0, -1e6, -TAU, 2.0 * TAU] {
            let r = wrap_radians(x);
            assert!((0.0..TAU).contains(&r), "{x} -> {r}");
            let reference = {
                let m = libm::fmod(x, TAU);
                if m < 0.0 { m + TAU } else { m }
            };
            assert_eq!(r, if reference == TAU { 0.0 } else { reference });
        }
        assert_eq!(wrap_radians(-1e-17), 0.0);
        assert!(wrap_radians(f64::NAN).is_nan());
    }

    #[test]
    fn binary_angle_round_trips() {
        for x in [0.0, 0.1, 1.0, 3.0, 6.2, -0.5] {
            let a = BinaryAngle::from_radians(x);
            assert!((a.to_radians() - wrap_radians(x)).abs() < 1e-9, "{x}");
        }
        assert_eq!(BinaryAngle::from_radians(f64::NAN), BinaryAngle(0));
        assert!(BinaryAngle(u32::MAX).to_radians() < TAU);
    }

    #[test]
    fn f32_sin_cos_of_binary_angles_is_accurate() {
        for i in 0..4096u32 {
            let a = i.wrapping_mul(1_048_573).wrapping_mul(1021);
            let (s, c) = f32::phase_sin_cos(BinaryAngle(a));
            let x = BinaryAngle(a).to_radians();
            assert!((f64::from(s) - libm::sin(x)).abs() < 2e-7, "sin {a}");
            assert!((f64::from(c) - libm::cos(x)).abs() < 2e-7, "cos {a}");
        }
    }

    #[test]
    fn log2_and_isqrt_are_exact_enough() {
        for x in [1u64, 2, 3, 10, 1000, 123_456_789, (1 << 53) - 1] {
            let got = log2_q24(x) as f64 / (1u64 << 24) as f64;
            assert!((got - libm::log2(x as f64)).abs() < 3e-7, "log2 {x}: {got}");
        }
        for n in [0u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, u64::MAX] {
            let r = isqrt_u64(n);
            assert!(u128::from(r) * u128::from(r) <= u128::from(n));
            assert!(u128::from(r + 1) * u128::from(r + 1) > u128::from(n));
        }
    }

    #[test]
    fn backend_normals_track_the_f64_stream() {
        let (mut a, mut b, mut c) = (SimpleRng::new(9), SimpleRng::new(9), SimpleRng::new(9));
        let mut worst32: f64 = 0.0;
        let mut worst_q: f64 = 0.0;
        for _ in 0..20_000 {
            let x = f64::standard_normal(&mut a);
            worst32 = worst32.max((f64::from(f32::standard_normal(&mut b)) - x).abs());
            worst_q = worst_q.max((Q16::standard_normal(&mut c).to_f64() - x).abs());
        }
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert!(worst32 < 2e-5, "f32 normal error {worst32}");
        assert!(worst_q < 5e-4, "q16 normal error {worst_q}");
    }

    #[test]
    fn increments_hit_the_free_rotation_exactly() {
        // ω·dt for L2 at dt = 0.01 is 1 717 984 100 units (spec §8.3).
        let inc = Q16::increment(251.327, 0.01, 0.0);
        assert!(inc.rotation.abs_diff(1_717_984_100) <= 1, "{}", inc.rotation);
        let p = Q16::advance(BinaryAngle(0), &inc, Q16::ZERO, Q16::ZERO, Q16::ZERO);
        assert_eq!(p.0, inc.rotation);
        let inc32 = f32::increment(0.003, 0.01, 0.0);
        assert!(inc32.rotation.abs_diff(20_507) <= 1);
        // A negative variable rate steps backwards across zero.
        let inc = Q16::increment(0.0, 0.01, 0.0);
        let back = Q16::advance(BinaryAngle(0), &inc, Q16::ZERO, Q16::from_f64(-1.0), Q16::ZERO);
        let expected = libm::round(-0.01 * BAM_PER_RAD) as i64 as u32;
        assert!(back.0.abs_diff(expected) <= 2, "{} vs {}", back.0, expected);
    }

    #[test]
    fn sin_cos_quarter_f32_matches_libm() {
        let mut worst: f32 = 0.0;
        for i in -10_000..=10_000 {
            let r = (i as f32) * (core::f32::consts::FRAC_PI_4 / 10_000.0);
            let (s, c) = sin_cos_quarter_f32(r);
            let (ls, lc) = libm::sincosf(r);
            worst = worst.max((s - ls).abs()).max((c - lc).abs());
        }
        // Within two f32 ulps of 1.
        assert!(worst <= 2.0 * f32::EPSILON, "{worst}");
    }
}
