//! The L16 closure as SSGF uses it (spec §8.2): the health value H_rec,
//! the PLV gate and the refusal rule that halves the next learning rate.
//!
//! The reference runs its full L16 controller here and throws away the PI
//! outputs, the dH/dt regression and the Lyapunov flag; only what SSGF can
//! observe is kept. The H_rec history holds the last `h_rec_window + 1`
//! values (all the refusal rule reads; the reference's 100-entry cap only
//! fed the discarded regression) and the PLV buffer the last `plv_window`
//! samples, both in fixed rings: nothing allocates.
//!
//! ```
//! use backfire_nostd::ssgf::closure::{ClosureParams, SSGFClosure};
//! let mut closure = SSGFClosure::new(ClosureParams::default()).unwrap();
//! let out = closure.step(&[0.5; 16], &[], &[], 1.0, 0.9, 0.0);
//! assert_eq!(out.h_rec, 0.0); // degenerate path: (1 − R) + max(0, 0.72 − p_h1)
//! assert!(out.gate_open); // PLV |cos 0| = 1 > 0.6
//! ```

use crate::check::{ParamError, check_finite};

use super::SSGFError;
use super::costs::{TCBO_THRESHOLD, plv};

/// Largest `plv_window` (the capacity of the PLV ring).
pub const MAX_PLV_WINDOW: usize = 64;
/// Largest `h_rec_window` (the H_rec ring keeps `h_rec_window + 1` values).
pub const MAX_H_REC_WINDOW: usize = 63;
/// Weight of the PGBO Frobenius norm in H_rec.
pub const H_REC_PGBO_WEIGHT: f64 = 0.01;
/// Learning-rate scale after a refusal.
pub const REFUSAL_LR_FACTOR: f64 = 0.5;
/// Oscillator pair of the PLV sample before saturation: `(6, 8)`.
pub const PLV_PAIR: (usize, usize) = (6, 8);

const RING: usize = MAX_PLV_WINDOW;

/// The closure's settings (spec §2: `plv_threshold`, `plv_window`,
/// `h_rec_window`). Validate with [`ClosureParams::validate`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClosureParams {
    /// The gate opens when the mean PLV is strictly above this; default 0.6.
    pub plv_threshold: f64,
    /// PLV samples averaged, default 10.
    pub plv_window: usize,
    /// Refusal window: that many strictly rising H_rec values (needs one
    /// more in the history), default 5.
    pub h_rec_window: usize,
}

impl Default for ClosureParams {
    fn default() -> Self {
        ClosureParams { plv_threshold: 0.6, plv_window: 10, h_rec_window: 5 }
    }
}

impl ClosureParams {
    /// Checks: `plv_threshold` finite, `1 <= plv_window <= 64`,
    /// `1 <= h_rec_window <= 63` (the reference's 0 empties the PLV buffer
    /// or refuses forever; the upper bounds are the fixed rings).
    pub fn validate(&self) -> Result<(), SSGFError> {
        check_finite("plv_threshold", self.plv_threshold)?;
        if !(1..=MAX_PLV_WINDOW).contains(&self.plv_window) {
            return Err(ParamError::new("plv_window", self.plv_window as f64, "in [1, 64]").into());
        }
        if !(1..=MAX_H_REC_WINDOW).contains(&self.h_rec_window) {
            return Err(ParamError::new("h_rec_window", self.h_rec_window as f64, "in [1, 63]").into());
        }
        Ok(())
    }
}

/// One closure step's result.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClosureOutput {
    /// The health value H_rec (≥ 0).
    pub h_rec: f64,
    /// The PLV gate after this step's sample.
    pub gate_open: bool,
    /// The refusal flag after this step.
    pub refusal: bool,
}

