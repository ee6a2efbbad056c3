//! The eight SSGF cost terms and their weighted total `U_total` (spec §6),
//! the phase statistics they read (order parameter, PLV proxy, §4), and
//! the analytic `G = ∂Ũ/∂W` of the terms that depend on `W` directly
//! (§7.1).
//!
//! Every cost is infallible: a buffer too short for a term makes that term
//! 0 (the reference's guards, extended where the reference would index out
//! of bounds). Arithmetic follows the reference's order so that goldens
//! agree to the last bits.
//!
//! ```
//! use backfire_nostd::ssgf::costs::{compute_costs, CostInputs, CostWeights};
//! let inputs = CostInputs {
//!     theta: &[0.1, 0.2, 0.3, 0.4],
//!     w: &[0.0; 16],
//!     eigvals: &[0.0, 0.5, 1.0, 1.5],
//!     eigvecs: &[0.0; 16],
//!     phi: &[0.0; 16],
//!     mask: &[false; 4],
//!     p_h1: 0.5,
//!     h: None,
//! };
//! let costs = compute_costs(&inputs, 4, &CostWeights::default());
//! assert!((costs.u_total - 0.040759330434495686).abs() < 1e-15);
//! ```

use crate::check::{ParamError, check_non_negative};
use crate::observers::{check_length, check_vector};

use super::SSGFError;

/// Column of `V` and `Φ` that C7 compares: the Fiedler vector (column 1).
pub const C7_COLUMN: usize = 1;
/// Oscillator whose phase C8 compares with the mean phase.
pub const C8_OSCILLATOR: usize = 7;
/// Floor of `λ1` in C8's denominator.
pub const C8_LAMBDA_FLOOR: f64 = 1e-12;
/// Row of `W` whose mean C9 pulls towards [`C9_TARGET`].
pub const C9_ROW: usize = 8;
/// Target of the mean of row [`C9_ROW`].
pub const C9_TARGET: f64 = 1.0;
/// TCBO threshold `τ_h1`: C4's target, the tcbo gate (`p_h1 > 0.72`) and
/// the H_rec deficit.
pub const TCBO_THRESHOLD: f64 = crate::observers::TAU_H1;
/// Weight of `Σ W_ij²` in R_graph.
pub const R_GRAPH_ALPHA_FROB: f64 = 0.01;
/// Weight of the gap penalty `1/(λ1 + ε)` in R_graph.
pub const R_GRAPH_ALPHA_GAP: f64 = 0.1;
/// `ε` of the gap penalty.
pub const R_GRAPH_EPS: f64 = 1e-8;
/// Weight of `Σ h_ij²` in C_pgbo.
pub const C_PGBO_ALPHA: f64 = 0.01;

/// The weights of `U_total` (spec §2; serde field names as the reference).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CostWeights {
    /// Weight of C_micro, default 1.0.
    pub micro: f64,
    /// Weight of C7_symbolic, default 0.5.
    pub c7: f64,
    /// Weight of C8_phase, default 0.3.
    pub c8: f64,
    /// Weight of C9_memory, default 0.2.
    pub c9: f64,
    /// Weight of C10_boundary, default 0.4.
    pub c10: f64,
    /// Weight of R_graph, default 0.1.
    pub reg: f64,
    /// Weight of C4_tcbo, default 0.3.
    pub c4_tcbo: f64,
    /// Weight of C_pgbo, default 0.05.
    pub pgbo: f64,
}

impl Default for CostWeights {
    fn default() -> Self {
        CostWeights { micro: 1.0, c7: 0.5, c8: 0.3, c9: 0.2, c10: 0.4, reg: 0.1, c4_tcbo: 0.3, pgbo: 0.05 }
    }
}

impl CostWeights {
    /// Checks that every weight is finite and `>= 0` (the reference takes
    /// any number; a negative weight would reward a cost).
    pub fn validate(&self) -> Result<(), SSGFError> {
        let fields = [
            ("micro", self.micro),
            ("c7", self.c7),
            ("c8", self.c8),
            ("c9", self.c9),
            ("c10", self.c10),
            ("reg", self.reg),
            ("c4_tcbo", self.c4_tcbo),
            ("pgbo", self.pgbo),
        ];
        for (field, value) in fields {
            check_non_negative(field, value)?;
        }
        Ok(())
    }
}

/// The full cost breakdown of one evaluation (spec §6, §8.1 `costs`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Costs {
    /// `1 − R(θ)`.
    pub c_micro: f64,
    /// Fiedler vector against the target column.
    pub c7_symbolic: f64,
    /// Phase of oscillator 7 against the mean phase, over `λ1`.
    pub c8_phase: f64,
    /// Mean of row 8 of `W` against 1.
    pub c9_memory: f64,
    /// Mean `W_ij²` across the protected-mask boundary.
    pub c10_boundary: f64,
    /// Frobenius norm and spectral-gap penalty.
    pub r_graph: f64,
    /// TCBO deficit `max(0, 0.72 − p_h1)²`.
    pub c4_tcbo: f64,
    /// `0.01·‖h‖²_F`.
    pub c_pgbo: f64,
    /// The weighted sum of the eight terms.
    pub u_total: f64,
}

