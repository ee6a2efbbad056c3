//! The micro-cycle (spec §4): `n_micro` explicit Euler steps of N Kuramoto
//! oscillators whose coupling is the physics `K` plus the decoded geometry
//! `W` plus (optionally) the PGBO tensor `h`.
//!
//! ```text
//! M      = K + σ_g·W (+ g_p·h)                       formed once per cycle
//! rate_i = Ω_i + Σ_j M_ij·sin(θ_j − θ_i) + F·cos θ_i + noise_amp·√dt·ξ_i
//! θ_i   ← wrap(θ_i + dt·rate_i)                      into [0, 2π)
//! ```
//!
//! Every rate is computed from the phases at the start of the step (a
//! Jacobi update). There is no 1/N normalisation of the coupling.
//!
//! Differences from the reference, all deliberate:
//!
//! * **One coupling matrix.** W and h are fixed during a cycle, so
//!   [`effective_coupling`] folds them into `M` once; the reference keeps
//!   three sums per row. The results differ by rounding only.
//! * **O(N) trigonometry** (spec §12.3, §13 item 10).
//!   `Σ_j M_ij·sin(θ_j − θ_i) = cos θ_i·Σ_j M_ij sin θ_j − sin θ_i·Σ_j M_ij cos θ_j`:
//!   2N sine/cosine evaluations and O(N²) multiply-adds per step instead of
//!   N² sines. Checked against a literal N²-sine port of the reference in
//!   the tests (≈ 1.3e-15 apart after 100 steps at N = 16).
//! * **Wrap.** [`wrap_radians`] never returns 2π; the reference's Euclidean
//!   remainder can, in a rare rounding case.
//! * **Checked inputs.** Lengths and finiteness are checked, and a step
//!   that would overflow is rejected before it changes anything.
//!
//! **Noise scaling (reference behaviour, spec §13 item 4).** The noise term
//! is part of the rate and is multiplied by `dt` with it, so the noise added
//! to θ per step is `noise_amp·dt^{3/2}·ξ` (≈ 6.3e-7 rad at the defaults),
//! not Euler–Maruyama's `noise_amp·√dt·ξ`. It is kept for bit-compatibility
//! with the reference's trajectories; to get the textbook diffusion, pass
//! `noise_amp / dt`.
//!
//! The RNG draws one normal (two uniforms) per oscillator per step, in index
//! order, **even when `noise_amp = 0`**, so the stream stays aligned with the
//! reference whatever the noise amplitude.
//!
//! ```
//! use backfire_nostd::rng::SimpleRng;
//! use backfire_nostd::ssgf::micro::{effective_coupling, micro_cycle, MicroParams};
//!
//! const N: usize = 4;
//! let params = MicroParams::default();
//! let (k, w) = ([0.5; N * N], [0.0; N * N]);
//! let mut m = [0.0; N * N];
//! effective_coupling(&k, &w, None, &params, N, &mut m).unwrap();
//! let mut theta = [0.0, 1.0, 2.0, 3.0];
//! let mut scratch = [0.0; 2 * N];
//! let mut rng = SimpleRng::new(43);
//! micro_cycle(&mut theta, &[1.0; N], &m, &params, 10, &mut rng, &mut scratch).unwrap();
//! assert!(theta.iter().all(|t| (0.0..core::f64::consts::TAU).contains(t)));
//! ```

use crate::check::{check_finite, check_non_negative, check_positive};
use crate::num::{sin_cos_fast, sqrt, wrap_radians};
use crate::observers::{check_length, check_vector};
use crate::rng::SimpleRng;

use super::SSGFError;

/// Settings of the micro-cycle (spec §2: `dt_micro`, `sigma_g`,
/// `noise_amp`, `field_pressure`, `pgbo_weight`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MicroParams {
    /// Micro time step `dt_micro`, default 0.001.
    pub dt: f64,
    /// Gain `σ_g` of the geometry (W) coupling, default 0.1.
    pub sigma_g: f64,
    /// Noise amplitude, default 0.02. The noise on θ per step is
    /// `noise_amp·dt^{3/2}·ξ` (reference behaviour, see the module docs).
    pub noise_amp: f64,
    /// `F` of the `F·cos θ_i` drive, default 0.05.
    pub field_pressure: f64,
    /// Gain `g_p` of the PGBO (h) coupling, default 0.1. The engine passes
    /// 0 (and no h) when PGBO is disabled.
    pub pgbo_weight: f64,
}

impl Default for MicroParams {
    fn default() -> Self {
        MicroParams { dt: 0.001, sigma_g: 0.1, noise_amp: 0.02, field_pressure: 0.05, pgbo_weight: 0.1 }
    }
}

impl MicroParams {
    /// Checks: `dt` finite and `> 0`; `sigma_g`, `pgbo_weight` and
    /// `field_pressure` finite (any sign); `noise_amp` finite and `>= 0`.
    ///
    /// ```
    /// use backfire_nostd::ssgf::micro::MicroParams;
    /// let bad = MicroParams { dt: 0.0, ..Default::default() };
    /// assert_eq!(bad.validate().unwrap_err().to_string(), "dt must be finite and > 0, got 0");
    /// ```
    pub fn validate(&self) -> Result<(), SSGFError> {
        check_positive("dt", self.dt)?;
        check_finite("sigma_g", self.sigma_g)?;
        check_non_negative("noise_amp", self.noise_amp)?;
        check_finite("field_pressure", self.field_pressure)?;
        check_finite("pgbo_weight", self.pgbo_weight)?;
        Ok(())
    }
}

