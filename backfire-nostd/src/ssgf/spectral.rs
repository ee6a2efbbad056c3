//! The spectral bridge (spec §5): the normalised Laplacian of `W`, a cyclic
//! Jacobi eigensolver, the sort and clamp of the eigenpairs, and the sign
//! gauge that keeps eigenvector signs stable from one call to the next.
//!
//! ```text
//!  W ──► L_sym = I − D^{-1/2} W D^{-1/2} ──Jacobi──► diag(A), V ──clamp, stable sort──► (λ↑, V) ──gauge──► out, previous
//! ```
//!
//! The Jacobi solver is the reference's, step for step (thresholds, skip
//! rule, Rutishauser update order): the goldens of the engine depend on its
//! exact rounding, so it is not replaced by a faster method (spec §13 item
//! 9). Unlike the reference, it reports whether it converged
//! ([`JacobiOutcome`]).
//!
//! ```
//! use backfire_nostd::ssgf::spectral::{Gauge, SpectralBridge, fiedler_value};
//! // K4 with unit weights: λ = [0, 4/3, 4/3, 4/3].
//! let w: [f64; 16] = core::array::from_fn(|k| if k / 4 == k % 4 { 0.0 } else { 1.0 });
//! let (mut work, mut prev, mut v) = ([0.0; 16], [0.0; 16], [0.0; 16]);
//! let (mut scratch, mut lambda) = ([0.0; 4], [0.0; 4]);
//! let mut bridge = SpectralBridge::new(Gauge::Sign);
//! let outcome = bridge.eigenpairs(&w, 4, &mut work, &mut scratch, &mut lambda, &mut v, &mut prev).unwrap();
//! assert!(outcome.converged);
//! assert!(lambda[0].abs() < 1e-12);
//! assert!((fiedler_value(&lambda) - 4.0 / 3.0).abs() < 1e-12);
//! ```

use crate::num::sqrt;
use crate::observers::{check_length, check_vector};
use crate::slices::{at, copy, rows, rows_mut, set};

use super::SSGFError;

/// Degrees at or below this count as zero: the node is isolated (§5.1).
const DEGREE_FLOOR: f64 = 1e-12;
/// The Jacobi solver gives up after this many sweeps (§5.2).
const MAX_SWEEPS: usize = 50;
/// Converged once every off-diagonal `|A_pq|` is below this (absolute, §5.2).
const JACOBI_TOL: f64 = 1e-14;
/// Sweeps `0..EARLY_SWEEPS` skip pairs below `0.2·max_off/N²`.
const EARLY_SWEEPS: usize = 4;
/// Factor of the early-sweep skip threshold.
const EARLY_THRESHOLD: f64 = 0.2;
/// `|A_qq − A_pp|` below this is treated as a tie: a 45° rotation.
const TIE: f64 = 1e-300;
/// `spectral_gap` needs `λ2` at least this (§5.5).
const GAP_FLOOR: f64 = 1e-12;
/// A previous eigenvector whose squared norm is further than this from 1
/// is not used (see [`SpectralBridge::eigenpairs`]). A bridge's own output
/// is unit to ≈ 1e-15, and drifts by ≈ 1e-13 over 10⁵ warm calls.
const UNIT_TOL: f64 = 1e-9;

/// How eigenvector signs are fixed on the calls after the first (§5.4).
/// The first call of a bridge always uses the largest-entry-positive rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Gauge {
    /// Leave the signs as the solver gives them (the FD gradient's bridge).
    None,
    /// Negate a column whose dot product with the previous call's column is
    /// negative (the engine's bridge).
    #[default]
    Sign,
}

/// What the Jacobi solver did.
///
/// The solver checks `max_{p<q} |A_pq| < 1e-14` at the start of each sweep
/// and stops there; `sweeps` counts the sweeps that ran (performed
/// rotations) before that. If 50 sweeps ran, the same check is made once
/// more on the final matrix: `converged` tells whether it passed. The
/// seed-42 default `W` gives `sweeps = 7`, `converged = true` (the 8th
/// check passes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct JacobiOutcome {
    /// Sweeps that performed rotations, `0..=50`.
    pub sweeps: usize,
    /// Whether every off-diagonal entry ended below `1e-14` in magnitude.
    /// The reference gives no such flag; a `false` here means it would have
    /// returned the unconverged matrix silently, as this solver also does.
    pub converged: bool,
}

/// The normalised Laplacian `L_ij = δ_ij − s_i·W_ij·s_j` of `w` (`n × n`)
/// into `l` (`n × n`), with `s_i = 1/√d_i` for the degree
/// `d_i = Σ_j W_ij` if `d_i > 1e-12`, else 0 (spec §5.1).
/// `inv_sqrt_deg` (length `n`) is scratch and receives the `s_i`.
///
/// Isolated nodes (`s_i = 0`: `d_i ≤ 1e-12`, or a degree that overflows
/// to +∞) get row **and** column zeroed, diagonal included, so each gives
/// the eigenvalue 0 rather than the textbook 1.
///
/// Every entry is computed as §5.1 writes it, `(s_i·W_ij)·s_j`, so `L_ij`
/// and `L_ji` can differ in the last bit (the solver only needs them
/// close); `W` is not checked for symmetry or sign.
///
/// # Errors
///
/// `w` must have `n²` finite entries, `l` length `n²` and `inv_sqrt_deg`
/// length `n`. Nothing is written on error.
pub fn normalized_laplacian(
    w: &[f64],
    n: usize,
    l: &mut [f64],
    inv_sqrt_deg: &mut [f64],
) -> Result<(), SSGFError> {
    let nn = n.saturating_mul(n);
    check_vector("w", w, nn)?;
    check_length("l", l.len(), nn)?;
    check_length("inv_sqrt_deg", inv_sqrt_deg.len(), n)?;
    for (s, row) in inv_sqrt_deg.iter_mut().zip(rows(w, n)) {
        let degree = row.iter().fold(0.0, |acc, &x| acc + x);
        *s = if degree > DEGREE_FLOOR { 1.0 / sqrt(degree) } else { 0.0 };
    }
    let s: &[f64] = inv_sqrt_deg;
    for (i, (l_row, w_row)) in rows_mut(l, n).zip(rows(w, n)).enumerate() {
        let s_i = at(s, i);
        for (j, (l_ij, (&w_ij, &s_j))) in l_row.iter_mut().zip(w_row.iter().zip(s)).enumerate() {
            let delta = if i == j { 1.0 } else { 0.0 };
            *l_ij = delta - s_i * w_ij * s_j;
        }
    }
    for i in s.iter().enumerate().filter(|(_, s_i)| **s_i == 0.0).map(|(i, _)| i) {
        for (j, l_row) in rows_mut(l, n).enumerate() {
            if j == i {
                l_row.iter_mut().for_each(|x| *x = 0.0);
            } else {
                set(l_row, i, 0.0);
            }
        }
    }
    Ok(())
}

/// `max_{p<q} |A_pq|`, over the upper triangle (NaN entries are ignored).
fn max_off_diagonal(a: &[f64], n: usize) -> f64 {
    rows(a, n).enumerate().fold(0.0, |m, (p, row)| {
        row.iter().skip(p + 1).fold(m, |m, &x| if x.abs() > m { x.abs() } else { m })
    })
}

