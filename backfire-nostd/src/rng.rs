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

/// The state a zero seed is replaced with (xorshift has a fixed point at 0).
pub const ZERO_SEED_STATE: u64 = 0xDEAD_BEEF_CAFE_BABE;

/// Lower clamp of the first Box–Muller uniform, so that `ln` stays finite.
pub const BOX_MULLER_FLOOR: f64 = 1e-300;

/// 2^-53: turns the top 53 bits of a `u64` into a uniform in `[0, 1)`.
const INV_2_POW_53: f64 = 1.0 / (1u64 << 53) as f64;

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
        (self.next_u64() >> 11) as f64 * INV_2_POW_53
    }

    /// A standard normal by the cosine branch of Box–Muller; consumes two
    /// `next_u64` (the sine partner is discarded, as in the reference).
    #[inline]
    pub fn next_normal(&mut self) -> f64 {
        let u1 = self.next_f64().max(BOX_MULLER_FLOOR);
        let u2 = self.next_f64();
        // 2π·u2 is in [0, 2π): the inlined kernel is as accurate as libm's.
        libm::sqrt(-2.0 * libm::log(u1)) * crate::num::sin_cos_fast(core::f64::consts::TAU * u2).1
    }
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
