//! The PGBO engine ("phase → geometry bridge operator", spec §4): phase
//! velocity by wrapped finite differences, minus a scaled boundary
//! potential, soft-saturated, and lifted to the rank-1 tensor
//! `h = κ·u uᵀ` (optionally traceless).

use crate::check::{ParamError, check_non_negative, check_positive, to_backend};
use crate::slices::{at, copy, set};

use super::ObserverFloat;
use super::error::{ObserverError, check_length, check_storage, check_vector};

/// Raw PGBO settings (spec §4.1, defaults there). Validate with
/// [`PGBOConfig::new`]. The reference's `alpha_min/max` and
/// `kappa_min/max` are never read there and are left out.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PGBOParams {
    /// Weight `α` of the boundary potential, default 0.5.
    pub alpha: f64,
    /// Gain `κ` of the induced tensor, default 0.3.
    pub kappa: f64,
    /// Saturation scale: `|u| < u_cap` always; default 10.
    pub u_cap: f64,
    /// Remove the trace of `h`, default false.
    pub traceless: bool,
}

impl Default for PGBOParams {
    fn default() -> Self {
        PGBOParams { alpha: 0.5, kappa: 0.3, u_cap: 10.0, traceless: false }
    }
}

/// Validated PGBO configuration.
///
/// ```
/// use backfire_nostd::observers::{PGBOConfig, PGBOParams};
/// let bad = PGBOParams { u_cap: -1.0, ..Default::default() };
/// let err = PGBOConfig::<f32>::new(&bad).unwrap_err();
/// assert_eq!(err.to_string(), "u_cap must be finite and > 1e-12, got -1");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PGBOConfig<T> {
    alpha: T,
    kappa: T,
    u_cap: T,
    traceless: bool,
}

impl<T: ObserverFloat> PGBOConfig<T> {
    /// Checks: `alpha` and `kappa` finite and `>= 0` (so `h` is PSD unless
    /// traceless), `u_cap` finite and `> 1e-12`, and `κ·u_cap²` small enough
    /// that `h` and its norms cannot overflow `T` (`|h_ij| < κ·u_cap²`).
    pub fn new(params: &PGBOParams) -> Result<Self, ParamError> {
        let alpha = check_non_negative("alpha", params.alpha)?;
        let kappa = check_non_negative("kappa", params.kappa)?;
        // Norms at or below 1e-12 are not saturated (spec §4.2 step 4), so a
        // cap at or below that could be exceeded.
        let u_cap = params.u_cap;
        if !(u_cap.is_finite() && u_cap > SATURATION_FLOOR) {
            return Err(ParamError::new("u_cap", u_cap, "finite and > 1e-12"));
        }
        let h_bound = kappa * u_cap * u_cap;
        if !T::from_f64(2.0 * h_bound * h_bound).is_finite() {
            return Err(ParamError::new(
                "kappa * u_cap^2",
                h_bound,
                "small enough for h_frob to stay finite",
            ));
        }
        Ok(PGBOConfig {
            alpha: to_backend("alpha", alpha)?,
            kappa: to_backend("kappa", kappa)?,
            u_cap: to_backend("u_cap", u_cap)?,
            traceless: params.traceless,
        })
    }

    /// Boundary-potential weight `α`.
    pub fn alpha(&self) -> T {
        self.alpha
    }
    /// Tensor gain `κ`.
    pub fn kappa(&self) -> T {
        self.kappa
    }
    /// Saturation scale.
    pub fn u_cap(&self) -> T {
        self.u_cap
    }
    /// Whether `h` is made traceless.
    pub fn traceless(&self) -> bool {
        self.traceless
    }
}

/// The norms of one PGBO result.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PgboNorms<T> {
    /// `ν·s`: the pre-saturation norm times the saturation factor.
    pub u_norm: T,
    /// `Σ h_ii` of the returned tensor (≈ 0, not forced to 0, when
    /// traceless).
    pub h_trace: T,
    /// Frobenius norm of the returned tensor.
    pub h_frob: T,
}

