//! Decoders `z → W` and their chain rule back to `z` (spec §3).
//!
//! * **Gram-softplus** (default): one latent per node pair, `z` has
//!   [`latent_len`]`(n) = n(n−1)/2` entries laid out over the strict upper
//!   triangle row by row ([`pair_index`]); `W_ij = W_ji = softplus(z_k)`.
//! * **RBF**: `z` holds `n` points of dimension `D = ⌊len(z)/n⌋`
//!   ([`Decoder::rbf_dim`]); `W_ij = exp(−‖p_i − p_j‖² / (2σ²))`. Entries
//!   past `n·D` are ignored and get zero gradient.
//!
//! Either way `W` is exactly symmetric (one value written to both
//! triangles), non-negative, and zero on the diagonal.
//!
//! ```
//! use backfire_nostd::ssgf::decoder::{Decoder, latent_len};
//! const N: usize = 3;
//! let z = [0.0; latent_len(N)];
//! let mut w = [1.0; N * N];
//! Decoder::GramSoftplus.decode(&z, N, &mut w).unwrap();
//! assert_eq!(w[1], core::f64::consts::LN_2); // softplus(0)
//! assert_eq!(w[3], w[1]);
//! assert_eq!(w[4], 0.0);
//! ```
//!
//! The spec's weakness §13.6 (a stringly-typed decoder where a typo silently
//! selects gram-softplus, and an unguarded σ = 0 that gives NaN) is answered
//! by the [`Decoder`] enum and by validating σ ([`Decoder::rbf`], and again
//! in every call, since the variant's field is public).

use crate::check::{ParamError, check_positive};
use crate::observers::{check_length, check_vector};
use crate::slices::{at, set};

use super::SSGFError;

/// Beyond `±SOFTPLUS_CUTOFF` softplus and its derivative are replaced by
/// their limits (the reference's hard cutoff, §3.2).
const SOFTPLUS_CUTOFF: f64 = 20.0;

/// `softplus(x) = ln(1 + eˣ)`, with the reference's cutoffs (§3.2): exactly
/// `x` above 20 and exactly 0 below −20.
///
/// ```
/// use backfire_nostd::ssgf::decoder::softplus;
/// assert_eq!(softplus(100.0), 100.0);
/// assert_eq!(softplus(-30.0), 0.0);
/// assert!((softplus(0.0) - core::f64::consts::LN_2).abs() < 1e-15);
/// ```
pub fn softplus(x: f64) -> f64 {
    if x > SOFTPLUS_CUTOFF {
        x
    } else if x < -SOFTPLUS_CUTOFF {
        0.0
    } else {
        // ln(1 + eˣ) as written, not ln_1p: the reference's arithmetic.
        libm::log(1.0 + libm::exp(x))
    }
}

/// The derivative of [`softplus`], `σ(x) = 1/(1 + e^{−x})`, with the same
/// cutoffs (§3.2): exactly 1 above 20 and exactly 0 below −20, so a latent
/// below −20 is "dead" (zero weight, zero gradient).
///
/// ```
/// use backfire_nostd::ssgf::decoder::sigmoid;
/// assert_eq!(sigmoid(0.0), 0.5);
/// assert_eq!(sigmoid(25.0), 1.0);
/// assert_eq!(sigmoid(-25.0), 0.0);
/// ```
pub fn sigmoid(x: f64) -> f64 {
    if x > SOFTPLUS_CUTOFF {
        1.0
    } else if x < -SOFTPLUS_CUTOFF {
        0.0
    } else {
        1.0 / (1.0 + libm::exp(-x))
    }
}

/// `n(n−1)/2`, the gram latent length: the number of node pairs (0 for
/// `n < 2`; saturates at `usize::MAX`, which no real `z` can have).
///
/// ```
/// use backfire_nostd::ssgf::decoder::latent_len;
/// assert_eq!(latent_len(16), 120);
/// assert_eq!(latent_len(1), 0);
/// ```
pub const fn latent_len(n: usize) -> usize {
    if n < 2 {
        0
    } else if n % 2 == 0 {
        // Halve the even factor first so the product overflows as late as possible.
        (n / 2).saturating_mul(n - 1)
    } else {
        n.saturating_mul((n - 1) / 2)
    }
}