/// The per-cycle coupling `M = K + σ_g·W (+ g_p·h when h is given)`,
/// `n × n` row-major, written into `m`.
///
/// W and h are fixed during one outer step's `n_micro` micro-steps, so this
/// is formed once per cycle. Each entry is `(K_ij + σ_g·W_ij) + g_p·h_ij`;
/// the reference sums the three couplings separately per row, which rounds
/// differently (≈ 1e-16 relative per rate).
///
/// # Errors
///
/// A parameter fails [`MicroParams::validate`]; `k`, `w`, `h` or `m` is not
/// `n·n` long; an entry of `k`, `w` or `h` is not finite; or an entry of `M`
/// overflows ([`SSGFError::NonFiniteResult`]). On error `m` is unchanged.
pub fn effective_coupling(
    k: &[f64],
    w: &[f64],
    h: Option<&[f64]>,
    params: &MicroParams,
    n: usize,
    m: &mut [f64],
) -> Result<(), SSGFError> {
    params.validate()?;
    let nn = square_len("m", n, m.len())?;
    check_vector("k", k, nn)?;
    check_vector("w", w, nn)?;
    check_length("m", m.len(), nn)?;
    let (sigma_g, g_p) = (params.sigma_g, params.pgbo_weight);
    let kw = k.iter().zip(w);
    match h {
        Some(h) => {
            check_vector("h", h, nn)?;
            fill_checked(m, kw.zip(h).map(|((&k, &w), &h)| k + sigma_g * w + g_p * h))
        }
        None => fill_checked(m, kw.map(|(&k, &w)| k + sigma_g * w)),
    }
}

/// One micro-step (spec §4) with the coupling `m` from
/// [`effective_coupling`].
///
/// `n = theta.len()`. Every rate uses the phases at the start of the step;
/// `ξ_i = rng.next_normal()` is drawn for `i = 0..n` in order even when
/// `noise_amp = 0`. The new phases are wrapped into `[0, 2π)`. Input phases
/// may lie outside `[0, 2π)`. `scratch` (length `2n`) receives
/// `sin θ_j` and `cos θ_j`.
///
/// # Errors
///
/// Invalid `params`; `omega` not `n` long, `m` not `n·n`, `scratch` not
/// `2n`; a non-finite entry of `theta`, `omega` or `m`; or a new phase that
/// is not finite because the inputs overflow
/// ([`SSGFError::NonFiniteResult`]). On error `theta` and `rng` are
/// unchanged.
pub fn micro_step(
    theta: &mut [f64],
    omega: &[f64],
    m: &[f64],
    params: &MicroParams,
    rng: &mut SimpleRng,
    scratch: &mut [f64],
) -> Result<(), SSGFError> {
    let bounds = check_inputs(theta, omega, m, params, scratch)?;
    step_checked(theta, omega, m, params, rng, scratch, &bounds)
}

/// `n_micro` micro-steps with the same coupling `m` (the engine's stage 4).
///
/// The inputs are checked once per call, not per step. Equal, bit for bit,
/// to `n_micro` calls of [`micro_step`].
///
/// # Errors
///
/// As [`micro_step`]. An input error changes nothing. If step `s` overflows
/// ([`SSGFError::NonFiniteResult`]), `theta` and `rng` hold the state after
/// step `s − 1` (there is no room to keep the phases from before the cycle).
pub fn micro_cycle(
    theta: &mut [f64],
    omega: &[f64],
    m: &[f64],
    params: &MicroParams,
    n_micro: usize,
    rng: &mut SimpleRng,
    scratch: &mut [f64],
) -> Result<(), SSGFError> {
    let bounds = check_inputs(theta, omega, m, params, scratch)?;
    for _ in 0..n_micro {
        step_checked(theta, omega, m, params, rng, scratch, &bounds)?;
    }
    Ok(())
}

/// Normals drawn per batch: [`SimpleRng::fill_normals`] transforms a
/// batch in SIMD lanes, and gives the same bits as one-by-one draws.
const NORMAL_BATCH: usize = 16;

/// The next `min(remaining, NORMAL_BATCH)` normals of `rng` into the front
/// of `out`.
fn draw_normals(rng: &mut SimpleRng, out: &mut [f64; NORMAL_BATCH], remaining: usize) {
    if remaining >= NORMAL_BATCH {
        rng.fill_normals(out);
    } else {
        out.iter_mut().take(remaining).for_each(|x| *x = rng.next_normal());
    }
}

/// Largest `|ξ|` Box–Muller can return: `u1 ≥ 1e-300` gives
/// `√(−2 ln 1e-300) ≈ 37.2`, and `|cos| ≤ 1`.
const XI_MAX: f64 = 40.0;

/// Below this, `|θ| + dt·|rate|` cannot reach `f64::MAX` through rounding
/// (a factor 1e8 of headroom).
const SAFE_MAGNITUDE: f64 = 1e300;

