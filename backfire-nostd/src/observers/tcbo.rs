//! The TCBO observer: a window of phase vectors → `p_h1 ∈ [0, 1]`
//! (spec §2).
//!
//! ```text
//! push(θ) ──► embed (cos θ, sin θ | θ) ──► history of W + (m−1)τ rows
//! compute ──► stride gate ──► full? ──► delay-embedded cloud (a view)
//!         ──► H1 lifetime ℓ (surrogate, or any estimator) ──► noise floor
//!         ──► logistic ──► p_h1, s_h1, is_conscious, h1_error
//! ```

use crate::check::{
    ParamError, check_at_least, check_finite, check_non_negative, check_positive, check_unit, to_backend,
};

use super::ObserverFloat;
use super::embedding::{PhaseEmbedding, PointCloud};
use super::error::{ObserverError, check_storage, check_vector, split_storage};
use super::persistence::{dispersion_lifetime, persistence_to_probability};
use super::ring::{SLACK, SeriesRing};

/// Raw TCBO settings, as a configuration file or Python passes them
/// (spec §2.1, defaults there). Validate with [`TCBOConfig::new`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TCBOParams {
    /// Embedding dimension `m` (lags per channel), default 3.
    pub embed_dim: usize,
    /// Delay `τ` between lags, in rows; default 1.
    pub tau_delay: usize,
    /// Points in the embedded cloud `W`, default 50.
    pub window_size: usize,
    /// Threshold of the `is_conscious` gate (strict `p_h1 > tau_h1`), default 0.72.
    pub tau_h1: f64,
    /// Logistic steepness `β`, default 8.
    pub beta: f64,
    /// Logistic midpoint `s0`, default 0.
    pub s0: f64,
    /// Noise floor `θp`: lifetimes `≤ θp` count as 0; default 0.05.
    pub persistence_threshold: f64,
    /// Most points the Rips estimator (std layer) uses; the window is
    /// thinned evenly beyond this. Default 500. Unused by the surrogate;
    /// the std observer with the Rips method rejects values above 2048
    /// (`backfire_std::observers::MAX_RIPS_POINTS`).
    pub subsample_max: usize,
    /// Compute on every `K`-th call of `compute(false)`; 0 or 1 = every call.
    pub compute_every_n: u64,
    /// How phases are embedded; default [`PhaseEmbedding::Angular`].
    pub embedding: PhaseEmbedding,
}

impl Default for TCBOParams {
    fn default() -> Self {
        TCBOParams {
            embed_dim: 3,
            tau_delay: 1,
            window_size: 50,
            tau_h1: super::TAU_H1,
            beta: 8.0,
            s0: 0.0,
            persistence_threshold: 0.05,
            subsample_max: 500,
            compute_every_n: 1,
            embedding: PhaseEmbedding::Angular,
        }
    }
}

impl TCBOParams {
    /// The reference's defaults including its Euclidean phase embedding:
    /// with these, the observer reproduces the reference's values.
    pub fn reference() -> Self {
        TCBOParams { embedding: PhaseEmbedding::Linear, ..TCBOParams::default() }
    }
}

/// Validated TCBO configuration.
///
/// ```
/// use backfire_nostd::observers::{TCBOConfig, TCBOParams};
/// let config = TCBOConfig::<f64>::new(&TCBOParams::default()).unwrap();
/// assert_eq!(config.min_needed(), 52);
/// let bad = TCBOParams { embed_dim: 0, ..TCBOParams::default() };
/// let err = TCBOConfig::<f64>::new(&bad).unwrap_err();
/// assert_eq!(err.to_string(), "embed_dim must be >= 1, got 0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TCBOConfig<T> {
    embed_dim: usize,
    tau_delay: usize,
    window_size: usize,
    min_needed: usize,
    tau_h1: T,
    beta: T,
    s0: T,
    persistence_threshold: T,
    subsample_max: usize,
    compute_every_n: u64,
    embedding: PhaseEmbedding,
}