/// What the costs read. The node count `n` is passed separately to
/// [`compute_costs`]: it is not assumed to be `theta.len()`.
#[derive(Clone, Copy, Debug)]
pub struct CostInputs<'a> {
    /// Phases after the micro-cycle.
    pub theta: &'a [f64],
    /// Decoded weights, `n×n` row-major.
    pub w: &'a [f64],
    /// Laplacian eigenvalues, ascending.
    pub eigvals: &'a [f64],
    /// Eigenvectors as the columns of an `n×n` row-major matrix.
    pub eigvecs: &'a [f64],
    /// Target eigenvector matrix `Φ`, `n×n` row-major.
    pub phi: &'a [f64],
    /// Protected-node mask.
    pub mask: &'a [bool],
    /// TCBO probability `p_h1`.
    pub p_h1: f64,
    /// PGBO tensor `h`, if PGBO is on.
    pub h: Option<&'a [f64]>,
}

/// All eight costs and `U_total` (spec §6). Infallible: each term applies
/// its own guards for short buffers. `n` sizes C7, C9 and C10; C_micro and
/// C8 read all of `theta`, R_graph all of `w` and `eigvals`, as in the
/// reference.
pub fn compute_costs(inputs: &CostInputs<'_>, n: usize, weights: &CostWeights) -> Costs {
    let mut costs = Costs {
        c_micro: c_micro(inputs.theta),
        c7_symbolic: c7_symbolic(inputs.eigvecs, inputs.phi, n),
        c8_phase: c8_phase(inputs.theta, inputs.eigvals),
        c9_memory: c9_memory(inputs.w, n),
        c10_boundary: c10_boundary(inputs.w, n, inputs.mask),
        r_graph: r_graph(inputs.w, inputs.eigvals),
        c4_tcbo: c4_tcbo(inputs.p_h1),
        c_pgbo: c_pgbo(inputs.h),
        u_total: 0.0,
    };
    costs.u_total = u_total(&costs, weights);
    costs
}

/// The weighted sum, added left to right in the spec's term order.
fn u_total(c: &Costs, w: &CostWeights) -> f64 {
    w.micro * c.c_micro
        + w.c7 * c.c7_symbolic
        + w.c8 * c.c8_phase
        + w.c9 * c.c9_memory
        + w.c10 * c.c10_boundary
        + w.reg * c.r_graph
        + w.c4_tcbo * c.c4_tcbo
        + w.pgbo * c.c_pgbo
}

/// `(Σ sin θ, Σ cos θ)`, summed in index order.
fn phase_sums(theta: &[f64]) -> (f64, f64) {
    theta.iter().fold((0.0, 0.0), |(s, c), &x| (s + libm::sin(x), c + libm::cos(x)))
}

/// A count as `f64` (exact below 2^53, far beyond any slice here).
#[inline]
fn count_f64(n: usize) -> f64 {
    n as f64
}

/// Kuramoto order parameter `R = sqrt((mean sin θ)² + (mean cos θ)²)`,
/// clamped to `[0, 1]`; 0 for an empty `θ` (spec §4): the physics
/// module's, which SSGF shares.
pub use crate::physics::order_parameter;

/// The instantaneous PLV proxy `|cos(θ_i − θ_j)|`, or 0 if either index
/// is out of range (spec §4; not a windowed PLV, §13 item 14).
pub fn plv(theta: &[f64], i: usize, j: usize) -> f64 {
    match (theta.get(i), theta.get(j)) {
        (Some(&a), Some(&b)) => libm::cos(a - b).abs(),
        _ => 0.0,
    }
}

/// `C_micro = 1 − R(θ)`; 1 for an empty `θ`.
pub fn c_micro(theta: &[f64]) -> f64 {
    1.0 - order_parameter(theta)
}

/// `C7 = Σ_r (V_r,1 − Φ_r,1)²`: eigenvector column 1 against the target's
/// column 1.
///
/// 0 if `n < 2` or either buffer is too short. The reference's guard is
/// "shorter than 2n" and it panics for lengths between that and the
/// `(n−1)·n + 2` entries the column needs; here those give 0 as well.
pub fn c7_symbolic(eigvecs: &[f64], phi: &[f64], n: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let needed = (n - 1).checked_mul(n).and_then(|x| x.checked_add(C7_COLUMN + 1));
    match needed {
        Some(needed) if eigvecs.len() >= needed && phi.len() >= needed => {}
        _ => return 0.0,
    }
    column(eigvecs, n).zip(column(phi, n)).fold(0.0, |acc, (v, p)| {
        let d = v - p;
        acc + d * d
    })
}

/// Column [`C7_COLUMN`] of an `n×n` row-major matrix.
fn column(m: &[f64], n: usize) -> impl Iterator<Item = f64> + '_ {
    m.iter().skip(C7_COLUMN).step_by(n).take(n).copied()
}

/// `C8 = sin²(θ_7 − ψ) / max(λ1, 1e-12)` with `ψ = atan2(mean sin θ,
/// mean cos θ)`; π-periodic, so anti-phase counts as aligned.
///
/// 0 if there are fewer than 2 eigenvalues or `len(θ) <= 7`.
pub fn c8_phase(theta: &[f64], eigvals: &[f64]) -> f64 {
    let (Some(&lambda1), Some(&theta7)) = (eigvals.get(1), theta.get(C8_OSCILLATOR)) else {
        return 0.0;
    };
    let len = count_f64(theta.len());
    let (s, c) = phase_sums(theta);
    let psi = libm::atan2(s / len, c / len);
    let x = libm::sin(theta7 - psi);
    x * x / lambda1.max(C8_LAMBDA_FLOOR)
}