/// `t = tan φ` of the rotation that zeroes `A_pq = apq`, the smaller root
/// (§5.2), or ±1 when the diagonal entries tie.
fn rotation_tangent(app: f64, aqq: f64, apq: f64) -> f64 {
    let diff = aqq - app;
    if diff.abs() < TIE {
        return if apq > 0.0 { 1.0 } else { -1.0 };
    }
    let tau = diff / (2.0 * apq);
    if tau >= 0.0 { 1.0 / (tau + sqrt(1.0 + tau * tau)) } else { -1.0 / (-tau + sqrt(1.0 + tau * tau)) }
}

/// One Jacobi rotation in the plane `(p, q)`, `p < q`, in the Rutishauser
/// form; accumulates it into the columns `p`, `q` of `v`.
fn rotate(a: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize) {
    let (pp, qq, pq, qp) = (p * n + p, q * n + q, p * n + q, q * n + p);
    let apq = at(a, pq);
    let t = rotation_tangent(at(a, pp), at(a, qq), apq);
    let c = 1.0 / sqrt(1.0 + t * t);
    let s = t * c;
    let rho = s / (1.0 + c);
    set(a, pp, at(a, pp) - t * apq);
    set(a, qq, at(a, qq) + t * apq);
    set(a, pq, 0.0);
    set(a, qp, 0.0);
    for r in (0..n).filter(|&r| r != p && r != q) {
        // Both updates read the old A_rp and A_rq (the column entries).
        let (arp, arq) = (at(a, r * n + p), at(a, r * n + q));
        let new_rp = arp - s * (arq + rho * arp);
        let new_rq = arq + s * (arp - rho * arq);
        set(a, r * n + p, new_rp);
        set(a, p * n + r, new_rp);
        set(a, r * n + q, new_rq);
        set(a, q * n + r, new_rq);
    }
    for row in rows_mut(v, n) {
        let (vrp, vrq) = (at(row, p), at(row, q));
        set(row, p, vrp - s * (vrq + rho * vrp));
        set(row, q, vrq + s * (vrp - rho * vrq));
    }
}

/// One cyclic sweep over the pairs `p < q` in row order, skipping pairs
/// with `|A_pq| < threshold`.
fn sweep(a: &mut [f64], v: &mut [f64], n: usize, threshold: f64) {
    for p in 0..n {
        for q in p + 1..n {
            if at(a, p * n + q).abs() >= threshold {
                rotate(a, v, n, p, q);
            }
        }
    }
}

/// In-place cyclic Jacobi on `a` (`n × n`, symmetric) exactly as spec §5.2
/// gives it: `v` (`n × n`) is set to `I` and accumulates the rotations, so
/// its **columns** are the eigenvectors; the eigenvalues are left on the
/// diagonal of `a`, unsorted.
///
/// At most 50 sweeps; sweeps 0–3 skip pairs with
/// `|A_pq| < 0.2·max_off/N²`, later sweeps rotate every pair (exact zeros
/// too, as the reference does). Not converging within 50 sweeps is not an
/// error: the result is returned as is and [`JacobiOutcome::converged`] is
/// false. Only the entries of `a` are read, never checked for symmetry (a
/// Laplacian's mirrored entries can differ in the last bit).
///
/// ```
/// use backfire_nostd::ssgf::spectral::jacobi_eigen;
/// let mut a = [2.0, 1.0, 1.0, 2.0];
/// let mut v = [0.0; 4];
/// let outcome = jacobi_eigen(&mut a, &mut v, 2).unwrap();
/// assert!(outcome.converged);
/// assert!((a[0] - 1.0).abs() < 1e-15 && (a[3] - 3.0).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// `a` must have `n²` finite entries and `v` length `n²`; nothing is
/// written then. If the rotations overflow (entries near `f64::MAX`) the
/// result is [`SSGFError::NonFiniteResult`], with `a` and `v` holding the
/// partial result.
pub fn jacobi_eigen(a: &mut [f64], v: &mut [f64], n: usize) -> Result<JacobiOutcome, SSGFError> {
    let nn = n.saturating_mul(n);
    check_vector("a", a, nn)?;
    check_length("v", v.len(), nn)?;
    for (r, row) in rows_mut(v, n).enumerate() {
        row.iter_mut().enumerate().for_each(|(c, x)| *x = if r == c { 1.0 } else { 0.0 });
    }
    jacobi_sweeps(a, v, n)
}

/// The sweeps of [`jacobi_eigen`], accumulating the rotations onto `v` as
/// it is (the identity for a cold start, the previous eigenvectors for a
/// warm one). Lengths are the caller's to check.
fn jacobi_sweeps(a: &mut [f64], v: &mut [f64], n: usize) -> Result<JacobiOutcome, SSGFError> {
    let nn = n.saturating_mul(n);
    // Exact: n² is a slice length, far below 2^53.
    let n_squared = nn as f64;
    let mut outcome = JacobiOutcome { sweeps: MAX_SWEEPS, converged: false };
    for k in 0..MAX_SWEEPS {
        let max_off = max_off_diagonal(a, n);
        if max_off < JACOBI_TOL {
            outcome = JacobiOutcome { sweeps: k, converged: true };
            break;
        }
        let threshold = if k < EARLY_SWEEPS { EARLY_THRESHOLD * max_off / n_squared } else { 0.0 };
        sweep(a, v, n, threshold);
    }
    if !outcome.converged {
        // Not part of the reference's loop: only the report looks again.
        outcome.converged = max_off_diagonal(a, n) < JACOBI_TOL;
    }
    if a.iter().chain(v.iter()).any(|x| !x.is_finite()) {
        return Err(SSGFError::NonFiniteResult { quantity: "Jacobi rotation" });
    }
    Ok(outcome)
}

/// Spec §5.3 steps 1–2: clamps each `lambda` below 0 to 0 (a NaN is left
/// as it is, `-0.0` too), then sorts `lambda` ascending with a **stable**
/// sort, permuting the columns of `v` (`n × n`) alike.
///
/// A NaN compares as equal to everything, so no value moves past it. For
/// NaN-free input this is the only stable order; with NaN, the order of a
/// comparison sort is not unique and this insertion sort's is the one
/// defined here. No allocation: `O(n²)` comparisons, each move rotates a
/// stretch of every row of `v`.
///
/// ```
/// use backfire_nostd::ssgf::spectral::sort_eigenpairs;
/// let mut lambda = [2.0, -1e-17, 1.0];
/// let mut v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
/// sort_eigenpairs(&mut lambda, &mut v, 3).unwrap();
/// assert_eq!(lambda, [0.0, 1.0, 2.0]);
/// assert_eq!(v, [2.0, 3.0, 1.0, 5.0, 6.0, 4.0, 8.0, 9.0, 7.0]);
/// ```
///
/// # Errors
///
/// `lambda` must have length `n` and `v` length `n²` (NaN is accepted);
/// nothing is written on error.
pub fn sort_eigenpairs(lambda: &mut [f64], v: &mut [f64], n: usize) -> Result<(), SSGFError> {
    check_length("lambda", lambda.len(), n)?;
    check_length("v", v.len(), n.saturating_mul(n))?;
    for x in lambda.iter_mut() {
        if *x < 0.0 {
            *x = 0.0;
        }
    }
    for i in 1..n {
        let x = at(lambda, i);
        // `>` is false for NaN on either side: NaN "equals" everything.
        let k = (0..i).rev().take_while(|&j| at(lambda, j) > x).last().unwrap_or(i);
        if k < i {
            if let Some(stretch) = lambda.get_mut(k..=i) {
                stretch.rotate_right(1);
            }
            for row in rows_mut(v, n) {
                if let Some(stretch) = row.get_mut(k..=i) {
                    stretch.rotate_right(1);
                }
            }
        }
    }
    Ok(())
}