impl<T: ObserverFloat> TCBOConfig<T> {
    /// Checks every field: `embed_dim`, `tau_delay`, `window_size` and
    /// `subsample_max` at least 1 (`window_size` at most `u32::MAX`);
    /// `tau_h1` in `[0, 1]`; `beta` finite and `> 0`; `s0` finite;
    /// `persistence_threshold` finite and `>= 0`.
    pub fn new(params: &TCBOParams) -> Result<Self, ParamError> {
        let embed_dim = check_at_least("embed_dim", params.embed_dim, 1, ">= 1")?;
        let tau_delay = check_at_least("tau_delay", params.tau_delay, 1, ">= 1")?;
        let window_size = check_at_least("window_size", params.window_size, 1, ">= 1")?;
        if u32::try_from(window_size).is_err() {
            return Err(ParamError::new("window_size", window_size as f64, "<= 4294967295"));
        }
        let min_needed = lag_span(embed_dim, tau_delay)
            .and_then(|lags| lags.checked_add(window_size))
            .ok_or(ParamError::new("tau_delay", tau_delay as f64, "small enough that the window fits"))?;
        Ok(TCBOConfig {
            embed_dim,
            tau_delay,
            window_size,
            min_needed,
            tau_h1: to_backend("tau_h1", check_unit("tau_h1", params.tau_h1)?)?,
            beta: to_backend("beta", check_positive("beta", params.beta)?)?,
            s0: to_backend("s0", check_finite("s0", params.s0)?)?,
            persistence_threshold: to_backend(
                "persistence_threshold",
                check_non_negative("persistence_threshold", params.persistence_threshold)?,
            )?,
            subsample_max: check_at_least("subsample_max", params.subsample_max, 1, ">= 1")?,
            compute_every_n: params.compute_every_n,
            embedding: params.embedding,
        })
    }

    /// Embedding dimension `m`.
    pub fn embed_dim(&self) -> usize {
        self.embed_dim
    }
    /// Delay `τ` in rows.
    pub fn tau_delay(&self) -> usize {
        self.tau_delay
    }
    /// Points per cloud `W`.
    pub fn window_size(&self) -> usize {
        self.window_size
    }
    /// Rows one computation needs and the history holds: `W + (m−1)τ`.
    pub fn min_needed(&self) -> usize {
        self.min_needed
    }
    /// Gate threshold.
    pub fn tau_h1(&self) -> T {
        self.tau_h1
    }
    /// Logistic steepness `β`.
    pub fn beta(&self) -> T {
        self.beta
    }
    /// Logistic midpoint `s0`.
    pub fn s0(&self) -> T {
        self.s0
    }
    /// Noise floor `θp`.
    pub fn persistence_threshold(&self) -> T {
        self.persistence_threshold
    }
    /// Most points the Rips estimator uses.
    pub fn subsample_max(&self) -> usize {
        self.subsample_max
    }
    /// Stride `K` of `compute(false)`.
    pub fn compute_every_n(&self) -> u64 {
        self.compute_every_n
    }
    /// Phase embedding.
    pub fn embedding(&self) -> PhaseEmbedding {
        self.embedding
    }

    /// Storage (values of `T`) an observer of `n` channels needs, or
    /// `None` if that overflows `usize`.
    pub fn storage_len(&self, n: usize) -> Option<usize> {
        checked_storage_len(n, self.window_size, self.embed_dim, self.tau_delay, self.embedding)
    }
}

const fn lag_span(embed_dim: usize, tau_delay: usize) -> Option<usize> {
    embed_dim.saturating_sub(1).checked_mul(tau_delay)
}

/// The history (`(min_needed + SLACK) × width`), then the centroid
/// scratch (`width × m`), then the radii (`W`).
const fn checked_storage_len(
    n: usize,
    window_size: usize,
    embed_dim: usize,
    tau_delay: usize,
    embedding: PhaseEmbedding,
) -> Option<usize> {
    let Some(width) = n.checked_mul(embedding.coords_per_channel()) else { return None };
    let Some(lags) = lag_span(embed_dim, tau_delay) else { return None };
    let Some(rows) = lags.checked_add(window_size) else { return None };
    let Some(rows) = rows.checked_add(SLACK) else { return None };
    let Some(ring) = rows.checked_mul(width) else { return None };
    let Some(centroid) = width.checked_mul(embed_dim) else { return None };
    let Some(scratch) = centroid.checked_add(window_size) else { return None };
    ring.checked_add(scratch)
}

/// Storage (values of `T`) a [`TCBOObserver`] of `n` channels needs, for
/// sizing an array at compile time (`usize::MAX` on overflow, which no
/// array can be).
///
/// ```
/// use backfire_nostd::observers::{tcbo_storage_len, PhaseEmbedding};
/// // (52 + 10 spare) rows × 32 coordinates + 32·3 centroid + 50 radii.
/// assert_eq!(tcbo_storage_len(16, 50, 3, 1, PhaseEmbedding::Angular), 2130);
/// ```
pub const fn tcbo_storage_len(
    n: usize,
    window_size: usize,
    embed_dim: usize,
    tau_delay: usize,
    embedding: PhaseEmbedding,
) -> usize {
    match checked_storage_len(n, window_size, embed_dim, tau_delay, embedding) {
        Some(len) => len,
        None => usize::MAX,
    }
}