/// One [`PGBOEngine::compute`] result: views of the engine's state (the
/// Python dict's keys, spec §5).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PGBOOutput<'a, T> {
    /// The saturated drive `u` (length `d`).
    pub u_mu: &'a [T],
    /// `h`, `d×d` row-major.
    pub h_munu: &'a [T],
    /// See [`PgboNorms::u_norm`].
    pub u_norm: T,
    /// See [`PgboNorms::h_trace`].
    pub h_trace: T,
    /// See [`PgboNorms::h_frob`].
    pub h_frob: T,
}

/// Snapshot of an engine (the reference's `get_state()`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PGBOState<T> {
    /// `α`.
    pub alpha: T,
    /// `κ`.
    pub kappa: T,
    /// Last `u_norm`.
    pub u_norm: T,
    /// Last `h_trace`.
    pub h_trace: T,
    /// Last `h_frob`.
    pub h_frob: T,
    /// Whether `h` is traceless.
    pub traceless: bool,
    /// Dimension.
    pub d: usize,
}

/// Norms at or below this are left unsaturated (the reference's guard).
const SATURATION_FLOOR: f64 = 1e-12;

const fn checked_storage_len(d: usize) -> Option<usize> {
    match d.checked_add(3) {
        Some(d3) => d.checked_mul(d3),
        None => None,
    }
}

/// Storage (values of `T`) a [`PGBOEngine`] of dimension `d` needs:
/// `A`, `u`, the previous phases (`d` each) and `h` (`d²`) — `d·(d+3)`
/// (`usize::MAX` on overflow).
pub const fn pgbo_storage_len(d: usize) -> usize {
    match checked_storage_len(d) {
        Some(len) => len,
        None => usize::MAX,
    }
}

/// Wraps a phase difference to `[−π, π)` exactly as the reference does:
/// `fmod(fmod(δ + π, 2π) + 2π, 2π) − π` (so `±π ↦ −π`, `6 ↦ 6 − 2π`).
///
/// ```
/// use backfire_nostd::observers::wrap_phase;
/// use core::f64::consts::PI;
/// assert_eq!(wrap_phase(PI), -PI);
/// assert_eq!(wrap_phase(-PI), -PI);
/// assert!((wrap_phase(6.0) - (6.0 - 2.0 * PI)).abs() < 1e-15);
/// ```
#[inline]
pub fn wrap_phase<T: ObserverFloat>(delta: T) -> T {
    rem_tau(rem_tau(delta + T::PI) + T::TAU) - T::PI
}

/// `x % 2π` (C `fmod`). `fmod` is exact, and so is `x ∓ 2π` for
/// `|x| ∈ [2π, 4π)` (Sterbenz), so the fast paths give the same bits as the
/// library call for the arguments `wrap_phase` usually sees.
#[inline]
fn rem_tau<T: ObserverFloat>(x: T) -> T {
    let tau = T::TAU;
    let magnitude = x.abs();
    if magnitude < tau {
        x
    } else if magnitude < tau + tau {
        if x > T::ZERO { x - tau } else { x + tau }
    } else {
        x % tau
    }
}

/// Steps 3–7 of the PGBO computation (spec §4.2), shared by the engine and
/// [`phase_geometry_bridge`]: `drive(i)` is the unsaturated `u_i`.
///
/// Validates before writing: if any `drive(i)` is not finite, `u` and `h`
/// are untouched.
fn saturate_and_lift<T: ObserverFloat>(
    config: &PGBOConfig<T>,
    drive: impl Fn(usize) -> T,
    u: &mut [T],
    h: &mut [T],
) -> Result<PgboNorms<T>, ObserverError> {
    let d = u.len();
    let mut squares = T::ZERO;
    for i in 0..d {
        let x = drive(i);
        if !x.is_finite() {
            return Err(ObserverError::NonFiniteResult { quantity: "phase velocity" });
        }
        squares = squares + x * x;
    }
    let saturation = if squares.is_finite() {
        Saturation::of(squares.sqrt_exact(), config.u_cap)
    } else {
        Saturation::of_huge(d, &drive, config.u_cap)
    };
    for (i, slot) in u.iter_mut().enumerate() {
        *slot = saturation.apply(drive(i));
    }
    let (h_trace, h_frob) = lift(config, u, h);
    Ok(PgboNorms { u_norm: saturation.u_norm, h_trace, h_frob })
}

