//! Deterministic xorshift64 RNG, bit-exact with the reference stream
//! (spec/20-physics.md §3.5).
//!
//! Every stochastic model of the kernel draws from [`SimpleRng`]; the SSGF
//! engine depends on its exact bit stream, so `next_u64` and `next_f64`
//! must never change. Seeding is always explicit here — there is no clock
//! in the core; the std layer seeds from the wall clock when asked to.
//!
//! ```
//! use backfire_nostd::rng::SimpleRng;
//! let mut rng = SimpleRng::new(42);
//! assert_eq!(rng.next_u64(), 0x0000_000a_9551_4aaa);
//! let u = rng.next_f64();
//! assert!((0.0..1.0).contains(&u));
//! ```

use crate::num::{cos_in_range, ln_normal, sqrt, sqrt_each};

/// The state a zero seed is replaced with (xorshift has a fixed point at 0).
pub const ZERO_SEED_STATE: u64 = 0xDEAD_BEEF_CAFE_BABE;

/// Lower clamp of the first Box–Muller uniform, so that `ln` stays finite.
pub const BOX_MULLER_FLOOR: f64 = 1e-300;

/// 2^-53: turns the top 53 bits of a `u64` into a uniform in `[0, 1)`.
pub(crate) const INV_2_POW_53: f64 = 1.0 / (1u64 << 53) as f64;

/// Marsaglia's xorshift64 generator with the shift triple (13, 7, 17).
///
/// Period 2^64 − 1; the state is never zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SimpleRng {
    state: u64,
}

impl SimpleRng {
    /// A generator whose state is `seed` (a zero seed becomes
    /// [`ZERO_SEED_STATE`]), exactly as the reference seeds it.
    ///
    /// Small seeds give small first outputs (seed 1 → first uniform
    /// 5.9e-11); use [`SimpleRng::scrambled`] where that matters and
    /// compatibility with reference streams does not.
    pub const fn new(seed: u64) -> Self {
        SimpleRng { state: if seed == 0 { ZERO_SEED_STATE } else { seed } }
    }

    /// A generator seeded with `seed` passed through one SplitMix64 step,
    /// so that nearby seeds (0, 1, 2, …) start from unrelated, well-mixed
    /// states. Not compatible with reference streams (spec §9 item 2).
    ///
    /// ```
    /// use backfire_nostd::rng::SimpleRng;
    /// let mut a = SimpleRng::scrambled(1);
    /// assert!(a.next_f64() > 1e-6); // unlike SimpleRng::new(1)
    /// ```
    pub const fn scrambled(seed: u64) -> Self {
        Self::new(splitmix64(seed))
    }

    /// The current internal state (never zero).
    #[inline]
    pub const fn state(&self) -> u64 {
        self.state
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// A uniform in `[0, 1)` from the top 53 bits of [`Self::next_u64`].
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        unit_f64(self.next_u64())
    }

    /// A standard normal by the cosine branch of Box–Muller; consumes two
    /// `next_u64` (the sine partner is discarded, as in the reference).
    ///
    /// `sqrt(−2·ln u1)·cos(2π·u2)` with `u1 = max(next_f64(), 1e-300)` and
    /// `u2 = next_f64()`, evaluated in the reference's order. `ln` and `cos`
    /// are the crate's branch-free kernels (≤ 1 ulp from `libm`; spec §3.5
    /// asks for 1e-15 relative), the same ones [`Self::fill_normals`] runs
    /// in SIMD, so both give identical bits.
    #[inline]
    pub fn next_normal(&mut self) -> f64 {
        let (n1, n2) = (top_53_bits(self.next_u64()), top_53_bits(self.next_u64()));
        let (radius_sq, cos) = box_muller_parts(n1, n2);
        sqrt(radius_sq) * cos
    }