/// Index `k` of the pair `(i, j)` in the gram latent: the strict upper
/// triangle in row-major order, `k(i, j) = i·n − i(i+1)/2 + (j−i−1)`
/// (§3.1). `None` unless `i < j < n` and `k` fits in a `usize` (it always
/// does when `n·n` does).
///
/// ```
/// use backfire_nostd::ssgf::decoder::pair_index;
/// assert_eq!(pair_index(4, 0, 1), Some(0));
/// assert_eq!(pair_index(4, 1, 2), Some(3));
/// assert_eq!(pair_index(4, 2, 1), None);
/// ```
pub fn pair_index(n: usize, i: usize, j: usize) -> Option<usize> {
    if !(i < j && j < n) {
        return None;
    }
    // i(i+1) ≤ i·n, so once i·n fits nothing else in `row_start` overflows;
    // the final sum can (for n beyond usize::MAX/2, k reaches ≈ 2n).
    let row_start = i.checked_mul(n)? - i * (i + 1) / 2;
    row_start.checked_add(j - i - 1)
}

/// The pairs `(i, j)`, `i < j < n`, in latent order (§3.1).
fn pairs(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).flat_map(move |i| (i + 1..n).map(move |j| (i, j)))
}

/// `m[idx] += value`, ignored out of range (never, once the lengths are checked).
fn add(m: &mut [f64], idx: usize, value: f64) {
    if let Some(slot) = m.get_mut(idx) {
        *slot += value;
    }
}

/// `G_ij + G_ji`: `W_ij` and `W_ji` are one latent quantity, so both
/// partials reach it (§3.4).
fn pair_sum(g_w: &[f64], n: usize, i: usize, j: usize) -> f64 {
    at(g_w, i * n + j) + at(g_w, j * n + i)
}

/// How a latent vector `z` becomes the weight matrix `W` (spec §3).
///
/// Serialised as `"gram_softplus"` or `{"rbf": {"sigma": 1.0}}`; the
/// reference's free string (where any typo meant gram-softplus, §13.6)
/// becomes a closed set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decoder {
    /// One latent per pair, `W_ij = softplus(z_k(i,j))` (§3.2). The default.
    #[default]
    GramSoftplus,
    /// Gaussian kernel over latent points, `W_ij = exp(−‖p_i − p_j‖²/(2σ²))`
    /// (§3.3). Build it with [`Decoder::rbf`]; an invalid `sigma` set
    /// directly is rejected by every call.
    Rbf {
        /// Bandwidth σ (the reference's `rbf_sigma`, default 1).
        sigma: f64,
    },
}

/// Checks the RBF bandwidth: finite, `> 0`, with `σ²` not underflowing to
/// 0 and `2σ²` finite, so that neither `‖p_i − p_j‖²/(2σ²)` (decode) nor
/// `(p_j − p_i)/σ²` (chain) is ever `0/0` or `∞/∞` (the reference gives
/// NaN for σ = 0, §3.3). `σ² > 0` is the stricter of the two underflow
/// tests: for σ ≈ 1.2e-162 `2σ²` is still the smallest subnormal while `σ²`
/// rounds to 0.
fn check_sigma(sigma: f64) -> Result<f64, ParamError> {
    let sigma = check_positive("rbf_sigma", sigma)?;
    if sigma * sigma > 0.0 && (2.0 * sigma * sigma).is_finite() {
        Ok(sigma)
    } else {
        Err(ParamError::new("rbf_sigma", sigma, "such that sigma^2 is > 0 and 2*sigma^2 is finite"))
    }
}

impl Decoder {
    /// The RBF decoder with bandwidth `sigma`: finite, `> 0`, with `σ²` not
    /// underflowing to 0 and `2σ²` not overflowing.
    ///
    /// ```
    /// use backfire_nostd::ssgf::decoder::Decoder;
    /// assert!(Decoder::rbf(1.0).is_ok());
    /// let err = Decoder::rbf(0.0).unwrap_err();
    /// assert_eq!(err.to_string(), "rbf_sigma must be finite and > 0, got 0");
    /// ```
    pub fn rbf(sigma: f64) -> Result<Self, SSGFError> {
        Ok(Decoder::Rbf { sigma: check_sigma(sigma)? })
    }

    /// The RBF point dimension `D = ⌊z_len/n⌋` (§3.1); 0 when `n = 0`.
    /// (Meaningless for gram-softplus, which has one latent per pair.)
    /// For `n = 16` and the engine's 120 latents, `D = 7` and the last 8
    /// latents are unused.
    ///
    /// ```
    /// use backfire_nostd::ssgf::decoder::Decoder;
    /// assert_eq!(Decoder::rbf_dim(120, 16), 7);
    /// ```
    pub fn rbf_dim(z_len: usize, n: usize) -> usize {
        z_len.checked_div(n).unwrap_or(0)
    }