/// Magnitudes of the checked inputs that bound every rate.
struct RateBounds {
    /// `max_i |Ω_i|`.
    omega: f64,
    /// `max_ij |M_ij|`.
    m: f64,
}

/// `n·n` for a matrix argument, as a length error if it overflows.
fn square_len(field: &'static str, n: usize, got: usize) -> Result<usize, SSGFError> {
    n.checked_mul(n).ok_or(SSGFError::Length { field, expected: usize::MAX, got })
}

/// Writes `values` into `out` only if every one is finite, so an overflow
/// leaves `out` unchanged (`values` is evaluated twice; it is pure).
fn fill_checked(out: &mut [f64], values: impl Iterator<Item = f64> + Clone) -> Result<(), SSGFError> {
    if values.clone().any(|v| !v.is_finite()) {
        return Err(SSGFError::NonFiniteResult { quantity: "coupling M" });
    }
    for (o, v) in out.iter_mut().zip(values) {
        *o = v;
    }
    Ok(())
}

/// Largest `|x|` (0 for an empty slice); NaN does not occur after
/// [`check_vector`].
fn max_abs(xs: &[f64]) -> f64 {
    xs.iter().fold(0.0, |acc: f64, x| acc.max(x.abs()))
}

/// The per-call checks of [`micro_step`] and [`micro_cycle`].
fn check_inputs(
    theta: &[f64],
    omega: &[f64],
    m: &[f64],
    params: &MicroParams,
    scratch: &[f64],
) -> Result<RateBounds, SSGFError> {
    params.validate()?;
    let n = theta.len();
    let nn = square_len("m", n, m.len())?;
    check_vector("theta", theta, n)?;
    check_vector("omega", omega, n)?;
    check_vector("m", m, nn)?;
    check_length("scratch", scratch.len(), n.saturating_mul(2))?;
    Ok(RateBounds { omega: max_abs(omega), m: max_abs(m) })
}

/// One step on checked inputs; `theta` and `rng` are unchanged on error.
fn step_checked(
    theta: &mut [f64],
    omega: &[f64],
    m: &[f64],
    params: &MicroParams,
    rng: &mut SimpleRng,
    scratch: &mut [f64],
    bounds: &RateBounds,
) -> Result<(), SSGFError> {
    let n = theta.len();
    let (sin, cos) = scratch.split_at_mut(n);
    for ((s, c), &t) in sin.iter_mut().zip(cos.iter_mut()).zip(theta.iter()) {
        (*s, *c) = sin_cos_fast(t);
    }
    if !surely_finite(theta, params, bounds) {
        // Rare (inputs near overflow): a dry run on a copy of the RNG
        // decides before anything is written. Same arithmetic, same bits.
        advance(theta, omega, m, params, &mut rng.clone(), sin, cos, false)?;
    }
    advance(theta, omega, m, params, rng, sin, cos, true)
}

/// Whether every new phase is finite whatever the sines and normals are:
/// `|rate_i| ≤ |Ω_i| + 2n·max|M| + |F| + noise_amp·√dt·|ξ|`.
fn surely_finite(theta: &[f64], params: &MicroParams, bounds: &RateBounds) -> bool {
    let coupling = 2.0 * theta.len() as f64 * bounds.m;
    let noise = params.noise_amp * sqrt(params.dt) * XI_MAX;
    let rate = bounds.omega + coupling + params.field_pressure.abs() + noise;
    max_abs(theta) + params.dt * rate < SAFE_MAGNITUDE
}