/// Snapshot of an observer (the reference's `get_state()`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TCBOState<T> {
    /// Last `p_h1` (0 before the first computation).
    pub p_h1: T,
    /// Last accepted lifetime (after the noise floor).
    pub s_h1: T,
    /// `p_h1 > tau_h1`.
    pub is_conscious: bool,
    /// `max(tau_h1 − p_h1, 0)`.
    pub h1_error: T,
    /// The gate threshold.
    pub tau_h1: T,
    /// Rows buffered (at most `min_needed`).
    pub buffer_size: usize,
}

/// The TCBO observer over storage `S` lent by the caller.
///
/// Holds the newest `W + (m−1)τ` phase vectors and, on
/// [`compute`](Self::compute), reduces their delay embedding to
/// `p_h1 ∈ [0, 1]`. Constant memory, no allocation; [`push`](Self::push)
/// is O(n), a computation O(W·n·m).
///
/// ```
/// use backfire_nostd::observers::{tcbo_storage_len, PhaseEmbedding, TCBOConfig, TCBOObserver, TCBOParams};
/// const LEN: usize = tcbo_storage_len(2, 50, 3, 1, PhaseEmbedding::Linear);
/// let config = TCBOConfig::<f64>::new(&TCBOParams::reference()).unwrap();
/// let mut observer = TCBOObserver::new(2, config, [0.0; LEN]).unwrap();
/// let mut p = 0.0;
/// for t in 0..60 {
///     let phase = 2.0 * core::f64::consts::PI * t as f64 / 20.0;
///     p = observer.push_and_compute(&[phase.cos(), phase.sin()], false).unwrap();
/// }
/// assert!((p - 0.7033912539670735).abs() < 1e-12);
/// assert!(!observer.is_conscious());
/// assert!(observer.push(&[0.0]).is_err()); // wrong length
/// ```
#[derive(Clone, Debug)]
pub struct TCBOObserver<T, S> {
    config: TCBOConfig<T>,
    n: usize,
    storage: S,
    ring: SeriesRing,
    counter: u64,
    p_h1: T,
    s_h1: T,
}

impl<T: ObserverFloat, S: AsRef<[T]> + AsMut<[T]>> TCBOObserver<T, S> {
    /// An observer of `n >= 1` channels over `storage`, which must hold
    /// [`TCBOConfig::storage_len`] values.
    pub fn new(n: usize, config: TCBOConfig<T>, storage: S) -> Result<Self, ObserverError> {
        check_storage(n, config.storage_len(n), storage.as_ref().len())?;
        let width = n * config.embedding.coords_per_channel();
        Ok(TCBOObserver {
            config,
            n,
            storage,
            ring: SeriesRing::new(width, config.min_needed),
            counter: 0,
            p_h1: T::ZERO,
            s_h1: T::ZERO,
        })
    }

    /// Buffers one phase vector (spec §2.3), dropping the oldest once
    /// `min_needed` rows are held. Computes nothing.
    ///
    /// # Errors
    ///
    /// `theta` must have exactly `n` finite entries (the reference
    /// zero-pads short rows and turns NaN into `p_h1 = 0.5`); on error
    /// nothing is stored.
    pub fn push(&mut self, theta: &[T]) -> Result<(), ObserverError> {
        check_vector("theta", theta, self.n)?;
        let embedding = self.config.embedding;
        self.ring.push(self.storage.as_mut(), |set| embedding.for_each_coord(theta, set));
        Ok(())
    }

    /// Recomputes `p_h1` with the radial-dispersion surrogate (spec §2.4)
    /// and returns it.
    ///
    /// Unless `force`, only every `compute_every_n`-th unforced call
    /// computes (a forced call computes without moving the stride, unlike
    /// the reference's, where it shifted the phase of every later strided
    /// computation); and nothing is computed before `min_needed` rows are
    /// buffered. Skipped calls return the cached `p_h1` (0 before the first
    /// computation) and change nothing else.
    ///
    /// # Errors
    ///
    /// [`ObserverError::NonFiniteResult`] if the dispersion overflows the
    /// number type; the cached values are kept.
    pub fn compute(&mut self, force: bool) -> Result<T, ObserverError> {
        if !self.due(force) {
            return Ok(self.p_h1);
        }
        let dim = self.ring.width() * self.config.embed_dim;
        // The constructor checked the storage length: these cannot fail.
        let (rows, scratch) = split_storage(self.storage.as_mut(), self.ring.values())?;
        let (centroid, radii) = split_storage(scratch, dim)?;
        let cloud = embed(&self.ring, &self.config, rows);
        let lifetime = dispersion_lifetime(&cloud, centroid, radii)?;
        self.apply(lifetime)
    }