    /// Fills `out` with standard normals, bit-identical to `N` calls of
    /// [`Self::next_normal`] in index order (`2·N` words of the stream).
    ///
    /// Faster than the one-by-one calls: the words are drawn first (the
    /// xorshift chain is serial anyway), then `ln` and `cos` run over the
    /// whole batch in SIMD lanes.
    ///
    /// ```
    /// use backfire_nostd::rng::SimpleRng;
    /// let (mut a, mut b) = (SimpleRng::new(42), SimpleRng::new(42));
    /// let mut xi = [0.0; 16];
    /// a.fill_normals(&mut xi);
    /// assert!(xi.iter().all(|&x| x == b.next_normal()));
    /// assert_eq!(a, b);
    /// ```
    #[inline]
    pub fn fill_normals<const N: usize>(&mut self, out: &mut [f64; N]) {
        self.fill_normals_around(out, || ());
    }

    /// [`Self::fill_normals`] that runs `work` after drawing the words and
    /// before transforming them, and returns its result.
    ///
    /// Drawing is a serial chain of `2·N` xorshift steps (six dependent
    /// integer operations each) that leaves most of the CPU idle; work that
    /// does not depend on the normals placed here executes in its shadow.
    #[inline(always)]
    pub fn fill_normals_around<const N: usize, R>(
        &mut self,
        out: &mut [f64; N],
        work: impl FnOnce() -> R,
    ) -> R {
        // The 2·N words come from two interleaved xorshift chains: the
        // first half of the normals from the current state, the second half
        // from the state 2·⌊N/2⌋ words later, reached by a jump-ahead table
        // (xorshift is linear over GF(2)). Two independent chains halve the
        // serial latency of drawing. Each word's top 53 bits are converted
        // to f64 right away (a scalar conversion is cheaper than SSE2's
        // emulated 64-bit vector conversion).
        let jump = const { JumpTable::new(2 * (N / 2)) };
        let mut first = SimpleRng { state: self.state };
        let mut second = SimpleRng { state: jump.apply(self.state) };
        let (mut n1, mut n2) = ([0.0; N], [0.0; N]);
        let (n1_lo, n1_hi) = n1.split_at_mut(N / 2);
        let (n2_lo, n2_hi) = n2.split_at_mut(N / 2);
        let lanes = n1_lo.iter_mut().zip(n2_lo.iter_mut()).zip(n1_hi.iter_mut().zip(n2_hi.iter_mut()));
        for ((a1, a2), (b1, b2)) in lanes {
            *a1 = top_53_bits(first.next_u64());
            *b1 = top_53_bits(second.next_u64());
            *a2 = top_53_bits(first.next_u64());
            *b2 = top_53_bits(second.next_u64());
        }
        // Odd N: the second half has one normal more.
        if let (Some(b1), Some(b2)) = (n1.last_mut(), n2.last_mut()) {
            if N % 2 == 1 {
                *b1 = top_53_bits(second.next_u64());
                *b2 = top_53_bits(second.next_u64());
            }
        }
        self.state = second.state;
        let result = work();
        // Then three passes, because `libm::sqrt` is opaque (inline asm) to
        // the vectoriser: SIMD ln/cos, scalar sqrt (see `num::sqrt` on why
        // it is its own pass), SIMD product.
        let mut cos = [0.0; N];
        for ((r, c), (&a, &b)) in out.iter_mut().zip(cos.iter_mut()).zip(n1.iter().zip(&n2)) {
            (*r, *c) = box_muller_parts(a, b);
        }
        sqrt_each(out);
        for (r, c) in out.iter_mut().zip(&cos) {
            *r *= c;
        }
        result
    }
}

/// `state ↦ state after k xorshift steps` as a lookup table: the map is
/// linear over GF(2), so the image of a state is the XOR of the images of
/// its 16 nibbles (16 loads and XORs instead of k dependent steps).
struct JumpTable {
    images: [[u64; 16]; 16],
}

impl JumpTable {
    /// The table for `steps` steps, built at compile time.
    const fn new(steps: usize) -> Self {
        let mut images = [[0u64; 16]; 16];
        let mut position = 0;
        while position < 16 {
            let mut value = 1;
            while value < 16 {
                let mut x = (value as u64) << (4 * position);
                let mut k = 0;
                while k < steps {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    k += 1;
                }
                images[position][value] = x;
                value += 1;
            }
            position += 1;
        }
        JumpTable { images }
    }