    /// Decodes `z` into `W` (`n×n`, row-major), overwriting all of `w`.
    ///
    /// Requires `w.len() == n²`, every `z` finite, and for gram-softplus
    /// `z.len() == latent_len(n)`. RBF reads `D = ⌊z.len()/n⌋` coordinates
    /// per node (`D = 0` gives `W = 0`) and ignores the trailing entries.
    /// An `Rbf` with an invalid `sigma` is a [`SSGFError::Param`] error.
    /// On error `w` is unchanged.
    pub fn decode(&self, z: &[f64], n: usize, w: &mut [f64]) -> Result<(), SSGFError> {
        check_length("w", w.len(), matrix_len(n)?)?;
        match *self {
            Decoder::GramSoftplus => {
                check_vector("z", z, latent_len(n))?;
                w.fill(0.0);
                decode_gram(z, n, w);
            }
            Decoder::Rbf { sigma } => {
                let sigma = check_sigma(sigma)?;
                check_vector("z", z, z.len())?;
                w.fill(0.0);
                decode_rbf(z, n, sigma, w);
            }
        }
        Ok(())
    }

    /// The chain rule through the decoder (§3.4): given `g_w = G = ∂U/∂W`
    /// (`n×n`, every entry an independent partial) and the `w` decoded from
    /// this `z`, writes `∂U/∂z` into `grad` (`grad.len() == z.len()`).
    ///
    /// * gram: `g_k = (G_ij + G_ji)·σ(z_k)` for `(i, j)` = pair `k`;
    /// * RBF: for each `i < j`, `c = G_ij + G_ji` and
    ///   `δ_d = W_ij·(p_j,d − p_i,d)/σ²`; `c·δ_d` is added to `g[i·D+d]`
    ///   and subtracted from `g[j·D+d]`. Entries past `n·D` get 0.
    ///
    /// `grad` is fully overwritten. Errors: lengths, non-finite `z`, `w` or
    /// `g_w`, an invalid `sigma`, and [`SSGFError::NonFiniteResult`] if the
    /// gradient overflows (e.g. `G` near `f64::MAX`), in which case `grad`
    /// holds partial results.
    pub fn chain(
        &self,
        z: &[f64],
        n: usize,
        w: &[f64],
        g_w: &[f64],
        grad: &mut [f64],
    ) -> Result<(), SSGFError> {
        let nn = matrix_len(n)?;
        check_vector("w", w, nn)?;
        check_vector("g_w", g_w, nn)?;
        check_length("grad", grad.len(), z.len())?;
        match *self {
            Decoder::GramSoftplus => {
                check_vector("z", z, latent_len(n))?;
                chain_gram(z, n, g_w, grad);
            }
            Decoder::Rbf { sigma } => {
                let sigma = check_sigma(sigma)?;
                check_vector("z", z, z.len())?;
                grad.fill(0.0);
                chain_rbf(z, n, sigma, w, g_w, grad);
            }
        }
        if grad.iter().all(|g| g.is_finite()) {
            Ok(())
        } else {
            Err(SSGFError::NonFiniteResult { quantity: "grad" })
        }
    }
}

/// `n²`, or a parameter error if it overflows `usize`.
fn matrix_len(n: usize) -> Result<usize, SSGFError> {
    n.checked_mul(n).ok_or_else(|| {
        SSGFError::Param(ParamError::new("n", n as f64, "small enough that n*n fits in memory"))
    })
}

/// Gram-softplus onto a zeroed `w`: one softplus per pair, written to both
/// triangles (the reference runs softplus over the full symmetric matrix;
/// the values are the same).
fn decode_gram(z: &[f64], n: usize, w: &mut [f64]) {
    for ((i, j), &zk) in pairs(n).zip(z) {
        let value = softplus(zk);
        set(w, i * n + j, value);
        set(w, j * n + i, value);
    }
}

/// The latent points `p_0 … p_{n−1}` (`D` coordinates each); none if `D = 0`.
fn points(z: &[f64], n: usize) -> impl Iterator<Item = &[f64]> + Clone {
    let d = Decoder::rbf_dim(z.len(), n);
    // chunks_exact(0) panics: with D = 0 there are no points (W = 0).
    z.chunks_exact(d.max(1)).take(if d == 0 { 0 } else { n })
}

/// RBF onto a zeroed `w`.
fn decode_rbf(z: &[f64], n: usize, sigma: f64, w: &mut [f64]) {
    let two_sigma_sq = 2.0 * sigma * sigma;
    for (i, p_i) in points(z, n).enumerate() {
        for (j, p_j) in points(z, n).enumerate().skip(i + 1) {
            let dist_sq = p_i.iter().zip(p_j).fold(0.0, |acc, (a, b)| {
                let diff = a - b;
                acc + diff * diff
            });
            let value = libm::exp(-dist_sq / two_sigma_sq);
            set(w, i * n + j, value);
            set(w, j * n + i, value);
        }
    }
}