/// Row [`C9_ROW`] of an `n×n` matrix, if `n > 8` and `w` holds `n²` entries.
fn c9_row(w: &[f64], n: usize) -> Option<&[f64]> {
    if n <= C9_ROW || w.len() < n.checked_mul(n)? {
        return None;
    }
    w.get(C9_ROW * n..C9_ROW * n + n)
}

/// `ρ = Σ_j W_8j / n`, the mean C9 pulls towards 1.
fn c9_rho(row: &[f64], n: usize) -> f64 {
    row.iter().fold(0.0, |acc, &x| acc + x) / count_f64(n)
}

/// `C9 = (Σ_j W_8j / n − 1)²`; 0 if `n <= 8` or `w` is shorter than `n²`.
/// (The reference's unused "probe" form is not provided.)
pub fn c9_memory(w: &[f64], n: usize) -> f64 {
    match c9_row(w, n) {
        Some(row) => {
            let d = c9_rho(row, n) - C9_TARGET;
            d * d
        }
        None => 0.0,
    }
}

/// The ordered pairs `(i, j)`, `i, j < min(n, len(mask))`, whose mask
/// values differ, with their flat index `i·n + j`.
fn boundary_pairs(n: usize, mask: &[bool]) -> impl Iterator<Item = usize> + '_ {
    let m = &mask[..n.min(mask.len())];
    m.iter().enumerate().flat_map(move |(i, &mi)| {
        m.iter().enumerate().filter(move |&(_, &mj)| mi != mj).map(move |(j, _)| i * n + j)
    })
}

/// `C10 = Σ W_ij² / count` over the ordered pairs with `m_i ≠ m_j`.
///
/// 0 if the mask is empty, all false or all true, and (guards added here,
/// where the reference would index out of bounds) if `w` is shorter than
/// `n²`; only the first `n` mask entries count.
pub fn c10_boundary(w: &[f64], n: usize, mask: &[bool]) -> f64 {
    if n.checked_mul(n).is_none_or(|nn| w.len() < nn) {
        return 0.0;
    }
    let (sum, count) = boundary_pairs(n, mask).fold((0.0, 0usize), |(sum, count), k| {
        let x = w.get(k).copied().unwrap_or(0.0);
        (sum + x * x, count + 1)
    });
    if count == 0 { 0.0 } else { sum / count_f64(count) }
}

/// `R_graph = 0.01·Σ W_ij² + 0.1·P` over all of `w`, with
/// `P = 1/(λ1 + 1e-8)` if there are at least 2 eigenvalues, else 1
/// (λ1 = 0 gives `P = 1e8`, §13 item 11).
pub fn r_graph(w: &[f64], eigvals: &[f64]) -> f64 {
    let frob = w.iter().fold(0.0, |acc, &x| acc + x * x);
    let gap_penalty = match eigvals.get(1) {
        Some(&lambda1) => 1.0 / (lambda1 + R_GRAPH_EPS),
        None => 1.0,
    };
    R_GRAPH_ALPHA_FROB * frob + R_GRAPH_ALPHA_GAP * gap_penalty
}

/// `C4 = max(0, 0.72 − p_h1)²` (a NaN `p_h1` gives 0, like the
/// reference's `max`).
pub fn c4_tcbo(p_h1: f64) -> f64 {
    let deficit = (TCBO_THRESHOLD - p_h1).max(0.0);
    deficit * deficit
}

/// `C_pgbo = 0.01·Σ h_ij²` if `h` is present, else 0.
pub fn c_pgbo(h: Option<&[f64]>) -> f64 {
    h.map_or(0.0, |h| C_PGBO_ALPHA * h.iter().fold(0.0, |acc, &x| acc + x * x))
}

/// How [`analytic_weight_gradient`] writes the C9 term.
///
/// The reference adds `∂C9/∂W_8j` to both `G_8j` and `G_j8`; the decoder's
/// chain rule then sums `G_ij + G_ji`, so its `∂C9/∂z` is twice the true
/// derivative (§7.1, §13 item 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum C9Gradient {
    /// The reference's doubled derivative (bit-parity with its gradient).
    Reference,
    /// The true derivative: half of [`Reference`](Self::Reference)'s C9
    /// term. Only `G_8j` gets it, as row 8 alone enters C9.
    #[default]
    Exact,
}

