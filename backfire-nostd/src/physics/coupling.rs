//! The coupling products `(K·s, K·c)` of the UPDE step.
//!
//! Every step needs `Σ_m K[n][m]·sin θ_m` and `Σ_m K[n][m]·cos θ_m` for all
//! n: two N×N mat-vecs, 2N² multiply-adds — the largest single cost of an
//! f64 step. The canonical matrix (spec §2.3) is not arbitrary, though: it is
//! `K_BASE·e^{−0.3|n−m|}` off the diagonal, a Kac–Murdock–Szegő matrix
//! `b·q^{|n−m|}`, with six anchor pairs replaced. For such a matrix
//!
//! ```text
//! Σ_{m≠n} b·q^{|n−m|}·x_m = b·(F_n + B_n),
//! F_n = q·(F_{n−1} + x_{n−1}),  F_0 = 0      (the m < n part)
//! B_n = q·(B_{n+1} + x_{n+1}),  B_{N−1} = 0  (the m > n part)
//! ```
//!
//! costs 4N operations per vector, and the replaced entries are added back
//! as a short list of corrections `(K[n][m] − b·q^{|n−m|})·x_m`. The
//! [`CouplingPlan`] finds `b`, `q` and the corrections when the parameters
//! are set, checks that the result reproduces every entry of K, and falls
//! back to the dense product for any matrix that does not have this shape
//! (or for backends where it is not enabled, see
//! [`PhaseBackend::EXPONENTIAL_COUPLING`]).
//!
//! The two paths round differently — sums in another order, `q^d` formed by
//! repeated multiplication — so they agree to a few ulp of the row sums,
//! not bit for bit; the reference's own products (N² sines of phase
//! differences) agree with neither bit for bit.

use crate::num::{PhaseBackend, Real};

/// Most corrections the structured product keeps (the canonical matrix
/// needs 12, a uniform all-to-all matrix with a non-zero diagonal N).
pub(crate) const MAX_CORRECTIONS: usize = 32;

/// Entries within this many ulp (relative) of `b·q^{|n−m|}` count as
/// following the model; the verification below bounds the total error.
const MODEL_TOLERANCE: f64 = 64.0 * f64::EPSILON;

/// The verified product may differ from the dense one by at most this
/// times the largest |K| per entry.
const VERIFY_TOLERANCE: f64 = 64.0 * f64::EPSILON;

/// One replaced entry: `row` receives `delta·x[col]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Correction<T> {
    row: usize,
    col: usize,
    delta: T,
}

/// `b·q^{|n−m|}` off the diagonal plus corrections.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Exponential<T> {
    scale: T,
    ratio: T,
    corrections: [Correction<T>; MAX_CORRECTIONS],
    len: usize,
}

/// How a stepper multiplies by its coupling matrix. An enum, so the
/// backends that never use the structured form (and every dense matrix)
/// pay no memory for it: the firmware keeps a stepper and its state in
/// 4 KiB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CouplingPlan<T, const N: usize> {
    /// K transposed (`knm_t[m][n] = K[n][m]`), for the dense product.
    Dense([[T; N]; N]),
    /// `b·q^{|n−m|}` plus corrections.
    Exponential(Exponential<T>),
}

impl<T: PhaseBackend, const N: usize> CouplingPlan<T, N> {
    /// The plan for `knm` (finite entries): structured when the backend
    /// allows it and the matrix has the exponential shape, dense otherwise.
    pub(crate) fn new(knm: &[[f64; N]; N]) -> Self {
        let structured = if T::EXPONENTIAL_COUPLING { exponential_model(knm) } else { None };
        match structured {
            Some(e) => CouplingPlan::Exponential(Exponential {
                scale: T::from_f64(e.scale),
                ratio: T::from_f64(e.ratio),
                corrections: e.corrections.map(|c| Correction {
                    row: c.row,
                    col: c.col,
                    delta: T::from_f64(c.delta),
                }),
                len: e.len,
            }),
            None => CouplingPlan::Dense(core::array::from_fn(|m| {
                core::array::from_fn(|n| T::from_f64(knm[n][m]))
            })),
        }
    }