/// Gram chain rule, `g_k = (G_ij + G_ji)·σ(z_k)`, overwriting `grad`.
fn chain_gram(z: &[f64], n: usize, g_w: &[f64], grad: &mut [f64]) {
    for ((i, j), (&zk, gk)) in pairs(n).zip(z.iter().zip(grad.iter_mut())) {
        *gk = pair_sum(g_w, n, i, j) * sigmoid(zk);
    }
}

/// RBF chain rule onto a zeroed `grad`.
fn chain_rbf(z: &[f64], n: usize, sigma: f64, w: &[f64], g_w: &[f64], grad: &mut [f64]) {
    let d = Decoder::rbf_dim(z.len(), n);
    let sigma_sq = sigma * sigma;
    for (i, p_i) in points(z, n).enumerate() {
        for (j, p_j) in points(z, n).enumerate().skip(i + 1) {
            let w_ij = at(w, i * n + j);
            let c = pair_sum(g_w, n, i, j);
            // A zero weight or zero pair sum contributes exactly ±0, which
            // leaves every sum unchanged; skipping it also avoids 0·∞ when
            // far-apart points make p_j − p_i overflow (then W_ij = 0).
            if w_ij == 0.0 || c == 0.0 {
                continue;
            }
            for (dim, (a, b)) in p_i.iter().zip(p_j).enumerate() {
                let delta = w_ij * (b - a) / sigma_sq;
                add(grad, i * d + dim, c * delta);
                add(grad, j * d + dim, -(c * delta));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimpleRng;
    use core::f64::consts::LN_2;

    const N4_Z: [f64; 6] = [0.1, -0.3, 0.5, 0.2, -0.1, 0.4];

    /// Symmetric within `tol`, non-negative, zero diagonal.
    fn assert_valid_w(w: &[f64], n: usize, tol: f64) {
        for i in 0..n {
            assert_eq!(w[i * n + i], 0.0, "diagonal {i}");
            for j in 0..n {
                assert!(w[i * n + j] >= 0.0);
                assert!((w[i * n + j] - w[j * n + i]).abs() <= tol);
            }
        }
    }

    #[test]
    fn softplus_values() {
        assert!((softplus(0.0) - LN_2).abs() < 1e-10);
        assert!(softplus(-5.0) > 0.0);
        assert!((softplus(100.0) - 100.0).abs() < 1e-10);
        assert!((softplus(-5.0) - 0.006715348489117967).abs() < 1e-17);
        // The cutoffs are exact and one-sided: 20 itself takes the formula.
        assert_eq!(softplus(20.5), 20.5);
        assert_eq!(softplus(-20.5), 0.0);
        assert!((softplus(20.0) - (20.0 + libm::exp(-20.0))).abs() < 1e-14);
        assert!(softplus(-20.0) > 0.0);
    }

    #[test]
    fn sigmoid_values() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(25.0) - 1.0).abs() < 1e-12);
        assert!(sigmoid(-25.0).abs() < 1e-12);
        assert_eq!(sigmoid(-20.5), 0.0);
        assert!(sigmoid(-20.0) > 0.0);
    }

    #[test]
    fn sigmoid_is_the_central_difference_of_softplus() {
        let h = 1e-7;
        for x in [-3.0, -1.0, 0.0, 1.0, 3.0] {
            let fd = (softplus(x + h) - softplus(x - h)) / (2.0 * h);
            assert!((sigmoid(x) - fd).abs() < 1e-5, "x = {x}");
        }
    }

    #[test]
    fn latent_layout_facts() {
        assert_eq!(latent_len(0), 0);
        assert_eq!(latent_len(1), 0);
        assert_eq!(latent_len(2), 1);
        assert_eq!(latent_len(16), 120);
        assert_eq!(latent_len(usize::MAX), usize::MAX);
        assert_eq!(Decoder::rbf_dim(120, 16), 7);
        assert_eq!(Decoder::rbf_dim(6, 3), 2);
        assert_eq!(Decoder::rbf_dim(5, 0), 0);
        assert_eq!(Decoder::default(), Decoder::GramSoftplus);
    }

    #[test]
    fn pair_index_is_row_major_and_matches_the_closed_form() {
        // The enumeration order of §3.1: k = 0 ↔ (0,1), …, N−2 ↔ (0,N−1), N−1 ↔ (1,2).
        for n in 0..12 {
            let mut count = 0;
            for (k, (i, j)) in pairs(n).enumerate() {
                assert_eq!(pair_index(n, i, j), Some(k));
                assert_eq!(k, i * n - i * (i + 1) / 2 + (j - i - 1));
                count += 1;
            }
            assert_eq!(count, latent_len(n));
        }
        assert_eq!(pair_index(16, 0, 15), Some(14));
        assert_eq!(pair_index(16, 1, 2), Some(15));
        assert_eq!(pair_index(16, 14, 15), Some(119));
        assert_eq!(pair_index(4, 1, 1), None);
        assert_eq!(pair_index(4, 2, 1), None);
        assert_eq!(pair_index(4, 1, 4), None);
        assert_eq!(pair_index(usize::MAX, usize::MAX - 2, usize::MAX - 1), None);
        // i·n fits but k = n − 1 + (j − 2) does not: an overflow panic in
        // debug builds (and a wrapped index in release) before the fix.
        assert_eq!(pair_index(usize::MAX, 1, usize::MAX - 1), None);
        // The largest pair index that still fits: n = 2^(bits−1), k = 2n − 4.
        let n = usize::MAX / 2 + 1;
        assert_eq!(pair_index(n, 1, n - 1), Some(usize::MAX - 3));
    }

    #[test]
    fn gram_n4_example_is_a_valid_weight_matrix() {
        let mut w = [-1.0; 16];
        Decoder::GramSoftplus.decode(&N4_Z, 4, &mut w).unwrap();
        assert_valid_w(&w, 4, 1e-12);
        for (i, j) in pairs(4) {
            let k = pair_index(4, i, j).unwrap();
            assert_eq!(w[i * 4 + j], softplus(N4_Z[k]));
            assert_eq!(w[i * 4 + j], w[j * 4 + i]); // exact
        }
        assert!((w[1] - 0.7443966600735709).abs() < 1e-15); // ln(1 + e^0.1)
    }

    /// z of the seed-42 NodeSpace (§8.5): uniform − 0.5 in index order.
    fn seed42_z() -> [f64; 120] {
        let mut rng = SimpleRng::new(42);
        let mut z = [0.0; 120];
        z.iter_mut().for_each(|x| *x = rng.next_f64() - 0.5);
        z
    }

    #[test]
    fn seed42_weights_match_the_reference() {
        let z = seed42_z();
        assert_eq!(z[0], -0.4999999975358901);
        assert_eq!(z[119], -0.1206948702053241);
        let mut w = [0.0; 256];
        Decoder::GramSoftplus.decode(&z, 16, &mut w).unwrap();
        assert!((w[1] - 0.4740769851104084).abs() < 1e-15);
        assert!((w[8 * 16 + 9] - 0.9361100009996312).abs() < 1e-15);
        assert_valid_w(&w, 16, 0.0);
        Decoder::rbf(1.0).unwrap().decode(&z, 16, &mut w).unwrap();
        assert!((w[1] - 0.6875093979460858).abs() < 1e-15);
        assert_valid_w(&w, 16, 0.0);
    }

    #[test]
    fn rbf_n4_d3_is_a_valid_weight_matrix() {
        let mut z = [0.0; 12];
        z.iter_mut().enumerate().for_each(|(i, x)| *x = 0.1 * i as f64);
        let mut w = [-1.0; 16];
        Decoder::rbf(1.0).unwrap().decode(&z, 4, &mut w).unwrap();
        assert_valid_w(&w, 4, 1e-12);
        // p_0 = (0, .1, .2), p_1 = (.3, .4, .5): ‖Δ‖² = 0.27.
        assert!((w[1] - libm::exp(-0.27 / 2.0)).abs() < 1e-15);
        assert!(w.iter().all(|&x| x <= 1.0));
    }

    #[test]
    fn rbf_coincident_points_give_one() {
        let mut w = [-1.0; 9];
        Decoder::rbf(1.0).unwrap().decode(&[0.0; 6], 3, &mut w).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let expected = if i == j { 0.0 } else { 1.0 };
                assert!((w[i * 3 + j] - expected).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn rbf_ignores_trailing_latents_and_d0_gives_zero() {
        let rbf = Decoder::rbf(0.7).unwrap();
        let mut z = [0.0; 8]; // n = 3: D = 2, z[6..8] unused
        z.iter_mut().enumerate().for_each(|(i, x)| *x = libm::sin(0.9 * i as f64));
        let (mut w1, mut w2) = ([0.0; 9], [0.0; 9]);
        rbf.decode(&z, 3, &mut w1).unwrap();
        z[6] = 100.0;
        z[7] = -5.0;
        rbf.decode(&z, 3, &mut w2).unwrap();
        assert_eq!(w1, w2);
        let mut grad = [1.0; 8];
        rbf.chain(&z, 3, &w2, &[1.0; 9], &mut grad).unwrap();
        assert_eq!(&grad[6..], &[0.0, 0.0]);
        assert!(grad[..6].iter().any(|g| g.abs() > 1e-3));

        let mut w = [1.0; 16];
        rbf.decode(&[0.3, 0.2, 0.1], 4, &mut w).unwrap(); // D = 0
        assert_eq!(w, [0.0; 16]);
        let mut grad = [1.0; 3];
        rbf.chain(&[0.3, 0.2, 0.1], 4, &w, &[1.0; 16], &mut grad).unwrap();
        assert_eq!(grad, [0.0; 3]);
    }

    #[test]
    fn gram_dead_latents_give_zero_weights_and_gradient() {
        let z = [-30.0; 6];
        let mut w = [1.0; 16];
        Decoder::GramSoftplus.decode(&z, 4, &mut w).unwrap();
        assert_eq!(w, [0.0; 16]);
        let mut grad = [1.0; 6];
        Decoder::GramSoftplus.chain(&z, 4, &w, &[3.0; 16], &mut grad).unwrap();
        assert_eq!(grad, [0.0; 6]);
    }

    #[test]
    fn gram_sum_loss_gradient_is_two_sigmoid() {
        // U = ΣW at z = 0: each latent appears twice, so g_k = 2·σ(0) = 1.
        let z = [0.0; 3];
        let mut w = [0.0; 9];
        Decoder::GramSoftplus.decode(&z, 3, &mut w).unwrap();
        let mut grad = [0.0; 3];
        Decoder::GramSoftplus.chain(&z, 3, &w, &[1.0; 9], &mut grad).unwrap();
        assert_eq!(grad, [1.0; 3]);
        // The reference's FD form of the same check (ε = 1e-5).
        let ones = [1.0; 9];
        let eps = 1e-5;
        let fd = (linear_loss(Decoder::GramSoftplus, &[eps, 0.0, 0.0], 3, &ones, &mut w)
            - linear_loss(Decoder::GramSoftplus, &[-eps, 0.0, 0.0], 3, &ones, &mut w))
            / (2.0 * eps);
        assert!((fd - 1.0).abs() < 1e-9, "{fd}");
    }

    /// `c_ij`, deliberately non-symmetric so both `G_ij` and `G_ji` matter.
    fn loss_coefficients<const NN: usize>() -> [f64; NN] {
        let mut c = [0.0; NN];
        c.iter_mut().enumerate().for_each(|(k, x)| *x = libm::sin(1.3 * k as f64 + 0.4) + 0.1 * k as f64);
        c
    }

    /// `U(z) = Σ c_ij W_ij(z)`.
    fn linear_loss(decoder: Decoder, z: &[f64], n: usize, c: &[f64], w: &mut [f64]) -> f64 {
        decoder.decode(z, n, w).unwrap();
        w.iter().zip(c).map(|(w, c)| w * c).sum()
    }

    /// Checks `chain` against central differences of the linear loss.
    fn assert_chain_matches_fd<const L: usize, const NN: usize>(decoder: Decoder, z: [f64; L], n: usize) {
        let c = loss_coefficients::<NN>();
        let mut w = [0.0; NN];
        decoder.decode(&z, n, &mut w).unwrap();
        let mut grad = [f64::NAN; L];
        decoder.chain(&z, n, &w, &c, &mut grad).unwrap();
        let eps = 1e-6;
        for k in 0..L {
            let (mut plus, mut minus) = (z, z);
            plus[k] += eps;
            minus[k] -= eps;
            let mut scratch = [0.0; NN];
            let fd = (linear_loss(decoder, &plus, n, &c, &mut scratch)
                - linear_loss(decoder, &minus, n, &c, &mut scratch))
                / (2.0 * eps);
            assert!((grad[k] - fd).abs() < 1e-7 * (1.0 + fd.abs()), "k = {k}: {} vs {fd}", grad[k]);
        }
        assert!(grad.iter().any(|g| g.abs() > 1e-3));
    }

    #[test]
    fn gram_chain_matches_finite_differences() {
        let mut z = [0.0; 15];
        z.iter_mut().enumerate().for_each(|(k, x)| *x = 0.8 * libm::sin(0.13 * k as f64) + 0.3);
        assert_chain_matches_fd::<15, 36>(Decoder::GramSoftplus, z, 6);
    }

    #[test]
    fn rbf_chain_matches_finite_differences() {
        // N = 4, D = 3, plus one ignored trailing latent.
        let mut z = [0.0; 13];
        z.iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = libm::sin(0.2 * i as f64) + 0.3 * libm::cos(i as f64));
        assert_chain_matches_fd::<13, 16>(Decoder::rbf(0.8).unwrap(), z, 4);
    }

    #[test]
    fn chain_uses_both_triangles_of_g() {
        // Only G_01 set: the gradient must be the same as with only G_10 set.
        let z = N4_Z;
        let mut w = [0.0; 16];
        for decoder in [Decoder::GramSoftplus, Decoder::rbf(1.0).unwrap()] {
            decoder.decode(&z, 4, &mut w).unwrap();
            let (mut upper, mut lower) = ([0.0; 16], [0.0; 16]);
            upper[1] = 1.0;
            lower[4] = 1.0;
            let (mut g_upper, mut g_lower) = ([0.0; 6], [0.0; 6]);
            decoder.chain(&z, 4, &w, &upper, &mut g_upper).unwrap();
            decoder.chain(&z, 4, &w, &lower, &mut g_lower).unwrap();
            assert_eq!(g_upper, g_lower);
            assert!(g_upper.iter().any(|&g| g != 0.0));
        }
    }

    #[test]
    fn rbf_gradient_is_translation_invariant() {
        // W depends only on differences, so ∂U/∂p sums to 0 per coordinate.
        let mut z = [0.0; 12];
        z.iter_mut().enumerate().for_each(|(i, x)| *x = libm::sin(0.2 * i as f64));
        let rbf = Decoder::rbf(1.3).unwrap();
        let mut w = [0.0; 16];
        rbf.decode(&z, 4, &mut w).unwrap();
        let mut grad = [0.0; 12];
        rbf.chain(&z, 4, &w, &loss_coefficients::<16>(), &mut grad).unwrap();
        for dim in 0..3 {
            let total: f64 = (0..4).map(|i| grad[i * 3 + dim]).sum();
            assert!(total.abs() < 1e-14, "dim {dim}: {total}");
        }
        assert!(grad.iter().any(|g| g.abs() > 1e-8));
    }

    #[test]
    fn gram_weights_are_monotone_and_non_negative_over_a_sweep() {
        let mut w = [0.0; 4];
        let mut last = -1.0;
        for step in -300..=300 {
            let x = 0.1 * step as f64;
            Decoder::GramSoftplus.decode(&[x], 2, &mut w).unwrap();
            assert_eq!(w[1], w[2]);
            assert!(w[1] >= 0.0 && w[1] >= last && w[1] >= x);
            last = w[1];
        }
    }

    #[test]
    fn small_n_edge_cases() {
        let mut empty: [f64; 0] = [];
        Decoder::GramSoftplus.decode(&[], 0, &mut empty).unwrap();
        let mut w1 = [5.0];
        Decoder::GramSoftplus.decode(&[], 1, &mut w1).unwrap();
        assert_eq!(w1, [0.0]);
        Decoder::rbf(1.0).unwrap().decode(&[1.0, 2.0], 1, &mut w1).unwrap();
        assert_eq!(w1, [0.0]);
        // The chain rule at n = 0, 1 (no pairs: nothing or zeros), and at
        // n = 2, where the single latent gets (G_01 + G_10)·σ(z).
        Decoder::GramSoftplus.chain(&[], 0, &[], &[], &mut []).unwrap();
        Decoder::GramSoftplus.chain(&[], 1, &[0.0], &[3.0], &mut []).unwrap();
        let mut grad = [9.0; 2];
        Decoder::rbf(1.0).unwrap().chain(&[1.0, 2.0], 1, &[0.0], &[3.0], &mut grad).unwrap();
        assert_eq!(grad, [0.0; 2]);
        let mut w2 = [0.0; 4];
        Decoder::GramSoftplus.decode(&[0.7], 2, &mut w2).unwrap();
        let mut g = [9.0];
        Decoder::GramSoftplus.chain(&[0.7], 2, &w2, &[0.0, 2.0, 0.5, 0.0], &mut g).unwrap();
        assert_eq!(g, [2.5 * sigmoid(0.7)]);
    }

    #[test]
    fn far_apart_rbf_points_have_zero_weight_and_gradient() {
        let z = [1e308, -1e308, 0.0, 0.0];
        let rbf = Decoder::rbf(1.0).unwrap();
        let mut w = [0.0; 4];
        rbf.decode(&z, 2, &mut w).unwrap();
        assert_eq!(w, [0.0; 4]);
        let mut grad = [1.0; 4];
        rbf.chain(&z, 2, &w, &[1.0; 4], &mut grad).unwrap();
        assert_eq!(grad, [0.0; 4]);
    }

    #[test]
    fn length_errors() {
        let gram = Decoder::GramSoftplus;
        let mut w = [0.0; 16];
        assert_eq!(
            gram.decode(&N4_Z, 4, &mut w[..15]),
            Err(SSGFError::Length { field: "w", expected: 16, got: 15 })
        );
        assert_eq!(
            gram.decode(&N4_Z[..5], 4, &mut w),
            Err(SSGFError::Length { field: "z", expected: 6, got: 5 })
        );
        assert!(matches!(
            gram.decode(&N4_Z, usize::MAX, &mut w),
            Err(SSGFError::Param(ParamError { field: "n", .. }))
        ));
        gram.decode(&N4_Z, 4, &mut w).unwrap();
        let g = [1.0; 16];
        let mut grad = [0.0; 6];
        assert_eq!(
            gram.chain(&N4_Z, 4, &w[..9], &g, &mut grad),
            Err(SSGFError::Length { field: "w", expected: 16, got: 9 })
        );
        assert_eq!(
            gram.chain(&N4_Z, 4, &w, &g[..15], &mut grad),
            Err(SSGFError::Length { field: "g_w", expected: 16, got: 15 })
        );
        assert_eq!(
            gram.chain(&N4_Z, 4, &w, &g, &mut grad[..5]),
            Err(SSGFError::Length { field: "grad", expected: 6, got: 5 })
        );
        assert_eq!(
            gram.chain(&N4_Z[..5], 4, &w, &g, &mut grad[..5]),
            Err(SSGFError::Length { field: "z", expected: 6, got: 5 })
        );
    }

    #[test]
    fn non_finite_inputs_are_rejected_and_w_is_kept() {
        let mut z = N4_Z;
        z[2] = f64::NAN;
        let mut w = [7.0; 16];
        for decoder in [Decoder::GramSoftplus, Decoder::rbf(1.0).unwrap()] {
            assert!(matches!(
                decoder.decode(&z, 4, &mut w),
                Err(SSGFError::NonFinite { field: "z", index: 2, .. })
            ));
            assert_eq!(w, [7.0; 16]);
        }
        let mut grad = [0.0; 6];
        let mut g = [0.0; 16];
        g[5] = f64::INFINITY;
        assert!(matches!(
            Decoder::GramSoftplus.chain(&N4_Z, 4, &[0.0; 16], &g, &mut grad),
            Err(SSGFError::NonFinite { field: "g_w", index: 5, .. })
        ));
        assert!(matches!(
            Decoder::GramSoftplus.chain(&z, 4, &[0.0; 16], &[0.0; 16], &mut grad),
            Err(SSGFError::NonFinite { field: "z", index: 2, .. })
        ));
        // Finite inputs whose gradient overflows.
        Decoder::GramSoftplus.decode(&N4_Z, 4, &mut w).unwrap();
        assert_eq!(
            Decoder::GramSoftplus.chain(&N4_Z, 4, &w, &[f64::MAX; 16], &mut grad),
            Err(SSGFError::NonFiniteResult { quantity: "grad" })
        );
    }

    #[test]
    fn rbf_sigma_is_validated() {
        for sigma in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-170, 1e160] {
            assert!(
                matches!(Decoder::rbf(sigma), Err(SSGFError::Param(ParamError { field: "rbf_sigma", .. }))),
                "sigma = {sigma}"
            );
            let bad = Decoder::Rbf { sigma };
            let mut w = [0.0; 9];
            assert!(matches!(bad.decode(&[0.0; 6], 3, &mut w), Err(SSGFError::Param(_))));
            let mut grad = [0.0; 6];
            assert!(matches!(bad.chain(&[0.0; 6], 3, &w, &[0.0; 9], &mut grad), Err(SSGFError::Param(_))));
        }
        assert_eq!(Decoder::rbf(1e-150), Ok(Decoder::Rbf { sigma: 1e-150 }));
    }

    #[test]
    fn rbf_sigma_whose_square_underflows_is_rejected() {
        // 2σ² is the smallest subnormal but σ² rounds to 0: the chain rule
        // divided by 0 and reported coincident points (true gradient 0) as a
        // NonFiniteResult. Such a σ is now refused up front.
        let sigma = 1.2e-162;
        assert!(2.0 * sigma * sigma > 0.0 && sigma * sigma == 0.0);
        assert!(matches!(Decoder::rbf(sigma), Err(SSGFError::Param(ParamError { field: "rbf_sigma", .. }))));
        let mut w = [0.0; 9];
        assert!(matches!(Decoder::Rbf { sigma }.decode(&[0.0; 6], 3, &mut w), Err(SSGFError::Param(_))));
        // An accepted σ just above the boundary gives a finite gradient.
        let sigma = 1.6e-162;
        let rbf = Decoder::rbf(sigma).unwrap();
        rbf.decode(&[0.0; 6], 3, &mut w).unwrap();
        let mut grad = [1.0; 6];
        rbf.chain(&[0.0; 6], 3, &w, &[1.0; 9], &mut grad).unwrap();
        assert_eq!(grad, [0.0; 6]);
    }
}