/// `G = ∂Ũ/∂W` (spec §7.1) into `g_w` (`n×n`, overwritten), each `W_ij`
/// treated as an independent entry, from the terms that depend on `W`
/// directly, added in this order:
///
/// * C9 (only if `n > 8`): `w.c9·2(ρ − 1)/n` on `G_8j` for every `j ≠ 8`,
///   and also on `G_j8` in [`C9Gradient::Reference`] mode;
/// * C10 (only if the mask is mixed): `w.c10·2·W_ij/count` on `G_ij`;
/// * the Frobenius part of R_graph: `w.reg·2·0.01·W_ij` on every `G_ij`.
///
/// C_micro, C7, C8, the gap penalty, C4 and C_pgbo are stop-gradient
/// (§13 item 2).
///
/// # Errors
///
/// Invalid weights; `w` not `n²` finite entries; `mask` not of length `n`;
/// `g_w` not of length `n²`; `n²` overflowing. On error `g_w` is untouched.
pub fn analytic_weight_gradient(
    w: &[f64],
    n: usize,
    mask: &[bool],
    weights: &CostWeights,
    c9: C9Gradient,
    g_w: &mut [f64],
) -> Result<(), SSGFError> {
    weights.validate()?;
    let nn = n.checked_mul(n).ok_or(ParamError::new("n", count_f64(n), "small enough that n*n fits"))?;
    check_vector("w", w, nn)?;
    check_length("mask", mask.len(), n)?;
    check_length("g_w", g_w.len(), nn)?;
    g_w.fill(0.0);
    add_c9_gradient(w, n, weights.c9, c9, g_w);
    add_c10_gradient(w, n, mask, weights.c10, g_w);
    let scale = weights.reg * 2.0 * R_GRAPH_ALPHA_FROB;
    g_w.iter_mut().zip(w).for_each(|(g, &x)| *g += scale * x);
    Ok(())
}

/// `∂(w.c9·C9)/∂W_8j = w.c9·2(ρ − 1)/n` for `j ≠ 8` (the diagonal is not a
/// free entry of any decoder).
fn add_c9_gradient(w: &[f64], n: usize, weight: f64, mode: C9Gradient, g_w: &mut [f64]) {
    let Some(row) = c9_row(w, n) else { return };
    let d = 2.0 * (c9_rho(row, n) - C9_TARGET) / count_f64(n);
    let term = weight * d;
    for j in (0..n).filter(|&j| j != C9_ROW) {
        add(g_w, C9_ROW * n + j, term);
        if mode == C9Gradient::Reference {
            add(g_w, j * n + C9_ROW, term);
        }
    }
}

/// `∂(w.c10·C10)/∂W_ij = w.c10·2·W_ij/count` on the boundary pairs.
fn add_c10_gradient(w: &[f64], n: usize, mask: &[bool], weight: f64, g_w: &mut [f64]) {
    let count = boundary_pairs(n, mask).count();
    if count == 0 {
        return;
    }
    let count = count_f64(count);
    for k in boundary_pairs(n, mask) {
        let x = w.get(k).copied().unwrap_or(0.0);
        add(g_w, k, weight * 2.0 * x / count);
    }
}