    /// Whether the O(N) product is in use.
    pub(crate) fn is_structured(&self) -> bool {
        matches!(self, CouplingPlan::Exponential(_))
    }

    /// `(ks, kc) = (K·s, K·c)`. Written into the caller's arrays: returning
    /// them by value costs copies on the MCU targets.
    #[inline(always)]
    pub(crate) fn apply(&self, s: &[T; N], c: &[T; N], ks: &mut [T; N], kc: &mut [T; N]) {
        match self {
            CouplingPlan::Exponential(e) => exponential_product(e, s, c, ks, kc),
            CouplingPlan::Dense(knm_t) => dense_product(knm_t, s, c, ks, kc),
        }
    }
}

/// `(K·s, K·c)` from K transposed: N independent accumulators per
/// product (vectorisable across rows), each row still summing in index
/// order m = 0..N. Out of line on Arm, where the step around it leaves the
/// Thumb-1 core too few registers for this loop (+0.2 % of an M0 step when
/// inlined); inlined elsewhere (out of line costs x86 f32 steps 5 %).
/// (Blocking the rows so that f64 accumulators stay in registers was ~5 %
/// faster for f64 but 2.5 % slower for Q16; the canonical f64 matrix takes
/// the structured path anyway.)
#[cfg_attr(target_arch = "arm", inline(never))]
#[cfg_attr(not(target_arch = "arm"), inline(always))]
fn dense_product<T: Real, const N: usize>(
    knm_t: &[[T; N]; N],
    s: &[T; N],
    c: &[T; N],
    ks: &mut [T; N],
    kc: &mut [T; N],
) {
    let mut columns = knm_t.iter().zip(s).zip(c);
    // The first column initialises the sums (no separate zeroing pass).
    if let Some(((col, &s_m), &c_m)) = columns.next() {
        for ((&k, a), b) in col.iter().zip(ks.iter_mut()).zip(kc.iter_mut()) {
            *a = k * s_m;
            *b = k * c_m;
        }
    }
    for ((col, &s_m), &c_m) in columns {
        for ((&k, a), b) in col.iter().zip(ks.iter_mut()).zip(kc.iter_mut()) {
            *a = *a + k * s_m;
            *b = *b + k * c_m;
        }
    }
}

/// `(K·s, K·c)` by the two recursions of the module docs, plus corrections.
/// `s` and `c` travel together as pairs, so each recursion step is one
/// two-lane SIMD add and multiply.
#[inline(always)]
fn exponential_product<T: Real, const N: usize>(
    e: &Exponential<T>,
    s: &[T; N],
    c: &[T; N],
    ks: &mut [T; N],
    kc: &mut [T; N],
) {
    let (b, q) = (e.scale, e.ratio);
    let mut x = [[T::ZERO; 2]; N];
    for ((pair, &s_m), &c_m) in x.iter_mut().zip(s).zip(c) {
        *pair = [s_m, c_m];
    }
    // Forward sweep: y_n = F_n.
    let mut y = [[T::ZERO; 2]; N];
    let mut acc = [T::ZERO; 2];
    for (y_n, x_prev) in y.iter_mut().skip(1).zip(&x) {
        acc = [q * (acc[0] + x_prev[0]), q * (acc[1] + x_prev[1])];
        *y_n = acc;
    }
    // Backward sweep: y_n = b·(F_n + B_n).
    let mut acc = [T::ZERO; 2];
    for (y_n, x_n) in y.iter_mut().zip(&x).rev() {
        *y_n = [b * (y_n[0] + acc[0]), b * (y_n[1] + acc[1])];
        acc = [q * (acc[0] + x_n[0]), q * (acc[1] + x_n[1])];
    }
    // The replaced entries.
    for corr in e.corrections.iter().take(e.len) {
        if let (Some(y_n), Some(x_m)) = (y.get_mut(corr.row), x.get(corr.col)) {
            *y_n = [y_n[0] + corr.delta * x_m[0], y_n[1] + corr.delta * x_m[1]];
        }
    }
    for ((out_s, out_c), y_n) in ks.iter_mut().zip(kc.iter_mut()).zip(&y) {
        (*out_s, *out_c) = (y_n[0], y_n[1]);
    }
}