/// The Fiedler value `λ1` of ascending eigenvalues, or 0 if there are
/// fewer than 2 (§5.5).
pub fn fiedler_value(lambda: &[f64]) -> f64 {
    lambda.get(1).copied().unwrap_or(0.0)
}

/// The spectral gap of ascending eigenvalues as the reference defines it:
/// the **ratio** `λ1/λ2` if there are at least 3 values and
/// `λ2 ≥ 1e-12`, else 0 (§5.5).
///
/// ```
/// use backfire_nostd::ssgf::spectral::spectral_gap;
/// assert_eq!(spectral_gap(&[0.0, 0.5, 1.0, 1.5]), 0.5);
/// assert_eq!(spectral_gap(&[0.0, 2.0]), 0.0);
/// ```
pub fn spectral_gap(lambda: &[f64]) -> f64 {
    match lambda {
        [_, l1, l2, ..] if *l2 >= GAP_FLOOR => l1 / l2,
        _ => 0.0,
    }
}

/// First-call rule (§5.4): negate each column whose largest-|entry| (the
/// first one scanning down the rows, strict `>`) is negative.
fn gauge_largest_positive(v: &mut [f64], n: usize) {
    for c in 0..n {
        let (_, largest) = rows(v, n)
            .map(|row| at(row, c))
            .fold((0.0, 0.0), |(best, value), x| if x.abs() > best { (x.abs(), x) } else { (best, value) });
        if largest < 0.0 {
            negate_column(v, n, c);
        }
    }
}

/// Sign rule (§5.4): negate each column whose dot product with the same
/// column of `previous` is `< 0` (a dot of exactly 0 is left alone).
fn gauge_against_previous(v: &mut [f64], previous: &[f64], n: usize) {
    for c in 0..n {
        let dot =
            rows(v, n).zip(rows(previous, n)).fold(0.0, |acc, (row, prev)| acc + at(row, c) * at(prev, c));
        if dot < 0.0 {
            negate_column(v, n, c);
        }
    }
}

/// Whether every column of `basis` (`n × n`) is finite with a squared norm
/// within [`UNIT_TOL`] of 1 (NaN and ∞ fail the comparison).
fn has_unit_columns(basis: &[f64], n: usize) -> bool {
    (0..n).all(|c| {
        let norm_sq = rows(basis, n).fold(0.0, |acc, row| acc + at(row, c) * at(row, c));
        (norm_sq - 1.0).abs() <= UNIT_TOL
    })
}

fn negate_column(v: &mut [f64], n: usize, c: usize) {
    for row in rows_mut(v, n) {
        if let Some(x) = row.get_mut(c) {
            *x = -*x;
        }
    }
}

/// `a ← Pᵀ·a·P` for `P` = `basis` (`n × n`), using `tmp` (`n²`) for `a·P`.
fn rotate_into_basis(a: &mut [f64], basis: &[f64], tmp: &mut [f64], n: usize) {
    // tmp = a·P, row by row: tmp[i][·] = Σ_k a[i][k]·P[k][·].
    for (tmp_row, a_row) in rows_mut(tmp, n).zip(rows(a, n)) {
        tmp_row.iter_mut().for_each(|x| *x = 0.0);
        for (&a_ik, p_row) in a_row.iter().zip(rows(basis, n)) {
            tmp_row.iter_mut().zip(p_row).for_each(|(x, &p)| *x += a_ik * p);
        }
    }
    // a = Pᵀ·tmp: a[i][·] = Σ_k P[k][i]·tmp[k][·].
    for (i, a_row) in rows_mut(a, n).enumerate() {
        a_row.iter_mut().for_each(|x| *x = 0.0);
        for (p_row, tmp_row) in rows(basis, n).zip(rows(tmp, n)) {
            let p_ki = at(p_row, i);
            a_row.iter_mut().zip(tmp_row).for_each(|(x, &t)| *x += p_ki * t);
        }
    }
}

/// The spectral bridge of spec §5.3–5.4: one eigen-call per outer step,
/// with eigenvector signs kept consistent across calls.
///
/// It remembers only *whether* it has produced eigenvectors before; the
/// previous eigenvectors themselves live in a buffer the caller lends to
/// [`eigenpairs`](Self::eigenpairs). The first call (or the first after
/// [`reset`](Self::reset), or one whose `previous` is unusable) makes each
/// column's largest-|entry| positive; later calls follow the [`Gauge`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SpectralBridge {
    gauge: Gauge,
    has_previous: bool,
    warm_start: bool,
    /// Warm calls since the last cold one.
    warm_run: u16,
}

/// Consecutive warm starts before one cold start. Warm starts accumulate
/// the rotations onto the previous basis, so its loss of orthogonality
/// grows with their number (≈5e-14 after 20 000 calls); a cold start every
/// so often bounds it by that of a few hundred (≈1e-15), at the cost of
/// one 7-sweep call in 1024.
pub const WARM_RUN_LIMIT: u16 = 1024;

impl SpectralBridge {
    /// A bridge with no previous eigenvectors, whose every call starts the
    /// Jacobi solver from the identity (the reference's way).
    pub fn new(gauge: Gauge) -> Self {
        SpectralBridge { gauge, has_previous: false, warm_start: false, warm_run: 0 }
    }

    /// A bridge whose calls after the first start the solver from the
    /// previous eigenvectors `P` (spec §13 item 9): it diagonalises
    /// `Pᵀ·L·P`, which is nearly diagonal when `W` changed little, and
    /// accumulates the rotations onto `P`. An SSGF step moves `W` by about
    /// `lr·|∂U/∂W|`, so the solver needs 2–3 sweeps instead of 7–8. Every
    /// [`WARM_RUN_LIMIT`]-th call starts cold, to bound the accumulated
    /// loss of orthogonality. With
    /// the Sign gauge the result agrees with a cold start to rounding
    /// (≈1e-15 in λ, ≈1e-13 in the eigenvectors of the near-degenerate
    /// cluster). With [`Gauge::None`] only λ does: the eigenvector signs
    /// follow the previous call's instead of the raw solver's from the
    /// identity, so columns can come out negated relative to a cold start.
    pub fn warm(gauge: Gauge) -> Self {
        SpectralBridge { warm_start: true, ..Self::new(gauge) }
    }

    /// Whether calls after the first start from the previous eigenvectors.
    pub fn warm_start(&self) -> bool {
        self.warm_start
    }

    /// The gauge of the calls after the first.
    pub fn gauge(&self) -> Gauge {
        self.gauge
    }

    /// Whether a previous call left eigenvectors in `previous`.
    pub fn has_previous(&self) -> bool {
        self.has_previous
    }

    /// Forgets the previous eigenvectors: the next call uses the
    /// first-call rule.
    pub fn reset(&mut self) {
        self.has_previous = false;
    }