/// The soft saturation of one drive vector (spec §4.2 step 4): `u ← s·u`
/// with `s = 1/(1 + ν/u_cap)`, and `u_norm = ν·s` (not `|s·u|`).
#[derive(Clone, Copy)]
struct Saturation<T> {
    u_norm: T,
    /// Multiplies each component; 1 (untouched) for `ν <= 1e-12`.
    factor: T,
    /// Divides each component first (1 unless `ν` overflows `T`).
    divisor: T,
}

impl<T: ObserverFloat> Saturation<T> {
    /// For a drive of norm `ν` (finite, so never NaN).
    fn of(nu: T, u_cap: T) -> Self {
        if nu <= T::from_f64(SATURATION_FLOOR) {
            return Saturation { u_norm: nu, factor: T::ONE, divisor: T::ONE };
        }
        let ratio = nu / u_cap;
        // For a tiny cap ν/u_cap can overflow; u_cap/(u_cap + ν) is the
        // same factor.
        let s = if ratio.is_finite() { T::ONE / (T::ONE + ratio) } else { u_cap / (u_cap + nu) };
        Saturation { u_norm: nu * s, factor: s, divisor: T::ONE }
    }

    /// For a drive whose squares overflow `T`: `ν = L·q` with
    /// `L = max|x_i|`, `q = |x/L|`; if `ν` itself overflows, the limit of
    /// the map (`u = u_cap·x/ν`, `u_norm = u_cap`).
    fn of_huge(d: usize, drive: &impl Fn(usize) -> T, u_cap: T) -> Self {
        let largest = (0..d).fold(T::ZERO, |m, i| m.max(drive(i).abs()));
        let q = (0..d)
            .fold(T::ZERO, |acc, i| {
                let x = drive(i) / largest;
                acc + x * x
            })
            .sqrt_exact();
        let nu = largest * q;
        if nu.is_finite() {
            Saturation::of(nu, u_cap)
        } else {
            Saturation { u_norm: u_cap, factor: u_cap / q, divisor: largest }
        }
    }

    #[inline]
    fn apply(&self, x: T) -> T {
        if self.divisor == T::ONE { self.factor * x } else { self.factor * (x / self.divisor) }
    }
}

/// `h_ij = (κ·u_i)·u_j`, the traceless projection, and `(trace, frob)`.
///
/// The upper triangle is computed and mirrored, so `h` is exactly
/// symmetric (the reference's `(κ·u_j)·u_i` below the diagonal can differ
/// from `h_ij` in the last bit).
fn lift<T: ObserverFloat>(config: &PGBOConfig<T>, u: &[T], h: &mut [T]) -> (T, T) {
    let d = u.len();
    for (i, &ui) in u.iter().enumerate() {
        let k_ui = config.kappa * ui;
        for (j, &uj) in u.iter().enumerate().skip(i) {
            let x = k_ui * uj;
            set(h, i * d + j, x);
            set(h, j * d + i, x);
        }
    }
    let diagonal = |h: &[T]| h.iter().step_by(d + 1).fold(T::ZERO, |acc, &x| acc + x);
    if config.traceless && d > 0 {
        let shift = diagonal(h) / T::from_u32(u32::try_from(d).unwrap_or(u32::MAX));
        h.iter_mut().step_by(d + 1).for_each(|x| *x = *x - shift);
    }
    let frob = h.iter().fold(T::ZERO, |acc, &x| acc + x * x).sqrt_exact();
    (diagonal(h), frob)
}