/// `b`, `q` and the corrections, if `knm` has the exponential shape and
/// the structured product reproduces it (checked column by column).
fn exponential_model<const N: usize>(knm: &[[f64; N]; N]) -> Option<Exponential<f64>> {
    if N < 3 {
        return None;
    }
    // The most common entries at distance 1 and 2 give b·q and b·q².
    let v1 = most_common(knm, 1);
    let v2 = most_common(knm, 2);
    let ratio = v2 / v1;
    let scale = v1 / ratio;
    if !(ratio.is_finite() && scale.is_finite() && ratio != 0.0 && ratio.abs() <= 1.0) {
        return None;
    }
    let mut powers = [1.0; N];
    let mut power = 1.0;
    for slot in powers.iter_mut().skip(1) {
        power *= ratio;
        *slot = power;
    }
    let mut model =
        Exponential { scale, ratio, corrections: [Correction::default(); MAX_CORRECTIONS], len: 0 };
    for (n, row) in knm.iter().enumerate() {
        for (m, &k) in row.iter().enumerate() {
            let expected =
                if n == m { 0.0 } else { scale * powers.get(n.abs_diff(m)).copied().unwrap_or(0.0) };
            if (k - expected).abs() > MODEL_TOLERANCE * expected.abs() {
                let slot = model.corrections.get_mut(model.len)?;
                *slot = Correction { row: n, col: m, delta: k - expected };
                model.len += 1;
            }
        }
    }
    reproduces(&model, knm).then_some(model)
}

/// Whether the structured product's effective matrix matches `knm`.
fn reproduces<const N: usize>(model: &Exponential<f64>, knm: &[[f64; N]; N]) -> bool {
    let max_abs = knm.iter().flatten().fold(0.0, |acc: f64, k| acc.max(k.abs()));
    let tolerance = VERIFY_TOLERANCE * max_abs;
    (0..N).all(|m| {
        let unit: [f64; N] = core::array::from_fn(|i| if i == m { 1.0 } else { 0.0 });
        let (mut column, mut unused) = ([0.0; N], [0.0; N]);
        exponential_product(model, &unit, &[0.0; N], &mut column, &mut unused);
        column.iter().zip(knm).all(|(&got, row)| (got - row[m]).abs() <= tolerance)
    })
}