    /// Like [`compute`](Self::compute), with the H1 lifetime supplied by
    /// `estimator` from the embedded cloud (e.g. a Rips filtration). The
    /// lifetime passes the same noise floor and logistic.
    ///
    /// # Errors
    ///
    /// The estimator's error, or [`ObserverError::NonFiniteResult`] if it
    /// returns a non-finite lifetime.
    pub fn compute_with<F>(&mut self, force: bool, estimator: F) -> Result<T, ObserverError>
    where
        F: FnOnce(&PointCloud<'_, T>) -> Result<T, ObserverError>,
    {
        if !self.due(force) {
            return Ok(self.p_h1);
        }
        // `due` checked the ring is full, the constructor the storage length.
        let (rows, _) = split_storage(self.storage.as_mut(), self.ring.values())?;
        let lifetime = estimator(&embed(&self.ring, &self.config, rows))?;
        self.apply(lifetime)
    }

    /// [`push`](Self::push) then [`compute`](Self::compute). A rejected
    /// `theta` is reported before anything (the counter included) changes.
    pub fn push_and_compute(&mut self, theta: &[T], force: bool) -> Result<T, ObserverError> {
        self.push(theta)?;
        self.compute(force)
    }

    /// Says whether to compute now; an unforced call advances the stride
    /// counter (also while too few rows are buffered, as in the reference).
    fn due(&mut self, force: bool) -> bool {
        let on_stride = force || {
            self.counter = self.counter.wrapping_add(1);
            let stride = self.config.compute_every_n;
            stride == 0 || self.counter % stride == 0
        };
        on_stride && self.ring.is_full()
    }

    /// Noise floor and logistic (spec §2.4 steps 9–10); the flags of
    /// step 11 are derived from `p_h1` by the getters.
    fn apply(&mut self, lifetime: T) -> Result<T, ObserverError> {
        if !lifetime.is_finite() {
            return Err(ObserverError::NonFiniteResult { quantity: "H1 lifetime" });
        }
        let cfg = &self.config;
        let s_h1 = if lifetime > cfg.persistence_threshold { lifetime } else { T::ZERO };
        let p_h1 = persistence_to_probability(s_h1, cfg.s0, cfg.beta);
        self.s_h1 = s_h1;
        self.p_h1 = p_h1;
        Ok(p_h1)
    }

    /// Empties the buffer and restores the initial state (`p_h1 = 0`,
    /// `h1_error = tau_h1`, counter 0); the configuration is kept.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.counter = 0;
        self.p_h1 = T::ZERO;
        self.s_h1 = T::ZERO;
    }

    /// The delay-embedded cloud of the buffered window, once `min_needed`
    /// rows are buffered.
    pub fn point_cloud(&self) -> Option<PointCloud<'_, T>> {
        if !self.ring.is_full() {
            return None;
        }
        let rows = self.storage.as_ref().get(..self.ring.values())?;
        Some(embed(&self.ring, &self.config, rows))
    }

    /// Snapshot of the outputs (the reference's `get_state()`).
    pub fn state(&self) -> TCBOState<T> {
        TCBOState {
            p_h1: self.p_h1,
            s_h1: self.s_h1,
            is_conscious: self.is_conscious(),
            h1_error: self.h1_error(),
            tau_h1: self.config.tau_h1,
            buffer_size: self.ring.len(),
        }
    }

    /// Last `p_h1` (0 before the first computation).
    pub fn p_h1(&self) -> T {
        self.p_h1
    }
    /// Last accepted lifetime `s_h1`.
    pub fn s_h1(&self) -> T {
        self.s_h1
    }
    /// `p_h1 > tau_h1`.
    pub fn is_conscious(&self) -> bool {
        self.p_h1 > self.config.tau_h1
    }
    /// `max(tau_h1 − p_h1, 0)`; `tau_h1` before the first computation
    /// (where `p_h1 = 0`).
    pub fn h1_error(&self) -> T {
        (self.config.tau_h1 - self.p_h1).max(T::ZERO)
    }
    /// Rows buffered.
    pub fn buffer_size(&self) -> usize {
        self.ring.len()
    }
    /// Channels per phase vector.
    pub fn n(&self) -> usize {
        self.n
    }
    /// The configuration.
    pub fn config(&self) -> &TCBOConfig<T> {
        &self.config
    }
    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.storage
    }
}

/// The delay embedding of the history in `rows`.
fn embed<'a, T: ObserverFloat>(
    ring: &SeriesRing,
    config: &TCBOConfig<T>,
    rows: &'a [T],
) -> PointCloud<'a, T> {
    PointCloud::new(ring.window(rows), config.embed_dim, config.tau_delay)
}