/// The rates and new phases of one step from `sin θ_j`, `cos θ_j`; writes
/// them only if `commit`. Stops at the first non-finite phase (which a
/// committing call after [`surely_finite`] or a dry run never meets).
#[allow(clippy::too_many_arguments)] // the step's inputs, split only to share this loop
fn advance(
    theta: &mut [f64],
    omega: &[f64],
    m: &[f64],
    params: &MicroParams,
    rng: &mut SimpleRng,
    sin: &[f64],
    cos: &[f64],
    commit: bool,
) -> Result<(), SSGFError> {
    let n = theta.len();
    if n == 0 {
        return Ok(()); // chunks_exact(0) would panic; nothing to draw either
    }
    // (noise_amp·√dt)·ξ_i, grouped left to right as the reference writes it.
    let noise_scale = params.noise_amp * sqrt(params.dt);
    let rows = m.chunks_exact(n).zip(omega).zip(sin.iter().zip(cos));
    let mut normals = [0.0; NORMAL_BATCH];
    for (i, (t, ((row, &omega_i), (&sin_i, &cos_i)))) in theta.iter_mut().zip(rows).enumerate() {
        let slot = i % NORMAL_BATCH;
        if slot == 0 {
            draw_normals(rng, &mut normals, n - i);
        }
        let (sum_sin, sum_cos) = row
            .iter()
            .zip(sin.iter().zip(cos))
            .fold((0.0, 0.0), |(s, c), (&m_ij, (&sin_j, &cos_j))| (s + m_ij * sin_j, c + m_ij * cos_j));
        let coupling = cos_i * sum_sin - sin_i * sum_cos;
        let xi = normals.get(slot).copied().unwrap_or_default();
        let rate = omega_i + coupling + params.field_pressure * cos_i + noise_scale * xi;
        let next = *t + params.dt * rate;
        if !next.is_finite() {
            return Err(SSGFError::NonFiniteResult { quantity: "theta" });
        }
        if commit {
            *t = wrap_radians(next);
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // golden digits as the spec prints them
mod tests {
    use super::*;
    use crate::physics::{KNM, OMEGA_N};
    use core::f64::consts::{PI, TAU};

    /// The §10.1 micro engine(N): Ω = 1, K = 0.5 everywhere, dt 0.001,
    /// σ_g 0.1, noise 0, F 0, g_p 0 (the micro RNG seed is the test's).
    fn test_params() -> MicroParams {
        MicroParams { dt: 0.001, sigma_g: 0.1, noise_amp: 0.0, field_pressure: 0.0, pgbo_weight: 0.0 }
    }

    /// `M` for K and W given as matrices, no h.
    fn coupling<const NN: usize>(k: &[f64; NN], w: &[f64; NN], params: &MicroParams, n: usize) -> [f64; NN] {
        let mut m = [0.0; NN];
        effective_coupling(k, w, None, params, n, &mut m).unwrap();
        m
    }

    /// Distance on the circle.
    fn circular_distance(a: f64, b: f64) -> f64 {
        let d = libm::fabs(a - b) % TAU;
        d.min(TAU - d)
    }

    #[test]
    fn defaults_are_the_spec_values_and_valid() {
        let p = MicroParams::default();
        assert_eq!(
            (p.dt, p.sigma_g, p.noise_amp, p.field_pressure, p.pgbo_weight),
            (0.001, 0.1, 0.02, 0.05, 0.1)
        );
        assert_eq!(p.validate(), Ok(()));
        // Signed gains are allowed.
        let signed = MicroParams { sigma_g: -1.0, field_pressure: -0.5, pgbo_weight: -0.1, ..p };
        assert_eq!(signed.validate(), Ok(()));
    }

    #[test]
    fn validate_names_the_bad_field() {
        let p = MicroParams::default();
        let cases = [
            (MicroParams { dt: 0.0, ..p }, "dt"),
            (MicroParams { dt: -1e-3, ..p }, "dt"),
            (MicroParams { dt: f64::INFINITY, ..p }, "dt"),
            (MicroParams { sigma_g: f64::NAN, ..p }, "sigma_g"),
            (MicroParams { noise_amp: -0.1, ..p }, "noise_amp"),
            (MicroParams { noise_amp: f64::INFINITY, ..p }, "noise_amp"),
            (MicroParams { field_pressure: f64::NEG_INFINITY, ..p }, "field_pressure"),
            (MicroParams { pgbo_weight: f64::NAN, ..p }, "pgbo_weight"),
        ];
        for (bad, field) in cases {
            match bad.validate() {
                Err(SSGFError::Param(e)) => assert_eq!(e.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn effective_coupling_sums_the_three_terms() {
        let p = MicroParams { sigma_g: 0.5, pgbo_weight: 0.25, ..MicroParams::default() };
        let k = [0.0, 1.0, 1.0, 0.0];
        let w = [0.0, 2.0, 4.0, 0.0];
        let h = [8.0, 4.0, 4.0, 8.0];
        let mut m = [9.0; 4];
        effective_coupling(&k, &w, Some(&h), &p, 2, &mut m).unwrap();
        assert_eq!(m, [2.0, 3.0, 4.0, 2.0]);
        effective_coupling(&k, &w, None, &p, 2, &mut m).unwrap();
        assert_eq!(m, [0.0, 2.0, 3.0, 0.0]);
        // n = 0 is an empty matrix.
        effective_coupling(&[], &[], None, &p, 0, &mut []).unwrap();
    }

    #[test]
    fn effective_coupling_rejects_bad_input_and_leaves_m_alone() {
        let p = MicroParams::default();
        let (k, w, h) = ([0.1; 4], [0.2; 4], [0.3; 4]);
        let mut m = [7.0; 4];
        let short = [0.0; 3];
        let length = |e: Result<(), SSGFError>| match e {
            Err(SSGFError::Length { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(length(effective_coupling(&short, &w, None, &p, 2, &mut m)), "k");
        assert_eq!(length(effective_coupling(&k, &short, None, &p, 2, &mut m)), "w");
        assert_eq!(length(effective_coupling(&k, &w, Some(&short), &p, 2, &mut m)), "h");
        assert_eq!(length(effective_coupling(&k, &w, None, &p, 2, &mut [0.0; 5])), "m");
        assert_eq!(length(effective_coupling(&k, &w, None, &p, usize::MAX, &mut m)), "m");
        let mut nan = [0.0; 4];
        nan[3] = f64::NAN;
        for (e, name) in [
            (effective_coupling(&nan, &w, None, &p, 2, &mut m), "k"),
            (effective_coupling(&k, &nan, None, &p, 2, &mut m), "w"),
            (effective_coupling(&k, &w, Some(&nan), &p, 2, &mut m), "h"),
        ] {
            assert!(matches!(e, Err(SSGFError::NonFinite { field, index: 3, .. }) if field == name), "{e:?}");
        }
        let bad = MicroParams { sigma_g: f64::NAN, ..p };
        assert!(matches!(effective_coupling(&k, &w, None, &bad, 2, &mut m), Err(SSGFError::Param(_))));
        // K + σ_g·W overflows in the last entry only.
        let big = MicroParams { sigma_g: 10.0, ..p };
        let w_big = [0.0, 0.0, 0.0, f64::MAX];
        let e = effective_coupling(&k, &w_big, Some(&h), &big, 2, &mut m);
        assert_eq!(e, Err(SSGFError::NonFiniteResult { quantity: "coupling M" }));
        assert_eq!(m, [7.0; 4]);
    }

    #[test]
    fn phases_stay_wrapped_over_100_steps() {
        // §10.1: θ = [0, 1, 2, 3], W = 0, 100 steps.
        let p = test_params();
        let m = coupling(&[0.5; 16], &[0.0; 16], &p, 4);
        let mut theta = [0.0, 1.0, 2.0, 3.0];
        let (mut rng, mut scratch) = (SimpleRng::new(42), [0.0; 8]);
        for _ in 0..100 {
            micro_step(&mut theta, &[1.0; 4], &m, &p, &mut rng, &mut scratch).unwrap();
            assert!(theta.iter().all(|t| (0.0..TAU).contains(t)), "{theta:?}");
        }
        // And they moved: Ω = 1 for 0.1 s plus the (all-to-all) coupling,
        // which pulls the outer phases inwards.
        assert!(theta[0] > 0.1 && theta[3] < 3.1, "{theta:?}");
    }

    #[test]
    fn geometry_coupling_alone_moves_the_phases() {
        // §10.1 with Ω = 0 (the reference's test passes trivially with
        // Ω = 1, spec §13 item 16): K = 0, σ_g = 1, W_01 = W_10 = 1.
        let p = MicroParams { sigma_g: 1.0, ..test_params() };
        let mut w = [0.0; 16];
        (w[1], w[4]) = (1.0, 1.0);
        let run = |w: &[f64; 16]| {
            let m = coupling(&[0.0; 16], w, &p, 4);
            let mut theta = [0.0, 1.0, 2.0, 3.0];
            let (mut rng, mut scratch) = (SimpleRng::new(42), [0.0; 8]);
            micro_cycle(&mut theta, &[0.0; 4], &m, &p, 10, &mut rng, &mut scratch).unwrap();
            theta
        };
        let theta = run(&w);
        let moved = |t: &[f64; 4]| (0..4).any(|i| circular_distance(t[i], i as f64) > 1e-6);
        assert!(moved(&theta), "{theta:?}");
        // The pair attracts (≈ 10·dt·sin 1 each); 2 and 3 are uncoupled.
        assert!((theta[0] - 10.0 * 0.001 * libm::sin(1.0)).abs() < 1e-4, "{theta:?}");
        assert!((theta[1] - (1.0 - 10.0 * 0.001 * libm::sin(1.0))).abs() < 1e-4, "{theta:?}");
        assert_eq!((theta[2], theta[3]), (2.0, 3.0));
        // Control: without W nothing moves at all.
        assert_eq!(run(&[0.0; 16]), [0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn rng_advances_one_normal_per_oscillator_even_without_noise() {
        let p = test_params();
        let m = coupling(&[0.5; 16], &[0.0; 16], &p, 4);
        let mut theta = [0.0, 1.0, 2.0, 3.0];
        let (mut rng, mut scratch) = (SimpleRng::new(42), [0.0; 8]);
        micro_cycle(&mut theta, &[1.0; 4], &m, &p, 7, &mut rng, &mut scratch).unwrap();
        let mut expected = SimpleRng::new(42);
        for _ in 0..7 * 4 {
            expected.next_normal();
        }
        assert_eq!(rng, expected);
        // That is 2n uniforms per step.
        let mut words = SimpleRng::new(42);
        for _ in 0..7 * 4 * 2 {
            words.next_u64();
        }
        assert_eq!(rng, words);
    }

    /// The normals come in batches of 16 plus a remainder; whatever `n`,
    /// oscillator `i` gets the `i`-th normal of the stream, bit for bit.
    #[test]
    fn oscillator_i_gets_the_ith_normal_for_any_n() {
        let p = MicroParams { dt: 0.01, sigma_g: 0.0, noise_amp: 0.7, field_pressure: 0.0, pgbo_weight: 0.0 };
        for n in [1, 5, 15, 16, 17, 32, 37] {
            let start: [f64; 37] = core::array::from_fn(|i| 0.1 * i as f64);
            let mut theta = start;
            let (mut rng, mut scratch) = (SimpleRng::new(9), [0.0; 74]);
            let zeros = [0.0; 37 * 37];
            micro_step(&mut theta[..n], &zeros[..n], &zeros[..n * n], &p, &mut rng, &mut scratch[..2 * n])
                .unwrap();
            let mut one_by_one = SimpleRng::new(9);
            for i in 0..n {
                let rate = p.noise_amp * sqrt(p.dt) * one_by_one.next_normal();
                let want = wrap_radians(start[i] + p.dt * rate);
                assert_eq!(theta[i].to_bits(), want.to_bits(), "n {n}, oscillator {i}");
            }
            assert_eq!(rng, one_by_one, "n {n}");
        }
    }

    #[test]
    fn noise_on_theta_scales_as_dt_to_the_three_halves() {
        // Only noise: Δθ_i = dt·(noise_amp·√dt·ξ_i) — the reference's
        // scaling (spec §4, §13 item 4), not Euler–Maruyama's √dt.
        for dt in [1e-3, 1e-2] {
            let p = MicroParams { dt, noise_amp: 0.02, ..test_params() };
            let mut theta = [1.0; 4];
            let (mut rng, mut scratch) = (SimpleRng::new(42), [0.0; 8]);
            micro_step(&mut theta, &[0.0; 4], &[0.0; 16], &p, &mut rng, &mut scratch).unwrap();
            let mut fresh = SimpleRng::new(42);
            for t in theta {
                let xi = fresh.next_normal();
                let expected = 0.02 * libm::pow(dt, 1.5) * xi;
                assert!(((t - 1.0) - expected).abs() < 1e-15, "dt {dt}: {} vs {expected}", t - 1.0);
            }
        }
        // At the defaults the first draw (ξ = −4.4476) moves θ_0 by only
        // −2.8e-6 rad; √dt scaling would give −2.8e-3.
        let p = MicroParams { noise_amp: 0.02, ..test_params() };
        let mut theta = [1.0];
        micro_step(&mut theta, &[0.0], &[0.0], &p, &mut SimpleRng::new(42), &mut [0.0; 2]).unwrap();
        assert!((theta[0] - 1.0 - 0.02 * 0.001 * libm::sqrt(0.001) * -4.44757118507873).abs() < 1e-15);
        assert!((theta[0] - 1.0 + 2.8128e-6).abs() < 1e-9, "{}", theta[0] - 1.0);
    }

    #[test]
    fn input_errors_change_nothing() {
        let p = MicroParams::default();
        let m = [0.5; 16];
        let mut theta = [0.0, 1.0, 2.0, 3.0];
        let mut rng = SimpleRng::new(42);
        let fresh = rng;
        let mut scratch = [0.0; 8];
        let length = |e: Result<(), SSGFError>| match e {
            Err(SSGFError::Length { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(length(micro_step(&mut theta, &[1.0; 3], &m, &p, &mut rng, &mut scratch)), "omega");
        assert_eq!(length(micro_step(&mut theta, &[1.0; 4], &m[..15], &p, &mut rng, &mut scratch)), "m");
        assert_eq!(length(micro_step(&mut theta, &[1.0; 4], &m, &p, &mut rng, &mut [0.0; 4])), "scratch");
        assert_eq!(length(micro_cycle(&mut theta, &[1.0; 4], &m, &p, 3, &mut rng, &mut [0.0; 9])), "scratch");
        let mut nan_theta = [0.0, f64::NAN, 2.0, 3.0];
        let e = micro_step(&mut nan_theta, &[1.0; 4], &m, &p, &mut rng, &mut scratch);
        assert!(matches!(e, Err(SSGFError::NonFinite { field: "theta", index: 1, .. })), "{e:?}");
        let e = micro_step(&mut theta, &[1.0, 1.0, f64::INFINITY, 1.0], &m, &p, &mut rng, &mut scratch);
        assert!(matches!(e, Err(SSGFError::NonFinite { field: "omega", index: 2, .. })), "{e:?}");
        let mut nan_m = m;
        nan_m[5] = f64::NAN;
        let e = micro_cycle(&mut theta, &[1.0; 4], &nan_m, &p, 3, &mut rng, &mut scratch);
        assert!(matches!(e, Err(SSGFError::NonFinite { field: "m", index: 5, .. })), "{e:?}");
        let bad = MicroParams { noise_amp: -1.0, ..p };
        let e = micro_step(&mut theta, &[1.0; 4], &m, &bad, &mut rng, &mut scratch);
        assert!(matches!(e, Err(SSGFError::Param(_))), "{e:?}");
        assert_eq!(theta, [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(rng, fresh);
    }

    #[test]
    fn overflow_is_rejected_with_theta_and_rng_unchanged() {
        let p = MicroParams::default();
        let start = [0.5, 1.0, 2.0, 3.0];
        let (mut rng, mut scratch) = (SimpleRng::new(42), [0.0; 8]);
        let fresh = rng;
        let overflow = Err(SSGFError::NonFiniteResult { quantity: "theta" });
        // The coupling sums overflow (row 3 and up; rows 0–2 are computed
        // first in the dry run, and must not be written).
        let mut m = [0.0; 16];
        m[12..].copy_from_slice(&[f64::MAX; 4]);
        let mut theta = start;
        assert_eq!(micro_step(&mut theta, &[1.0; 4], &m, &p, &mut rng, &mut scratch), overflow);
        assert_eq!((theta, rng), (start, fresh));
        assert_eq!(micro_cycle(&mut theta, &[1.0; 4], &m, &p, 5, &mut rng, &mut scratch), overflow);
        assert_eq!((theta, rng), (start, fresh));
        // dt·rate overflows although the rate is finite.
        let huge_dt = MicroParams { dt: 1e300, ..p };
        assert_eq!(
            micro_step(&mut theta, &[1e10; 4], &[0.0; 16], &huge_dt, &mut rng, &mut scratch),
            overflow
        );
        assert_eq!((theta, rng), (start, fresh));
        // A phase near f64::MAX plus a positive increment.
        let mut far = [f64::MAX, 0.0, 0.0, 0.0];
        let e = micro_step(
            &mut far,
            &[f64::MAX; 4],
            &[0.0; 16],
            &MicroParams { dt: 1.0, ..p },
            &mut rng,
            &mut scratch,
        );
        assert_eq!(e, overflow);
        assert_eq!((far, rng), ([f64::MAX, 0.0, 0.0, 0.0], fresh));
    }

    #[test]
    fn near_overflow_inputs_that_stay_finite_are_stepped() {
        // max|M|·2n overflows, so the dry-run path runs; but with θ = 0 the
        // sine sums vanish and the true coupling is exactly 0.
        let p = test_params();
        let m = [1e307; 16];
        let mut theta = [0.0; 4];
        let (mut rng, mut scratch) = (SimpleRng::new(42), [0.0; 8]);
        micro_step(&mut theta, &[1.0, 2.0, 3.0, 4.0], &m, &p, &mut rng, &mut scratch).unwrap();
        assert_eq!(theta, [0.001, 0.002, 0.003, 0.004]);
        let mut expected = SimpleRng::new(42);
        (0..4).for_each(|_| _ = expected.next_normal());
        assert_eq!(rng, expected);
    }

    #[test]
    fn dry_run_writes_nothing_and_commit_equals_micro_step() {
        let p = MicroParams::default();
        let m = [0.3; 9];
        let omega = [1.0, -2.0, 50.0];
        let mut theta = [-1.0, 7.5, 30.0];
        let start = theta;
        let mut scratch = [0.0; 6];
        let (mut a, mut b) = (SimpleRng::new(5), SimpleRng::new(5));
        let (sin, cos) = scratch.split_at_mut(3);
        for ((s, c), &t) in sin.iter_mut().zip(cos.iter_mut()).zip(&theta) {
            (*s, *c) = sin_cos_fast(t);
        }
        // The dry run draws the normals but writes nothing.
        advance(&mut theta, &omega, &m, &p, &mut a, sin, cos, false).unwrap();
        assert_eq!(theta, start);
        let mut three_normals = SimpleRng::new(5);
        (0..3).for_each(|_| _ = three_normals.next_normal());
        assert_eq!(a, three_normals);
        advance(&mut theta, &omega, &m, &p, &mut b, sin, cos, true).unwrap();
        assert_eq!(a, b);
        let mut via_api = start;
        micro_step(&mut via_api, &omega, &m, &p, &mut SimpleRng::new(5), &mut [0.0; 6]).unwrap();
        assert_eq!(theta.map(f64::to_bits), via_api.map(f64::to_bits));
    }

    #[test]
    fn cycle_equals_repeated_steps_bit_for_bit() {
        let (p, m, start) = coupled_fixture();
        let (mut a, mut b) = (start, start);
        let (mut ra, mut rb) = (SimpleRng::new(43), SimpleRng::new(43));
        micro_cycle(&mut a, &OMEGA_N, &m, &p, 10, &mut ra, &mut [0.0; 32]).unwrap();
        for _ in 0..10 {
            micro_step(&mut b, &OMEGA_N, &m, &p, &mut rb, &mut [0.0; 32]).unwrap();
        }
        assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
        assert_eq!(ra, rb);
        // Zero steps change nothing; an empty system is fine too.
        let mut c = start;
        micro_cycle(&mut c, &OMEGA_N, &m, &p, 0, &mut ra, &mut [0.0; 32]).unwrap();
        assert_eq!((c, ra), (start, rb));
        micro_cycle(&mut [], &[], &[], &p, 3, &mut ra, &mut []).unwrap();
        assert_eq!(ra, rb);
    }

    // ---- a literal port of the reference step, for comparison ----

    /// The canonical K as a flat matrix. Spec §2's K is the averaged,
    /// zero-diagonal one; `KNM` is built the same way (checked below).
    /// Default parameters, `M` from the canonical K with the test W and h,
    /// and the bench fixture's unwrapped phases `π·sin(0.4i)`.
    fn coupled_fixture() -> (MicroParams, [f64; 256], [f64; 16]) {
        let p = MicroParams::default();
        let (k, w, h) = (canonical_k(), test_w(), test_h());
        let mut m = [0.0; 256];
        effective_coupling(&k, &w, Some(&h), &p, 16, &mut m).unwrap();
        (p, m, core::array::from_fn(|i| PI * libm::sin(0.4 * i as f64)))
    }

    fn canonical_k() -> [f64; 256] {
        core::array::from_fn(|x| KNM[x / 16][x % 16])
    }

    /// A symmetric, non-negative, zero-diagonal W (the spectral test's).
    fn test_w() -> [f64; 256] {
        core::array::from_fn(|x| {
            let (i, j) = (x / 16, x % 16);
            if i == j { 0.0 } else { 0.5 + 0.5 * libm::fabs(libm::sin(0.3 * (i + j) as f64)) }
        })
    }

    /// A rank-1 PGBO-like tensor h = κ·u uᵀ.
    fn test_h() -> [f64; 256] {
        let u = |i: usize| 3.0 * libm::sin(1.7 * i as f64 + 0.2);
        core::array::from_fn(|x| 0.3 * u(x / 16) * u(x % 16))
    }

    /// Spec §4 verbatim: N² sines, three separate sums, libm everywhere,
    /// Euclidean remainder.
    fn reference_step(
        theta: &mut [f64; 16],
        omega: &[f64; 16],
        k: &[f64; 256],
        w: &[f64; 256],
        h: &[f64; 256],
        p: &MicroParams,
        rng: &mut SimpleRng,
    ) {
        let old = *theta;
        for i in 0..16 {
            let (mut sum_k, mut sum_w, mut sum_h) = (0.0, 0.0, 0.0);
            for j in 0..16 {
                let s = libm::sin(old[j] - old[i]);
                sum_k += k[i * 16 + j] * s;
                sum_w += w[i * 16 + j] * s;
                sum_h += h[i * 16 + j] * s;
            }
            let rate = omega[i]
                + sum_k
                + p.sigma_g * sum_w
                + p.pgbo_weight * sum_h
                + p.field_pressure * libm::cos(old[i])
                + p.noise_amp * libm::sqrt(p.dt) * rng.next_normal();
            let r = libm::fmod(old[i] + p.dt * rate, TAU);
            theta[i] = if r < 0.0 { r + TAU } else { r };
        }
    }

    #[test]
    fn canonical_k_is_the_spec_k() {
        assert_eq!(KNM[0][2], 0.24696523624231187);
        assert_eq!(KNM[5][6], 0.33336819930677303);
        // Spec §2's overwrites, symmetric with a zero diagonal.
        for (i, j, v) in
            [(0, 1, 0.302), (1, 2, 0.201), (2, 3, 0.252), (3, 4, 0.154), (0, 15, 0.05), (4, 6, 0.15)]
        {
            assert_eq!((KNM[i][j], KNM[j][i]), (v, v));
        }
        for (i, row) in KNM.iter().enumerate() {
            assert_eq!(row[i], 0.0);
            for (j, &k_ij) in row.iter().enumerate() {
                assert_eq!(k_ij, KNM[j][i]);
            }
        }
    }

    #[test]
    fn factorised_step_matches_the_literal_reference() {
        let (p, m, start) = coupled_fixture();
        let (k, w, h) = (canonical_k(), test_w(), test_h());
        let (mut ours, mut reference) = (start, start);
        let (mut ra, mut rb) = (SimpleRng::new(43), SimpleRng::new(43));
        let mut scratch = [0.0; 32];
        let mut worst: f64 = 0.0;
        for _ in 0..100 {
            micro_step(&mut ours, &OMEGA_N, &m, &p, &mut ra, &mut scratch).unwrap();
            reference_step(&mut reference, &OMEGA_N, &k, &w, &h, &p, &mut rb);
            for (&a, &b) in ours.iter().zip(&reference) {
                worst = worst.max(circular_distance(a, b));
            }
        }
        assert_eq!(ra, rb);
        // Measured: 1.33e-15 over the 100 steps (rounding of M, the
        // factorisation and the table sine; ≈ 1.5 ulp of 2π).
        assert!(worst < 1e-12, "max |Δθ| {worst:e}");
        // The phases did move (Ω_5 = 49.2 rad/s turns θ_5 by ≈ 4.9 rad;
        // Ω_1 = 251.327 ≈ 80π rad/s wraps θ_1 four times, back near start).
        assert!(circular_distance(ours[5], start[5]) > 1.0);
        assert!(circular_distance(ours[1], start[1]) < 0.1);
    }

    #[test]
    fn property_random_inputs_match_the_reference_and_stay_wrapped() {
        // Random θ (also far outside [0, 2π)), Ω, K, W, h and gains.
        let mut draws = SimpleRng::new(2024);
        let mut uniform = |lo: f64, hi: f64| lo + (hi - lo) * draws.next_f64();
        for case in 0..50 {
            let p = MicroParams {
                dt: uniform(1e-4, 1e-2),
                sigma_g: uniform(-1.0, 1.0),
                noise_amp: uniform(0.0, 1.0),
                field_pressure: uniform(-1.0, 1.0),
                pgbo_weight: uniform(-0.5, 0.5),
            };
            let mut theta = [0.0; 16];
            theta.iter_mut().for_each(|t| *t = uniform(-50.0, 50.0));
            let mut omega = [0.0; 16];
            omega.iter_mut().for_each(|o| *o = uniform(-300.0, 300.0));
            let (mut k, mut w, mut h) = ([0.0; 256], [0.0; 256], [0.0; 256]);
            for x in 0..256 {
                (k[x], w[x], h[x]) = (uniform(-1.0, 1.0), uniform(0.0, 2.0), uniform(-5.0, 5.0));
            }
            let mut m = [0.0; 256];
            effective_coupling(&k, &w, Some(&h), &p, 16, &mut m).unwrap();
            let mut reference = theta;
            let seed = 1000 + case;
            let (mut ra, mut rb) = (SimpleRng::new(seed), SimpleRng::new(seed));
            for _ in 0..5 {
                micro_step(&mut theta, &omega, &m, &p, &mut ra, &mut [0.0; 32]).unwrap();
                reference_step(&mut reference, &omega, &k, &w, &h, &p, &mut rb);
                assert!(theta.iter().all(|t| (0.0..TAU).contains(t)), "case {case}: {theta:?}");
            }
            for (&a, &b) in theta.iter().zip(&reference) {
                assert!(circular_distance(a, b) < 1e-12, "case {case}: {a} vs {b}");
            }
        }
    }
}