/// H_rec (spec §8.2), floored at 0:
/// `‖V − Φ‖²_F + (1 − r) + (var sin θ + var cos θ) + max(0, 0.72 − p_h1)
/// + 0.01·h_frob`, with `r` clamped to `[0, 1]` and population variances
/// (`Σsin²/L − (Σsin/L)²`, the reference's form, which can come out
/// ≈ −1e-16 by cancellation). The variance term is left out for an empty
/// `θ`.
///
/// `‖V − Φ‖²_F` is summed over the common prefix of the flat buffers in
/// index order, which is the reference's order (it walks the row-major
/// matrices with a column-major stride, i.e. flat order). If `V` or `Φ` is
/// empty, H_rec is `(1 − r) + max(0, 0.72 − p_h1)` (degenerate path). A
/// NaN sum floors to 0, as the reference's `max` does.
pub fn h_rec(v: &[f64], phi: &[f64], theta: &[f64], r: f64, p_h1: f64, h_frob: f64) -> f64 {
    let r = r.clamp(0.0, 1.0);
    let h1 = (TCBO_THRESHOLD - p_h1).max(0.0);
    let pred = 1.0 - r;
    if v.is_empty() || phi.is_empty() {
        return (pred + h1).max(0.0);
    }
    let alignment = v.iter().zip(phi).fold(0.0, |acc, (&a, &b)| {
        let d = a - b;
        acc + d * d
    });
    let mut h = alignment + pred;
    if !theta.is_empty() {
        h += phase_variance(theta);
    }
    (h + h1 + H_REC_PGBO_WEIGHT * h_frob).max(0.0)
}

/// `(Σsin²/L − (Σsin/L)²) + (Σcos²/L − (Σcos/L)²)` for a non-empty `θ`.
fn phase_variance(theta: &[f64]) -> f64 {
    let len = theta.len() as f64;
    let (s, s2, c, c2) = theta.iter().fold((0.0, 0.0, 0.0, 0.0), |(s, s2, c, c2), &x| {
        let (sx, cx) = (libm::sin(x), libm::cos(x));
        (s + sx, s2 + sx * sx, c + cx, c2 + cx * cx)
    });
    let (ms, mc) = (s / len, c / len);
    (s2 / len - ms * ms) + (c2 / len - mc * mc)
}

/// The PLV pair `(min(6, n−2), min(8, n−1))`, both saturating at 0:
/// `(6, 8)` for `n = 16`, `(0, 1)` for `n = 2`, `(0, 0)` for `n <= 1`.
pub fn plv_pair(n: usize) -> (usize, usize) {
    (PLV_PAIR.0.min(n.saturating_sub(2)), PLV_PAIR.1.min(n.saturating_sub(1)))
}

/// The last `cap` values pushed, in a fixed array.
#[derive(Clone, Debug)]
struct Ring {
    buf: [f64; RING],
    cap: usize,
    start: usize,
    len: usize,
}

impl Ring {
    /// A ring of capacity `cap`, clamped to `[1, 64]` (the parameters are
    /// validated before, so the clamp only guards the arithmetic).
    fn new(cap: usize) -> Self {
        Ring { buf: [0.0; RING], cap: cap.clamp(1, RING), start: 0, len: 0 }
    }

    fn push(&mut self, x: f64) {
        let slot = if self.len < self.cap {
            self.len += 1;
            (self.start + self.len - 1) % self.cap
        } else {
            let oldest = self.start;
            self.start = (self.start + 1) % self.cap;
            oldest
        };
        if let Some(s) = self.buf.get_mut(slot) {
            *s = x;
        }
    }

    /// Oldest first.
    fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len).filter_map(move |k| self.buf.get((self.start + k) % self.cap).copied())
    }

    fn len(&self) -> usize {
        self.len
    }

    fn clear(&mut self) {
        *self = Ring::new(self.cap);
    }
}

/// The L16 closure of the SSGF engine (stage 9, spec §8.2) over fixed
/// rings: no allocation, O(`plv_window` + `h_rec_window`) per step.
#[derive(Clone, Debug)]
pub struct SSGFClosure {
    params: ClosureParams,
    h_rec: Ring,
    plv: Ring,
    gate_open: bool,
    refusal: bool,
    refusal_count: u64,
    lr_z_scale: f64,
}