    /// The state `steps` steps after `state`.
    #[inline(always)]
    fn apply(&self, state: u64) -> u64 {
        let mut image = 0;
        for (position, images) in self.images.iter().enumerate() {
            image ^= images[((state >> (4 * position)) & 0xf) as usize];
        }
        image
    }
}

/// The top 53 bits of a word as an (exact) `f64` integer.
#[inline(always)]
fn top_53_bits(word: u64) -> f64 {
    (word >> 11) as f64
}

/// A uniform in `[0, 1)` from the top 53 bits of a word (the reference's
/// `next_f64`).
#[inline(always)]
fn unit_f64(word: u64) -> f64 {
    top_53_bits(word) * INV_2_POW_53
}

/// `2π·2^-53` (exact scaling of `TAU`): `TAU_ULP·n` rounds to the same
/// value as the reference's `TAU·(n·2^-53)`, one multiplication fewer.
const TAU_ULP: f64 = core::f64::consts::TAU * INV_2_POW_53;

/// Box–Muller from the two words' top 53 bits `n1`, `n2`:
/// `(−2·ln u1, cos 2π·u2)`, branch-free.
#[inline(always)]
fn box_muller_parts(n1: f64, n2: f64) -> (f64, f64) {
    // u1 ∈ [2^-53, 1) or the floor: always a normal positive number, and
    // 2π·u2 ∈ [0, 2π): both inside the fast kernels' domains.
    let u1 = (n1 * INV_2_POW_53).max(BOX_MULLER_FLOOR);
    (-2.0 * ln_normal(u1), cos_in_range(TAU_ULP * n2))
}