    /// The full eigen-call (§5.1–5.4) on `w` (`n × n`): the Laplacian into
    /// `work` (`n²`, with the `s_i` in `scratch`, length `n`), Jacobi on
    /// `work`, clamp and stable sort, then the gauge. Writes the ascending
    /// eigenvalues into `lambda` (`n`) and the eigenvectors as the
    /// **columns** of `v` (`n²`). `previous` (`n²`) is read if
    /// [`has_previous`](Self::has_previous) and the bridge is warm or has
    /// the Sign gauge, and is then overwritten with the final `v`. Returns
    /// the Jacobi outcome.
    ///
    /// `previous` must be what the last call left there: the warm start
    /// trusts it to be orthonormal. One that is not finite or has a column
    /// whose squared norm is off 1 by more than 1e-9 (overwritten by the
    /// caller, or a fresh buffer lent to a copied or deserialised bridge)
    /// is ignored, and the call acts as a first call: cold start,
    /// largest-entry-positive gauge. Finite, unit-column garbage cannot be
    /// detected cheaply and gives wrong eigenpairs on the warm path.
    ///
    /// # Errors
    ///
    /// Every length is checked and `w` must be finite before anything is
    /// written; the bridge is unchanged on any error. A non-finite
    /// Laplacian or rotation (possible only for weights of mixed sign or
    /// near `f64::MAX`) is [`SSGFError::NonFiniteResult`], with the
    /// buffers partly written.
    // The buffers stay separate slices so that the engine can lend fields
    // of its own state; grouping them in a struct would only move the list.
    #[allow(clippy::too_many_arguments)]
    pub fn eigenpairs(
        &mut self,
        w: &[f64],
        n: usize,
        work: &mut [f64],
        scratch: &mut [f64],
        lambda: &mut [f64],
        v: &mut [f64],
        previous: &mut [f64],
    ) -> Result<JacobiOutcome, SSGFError> {
        let nn = n.saturating_mul(n);
        check_vector("w", w, nn)?;
        check_length("work", work.len(), nn)?;
        check_length("scratch", scratch.len(), n)?;
        check_length("lambda", lambda.len(), n)?;
        check_length("v", v.len(), nn)?;
        check_length("previous", previous.len(), nn)?;
        normalized_laplacian(w, n, work, scratch)?;
        if work.iter().any(|x| !x.is_finite()) {
            return Err(SSGFError::NonFiniteResult { quantity: "normalised Laplacian" });
        }
        // The O(n²) check is skipped when `previous` would not be read.
        let reads_previous = self.warm_start || self.gauge == Gauge::Sign;
        let has_previous = self.has_previous && (!reads_previous || has_unit_columns(previous, n));
        let warm = self.warm_start && has_previous && self.warm_run < WARM_RUN_LIMIT;
        let outcome = if warm {
            rotate_into_basis(work, previous, v, n);
            copy(v, previous);
            jacobi_sweeps(work, v, n)?
        } else {
            jacobi_eigen(work, v, n)?
        };
        self.warm_run = if warm { self.warm_run.saturating_add(1) } else { 0 };
        lambda.iter_mut().zip(work.iter().step_by(n.saturating_add(1))).for_each(|(l, &d)| *l = d);
        sort_eigenpairs(lambda, v, n)?;
        match (has_previous, self.gauge) {
            (false, _) => gauge_largest_positive(v, n),
            (true, Gauge::Sign) => gauge_against_previous(v, previous, n),
            (true, Gauge::None) => {}
        }
        copy(previous, v);
        self.has_previous = true;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimpleRng;

    const N16: usize = 16;

    /// The buffers of one eigen-call at `N = 16` (smaller `n` use prefixes).
    struct Buffers {
        work: [f64; 256],
        scratch: [f64; 16],
        lambda: [f64; 16],
        v: [f64; 256],
        previous: [f64; 256],
    }

    impl Buffers {
        fn new() -> Self {
            Buffers {
                work: [0.0; 256],
                scratch: [0.0; 16],
                lambda: [0.0; 16],
                v: [0.0; 256],
                previous: [0.0; 256],
            }
        }

        fn call(&mut self, bridge: &mut SpectralBridge, w: &[f64], n: usize) -> JacobiOutcome {
            let nn = n * n;
            bridge
                .eigenpairs(
                    w,
                    n,
                    &mut self.work[..nn],
                    &mut self.scratch[..n],
                    &mut self.lambda[..n],
                    &mut self.v[..nn],
                    &mut self.previous[..nn],
                )
                .unwrap()
        }
    }

    fn complete_graph(n: usize) -> [f64; 256] {
        let mut w = [0.0; 256];
        for i in 0..n {
            for j in 0..n {
                w[i * n + j] = if i == j { 0.0 } else { 1.0 };
            }
        }
        w
    }

    /// A random symmetric non-negative `W` with a zero diagonal; entries
    /// below `sparsity` are dropped to 0.
    fn random_w(n: usize, seed: u64, sparsity: f64) -> [f64; 256] {
        let mut rng = SimpleRng::new(seed);
        let mut w = [0.0; 256];
        for i in 0..n {
            for j in i + 1..n {
                let x = rng.next_f64();
                let x = if x < sparsity { 0.0 } else { x };
                w[i * n + j] = x;
                w[j * n + i] = x;
            }
        }
        w
    }

    fn column_dot(a: &[f64], b: &[f64], n: usize, c: usize, d: usize) -> f64 {
        (0..n).map(|r| a[r * n + c] * b[r * n + d]).sum()
    }

    /// `|VᵀV − I|_max`.
    fn orthonormality_error(v: &[f64], n: usize) -> f64 {
        let mut worst: f64 = 0.0;
        for c in 0..n {
            for d in 0..n {
                let target = if c == d { 1.0 } else { 0.0 };
                worst = worst.max((column_dot(v, v, n, c, d) - target).abs());
            }
        }
        worst
    }

    /// `max_k |M v_k − λ_k v_k|_∞`.
    fn residual(m: &[f64], lambda: &[f64], v: &[f64], n: usize) -> f64 {
        let mut worst: f64 = 0.0;
        for k in 0..n {
            for i in 0..n {
                let mv: f64 = (0..n).map(|j| m[i * n + j] * v[j * n + k]).sum();
                worst = worst.max((mv - lambda[k] * v[i * n + k]).abs());
            }
        }
        worst
    }

    fn laplacian(w: &[f64], n: usize) -> [f64; 256] {
        let (mut l, mut s) = ([0.0; 256], [0.0; 16]);
        normalized_laplacian(w, n, &mut l[..n * n], &mut s[..n]).unwrap();
        l
    }

    #[test]
    fn jacobi_on_a_diagonal_matrix_sorts_to_its_entries() {
        let mut a = [0.0; 16];
        for (i, x) in [3.0, 1.0, 4.0, 2.0].into_iter().enumerate() {
            a[i * 4 + i] = x;
        }
        let mut v = [7.0; 16];
        let outcome = jacobi_eigen(&mut a, &mut v, 4).unwrap();
        assert_eq!(outcome, JacobiOutcome { sweeps: 0, converged: true });
        let mut lambda: [f64; 4] = core::array::from_fn(|i| a[i * 4 + i]);
        sort_eigenpairs(&mut lambda, &mut v, 4).unwrap();
        for (got, want) in lambda.iter().zip([1.0, 2.0, 3.0, 4.0]) {
            assert!((got - want).abs() < 1e-10);
        }
        // V = I with its columns permuted like λ: column k is e_{index of λ_k}.
        for (k, &from) in [1, 3, 0, 2].iter().enumerate() {
            for r in 0..4 {
                assert_eq!(v[r * 4 + k], if r == from { 1.0 } else { 0.0 });
            }
        }
    }

    #[test]
    fn jacobi_eigenvectors_are_orthonormal_and_diagonalise_the_matrix() {
        let original = [4.0, 1.0, 0.5, 0.2, 1.0, 3.0, 0.8, 0.3, 0.5, 0.8, 2.0, 0.1, 0.2, 0.3, 0.1, 1.0];
        let (mut a, mut v) = (original, [0.0; 16]);
        let outcome = jacobi_eigen(&mut a, &mut v, 4).unwrap();
        assert!(outcome.converged && outcome.sweeps > 0 && outcome.sweeps < MAX_SWEEPS, "{outcome:?}");
        assert!(orthonormality_error(&v, 4) < 1e-10);
        let lambda: [f64; 4] = core::array::from_fn(|i| a[i * 4 + i]);
        assert!(residual(&original, &lambda, &v, 4) < 1e-12);
        assert!(max_off_diagonal(&a, 4) < JACOBI_TOL);
        // Trace is preserved.
        assert!((lambda.iter().sum::<f64>() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn complete_graph_k4_has_spectrum_zero_and_three_times_four_thirds() {
        let w = complete_graph(4);
        let mut buf = Buffers::new();
        let outcome = buf.call(&mut SpectralBridge::new(Gauge::Sign), &w[..16], 4);
        assert!(outcome.converged);
        assert!(buf.lambda[0].abs() < 1e-10);
        for &l in &buf.lambda[1..4] {
            assert!((l - 4.0 / 3.0).abs() < 1e-12, "{l}");
        }
        assert!(fiedler_value(&buf.lambda[..4]) > 0.01);
    }

    #[test]
    fn sin_weighted_graph_gives_ascending_eigenvalues() {
        let w: [f64; 16] = core::array::from_fn(|k| {
            let (i, j) = (k / 4, k % 4);
            if i == j { 0.0 } else { 0.5 + 0.5 * libm::sin(0.3 * (i + j) as f64).abs() }
        });
        let mut buf = Buffers::new();
        buf.call(&mut SpectralBridge::new(Gauge::Sign), &w, 4);
        assert!(buf.lambda[..4].windows(2).all(|p| p[0] <= p[1] + 1e-10), "{:?}", &buf.lambda[..4]);
        assert!(buf.lambda[0].abs() < 1e-12 && buf.lambda[3] <= 2.0);
        assert!(residual(&laplacian(&w, 4), &buf.lambda, &buf.v[..16], 4) < 1e-12);
    }

    #[test]
    fn fiedler_value_and_spectral_gap_follow_the_spec() {
        assert_eq!(fiedler_value(&[0.0, 0.5, 1.2, 1.8]), 0.5);
        assert_eq!(fiedler_value(&[0.7]), 0.0);
        assert_eq!(fiedler_value(&[]), 0.0);
        assert_eq!(spectral_gap(&[0.0, 0.5, 1.0, 1.5]), 0.5);
        assert_eq!(spectral_gap(&[0.0, 0.3, 0.6]), 0.3 / 0.6);
        assert_eq!(spectral_gap(&[0.0, 0.5]), 0.0);
        assert_eq!(spectral_gap(&[0.0, 0.0, 1e-13]), 0.0);
        assert_eq!(spectral_gap(&[0.0, 1e-12, 1e-12]), 1.0);
        assert_eq!(spectral_gap(&[0.0, 0.5, f64::NAN]), 0.0);
    }

    #[test]
    fn zero_weights_give_a_zero_laplacian_and_zero_spectrum() {
        let w = [0.0; 16];
        let mut buf = Buffers::new();
        let outcome = buf.call(&mut SpectralBridge::new(Gauge::Sign), &w, 4);
        assert_eq!(outcome, JacobiOutcome { sweeps: 0, converged: true });
        assert!(buf.work[..16].iter().all(|&x| x == 0.0));
        assert!(buf.scratch[..4].iter().all(|&x| x == 0.0));
        assert!(buf.lambda[..4].iter().all(|&l| l.abs() < 1e-10));
        let identity: [f64; 16] = core::array::from_fn(|k| if k / 4 == k % 4 { 1.0 } else { 0.0 });
        assert_eq!(buf.v[..16], identity);
    }

    #[test]
    fn an_isolated_node_gives_eigenvalue_zero_not_one() {
        // K3 on nodes 0..3, node 3 isolated: L_sym(K3) has 0, 3/2, 3/2.
        // Node 3's degree (a self-loop of 5e-13) is below the floor, so its
        // diagonal, 1 before the zeroing, must end at 0 too.
        let mut w = [0.0; 16];
        for i in 0..3 {
            for j in 0..3 {
                w[i * 4 + j] = if i == j { 0.0 } else { 1.0 };
            }
        }
        w[15] = 5e-13;
        let (mut l, mut s) = ([9.0; 16], [9.0; 4]);
        normalized_laplacian(&w, 4, &mut l, &mut s).unwrap();
        assert_eq!(s[3], 0.0);
        assert_eq!(s[0], 1.0 / libm::sqrt(2.0));
        for k in 0..4 {
            assert_eq!(l[3 * 4 + k], 0.0);
            assert_eq!(l[k * 4 + 3], 0.0);
        }
        assert_eq!(l[0], 1.0);
        let mut buf = Buffers::new();
        buf.call(&mut SpectralBridge::new(Gauge::Sign), &w, 4);
        let want = [0.0, 0.0, 1.5, 1.5];
        for (got, want) in buf.lambda[..4].iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{:?}", &buf.lambda[..4]);
        }
    }

    #[test]
    fn a_single_edge_has_fiedler_value_two_and_no_gap() {
        let w = [0.0, 1.0, 1.0, 0.0];
        let mut buf = Buffers::new();
        buf.call(&mut SpectralBridge::new(Gauge::Sign), &w, 2);
        assert!(buf.lambda[0].abs() < 1e-15);
        assert!((fiedler_value(&buf.lambda[..2]) - 2.0).abs() < 1e-15);
        assert_eq!(spectral_gap(&buf.lambda[..2]), 0.0);
    }

    #[test]
    fn laplacian_entries_are_computed_as_written() {
        let w = [0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 2.0, 3.0, 0.0];
        let (mut l, mut s) = ([0.0; 9], [0.0; 3]);
        normalized_laplacian(&w, 3, &mut l, &mut s).unwrap();
        let deg = [3.0, 4.0, 5.0];
        for i in 0..3 {
            assert_eq!(s[i], 1.0 / libm::sqrt(deg[i]));
            for j in 0..3 {
                let delta = if i == j { 1.0 } else { 0.0 };
                assert_eq!(l[i * 3 + j], delta - s[i] * w[i * 3 + j] * s[j]);
            }
        }
        assert!((l[1] + 1.0 / libm::sqrt(12.0)).abs() < 1e-16);
    }

    #[test]
    fn sign_gauge_keeps_columns_aligned_after_a_small_change() {
        let mut w = complete_graph(4);
        let mut bridge = SpectralBridge::new(Gauge::Sign);
        let mut buf = Buffers::new();
        buf.call(&mut bridge, &w[..16], 4);
        let first = buf.v;
        assert_eq!(buf.previous[..16], first[..16]);
        w[1] = 1.01;
        w[4] = 1.01;
        buf.call(&mut bridge, &w[..16], 4);
        for c in 0..4 {
            let dot = column_dot(&buf.v[..16], &first[..16], 4, c, c);
            assert!(dot >= -0.1, "column {c}: {dot}");
            assert!(dot >= 0.0, "column {c}: {dot}");
        }
        assert_eq!(buf.previous[..16], buf.v[..16]);
    }

    #[test]
    fn sign_gauge_flips_every_column_against_a_negated_previous() {
        let w = random_w(N16, 7, 0.0);
        let mut bridge = SpectralBridge::new(Gauge::Sign);
        let mut buf = Buffers::new();
        buf.call(&mut bridge, &w, N16);
        let first = buf.v;
        buf.previous.iter_mut().for_each(|x| *x = -*x);
        buf.call(&mut bridge, &w, N16);
        for (got, want) in buf.v.iter().zip(first.iter()) {
            assert_eq!(*got, -*want);
        }
    }

    /// The raw (sorted, ungauged) eigenvectors of `w`.
    fn raw_eigenvectors(w: &[f64], n: usize) -> [f64; 256] {
        let mut a = laplacian(w, n);
        let mut v = [0.0; 256];
        jacobi_eigen(&mut a[..n * n], &mut v[..n * n], n).unwrap();
        let mut lambda: [f64; 16] = core::array::from_fn(|i| if i < n { a[i * n + i] } else { 0.0 });
        sort_eigenpairs(&mut lambda[..n], &mut v[..n * n], n).unwrap();
        v
    }

    #[test]
    fn first_call_makes_each_columns_largest_entry_positive() {
        let w = random_w(N16, 3, 0.2);
        let raw = raw_eigenvectors(&w, N16);
        for gauge in [Gauge::Sign, Gauge::None] {
            let mut buf = Buffers::new();
            buf.call(&mut SpectralBridge::new(gauge), &w, N16);
            for c in 0..N16 {
                let (mut best, mut value) = (0.0, 0.0);
                for r in 0..N16 {
                    let x: f64 = buf.v[r * N16 + c];
                    if x.abs() > best {
                        (best, value) = (x.abs(), x);
                    }
                    // Only signs change.
                    assert_eq!(x.abs(), raw[r * N16 + c].abs());
                }
                assert!(value > 0.0, "column {c}");
            }
        }
    }

    #[test]
    fn first_call_rule_lets_the_first_maximum_win() {
        // Columns, top to bottom: [-3, 1, 3, 0] → flip; [0.5, -2, 1, 0] →
        // flip; [1, -1, 0, 0] → keep (a tie: the first wins); zeros → keep.
        #[rustfmt::skip]
        let mut v = [
            -3.0, 0.5, 1.0, 0.0,
            1.0, -2.0, -1.0, 0.0,
            3.0, 1.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0,
        ];
        gauge_largest_positive(&mut v, 4);
        #[rustfmt::skip]
        let want = [
            3.0, -0.5, 1.0, 0.0,
            -1.0, 2.0, -1.0, 0.0,
            -3.0, -1.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0,
        ];
        assert_eq!(v, want);
    }

    #[test]
    fn sign_rule_flips_only_negative_dots() {
        // Column 0's dot with prev is +1 (kept), column 1's is −1 (flipped).
        let prev = [1.0, 0.0, 0.0, -1.0];
        let mut v = [1.0, 0.0, 0.0, 1.0];
        gauge_against_previous(&mut v, &prev, 2);
        assert_eq!(v, [1.0, 0.0, 0.0, -1.0]);
        let prev = [0.0, 1.0, 1.0, 0.0];
        let mut v = [-1.0, 0.0, 0.0, -1.0];
        gauge_against_previous(&mut v, &prev, 2); // both dots are exactly 0
        assert_eq!(v, [-1.0, 0.0, 0.0, -1.0]);
    }

    #[test]
    fn none_gauge_leaves_later_calls_as_the_solver_gives_them() {
        let w = random_w(N16, 11, 0.0);
        let raw = raw_eigenvectors(&w, N16);
        let mut bridge = SpectralBridge::new(Gauge::None);
        let mut buf = Buffers::new();
        buf.call(&mut bridge, &w, N16);
        assert!(bridge.has_previous());
        buf.previous.iter_mut().for_each(|x| *x = -*x);
        buf.call(&mut bridge, &w, N16);
        assert_eq!(buf.v, raw);
        assert_eq!(bridge.gauge(), Gauge::None);
    }

    #[test]
    fn reset_brings_back_the_first_call_rule() {
        let (w1, w2) = (random_w(N16, 5, 0.0), random_w(N16, 6, 0.0));
        let mut bridge = SpectralBridge::new(Gauge::Sign);
        let mut buf = Buffers::new();
        buf.call(&mut bridge, &w1, N16);
        bridge.reset();
        assert!(!bridge.has_previous());
        buf.previous.iter_mut().for_each(|x| *x = f64::NAN); // must not be read
        buf.call(&mut bridge, &w2, N16);
        let mut fresh = Buffers::new();
        fresh.call(&mut SpectralBridge::new(Gauge::Sign), &w2, N16);
        assert_eq!(buf.v, fresh.v);
        assert_eq!(buf.lambda, fresh.lambda);
        assert_eq!(SpectralBridge::new(Gauge::default()).gauge(), Gauge::Sign);
    }

    #[test]
    fn random_graph_at_n16_is_reconstructed() {
        let w = random_w(N16, 2024, 0.0);
        let mut buf = Buffers::new();
        let outcome = buf.call(&mut SpectralBridge::new(Gauge::Sign), &w, N16);
        assert!(outcome.converged && outcome.sweeps >= 5 && outcome.sweeps < 15, "{outcome:?}");
        let l = laplacian(&w, N16);
        assert!(residual(&l, &buf.lambda, &buf.v, N16) < 1e-12);
        assert!(orthonormality_error(&buf.v, N16) < 1e-12);
        assert!(buf.lambda[0] < 1e-12 && buf.lambda[15] <= 2.0);
    }

    #[test]
    fn property_random_graphs_decompose_into_sorted_orthonormal_eigenpairs() {
        for seed in 1..=24u64 {
            let n = 2 + (seed as usize * 5) % 15;
            let sparsity = [0.0, 0.5, 0.9][seed as usize % 3];
            let w = random_w(n, seed, sparsity);
            let w2: [f64; 256] = core::array::from_fn(|k| w[k] * (1.0 + 1e-3 * libm::sin(k as f64)));
            let w2: [f64; 256] = core::array::from_fn(|k| 0.5 * (w2[k] + w2[(k % n) * n + k / n]));
            let mut bridge = SpectralBridge::new(Gauge::Sign);
            let mut buf = Buffers::new();
            buf.call(&mut bridge, &w[..n * n], n);
            let first = buf.v;
            let outcome = buf.call(&mut bridge, &w2[..n * n], n);
            let lambda = &buf.lambda[..n];
            assert!(outcome.converged, "seed {seed}: {outcome:?}");
            assert!(lambda.windows(2).all(|p| p[0] <= p[1]), "seed {seed}: {lambda:?}");
            assert!(lambda.iter().all(|&l| (0.0..=2.0 + 1e-12).contains(&l)), "seed {seed}");
            assert!(lambda[0] < 1e-12, "seed {seed}: {lambda:?}");
            assert!(orthonormality_error(&buf.v[..n * n], n) < 1e-12, "seed {seed}");
            assert!(residual(&laplacian(&w2[..n * n], n), lambda, &buf.v[..n * n], n) < 1e-12, "seed {seed}");
            for c in 0..n {
                assert!(column_dot(&buf.v[..n * n], &first[..n * n], n, c, c) >= 0.0, "seed {seed}");
            }
        }
    }

    #[test]
    fn sort_is_stable_clamps_negatives_and_lets_nan_stop_moves() {
        // Ties keep their order: columns carry their original index.
        let mut lambda = [1.0, -0.5, 1.0, 0.25, -0.0];
        let mut v: [f64; 25] = core::array::from_fn(|k| (k % 5) as f64);
        sort_eigenpairs(&mut lambda, &mut v, 5).unwrap();
        assert_eq!(lambda, [0.0, -0.0, 0.25, 1.0, 1.0]);
        assert!(lambda[0].is_sign_positive() && lambda[1].is_sign_negative());
        for row in v.chunks(5) {
            assert_eq!(row, [1.0, 4.0, 3.0, 0.0, 2.0]);
        }
        // NaN is not clamped, and nothing moves past it.
        let mut lambda = [2.0, f64::NAN, 1.0, -3.0];
        let mut v: [f64; 16] = core::array::from_fn(|k| (k % 4) as f64);
        sort_eigenpairs(&mut lambda, &mut v, 4).unwrap();
        assert_eq!(lambda[0], 2.0);
        assert!(lambda[1].is_nan());
        assert_eq!(lambda[2..], [0.0, 1.0]);
        for row in v.chunks(4) {
            assert_eq!(row, [0.0, 1.0, 3.0, 2.0]);
        }
        sort_eigenpairs(&mut [], &mut [], 0).unwrap();
    }

    #[test]
    fn jacobi_reports_convergence_and_handles_trivial_sizes() {
        let (mut a, mut v) = ([5.0], [0.0]);
        assert_eq!(jacobi_eigen(&mut a, &mut v, 1), Ok(JacobiOutcome { sweeps: 0, converged: true }));
        assert_eq!((a, v), ([5.0], [1.0]));
        assert_eq!(jacobi_eigen(&mut [], &mut [], 0), Ok(JacobiOutcome { sweeps: 0, converged: true }));
        let mut a = complete_graph(4);
        let mut v = [0.0; 16];
        let outcome = jacobi_eigen(&mut a[..16], &mut v, 4).unwrap();
        assert!(outcome.converged && (1..=6).contains(&outcome.sweeps), "{outcome:?}");
        // The Laplacian path also converges, on the same sweeps for K4's L.
        let mut buf = Buffers::new();
        assert!(buf.call(&mut SpectralBridge::new(Gauge::None), &complete_graph(4)[..16], 4).converged);
    }

    #[test]
    fn early_sweeps_skip_pairs_below_the_threshold() {
        let original = [1.0, 1e-3, 0.0, 1e-3, 2.0, 0.0, 0.0, 0.0, 3.0];
        let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let (mut a, mut v) = (original, identity);
        sweep(&mut a, &mut v, 3, 0.01);
        assert_eq!((a, v), (original, identity));
        // Threshold 0 (sweeps ≥ 4) rotates every pair, exact zeros included.
        sweep(&mut a, &mut v, 3, 0.0);
        assert_eq!(a[1], 0.0);
        assert!(v != identity);
        // Regression pins of this solver's sweep counts (not reference
        // measurements): without the early skip rule they become 8 and 5.
        for (seed, sweeps) in [(1, 6), (2, 6)] {
            let mut l = laplacian(&random_w(N16, seed, 0.9), N16);
            let mut v = [0.0; 256];
            assert_eq!(jacobi_eigen(&mut l, &mut v, N16), Ok(JacobiOutcome { sweeps, converged: true }));
        }
    }

    #[test]
    fn wrong_lengths_and_non_finite_inputs_are_errors() {
        let length = |field, expected, got| Err(SSGFError::Length { field, expected, got });
        let w = complete_graph(3);
        let (mut l, mut s) = ([0.0; 9], [0.0; 3]);
        assert_eq!(normalized_laplacian(&w[..8], 3, &mut l, &mut s), length("w", 9, 8));
        assert_eq!(normalized_laplacian(&w[..9], 3, &mut l[..8], &mut s), length("l", 9, 8));
        assert_eq!(normalized_laplacian(&w[..9], 3, &mut l, &mut s[..2]), length("inv_sqrt_deg", 3, 2));
        let mut bad = [0.0; 9];
        bad[4] = f64::INFINITY;
        assert_eq!(
            normalized_laplacian(&bad, 3, &mut l, &mut s),
            Err(SSGFError::NonFinite { field: "w", index: 4, value: f64::INFINITY })
        );
        assert_eq!(l, [0.0; 9]);
        assert!(normalized_laplacian(&w[..9], usize::MAX, &mut l, &mut s).is_err());

        let (mut a, mut v) = ([1.0; 9], [0.0; 9]);
        assert_eq!(jacobi_eigen(&mut a[..8], &mut v, 3).map(|_| ()), length("a", 9, 8));
        assert_eq!(jacobi_eigen(&mut a, &mut v[..8], 3).map(|_| ()), length("v", 9, 8));
        assert_eq!(v, [0.0; 9]);
        a[0] = f64::NEG_INFINITY;
        assert!(matches!(
            jacobi_eigen(&mut a, &mut v, 3),
            Err(SSGFError::NonFinite { field: "a", index: 0, .. })
        ));

        let mut lambda = [0.0; 3];
        assert_eq!(sort_eigenpairs(&mut lambda[..2], &mut v, 3), length("lambda", 3, 2));
        assert_eq!(sort_eigenpairs(&mut lambda, &mut v[..4], 3), length("v", 9, 4));

        let mut bridge = SpectralBridge::new(Gauge::Sign);
        let (mut work, mut scratch, mut vv, mut prev) = ([0.0; 9], [0.0; 3], [0.0; 9], [0.0; 9]);
        let mut call =
            |w: &[f64],
             work: &mut [f64],
             scratch: &mut [f64],
             lam: &mut [f64],
             v: &mut [f64],
             p: &mut [f64]| { bridge.eigenpairs(w, 3, work, scratch, lam, v, p).map(|_| ()) };
        assert_eq!(
            call(&w[..8], &mut work, &mut scratch, &mut lambda, &mut vv, &mut prev),
            length("w", 9, 8)
        );
        assert_eq!(
            call(&w[..9], &mut work[..8], &mut scratch, &mut lambda, &mut vv, &mut prev),
            length("work", 9, 8)
        );
        assert_eq!(
            call(&w[..9], &mut work, &mut scratch[..2], &mut lambda, &mut vv, &mut prev),
            length("scratch", 3, 2)
        );
        assert_eq!(
            call(&w[..9], &mut work, &mut scratch, &mut lambda[..2], &mut vv, &mut prev),
            length("lambda", 3, 2)
        );
        assert_eq!(
            call(&w[..9], &mut work, &mut scratch, &mut lambda, &mut vv[..8], &mut prev),
            length("v", 9, 8)
        );
        assert_eq!(
            call(&w[..9], &mut work, &mut scratch, &mut lambda, &mut vv, &mut prev[..8]),
            length("previous", 9, 8)
        );
        assert_eq!(
            call(&bad, &mut work, &mut scratch, &mut lambda, &mut vv, &mut prev).unwrap_err(),
            SSGFError::NonFinite { field: "w", index: 4, value: f64::INFINITY }
        );
        assert_eq!(work, [0.0; 9]);
        assert!(!bridge.has_previous());
    }

    #[test]
    fn overflowing_inputs_are_non_finite_results() {
        // Rotations of entries near f64::MAX overflow.
        let (mut a, mut v) = ([1e308, 1e308, 1e308, -1e308], [0.0; 4]);
        assert_eq!(
            jacobi_eigen(&mut a, &mut v, 2),
            Err(SSGFError::NonFiniteResult { quantity: "Jacobi rotation" })
        );
        // Mixed-sign weights with a tiny degree blow the Laplacian up.
        let w = [1e300, -1e300, 1e-11, -1e300, 1e300, 1e-11, 1e-11, 1e-11, 0.0];
        let mut bridge = SpectralBridge::new(Gauge::Sign);
        let (mut work, mut scratch, mut lambda, mut vv, mut prev) =
            ([0.0; 9], [0.0; 3], [0.0; 3], [0.0; 9], [0.0; 9]);
        assert_eq!(
            bridge.eigenpairs(&w, 3, &mut work, &mut scratch, &mut lambda, &mut vv, &mut prev),
            Err(SSGFError::NonFiniteResult { quantity: "normalised Laplacian" })
        );
        assert!(!bridge.has_previous());
    }

    /// The engine's initial `W` (spec §3.2, §8.5): `z = uniform − 0.5` from
    /// seed 42 in index order, gram-softplus decoded.
    fn seed_42_default_w() -> [f64; 256] {
        let mut rng = SimpleRng::new(42);
        let z: [f64; 120] = core::array::from_fn(|_| rng.next_f64() - 0.5);
        let mut w = [0.0; 256];
        crate::ssgf::decoder::Decoder::GramSoftplus.decode(&z, N16, &mut w).unwrap();
        w
    }

    #[test]
    fn warm_start_agrees_with_cold_start_in_fewer_sweeps() {
        let mut w = seed_42_default_w();
        let (mut warm, mut cold) = (SpectralBridge::warm(Gauge::Sign), SpectralBridge::new(Gauge::Sign));
        let (mut a, mut b) = (Buffers::new(), Buffers::new());
        assert!(warm.warm_start() && !cold.warm_start());
        for step in 0..20 {
            let (wo, co) = (a.call(&mut warm, &w, N16), b.call(&mut cold, &w, N16));
            assert!(wo.converged && co.converged);
            if step == 0 {
                assert_eq!(wo, co); // nothing to start from yet: a cold start
            } else {
                assert!(wo.sweeps <= 3 && co.sweeps >= 6, "{wo:?} vs {co:?}");
            }
            a.lambda.iter().zip(&b.lambda).for_each(|(x, y)| assert!((x - y).abs() < 1e-14, "{x} vs {y}"));
            a.v.iter().zip(&b.v).for_each(|(x, y)| assert!((x - y).abs() < 1e-12, "{x} vs {y}"));
            assert!(residual(&laplacian(&w, N16), &a.lambda, &a.v, N16) < 1e-12);
            // A small symmetric change, as one SSGF step makes.
            for i in 0..N16 {
                for j in i + 1..N16 {
                    let d = 1e-4 * libm::sin((step * 31 + i * 7 + j) as f64);
                    w[i * N16 + j] += d;
                    w[j * N16 + i] += d;
                }
            }
        }
    }

    #[test]
    fn every_warm_run_limit_th_call_starts_cold() {
        let mut w = seed_42_default_w();
        let mut warm = SpectralBridge::warm(Gauge::Sign);
        let mut buf = Buffers::new();
        let mut sweeps = [0; 2 * WARM_RUN_LIMIT as usize + 3];
        for (call, slot) in sweeps.iter_mut().enumerate() {
            w[1] += 1e-9 * (call % 7) as f64;
            w[16] = w[1];
            *slot = buf.call(&mut warm, &w, N16).sweeps;
        }
        // Call 0 has no previous basis; calls 1..=LIMIT are warm; then one
        // cold call, LIMIT warm ones, one cold.
        let limit = WARM_RUN_LIMIT as usize;
        let cold_calls: [usize; 3] = [0, limit + 1, 2 * limit + 2];
        for (call, &s) in sweeps.iter().enumerate() {
            if cold_calls.contains(&call) {
                assert!(s >= 6, "call {call}: {s} sweeps, expected a cold start");
            } else {
                assert!(s <= 2, "call {call}: {s} sweeps, expected a warm start");
            }
        }
    }

    #[test]
    fn warm_start_ignores_an_unusable_previous_basis() {
        // Before the fix a NaN basis failed every later call with a
        // "Jacobi rotation" error (the bridge stayed stuck), and a zero
        // basis silently gave λ = 0 and V = 0.
        let (w1, w2) = (seed_42_default_w(), random_w(N16, 9, 0.0));
        let mut fresh = Buffers::new();
        fresh.call(&mut SpectralBridge::new(Gauge::Sign), &w2, N16);
        let corruptions: [fn(&mut [f64; 256]); 4] = [
            |p| p[17] = f64::NAN,
            |p| p[200] = f64::INFINITY,
            |p| p.fill(0.0),
            |p| p.iter_mut().for_each(|x| *x *= 2.0),
        ];
        for gauge in [Gauge::Sign, Gauge::None] {
            for corrupt in corruptions {
                let mut bridge = SpectralBridge::warm(gauge);
                let mut buf = Buffers::new();
                buf.call(&mut bridge, &w1, N16);
                corrupt(&mut buf.previous);
                buf.call(&mut bridge, &w2, N16); // acts as a first call
                assert_eq!((buf.lambda, buf.v), (fresh.lambda, fresh.v));
                assert_eq!(buf.previous, buf.v);
                // The next call is warm again.
                let outcome = buf.call(&mut bridge, &w2, N16);
                assert!(outcome.converged && outcome.sweeps <= 1, "{outcome:?}");
            }
        }
        // A cold Sign bridge reads `previous` only for the gauge; a NaN
        // there now also means "no previous" instead of "flip nothing".
        let mut bridge = SpectralBridge::new(Gauge::Sign);
        let mut buf = Buffers::new();
        buf.call(&mut bridge, &w1, N16);
        buf.previous[0] = f64::NAN;
        buf.call(&mut bridge, &w2, N16);
        assert_eq!((buf.lambda, buf.v), (fresh.lambda, fresh.v));
    }

    #[test]
    fn warm_start_at_small_n() {
        // n = 0, 1, 2: the warm path agrees with the cold one (to rounding:
        // at n = 2 the rotated Laplacian gives λ = [1e-32, 2 − 1 ulp]).
        for n in 0..=2 {
            let w = complete_graph(n);
            let (mut warm, mut cold) = (SpectralBridge::warm(Gauge::Sign), SpectralBridge::new(Gauge::Sign));
            let (mut a, mut b) = (Buffers::new(), Buffers::new());
            for _ in 0..3 {
                assert!(a.call(&mut warm, &w[..n * n], n).converged);
                b.call(&mut cold, &w[..n * n], n);
                for (x, y) in a.lambda[..n].iter().zip(&b.lambda[..n]) {
                    assert!((x - y).abs() < 1e-15, "n = {n}: {x} vs {y}");
                }
                for (x, y) in a.v[..n * n].iter().zip(&b.v[..n * n]) {
                    assert!((x - y).abs() < 1e-15, "n = {n}: {x} vs {y}");
                }
            }
        }
        // n = 1: an isolated node, eigenvalue 0 and eigenvector [1].
        let mut buf = Buffers::new();
        let mut bridge = SpectralBridge::warm(Gauge::Sign);
        for _ in 0..2 {
            buf.call(&mut bridge, &[0.0], 1);
            assert_eq!((buf.lambda[0], buf.v[0]), (0.0, 1.0));
        }
    }

    #[test]
    fn seed_42_default_spectrum_matches_the_reference() {
        let w = seed_42_default_w();
        let mut buf = Buffers::new();
        let outcome = buf.call(&mut SpectralBridge::new(Gauge::Sign), &w, N16);
        assert_eq!(outcome, JacobiOutcome { sweeps: 7, converged: true });
        let want = [
            (1, 0.9928209390218301),
            (2, 1.0023668181248633),
            (3, 1.0121744937993575),
            (4, 1.0165892429678038),
            (15, 1.1563650361999533),
        ];
        for (k, value) in want {
            assert!((buf.lambda[k] - value).abs() < 1e-12, "λ{k} = {}", buf.lambda[k]);
        }
        assert!(buf.lambda[0].abs() < 1e-12);
        assert!((spectral_gap(&buf.lambda) - 0.9904766609085377).abs() < 1e-12);
        assert!((fiedler_value(&buf.lambda) - 0.9928209390218301).abs() < 1e-12);
    }
}