impl SSGFClosure {
    /// A closure with empty history: gate closed, no refusal, lr scale 1.
    ///
    /// # Errors
    ///
    /// Parameters failing [`ClosureParams::validate`].
    pub fn new(params: ClosureParams) -> Result<Self, SSGFError> {
        params.validate()?;
        Ok(SSGFClosure {
            params,
            h_rec: Ring::new(params.h_rec_window + 1),
            plv: Ring::new(params.plv_window),
            gate_open: false,
            refusal: false,
            refusal_count: 0,
            lr_z_scale: 1.0,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &ClosureParams {
        &self.params
    }

    /// One stage-9 update (spec §8.2): appends [`h_rec`] of the arguments
    /// and the PLV sample `|cos(θ_a − θ_b)|` for [`plv_pair`]`(len θ)`,
    /// sets the gate (mean of the kept PLV samples strictly above the
    /// threshold) and, once `h_rec_window + 1` values are kept, the refusal
    /// flag: on if the newest `h_rec_window` values rise strictly.
    ///
    /// `v` and `phi` are the `n×n` eigenvector and target matrices (empty
    /// for the degenerate path), `theta` the `n` phases after the
    /// micro-cycle, `r` their order parameter.
    pub fn step(
        &mut self,
        theta: &[f64],
        v: &[f64],
        phi: &[f64],
        r: f64,
        p_h1: f64,
        h_frob: f64,
    ) -> ClosureOutput {
        let h = h_rec(v, phi, theta, r, p_h1, h_frob);
        self.h_rec.push(h);
        let (a, b) = plv_pair(theta.len());
        self.plv.push(plv(theta, a, b));
        self.gate_open = self.plv_gate_open();
        self.check_refusal();
        ClosureOutput { h_rec: h, gate_open: self.gate_open, refusal: self.refusal }
    }

    /// Mean of the kept PLV samples, summed oldest to newest each time (as
    /// the reference sums its buffer, so the bits agree; a running sum
    /// would drift), strictly above the threshold; closed when empty.
    fn plv_gate_open(&self) -> bool {
        let len = self.plv.len();
        if len == 0 {
            return false;
        }
        let mean = self.plv.iter().fold(0.0, |acc, x| acc + x) / len as f64;
        mean > self.params.plv_threshold
    }

    /// The refusal rule, with the reference's window semantics: it needs
    /// `w + 1` values and tests the newest `w` (`w − 1` strict rises).
    /// Below that, the state is left unchanged.
    fn check_refusal(&mut self) {
        let w = self.params.h_rec_window;
        let len = self.h_rec.len();
        if len < w + 1 {
            return;
        }
        let mut newest = self.h_rec.iter().skip(len - w);
        let rising = match newest.next() {
            Some(first) => newest.try_fold(first, |prev, x| (x > prev).then_some(x)).is_some(),
            None => true,
        };
        self.refusal = rising;
        if rising {
            self.refusal_count = self.refusal_count.saturating_add(1);
            self.lr_z_scale = REFUSAL_LR_FACTOR;
        } else {
            self.lr_z_scale = 1.0;
        }
    }

    /// The PLV gate after the last step (false before any step).
    pub fn gate_open(&self) -> bool {
        self.gate_open
    }

    /// The refusal flag after the last step.
    pub fn refusal(&self) -> bool {
        self.refusal
    }

    /// Number of steps that found H_rec rising (steps, not episodes).
    pub fn refusal_count(&self) -> u64 {
        self.refusal_count
    }

    /// 0.5 after a refusal, else 1.0: the scale the **next** gradient step
    /// uses (§7.3).
    pub fn lr_z_scale(&self) -> f64 {
        self.lr_z_scale
    }

    /// The kept H_rec values (at most `h_rec_window + 1`), oldest first.
    pub fn h_rec_history(&self) -> impl Iterator<Item = f64> + '_ {
        self.h_rec.iter()
    }

    /// Back to the state after [`new`](Self::new), parameters kept.
    pub fn reset(&mut self) {
        self.h_rec.clear();
        self.plv.clear();
        self.gate_open = false;
        self.refusal = false;
        self.refusal_count = 0;
        self.lr_z_scale = 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssgf::costs::order_parameter;
    use core::f64::consts::{FRAC_PI_2, PI};

    fn identity<const NN: usize>(n: usize) -> [f64; NN] {
        core::array::from_fn(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 })
    }

    fn closure(plv_threshold: f64, plv_window: usize, h_rec_window: usize) -> SSGFClosure {
        SSGFClosure::new(ClosureParams { plv_threshold, plv_window, h_rec_window }).unwrap()
    }

    /// A step whose H_rec is exactly `h` (degenerate path, p_h1 ≥ 0.72, r = 1 − h).
    fn step_h(c: &mut SSGFClosure, theta: &[f64], h: f64) -> ClosureOutput {
        let out = c.step(theta, &[], &[], 1.0 - h, 0.9, 0.0);
        assert!((out.h_rec - h).abs() < 1e-15);
        out
    }

    #[test]
    fn h_rec_degenerate_path() {
        assert!((h_rec(&[], &[], &[0.3; 4], 0.8, 0.5, 7.0) - 0.42).abs() < 1e-12);
        assert_eq!(h_rec(&[1.0; 4], &[], &[], 0.25, 0.9, 7.0), 0.75);
        // r is clamped: 1.5 counts as 1, −1 as 0.
        assert_eq!(h_rec(&[], &[], &[], 1.5, 1.0, 0.0), 0.0);
        assert_eq!(h_rec(&[], &[], &[], -1.0, 1.0, 0.0), 1.0);
        // N = 0 in the reference: (1 − 0) + 0.72 = 1.72.
        assert_eq!(h_rec(&[], &[], &[], order_parameter(&[]), 0.0, 0.0), 1.72);
    }

    #[test]
    fn h_rec_floors_at_zero() {
        // A negative h_frob drives the sum below 0; NaN floors to 0 too.
        assert_eq!(h_rec(&[1.0], &[1.0], &[], 1.0, 1.0, -50.0), 0.0);
        assert_eq!(h_rec(&[1.0], &[1.0], &[0.0], f64::NAN, 1.0, 0.0), 0.0);
        assert_eq!(h_rec(&[f64::NAN], &[1.0], &[0.0], 1.0, 1.0, 0.0), 0.0);
        let tiny = h_rec(&[1.0], &[1.0], &[0.4; 5], 1.0, 1.0, 0.0);
        assert!((0.0..1e-15).contains(&tiny));
    }

    #[test]
    fn h_rec_full_path_terms() {
        // ‖V − Φ‖² = 4·0.25 = 1; 1 − r = 0.5; variance of {0, π/2, π, 3π/2}
        // = 1 − R² = 1; deficit 0.22; 0.01·h_frob = 0.03.
        let theta = [0.0, FRAC_PI_2, PI, 3.0 * FRAC_PI_2];
        let h = h_rec(&[0.5; 4], &[0.0; 4], &theta, 0.5, 0.5, 3.0);
        assert!((h - (1.0 + 0.5 + 1.0 + 0.22 + 0.03)).abs() < 1e-14, "{h}");
        // Equal phases have no variance.
        let h = h_rec(&[0.5; 4], &[0.0; 4], &[0.7; 4], 0.5, 0.5, 3.0);
        assert!((h - (1.0 + 0.5 + 0.22 + 0.03)).abs() < 1e-14, "{h}");
    }

    #[test]
    fn h_rec_is_2n_minus_2_trace_for_identity_target() {
        // V = a rotation by 0.7 in the (0, 1) and (2, 3) planes of R^5,
        // Φ = I, θ all equal (variance 0), r = 1, p_h1 = 1, h_frob = 0.
        let n = 5;
        let (c, s) = (libm::cos(0.7), libm::sin(0.7));
        let mut v: [f64; 25] = identity(n);
        for p in [0, 2] {
            v[p * n + p] = c;
            v[p * n + p + 1] = -s;
            v[(p + 1) * n + p] = s;
            v[(p + 1) * n + p + 1] = c;
        }
        let trace = 4.0 * c + 1.0;
        let h = h_rec(&v, &identity::<25>(n), &[1.1; 5], 1.0, 1.0, 0.0);
        assert!((h - (2.0 * n as f64 - 2.0 * trace)).abs() < 1e-14, "{h}");
        assert!(h > 0.0);
        assert!(h_rec(&identity::<25>(n), &identity::<25>(n), &[1.1; 5], 1.0, 1.0, 0.0) < 1e-15);
    }

    #[test]
    fn plv_pairs() {
        assert_eq!(plv_pair(16), (6, 8));
        assert_eq!(plv_pair(9), (6, 8));
        assert_eq!(plv_pair(8), (6, 7));
        assert_eq!(plv_pair(2), (0, 1));
        assert_eq!(plv_pair(1), (0, 0));
        assert_eq!(plv_pair(0), (0, 0));
    }

    #[test]
    fn single_node_opens_the_gate() {
        // N = 1: the PLV of a node with itself is 1.
        let mut c = closure(0.6, 10, 5);
        assert!(c.step(&[2.0], &[], &[], 1.0, 0.0, 0.0).gate_open);
        // N = 0: PLV 0, gate closed.
        let mut c = closure(0.6, 10, 5);
        assert!(!c.step(&[], &[], &[], 0.0, 0.0, 0.0).gate_open);
    }

    /// θ of 16 nodes whose PLV sample (6, 8) is exactly |cos(x)|.
    fn theta_with_plv(x: f64) -> [f64; 16] {
        let mut theta = [0.0; 16];
        theta[8] = x;
        theta
    }

    #[test]
    fn gate_is_strict_around_the_threshold() {
        // Equal phases give PLV exactly 1: a mean equal to the threshold
        // keeps the gate closed, one just below opens it.
        let mut c = closure(1.0, 10, 5);
        assert!(!c.gate_open());
        assert!(!c.step(&[0.3; 16], &[], &[], 1.0, 1.0, 0.0).gate_open);
        let mut c = closure(1.0 - 1e-12, 10, 5);
        assert!(c.step(&[0.3; 16], &[], &[], 1.0, 1.0, 0.0).gate_open);
        // Windowed mean: 10 × 0.85 opens, then 10 × 0.3 close it.
        let mut c = closure(0.6, 10, 5);
        let high = theta_with_plv(libm::acos(0.85));
        let low = theta_with_plv(libm::acos(0.3));
        for _ in 0..10 {
            assert!(c.step(&high, &[], &[], 1.0, 1.0, 0.0).gate_open);
        }
        let opens: [bool; 10] = core::array::from_fn(|_| c.step(&low, &[], &[], 1.0, 1.0, 0.0).gate_open);
        // Mean after k low samples: 0.85 − 0.055·k > 0.6 ⇔ k ≤ 4.
        assert_eq!(opens, [true, true, true, true, false, false, false, false, false, false]);
    }

    #[test]
    fn refusal_after_strictly_rising_values() {
        let mut c = closure(0.6, 10, 5);
        let theta = [0.0; 16];
        for (k, h) in [0.1, 0.2, 0.3, 0.4, 0.5].into_iter().enumerate() {
            let out = step_h(&mut c, &theta, h);
            assert!(!out.refusal, "step {k}: needs 6 values");
            assert_eq!(c.lr_z_scale(), 1.0);
        }
        assert!(step_h(&mut c, &theta, 0.6).refusal);
        assert_eq!((c.refusal(), c.refusal_count(), c.lr_z_scale()), (true, 1, 0.5));
        assert!(step_h(&mut c, &theta, 0.7).refusal);
        assert_eq!(c.refusal_count(), 2);
        // A non-rising value (equal is not a rise) switches it off.
        assert!(!step_h(&mut c, &theta, 0.7).refusal);
        assert_eq!((c.refusal(), c.refusal_count(), c.lr_z_scale()), (false, 2, 1.0));
        // Only the last h_rec_window + 1 values are kept.
        let kept: [f64; 6] = {
            let mut it = c.h_rec_history();
            core::array::from_fn(|_| it.next().unwrap())
        };
        assert_eq!(kept.map(|x| (x * 10.0).round()), [3.0, 4.0, 5.0, 6.0, 7.0, 7.0]);
        assert_eq!(c.h_rec_history().count(), 6);
    }

    #[test]
    fn refusal_uses_only_the_newest_window() {
        // 6 values: the oldest may fall; the newest 5 rise → refusal.
        let mut c = closure(0.6, 10, 5);
        for h in [0.9, 0.1, 0.2, 0.3, 0.4, 0.5] {
            step_h(&mut c, &[0.0; 16], h);
        }
        assert!(c.refusal());
        // Window 1: a single value counts as rising, from the 2nd step on.
        let mut c = closure(0.6, 10, 1);
        assert!(!step_h(&mut c, &[0.0; 16], 0.5).refusal);
        assert!(step_h(&mut c, &[0.0; 16], 0.1).refusal);
    }

    #[test]
    fn reset_forgets_everything() {
        let mut c = closure(0.6, 3, 2);
        for h in [0.1, 0.2, 0.3] {
            step_h(&mut c, &[0.0; 16], h);
        }
        assert!(c.refusal() && c.gate_open());
        c.reset();
        assert!(!c.refusal() && !c.gate_open());
        assert_eq!((c.refusal_count(), c.lr_z_scale(), c.h_rec_history().count()), (0, 1.0, 0));
        assert_eq!(c.params(), &ClosureParams { plv_threshold: 0.6, plv_window: 3, h_rec_window: 2 });
    }

    #[test]
    fn params_validation() {
        assert_eq!(
            ClosureParams::default(),
            ClosureParams { plv_threshold: 0.6, plv_window: 10, h_rec_window: 5 }
        );
        let field = |p: ClosureParams| match SSGFClosure::new(p).unwrap_err() {
            SSGFError::Param(e) => e.field,
            other => panic!("{other:?}"),
        };
        let d = ClosureParams::default();
        assert_eq!(field(ClosureParams { plv_threshold: f64::NAN, ..d }), "plv_threshold");
        assert_eq!(field(ClosureParams { plv_window: 0, ..d }), "plv_window");
        assert_eq!(field(ClosureParams { plv_window: 65, ..d }), "plv_window");
        assert_eq!(field(ClosureParams { h_rec_window: 0, ..d }), "h_rec_window");
        assert_eq!(field(ClosureParams { h_rec_window: 64, ..d }), "h_rec_window");
        assert!(SSGFClosure::new(ClosureParams { plv_window: 64, h_rec_window: 63, ..d }).is_ok());
    }

    #[test]
    fn rings_match_a_plain_window_at_capacity() {
        // Property: with the largest windows, the kept history is always
        // the last 64 values and the gate equals a direct mean of the
        // last 64 PLV samples.
        let mut c = closure(0.5, 64, 63);
        let mut rng = crate::rng::SimpleRng::new(3);
        let mut all_h = [0.0; 200];
        let mut all_plv = [0.0; 200];
        for t in 0..200 {
            let theta: [f64; 16] = core::array::from_fn(|_| 6.0 * rng.next_f64());
            let out = c.step(&theta, &[], &[], rng.next_f64(), 1.0, 0.0);
            all_h[t] = out.h_rec;
            all_plv[t] = plv(&theta, 6, 8);
            let from = (t + 1).saturating_sub(64);
            assert!(c.h_rec_history().eq(all_h[from..=t].iter().copied()));
            let window = &all_plv[from..=t];
            let mean = window.iter().fold(0.0, |a, x| a + x) / window.len() as f64;
            assert_eq!(out.gate_open, mean > 0.5);
        }
    }
}