/// The value that occurs most often (bitwise) among the entries at
/// distance `d` from the diagonal, on both sides.
fn most_common<const N: usize>(knm: &[[f64; N]; N], d: usize) -> f64 {
    let span = N.saturating_sub(d);
    let at = |i: usize| {
        let (n, m) = if i < span { (i, i + d) } else { (i - span + d, i - span) };
        knm.get(n).and_then(|row| row.get(m)).copied().unwrap_or(f64::NAN)
    };
    let count = 2 * span;
    let mut best = (0, f64::NAN);
    for i in 0..count {
        let v = at(i);
        let n = (0..count).filter(|&j| at(j).to_bits() == v.to_bits()).count();
        if n > best.0 {
            best = (n, v);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Q16;
    use crate::physics::constants::{KNM, N_LAYERS};

    fn dense<const N: usize>(knm: &[[f64; N]; N], x: &[f64; N]) -> [f64; N] {
        core::array::from_fn(|n| knm[n].iter().zip(x).map(|(k, v)| k * v).sum())
    }

    fn apply<const N: usize>(
        plan: &CouplingPlan<f64, N>,
        s: &[f64; N],
        c: &[f64; N],
    ) -> ([f64; N], [f64; N]) {
        let (mut ks, mut kc) = ([f64::NAN; N], [f64::NAN; N]);
        plan.apply(s, c, &mut ks, &mut kc);
        (ks, kc)
    }

    fn wave<const N: usize>(phase: f64) -> [f64; N] {
        core::array::from_fn(|i| libm::sin(0.7 * i as f64 + phase))
    }

    #[test]
    fn canonical_matrix_is_structured_with_its_twelve_anchors() {
        let plan = CouplingPlan::<f64, N_LAYERS>::new(&KNM);
        let CouplingPlan::Exponential(e) = plan else { panic!("dense") };
        assert_eq!(e.len, 12);
        assert!((e.scale - 0.45).abs() < 1e-15);
        assert!((e.ratio - libm::exp(-0.3)).abs() < 1e-15);
        let (s, c) = (wave::<N_LAYERS>(0.1), wave::<N_LAYERS>(1.3));
        let (ks, kc) = apply(&plan, &s, &c);
        for (got, want) in ks.iter().chain(&kc).zip(dense(&KNM, &s).iter().chain(&dense(&KNM, &c))) {
            assert!((got - want).abs() < 4e-16, "{got} vs {want}");
        }
    }

    #[test]
    fn uniform_all_to_all_collapses_to_prefix_sums() {
        let knm = [[5.0; 8]; 8];
        let plan = CouplingPlan::<f64, 8>::new(&knm);
        let CouplingPlan::Exponential(e) = plan else { panic!("dense") };
        assert_eq!(e.len, 8); // the diagonal
        let x = wave::<8>(0.4);
        let (ks, _) = apply(&plan, &x, &x);
        for (got, want) in ks.iter().zip(&dense(&knm, &x)) {
            assert!((got - want).abs() < 1e-14);
        }
    }

    #[test]
    fn arbitrary_matrices_fall_back_to_the_dense_product() {
        let mut knm = [[0.0; 6]; 6];
        for (n, row) in knm.iter_mut().enumerate() {
            for (m, k) in row.iter_mut().enumerate() {
                *k = libm::sin(1.0 + (7 * n + 3 * m) as f64);
            }
        }
        let plan = CouplingPlan::<f64, 6>::new(&knm);
        assert!(!plan.is_structured());
        let x = wave::<6>(0.2);
        let (ks, kc) = apply(&plan, &x, &[1.0; 6]);
        assert_eq!(ks, dense(&knm, &x));
        assert_eq!(kc, dense(&knm, &[1.0; 6]));
    }

    #[test]
    fn too_many_replaced_entries_fall_back() {
        // Exponential shape, but 3·N replaced entries.
        let mut knm: [[f64; 16]; 16] = core::array::from_fn(|n| {
            core::array::from_fn(|m| if n == m { 0.0 } else { libm::pow(0.5, n.abs_diff(m) as f64) })
        });
        assert!(CouplingPlan::<f64, 16>::new(&knm).is_structured());
        for n in 0..16 {
            for d in [3, 5, 7] {
                knm[n][(n + d) % 16] += 0.01;
            }
        }
        assert!(!CouplingPlan::<f64, 16>::new(&knm).is_structured());
    }

    #[test]
    fn growing_ratios_and_fixed_point_stay_dense() {
        let knm: [[f64; 5]; 5] = core::array::from_fn(|n| {
            core::array::from_fn(|m| if n == m { 0.0 } else { libm::pow(2.0, n.abs_diff(m) as f64) })
        });
        assert!(!CouplingPlan::<f64, 5>::new(&knm).is_structured());
        assert!(!CouplingPlan::<Q16, N_LAYERS>::new(&KNM).is_structured());
        assert!(!CouplingPlan::<f64, 2>::new(&[[0.0, 1.0], [1.0, 0.0]]).is_structured());
    }

    #[test]
    fn zero_matrix_is_dense_and_gives_zeros() {
        let plan = CouplingPlan::<f64, 4>::new(&[[0.0; 4]; 4]);
        assert!(!plan.is_structured());
        assert_eq!(apply(&plan, &[1.0; 4], &[1.0; 4]), ([0.0; 4], [0.0; 4]));
    }
}