/// One SplitMix64 output for `seed` (Steele, Lea & Flood 2014).
const fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // golden digits as the spec prints them
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn next_u64_matches_reference_stream() {
        let golden: [(u64, [u64; 4]); 4] = [
            (0, [0x27dc5c1b2d04284b, 0xa29639727aeb52db, 0x68f59be1ebed52be, 0xb19c47a2b60fe79b]),
            (1, [0x0000000040822041, 0x100041060c011441, 0x9b1e842f6e862629, 0xf554f503555d8025]),
            (42, [0x0000000a95514aaa, 0xa00aaafdf80202bf, 0x8b13399cd1d1497a, 0x283b88fe5fdff568]),
            (12345, [0x00000c163a391e19, 0x9c0eb9542f03ca65, 0xa228090ad781f4b1, 0x20f578d6eaf5fb18]),
        ];
        for (seed, expected) in golden {
            let mut rng = SimpleRng::new(seed);
            for want in expected {
                assert_eq!(rng.next_u64(), want, "seed {seed}");
            }
        }
    }

    #[test]
    fn zero_seed_is_replaced() {
        assert_eq!(SimpleRng::new(0).state(), ZERO_SEED_STATE);
        assert_eq!(SimpleRng::new(0), SimpleRng::new(ZERO_SEED_STATE));
    }

    #[test]
    fn next_f64_matches_reference_stream() {
        let golden: [(u64, [f64; 4]); 3] = [
            (0, [0.15570617354843874, 0.63510474247861493, 0.40999769464172187, 0.69379089090767776]),
            (1, [5.866996e-11, 0.06250387570981197, 0.60593439252854653, 0.95832759219535113]),
            (42, [2.46410992e-9, 0.62516277981195145, 0.54326210096934802, 0.15715843401255802]),
        ];
        for (seed, expected) in golden {
            let mut rng = SimpleRng::new(seed);
            for want in expected {
                let got = rng.next_f64();
                // The tiny first values are given to 7–9 significant digits.
                assert!(close(got, want, 1e-6), "seed {seed}: {got} vs {want}");
            }
        }
        // Exact for the values given to full precision.
        let mut rng = SimpleRng::new(0);
        assert_eq!(rng.next_f64(), 0.15570617354843874);
    }

    #[test]
    fn next_normal_matches_reference_stream() {
        let golden: [(u64, [f64; 4]); 3] = [
            (0, [-1.27446590180290786, -0.46187171596300891, -0.00020332235962288, -0.52709618216123899]),
            (1, [6.34169351115370095, 0.96686606130850505, 1.10795168724830173, 0.14414919381270377]),
            (42, [-4.44757118507873095, 0.60847685322122069, -1.46980775956424070, -0.86833422307020502]),
        ];
        for (seed, expected) in golden {
            let mut rng = SimpleRng::new(seed);
            for want in expected {
                let got = rng.next_normal();
                // Values near zero amplify cos rounding; 1e-15 relative
                // plus a 1e-17 absolute floor (spec §3.5).
                assert!((got - want).abs() <= 1e-15 * want.abs() + 1e-17, "seed {seed}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn batch_normals_equal_single_draws_bit_for_bit() {
        for seed in [0, 1, 42, 12345, u64::MAX] {
            let (mut a, mut b) = (SimpleRng::new(seed), SimpleRng::new(seed));
            for _ in 0..200 {
                let mut xi = [0.0; 16];
                a.fill_normals(&mut xi);
                for x in xi {
                    assert_eq!(x.to_bits(), b.next_normal().to_bits(), "seed {seed}");
                }
            }
            assert_eq!(a, b);
        }
    }

    #[test]
    fn jump_table_equals_stepping() {
        for steps in [0, 1, 2, 16, 31] {
            let table = JumpTable::new(steps);
            for seed in [1, 42, 0xDEAD_BEEF_CAFE_BABE, u64::MAX, 1 << 63] {
                let mut rng = SimpleRng::new(seed);
                for _ in 0..steps {
                    rng.next_u64();
                }
                assert_eq!(table.apply(seed), rng.state(), "{steps} steps from {seed:#x}");
            }
        }
    }

    #[test]
    fn odd_and_tiny_batches_follow_the_stream() {
        fn check<const N: usize>() {
            let (mut a, mut b) = (SimpleRng::new(77), SimpleRng::new(77));
            let mut xi = [0.0; N];
            a.fill_normals(&mut xi);
            for x in xi {
                assert_eq!(x.to_bits(), b.next_normal().to_bits(), "N = {N}");
            }
            assert_eq!(a, b, "N = {N}");
        }
        check::<0>();
        check::<1>();
        check::<3>();
        check::<7>();
        check::<16>();
        check::<33>();
    }

    #[test]
    fn angle_scaling_is_exact() {
        // TAU_ULP·n == TAU·(n·2^-53) for every 53-bit n (checked on a spread).
        let mut n: u64 = 1;
        while n < 1 << 53 {
            let x = n as f64;
            assert_eq!(TAU_ULP * x, core::f64::consts::TAU * (x * INV_2_POW_53), "{n}");
            n = n * 3 + 1;
        }
    }

    #[test]
    fn normals_have_unit_moments() {
        // Not a golden: catches a kernel that is accurate at the golden
        // points but wrong elsewhere.
        let mut rng = SimpleRng::new(2024);
        let (mut sum, mut sq, mut count) = (0.0, 0.0, 0.0);
        for _ in 0..20_000 {
            let mut xi = [0.0; 16];
            rng.fill_normals(&mut xi);
            for x in xi {
                sum += x;
                sq += x * x;
                count += 1.0;
            }
        }
        let mean = sum / count;
        let var = sq / count - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }

    #[test]
    fn normal_draw_consumes_two_words() {
        let mut a = SimpleRng::new(7);
        let mut b = SimpleRng::new(7);
        a.next_normal();
        b.next_u64();
        b.next_u64();
        assert_eq!(a, b);
    }

    #[test]
    fn uniform_never_reaches_one() {
        // The largest 53-bit value maps strictly below 1.
        assert!(((u64::MAX >> 11) as f64 * INV_2_POW_53) < 1.0);
    }

    #[test]
    fn scrambled_seeds_differ_from_plain_and_are_mixed() {
        assert_ne!(SimpleRng::scrambled(1), SimpleRng::new(1));
        assert_ne!(SimpleRng::scrambled(1), SimpleRng::scrambled(2));
        // SplitMix64 of 0 is a well-known constant.
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        let mut rng = SimpleRng::scrambled(1);
        assert!(rng.next_f64() > 1e-6);
    }
}