/// The stateless bridge (spec §4.4): `u_i = dphi_i − α·a_i`, saturated,
/// then `h = κ·u uᵀ` (traceless if configured), written into `u` (length
/// `d = dphi.len()`) and `h` (`d²`). Returns the norms.
///
/// ```
/// use backfire_nostd::observers::{phase_geometry_bridge, PGBOConfig, PGBOParams};
/// let config = PGBOConfig::<f64>::new(&PGBOParams::default()).unwrap();
/// let (mut u, mut h) = ([0.0; 4], [0.0; 16]);
/// phase_geometry_bridge(&config, &[1.0, 0.5, -0.3, 0.2], &[0.1, 0.0, 0.2, 0.0], &mut u, &mut h).unwrap();
/// assert!((u[0] - 0.8510279714931208).abs() < 1e-15);
/// assert!((h[0] - 0.2172745824791088).abs() < 1e-15);
/// // A short `a` is an error (the reference panics).
/// assert!(phase_geometry_bridge(&config, &[1.0, 0.5], &[0.1], &mut u[..2], &mut h[..4]).is_err());
/// ```
///
/// # Errors
///
/// `dphi` and `a` must be finite and of equal length, `u` and `h` of
/// length `d` and `d²`.
pub fn phase_geometry_bridge<T: ObserverFloat>(
    config: &PGBOConfig<T>,
    dphi: &[T],
    a: &[T],
    u: &mut [T],
    h: &mut [T],
) -> Result<PgboNorms<T>, ObserverError> {
    let d = dphi.len();
    check_vector("dphi", dphi, d)?;
    check_vector("a", a, d)?;
    check_length("u", u.len(), d)?;
    check_length("h", h.len(), d.saturating_mul(d))?;
    let drive = |i: usize| at(dphi, i) - config.alpha * at(a, i);
    saturate_and_lift(config, drive, u, h)
}

/// The PGBO engine of dimension `d` over storage `S` lent by the caller
/// (spec §4).
///
/// Each [`compute`](Self::compute) takes the current phases: velocity
/// `v_i = wrap(θ_i − θ_prev_i)/dt` (0 on the first call after creation or
/// reset), drive `u = v − α·A`, soft saturation, `h = κ·u uᵀ`. O(d²) per
/// call, no allocation.
///
/// ```
/// use backfire_nostd::observers::{pgbo_storage_len, PGBOConfig, PGBOEngine, PGBOParams};
/// let config = PGBOConfig::<f64>::new(&PGBOParams::default()).unwrap();
/// let mut engine = PGBOEngine::new(4, config, [0.0; pgbo_storage_len(4)]).unwrap();
/// assert_eq!(engine.compute(&[0.1, 0.2, 0.3, 0.4], 0.01).unwrap().u_norm, 0.0);
/// let out = engine.compute(&[0.2, 0.3, 0.4, 0.5], 0.01).unwrap();
/// assert!((out.u_norm - 6.666666666666659).abs() < 1e-12);
/// assert!(engine.compute(&[0.2, 0.3], 0.01).is_err()); // the reference reuses stale entries
/// ```
#[derive(Clone, Debug)]
pub struct PGBOEngine<T, S> {
    config: PGBOConfig<T>,
    d: usize,
    storage: S,
    has_prev: bool,
    norms: PgboNorms<T>,
}

/// Indices of the engine's arrays in its storage `[A | u | prev | h]`.
const A: usize = 0;
const U: usize = 1;
const H: usize = 3;

/// The engine's four arrays, carved out of its storage.
struct Parts<'a, T> {
    a: &'a mut [T],
    u: &'a mut [T],
    prev: &'a mut [T],
    h: &'a mut [T],
}

impl<T: ObserverFloat, S: AsRef<[T]> + AsMut<[T]>> PGBOEngine<T, S> {
    /// An engine of dimension `d >= 1` over `storage`, which must hold
    /// [`pgbo_storage_len(d)`](pgbo_storage_len) values. `A`, `u` and `h`
    /// start at zero.
    pub fn new(d: usize, config: PGBOConfig<T>, storage: S) -> Result<Self, ObserverError> {
        check_storage(d, checked_storage_len(d), storage.as_ref().len())?;
        let mut engine = PGBOEngine { config, d, storage, has_prev: false, norms: PgboNorms::default() };
        engine.reset();
        Ok(engine)
    }