#[inline]
fn add(xs: &mut [f64], k: usize, x: f64) {
    if let Some(slot) = xs.get_mut(k) {
        *slot += x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::f64::consts::{FRAC_PI_2, PI};

    const N16: usize = 16;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    // ---- the gram-softplus decoder, for the chain rule ----

    use crate::ssgf::decoder::{Decoder, sigmoid};

    /// k(i, j) for i < j < n.
    fn pair_index(n: usize, i: usize, j: usize) -> usize {
        crate::ssgf::decoder::pair_index(n, i, j).unwrap()
    }

    fn decode(z: &[f64], n: usize, w: &mut [f64]) {
        Decoder::GramSoftplus.decode(z, n, w).unwrap();
    }

    fn fixture_z() -> [f64; 120] {
        core::array::from_fn(|k| 0.5 * libm::sin(0.07 * k as f64))
    }

    /// Central difference of `u ∘ decode` with respect to `z_k`.
    fn fd_z(z: &[f64; 120], k: usize, u: impl Fn(&[f64]) -> f64) -> f64 {
        let eps = 1e-5;
        let mut w = [0.0; 256];
        let (mut zp, mut zm) = (*z, *z);
        zp[k] += eps;
        zm[k] -= eps;
        decode(&zp, N16, &mut w);
        let up = u(&w);
        decode(&zm, N16, &mut w);
        let um = u(&w);
        (up - um) / (2.0 * eps)
    }

    /// `∂U/∂z_k = (G_ij + G_ji)·σ(z_k)` (spec §3.4).
    fn chain(g: &[f64], z: &[f64], n: usize, i: usize, j: usize) -> f64 {
        (g[i * n + j] + g[j * n + i]) * sigmoid(z[pair_index(n, i, j)])
    }

    fn only(f: impl FnOnce(&mut CostWeights)) -> CostWeights {
        let mut w = CostWeights {
            micro: 0.0,
            c7: 0.0,
            c8: 0.0,
            c9: 0.0,
            c10: 0.0,
            reg: 0.0,
            c4_tcbo: 0.0,
            pgbo: 0.0,
        };
        f(&mut w);
        w
    }

    // ---- statistics ----

    #[test]
    fn order_parameter_and_plv() {
        assert!(close(order_parameter(&[1.3; 7]), 1.0, 1e-12));
        assert!(order_parameter(&[0.0, FRAC_PI_2, PI, 3.0 * FRAC_PI_2]) < 1e-12);
        assert_eq!(order_parameter::<f64>(&[]), 0.0);
        assert_eq!(order_parameter(&[2.0]), 1.0); // clamped, not 1 + ulp
        assert_eq!(plv(&[1.0, 1.0], 0, 1), 1.0);
        assert!(close(plv(&[0.0, 2.0], 0, 1), libm::cos(2.0).abs(), 0.0));
        assert_eq!(plv(&[0.0, 2.0], 0, 2), 0.0);
        assert_eq!(plv(&[], 0, 0), 0.0);
    }

    // ---- §10.1 "costs" ----

    #[test]
    fn c_micro_cases() {
        assert!(c_micro(&[0.5; 16]) < 0.01);
        assert!(c_micro(&[0.0, FRAC_PI_2, PI, 3.0 * FRAC_PI_2]) > 0.9);
        assert_eq!(c_micro(&[]), 1.0);
    }

    #[test]
    fn c7_cases() {
        assert_eq!(c7_symbolic(&[1.0; 16], &[1.0; 16], 4), 0.0);
        let mut phi = [0.0; 16];
        (0..4).for_each(|r| phi[r * 4 + 1] = 1.0);
        assert_eq!(c7_symbolic(&[0.0; 16], &phi, 4), 4.0);
        assert_eq!(c7_symbolic(&[0.5], &[0.0], 1), 0.0);
        // Φ = I, V = rotation in the (0, 1) plane: 2 − 2·V_11.
        let (c, s) = (libm::cos(0.3), libm::sin(0.3));
        let v = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
        let id = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert!(close(c7_symbolic(&v, &id, 3), 2.0 - 2.0 * c, 1e-15));
    }

    #[test]
    fn c7_short_buffers_give_zero() {
        // 2n ≤ len < (n−1)·n + 2: the reference panics; here 0.
        assert_eq!(c7_symbolic(&[1.0; 8], &[0.0; 16], 4), 0.0);
        assert_eq!(c7_symbolic(&[1.0; 16], &[0.0; 13], 4), 0.0);
        // Exactly the needed (n−1)·n + 2 = 14 entries is enough.
        assert_eq!(c7_symbolic(&[1.0; 14], &[0.0; 14], 4), 4.0);
        assert_eq!(c7_symbolic(&[], &[], usize::MAX), 0.0);
    }

    #[test]
    fn c8_cases() {
        let theta: [f64; 16] = core::array::from_fn(|i| 0.1 * i as f64);
        let eig = [0.0, 0.5, 1.0, 1.5];
        let c8 = c8_phase(&theta, &eig);
        assert!(c8 >= 0.0);
        assert_eq!(c8, 0.0049958347219742644); // bit-exact
        assert_eq!(c8_phase(&theta, &[0.5]), 0.0);
        assert_eq!(c8_phase(&[0.1, 0.2, 0.3, 0.4], &eig), 0.0);
        assert_eq!(c8_phase(&theta[..7], &eig), 0.0);
        assert!(c8_phase(&theta[..8], &eig) > 0.0);
        // λ1 floored at 1e-12; π-periodic (anti-phase counts as aligned).
        let mut anti = [0.0; 8];
        anti[C8_OSCILLATOR] = PI;
        assert!(c8_phase(&anti, &[0.0, 0.0]) < 1e-6);
        let mut quarter = [0.0; 8];
        quarter[C8_OSCILLATOR] = FRAC_PI_2;
        let psi = libm::atan2(1.0 / 8.0, 7.0 / 8.0);
        let s = libm::sin(FRAC_PI_2 - psi);
        assert_eq!(c8_phase(&quarter, &[0.0, -1.0]), s * s / 1e-12);
    }

    #[test]
    fn c9_cases() {
        let mut w = [0.5; 256];
        w[8 * 16..9 * 16].fill(1.0);
        assert_eq!(c9_memory(&w, 16), 0.0);
        assert_eq!(c9_memory(&[0.5; 4], 2), 0.0);
        assert_eq!(c9_memory(&[1.0; 64], 8), 0.0); // n ≤ 8
        assert_eq!(c9_memory(&w[..255], 16), 0.0); // shorter than n²
        assert!(close(c9_memory(&[0.5; 81], 9), 0.25, 1e-15));
        assert_eq!(c9_memory(&[], usize::MAX), 0.0);
    }

    #[test]
    fn c10_cases() {
        let ones = [1.0; 16];
        assert_eq!(c10_boundary(&ones, 4, &[false; 4]), 0.0);
        let c10 = c10_boundary(&ones, 4, &[true, true, false, false]);
        assert!(c10 > 0.0);
        assert_eq!(c10, 1.0);
        assert_eq!(c10_boundary(&ones, 4, &[true; 4]), 0.0);
        assert_eq!(c10_boundary(&ones, 4, &[]), 0.0);
        // The mean of W_ij² over the 2·1·2 = 4 ordered boundary pairs.
        let w: [f64; 9] = core::array::from_fn(|k| k as f64);
        // Mask [T, F, F]: pairs (0,1), (0,2), (1,0), (2,0) = flat 1, 2, 3, 6.
        assert_eq!(c10_boundary(&w, 3, &[true, false, false]), (1.0 + 4.0 + 9.0 + 36.0) / 4.0);
        assert_eq!(c10_boundary(&w[..8], 3, &[true, false, false]), 0.0);
    }

    #[test]
    fn c4_cases() {
        assert_eq!(c4_tcbo(0.9), 0.0);
        assert!(close(c4_tcbo(0.5), 0.0484, 1e-12));
        assert!(close(c4_tcbo(0.0), 0.5184, 1e-15));
        assert_eq!(c4_tcbo(f64::NAN), 0.0);
    }

    #[test]
    fn r_graph_cases() {
        let w = [0.0, 1.0, 0.5, 1.0, 0.0, 0.8, 0.5, 0.8, 0.0];
        let frob: f64 = w.iter().map(|x| x * x).sum();
        let expect = 0.01 * frob + 0.1 / (0.5 + 1e-8);
        assert!(close(r_graph(&w, &[0.0, 0.5, 1.5]), expect, 1e-8));
        assert!(close(r_graph(&[1.0; 4], &[0.0]), 0.14, 1e-15));
        assert!(close(r_graph(&[], &[0.0, 0.0]), 0.1 * 1e8, 1e-6));
    }

    #[test]
    fn c_pgbo_cases() {
        assert!(close(c_pgbo(Some(&[1.0, 0.5, 0.5, 1.0])), 0.025, 1e-15));
        assert_eq!(c_pgbo(None), 0.0);
    }

    fn n4_inputs<'a>(theta: &'a [f64], h: Option<&'a [f64]>, p_h1: f64) -> CostInputs<'a> {
        CostInputs {
            theta,
            w: &[0.0; 16],
            eigvals: &[0.0, 0.5, 1.0, 1.5],
            eigvecs: &[0.0; 16],
            phi: &[0.0; 16],
            mask: &[false; 4],
            p_h1,
            h,
        }
    }

    #[test]
    fn compute_costs_n4_exact() {
        let c = compute_costs(&n4_inputs(&[0.1, 0.2, 0.3, 0.4], None, 0.5), 4, &CostWeights::default());
        assert!(c.u_total > 0.0 && c.c_micro > 0.0);
        // Bit-exact with the reference.
        assert_eq!(c.c_micro, 0.006239330834495682);
        assert_eq!(c.r_graph, 0.19999999600000007);
        assert_eq!(c.u_total, 0.040759330434495686);
        assert_eq!(
            (c.c7_symbolic, c.c8_phase, c.c9_memory, c.c10_boundary, c.c_pgbo),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
        assert!(close(c.c4_tcbo, 0.0484, 1e-15));
    }

    #[test]
    fn compute_costs_with_pgbo() {
        let h = [1.0; 16];
        let c = compute_costs(&n4_inputs(&[0.5; 4], Some(&h), 0.9), 4, &CostWeights::default());
        assert!(c.c_pgbo > 0.0);
        assert!(close(c.c_pgbo, 0.16, 1e-15));
        assert_eq!(c.c4_tcbo, 0.0);
        let sum = c.c_micro + 0.1 * c.r_graph + 0.05 * c.c_pgbo;
        assert!(close(c.u_total, sum, 1e-15));
    }

    #[test]
    fn u_total_is_the_weighted_sum_of_every_term() {
        // All eight terms non-zero at N = 9 with a mixed mask.
        let n = 9;
        let theta: [f64; 9] = core::array::from_fn(|i| 0.3 * i as f64);
        let w: [f64; 81] = core::array::from_fn(|k| if k % 10 == 0 { 0.0 } else { 0.2 + 0.01 * k as f64 });
        let v: [f64; 81] = core::array::from_fn(|k| libm::sin(k as f64));
        let phi: [f64; 81] = core::array::from_fn(|k| if k % 10 == 0 { 1.0 } else { 0.0 });
        let mask = [true, false, true, false, false, false, false, false, false];
        let eig = [0.0, 0.7, 1.1];
        let h = [0.3; 81];
        let inputs = CostInputs {
            theta: &theta,
            w: &w,
            eigvals: &eig,
            eigvecs: &v,
            phi: &phi,
            mask: &mask,
            p_h1: 0.1,
            h: Some(&h),
        };
        let weights = CostWeights {
            micro: 1.5,
            c7: 0.25,
            c8: 0.75,
            c9: 2.0,
            c10: 3.0,
            reg: 0.5,
            c4_tcbo: 4.0,
            pgbo: 0.125,
        };
        let c = compute_costs(&inputs, n, &weights);
        let terms = [
            (c.c_micro, c_micro(&theta), 1.5),
            (c.c7_symbolic, c7_symbolic(&v, &phi, n), 0.25),
            (c.c8_phase, c8_phase(&theta, &eig), 0.75),
            (c.c9_memory, c9_memory(&w, n), 2.0),
            (c.c10_boundary, c10_boundary(&w, n, &mask), 3.0),
            (c.r_graph, r_graph(&w, &eig), 0.5),
            (c.c4_tcbo, c4_tcbo(0.1), 4.0),
            (c.c_pgbo, c_pgbo(Some(&h)), 0.125),
        ];
        let mut total = 0.0;
        for (got, expect, weight) in terms {
            assert!(got > 0.0);
            assert_eq!(got, expect);
            total += weight * got;
        }
        assert_eq!(c.u_total, total);
    }

    #[test]
    fn default_weights() {
        let w = CostWeights::default();
        assert_eq!((w.micro, w.c7, w.pgbo), (1.0, 0.5, 0.05));
        assert_eq!((w.c8, w.c9, w.c10, w.reg, w.c4_tcbo), (0.3, 0.2, 0.4, 0.1, 0.3));
        assert!(w.validate().is_ok());
    }

    #[test]
    fn weights_validation() {
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            let e = CostWeights { c10: bad, ..Default::default() }.validate().unwrap_err();
            match e {
                SSGFError::Param(p) => assert_eq!(p.field, "c10"),
                other => panic!("{other:?}"),
            }
        }
        assert!(CostWeights { micro: 0.0, ..Default::default() }.validate().is_ok());
    }

    // ---- §7.1 analytic ∂U/∂W ----

    fn c9_ratio(mode: C9Gradient, i: usize, j: usize) -> f64 {
        let z = fixture_z();
        let mut w = [0.0; 256];
        decode(&z, N16, &mut w);
        let weights = only(|w| w.c9 = 0.2);
        let mut g = [0.0; 256];
        analytic_weight_gradient(&w, N16, &[false; 16], &weights, mode, &mut g).unwrap();
        let fd = fd_z(&z, pair_index(N16, i, j), |w| 0.2 * c9_memory(w, N16));
        assert!(fd.abs() > 1e-4, "C9 must be active: {fd}");
        chain(&g, &z, N16, i, j) / fd
    }

    #[test]
    fn c9_gradient_exact_vs_reference_ratio() {
        for (i, j) in [(8, 9), (3, 8)] {
            let exact = c9_ratio(C9Gradient::Exact, i, j);
            let reference = c9_ratio(C9Gradient::Reference, i, j);
            assert!(close(exact, 1.0, 1e-6), "exact ({i},{j}): {exact}");
            assert!(close(reference, 2.0, 1e-6), "reference ({i},{j}): {reference}");
        }
        // A pair off row/column 8 gets no C9 gradient.
        let z = fixture_z();
        let mut w = [0.0; 256];
        decode(&z, N16, &mut w);
        let mut g = [0.0; 256];
        analytic_weight_gradient(&w, N16, &[false; 16], &only(|w| w.c9 = 0.2), C9Gradient::Reference, &mut g)
            .unwrap();
        assert_eq!(chain(&g, &z, N16, 3, 4), 0.0);
        assert_eq!(g[8 * 16 + 8], 0.0);
        assert_eq!(C9Gradient::default(), C9Gradient::Exact);
    }

    /// Central difference of `u` with respect to the single entry `W_k`.
    fn fd_entry(w: &[f64], k: usize, u: impl Fn(&[f64]) -> f64) -> f64 {
        let eps = 1e-6;
        let mut wp = [0.0; 256];
        let wp = &mut wp[..w.len()];
        wp.copy_from_slice(w);
        wp[k] = w[k] + eps;
        let up = u(wp);
        wp[k] = w[k] - eps;
        let um = u(wp);
        (up - um) / (2.0 * eps)
    }

    #[test]
    fn gradient_matches_fd_per_entry() {
        // C9 (exact mode), C10 and the Frobenius term, each entry of W
        // independent; U from the cost functions themselves.
        let n = 10;
        let w: [f64; 100] = core::array::from_fn(|k| {
            if k % 11 == 0 { 0.0 } else { 0.3 + 0.4 * libm::sin(0.37 * k as f64).abs() }
        });
        let mask = [true, false, false, true, true, false, false, false, true, false];
        let weights = only(|w| {
            w.c9 = 0.2;
            w.c10 = 0.4;
            w.reg = 0.1;
        });
        let mut g = [0.0; 100];
        analytic_weight_gradient(&w, n, &mask, &weights, C9Gradient::Exact, &mut g).unwrap();
        let u = |w: &[f64]| {
            0.2 * c9_memory(w, n) + 0.4 * c10_boundary(w, n, &mask) + 0.1 * (r_graph(w, &[]) - 0.1)
        };
        // The diagonal is no decoder's free entry: like the reference, the
        // C9 term skips W_88 (which C9's row sum does contain).
        for k in (0..100).filter(|k| k % 11 != 0) {
            let fd = fd_entry(&w, k, u);
            assert!(close(g[k], fd, 1e-8), "k={k}: {} vs {fd}", g[k]);
        }
    }

    #[test]
    fn gradient_terms_separately() {
        let n = 4;
        let w: [f64; 16] = core::array::from_fn(|k| if k % 5 == 0 { 0.0 } else { 0.1 * k as f64 });
        let mask = [true, true, false, false];
        let mut g = [0.0; 16];
        // C10 alone: exactly 2·w.c10·W_ij/8 on the 8 boundary pairs, 0 elsewhere.
        analytic_weight_gradient(&w, n, &mask, &only(|w| w.c10 = 0.4), C9Gradient::Exact, &mut g).unwrap();
        for i in 0..n {
            for j in 0..n {
                let expect = if mask[i] != mask[j] { 0.4 * 2.0 * w[i * n + j] / 8.0 } else { 0.0 };
                assert_eq!(g[i * n + j], expect);
                assert!(close(
                    g[i * n + j],
                    fd_entry(&w, i * n + j, |w| 0.4 * c10_boundary(w, n, &mask)),
                    1e-9
                ));
            }
        }
        // Frobenius alone: 0.002·W_ij; for gram that is g_k = 0.04·w.reg·W·σ / 2 per G entry.
        analytic_weight_gradient(&w, n, &[false; 4], &only(|w| w.reg = 0.1), C9Gradient::Exact, &mut g)
            .unwrap();
        for k in 0..16 {
            assert!(close(g[k], 0.002 * w[k], 1e-18));
            assert!(close(g[k], fd_entry(&w, k, |w| 0.1 * r_graph(w, &[])), 1e-9));
        }
        // A uniform mask gives no C10 gradient; the output is overwritten.
        g.fill(7.0);
        analytic_weight_gradient(&w, n, &[true; 4], &only(|w| w.c10 = 0.4), C9Gradient::Exact, &mut g)
            .unwrap();
        assert!(g.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn gradient_errors_leave_output_untouched() {
        let w = [0.5; 16];
        let mut g = [9.0; 16];
        let weights = CostWeights::default();
        let exact = C9Gradient::Exact;
        let length = |field: &'static str, expected, got| SSGFError::Length { field, expected, got };
        assert_eq!(
            analytic_weight_gradient(&w[..15], 4, &[false; 4], &weights, exact, &mut g),
            Err(length("w", 16, 15))
        );
        assert_eq!(
            analytic_weight_gradient(&w, 4, &[false; 3], &weights, exact, &mut g),
            Err(length("mask", 4, 3))
        );
        assert_eq!(
            analytic_weight_gradient(&w, 4, &[false; 4], &weights, exact, &mut g[..4]),
            Err(length("g_w", 16, 4))
        );
        let mut bad_w = w;
        bad_w[3] = f64::NAN;
        assert!(matches!(
            analytic_weight_gradient(&bad_w, 4, &[false; 4], &weights, exact, &mut g),
            Err(SSGFError::NonFinite { field: "w", index: 3, .. })
        ));
        let bad = CostWeights { reg: -1.0, ..weights };
        assert!(matches!(
            analytic_weight_gradient(&w, 4, &[false; 4], &bad, exact, &mut g),
            Err(SSGFError::Param(_))
        ));
        assert!(matches!(
            analytic_weight_gradient(&[], usize::MAX, &[], &weights, exact, &mut []),
            Err(SSGFError::Param(_))
        ));
        assert!(g.iter().all(|&x| x == 9.0));
        assert_eq!(analytic_weight_gradient(&[], 0, &[], &weights, exact, &mut []), Ok(()));
    }

    #[test]
    fn gram_frobenius_chain_matches_spec_closed_form() {
        // §7.1: for gram, g_k = 4·0.01·w.reg·W_ij·σ(z_k).
        let z = fixture_z();
        let mut w = [0.0; 256];
        decode(&z, N16, &mut w);
        let mut g = [0.0; 256];
        analytic_weight_gradient(&w, N16, &[false; 16], &only(|w| w.reg = 0.1), C9Gradient::Exact, &mut g)
            .unwrap();
        for (i, j) in [(0, 1), (3, 8), (14, 15)] {
            let k = pair_index(N16, i, j);
            let expect = 4.0 * 0.01 * 0.1 * w[i * 16 + j] * sigmoid(z[k]);
            assert!(close(chain(&g, &z, N16, i, j), expect, 1e-15));
            let fd = fd_z(&z, k, |w| 0.1 * r_graph(w, &[]));
            assert!(close(chain(&g, &z, N16, i, j), fd, 1e-9));
        }
    }

    #[test]
    fn costs_are_bounded_on_random_inputs() {
        // Property: on arbitrary finite inputs of any length, no term
        // panics and the bounded ones stay in range.
        let mut rng = crate::rng::SimpleRng::new(7);
        for _ in 0..200 {
            let n = (rng.next_u64() % 20) as usize;
            let len = |rng: &mut crate::rng::SimpleRng| (rng.next_u64() % 420) as usize;
            let mut buf = [[0.0; 420]; 4];
            for b in buf.iter_mut() {
                b.iter_mut().for_each(|x| *x = 4.0 * rng.next_f64() - 2.0);
            }
            let (lt, lw, le, lv) = (len(&mut rng), len(&mut rng), len(&mut rng) % 20, len(&mut rng));
            let mask: [bool; 20] = core::array::from_fn(|_| rng.next_u64() % 2 == 0);
            let inputs = CostInputs {
                theta: &buf[0][..lt % 30],
                w: &buf[1][..lw],
                eigvals: &buf[2][..le],
                eigvecs: &buf[3][..lv],
                phi: &buf[2][..lv],
                mask: &mask[..n],
                p_h1: rng.next_f64(),
                h: Some(&buf[0][..lw]),
            };
            let c = compute_costs(&inputs, n, &CostWeights::default());
            assert!((0.0..=1.0).contains(&c.c_micro));
            assert!(c.c7_symbolic >= 0.0 && c.c9_memory >= 0.0 && c.c10_boundary >= 0.0 && c.c_pgbo >= 0.0);
            assert!((0.0..=0.5184).contains(&c.c4_tcbo));
            assert!(c.c8_phase >= 0.0);
        }
    }
}