    fn parts(&mut self) -> Parts<'_, T> {
        let d = self.d;
        let all = self.storage.as_mut();
        let (a, rest) = all.split_at_mut(d.min(all.len()));
        let (u, rest) = rest.split_at_mut(d.min(rest.len()));
        let (prev, rest) = rest.split_at_mut(d.min(rest.len()));
        let h = rest.get_mut(..d * d).unwrap_or_default();
        Parts { a, u, prev, h }
    }

    /// Array `index` of the storage layout `[A | u | prev | h]`.
    fn part(&self, index: usize) -> &[T] {
        let start = index * self.d;
        let len = if index == H { self.d * self.d } else { self.d };
        self.storage.as_ref().get(start..start + len).unwrap_or_default()
    }

    /// One step (spec §4.2): returns `u`, `h` and their norms, which also
    /// persist as the engine's state.
    ///
    /// # Errors
    ///
    /// `theta` must have exactly `d` finite entries and `dt` be finite and
    /// `> 0` (the reference reuses stale entries for short vectors and
    /// replaces bad `dt` by 1e-12). A velocity that overflows `T` (a `dt`
    /// near the smallest float) is [`ObserverError::NonFiniteResult`]. On
    /// error the state is unchanged.
    pub fn compute(&mut self, theta: &[T], dt: T) -> Result<PGBOOutput<'_, T>, ObserverError> {
        check_vector("theta", theta, self.d)?;
        check_positive("dt", dt.to_f64())?;
        let (config, has_prev) = (self.config, self.has_prev);
        let Parts { a, u, prev, h } = self.parts();
        let velocity =
            |i: usize| if has_prev { wrap_phase(at(theta, i) - at(prev, i)) / dt } else { T::ZERO };
        let drive = |i: usize| velocity(i) - config.alpha * at(a, i);
        let norms = saturate_and_lift(&config, drive, u, h)?;
        copy(prev, theta);
        self.has_prev = true;
        self.norms = norms;
        Ok(self.output())
    }

    /// Sets the boundary potential `A` (spec §4.3), used by every later
    /// `compute` until replaced or [`reset`](Self::reset).
    ///
    /// # Errors
    ///
    /// `a_mu` must have exactly `d` finite entries (the reference keeps old
    /// values past a short vector).
    pub fn set_boundary_potential(&mut self, a_mu: &[T]) -> Result<(), ObserverError> {
        check_vector("a_mu", a_mu, self.d)?;
        copy(self.parts().a, a_mu);
        Ok(())
    }

    /// Zeroes `u`, `h`, `A` and the norms and forgets the previous phases,
    /// so the next `compute` is again a first call. The configuration is
    /// kept. (As in the reference, `A` must be set again.)
    pub fn reset(&mut self) {
        let len = pgbo_storage_len(self.d);
        self.storage.as_mut().iter_mut().take(len).for_each(|x| *x = T::ZERO);
        self.has_prev = false;
        self.norms = PgboNorms::default();
    }

    /// The last result, as [`compute`](Self::compute) returned it.
    pub fn output(&self) -> PGBOOutput<'_, T> {
        PGBOOutput {
            u_mu: self.u_mu(),
            h_munu: self.h_munu(),
            u_norm: self.norms.u_norm,
            h_trace: self.norms.h_trace,
            h_frob: self.norms.h_frob,
        }
    }

    /// The saturated drive `u`.
    pub fn u_mu(&self) -> &[T] {
        self.part(U)
    }
    /// `h`, row-major `d×d`.
    pub fn h_munu(&self) -> &[T] {
        self.part(H)
    }
    /// The boundary potential `A`.
    pub fn boundary_potential(&self) -> &[T] {
        self.part(A)
    }
    /// The last norms.
    pub fn norms(&self) -> PgboNorms<T> {
        self.norms
    }
    /// Last `u_norm`.
    pub fn u_norm(&self) -> T {
        self.norms.u_norm
    }
    /// Last `h_trace`.
    pub fn h_trace(&self) -> T {
        self.norms.h_trace
    }
    /// Last `h_frob`.
    pub fn h_frob(&self) -> T {
        self.norms.h_frob
    }
    /// Dimension `d`.
    pub fn d(&self) -> usize {
        self.d
    }
    /// The configuration.
    pub fn config(&self) -> &PGBOConfig<T> {
        &self.config
    }
    /// Snapshot (the reference's `get_state()`).
    pub fn state(&self) -> PGBOState<T> {
        PGBOState {
            alpha: self.config.alpha,
            kappa: self.config.kappa,
            u_norm: self.norms.u_norm,
            h_trace: self.norms.h_trace,
            h_frob: self.norms.h_frob,
            traceless: self.config.traceless,
            d: self.d,
        }
    }
    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.storage
    }
}
