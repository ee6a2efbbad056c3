//! The engine's configuration (spec §2), validated once at construction.

use super::SSGFError;
use super::closure::ClosureParams;
use super::costs::{C9Gradient, CostWeights};
use super::decoder::Decoder;
use super::micro::MicroParams;
use crate::check::{ParamError, check_at_least, check_non_negative, check_positive};
use crate::observers::{PGBOConfig, PGBOParams};
use crate::rng::SimpleRng;

/// Largest number of oscillators an engine takes. The closure's rings and
/// the protected mask are fixed arrays; the Jacobi solver is O(N³) per
/// sweep, so much larger graphs are out of this engine's scope anyway.
pub const MAX_N: usize = 64;

/// Upper bound of the PGBO gain κ: the stage-10 adaptation clamps κ to
/// `[0, KAPPA_MAX]` (spec §8.3), so a start above it is refused.
pub const KAPPA_MAX: f64 = 5.0;

// The error rules spell the bounds out (`ParamError` carries static
// strings); these keep them in step with the constants.
const N_RULE: &str = "<= 64";
const KAPPA_RULE: &str = "in [0, 5]";
const _: () = assert!(MAX_N == 64 && KAPPA_MAX == 5.0);

/// How stage 8 obtains `∂U/∂z`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GradientMethod {
    /// Central differences of the full `U_total` (2·dim z evaluations, each
    /// with its own eigen-decomposition, spec §7.2).
    FiniteDifference,
    /// The closed-form gradient of the terms that depend on `W` directly
    /// (spec §7.1), chained through the decoder.
    #[default]
    Analytic,
}

/// Every setting of an [`SSGFEngine`](super::SSGFEngine) (spec §2; field
/// names as the reference's, defaults as its `Default`).
///
/// Differences from the reference's struct: the decoder is an enum (a
/// typo cannot silently select gram-softplus, and RBF carries its σ); the
/// two fields the reference never reads (`max_outer_steps`,
/// `tcbo_enabled`) are gone; `c9_gradient` chooses between the reference's
/// doubled C9 derivative and the true one; `eigen_warm_start` between the
/// reference's cold eigensolver start and a warm one.
///
/// ```
/// use backfire_nostd::ssgf::SSGFConfig;
/// let config = SSGFConfig::default();
/// assert_eq!((config.n, config.n_micro, config.seed), (16, 10, 42));
/// assert!(config.validate().is_ok());
/// let bad = SSGFConfig { dt_outer: 0.0, ..SSGFConfig::default() };
/// assert_eq!(bad.validate().unwrap_err().to_string(), "dt_outer must be finite and > 0, got 0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SSGFConfig {
    /// Number of oscillators N, `1..=MAX_N`; default 16.
    pub n: usize,
    /// `z → W` decoder; default gram-softplus.
    pub decoder: Decoder,
    /// Micro-steps per outer step; default 10.
    pub n_micro: usize,
    /// Micro time step; default 0.001.
    pub dt_micro: f64,
    /// PGBO finite-difference time base (and the L16 dt); default 0.01.
    pub dt_outer: f64,
    /// Base learning rate of `z`; default 0.01.
    pub lr_z: f64,
    /// Gain of the geometry (W) coupling in the micro-cycle; default 0.1.
    pub sigma_g: f64,
    /// Noise amplitude of the micro-cycle; default 0.02.
    pub noise_amp: f64,
    /// `F` of the `F·cos θ_i` drive; default 0.05.
    pub field_pressure: f64,
    /// Weights of `U_total`.
    pub cost_weights: CostWeights,
    /// L16 PLV gate threshold (strict `>`); default 0.6.
    pub plv_threshold: f64,
    /// L16 PLV buffer length; default 10.
    pub plv_window: usize,
    /// L16 refusal window; default 5.
    pub h_rec_window: usize,
    /// Central-difference step of the FD gradient; default 1e-5.
    pub fd_eps: f64,
    /// Analytic (default) or finite-difference gradient.
    pub gradient_method: GradientMethod,
    /// Start each step's eigensolver from the previous step's eigenvectors
    /// (default true: 3 Jacobi sweeps instead of 7–8, the same values to
    /// rounding); false runs the reference's cold start from the identity.
    pub eigen_warm_start: bool,
    /// The C9 term of the analytic gradient: exact (default) or the
    /// reference's doubled one.
    pub c9_gradient: C9Gradient,
    /// Seed of the initial state; the micro-cycle's noise uses `seed + 1`
    /// (wrapping). Default 42.
    pub seed: u64,
    /// Pass both seeds through a SplitMix64 step first
    /// ([`SimpleRng::scrambled`](crate::rng::SimpleRng::scrambled)), so
    /// that nearby seeds start from unrelated states (spec §13 item 15).
    /// Default false: the reference's streams, which the goldens need.
    pub scramble_seed: bool,
    /// Run the PGBO tensor and its coupling; default true.
    pub pgbo_enabled: bool,
    /// PGBO α (it multiplies a boundary potential that is 0 in SSGF);
    /// default 0.5.
    pub pgbo_alpha: f64,
    /// Initial PGBO κ, `0..=KAPPA_MAX`; default 0.3.
    pub pgbo_kappa: f64,
    /// Gain of the `h` coupling in the micro-cycle (0 when PGBO is off);
    /// default 0.1.
    pub pgbo_weight: f64,
    /// PGBO saturation scale; default 10.
    pub pgbo_u_cap: f64,
    /// PGBO traceless projection; default false.
    pub pgbo_traceless: bool,
}

impl Default for SSGFConfig {
    fn default() -> Self {
        SSGFConfig {
            n: 16,
            decoder: Decoder::GramSoftplus,
            n_micro: 10,
            dt_micro: 0.001,
            dt_outer: 0.01,
            lr_z: 0.01,
            sigma_g: 0.1,
            noise_amp: 0.02,
            field_pressure: 0.05,
            cost_weights: CostWeights::default(),
            plv_threshold: 0.6,
            plv_window: 10,
            h_rec_window: 5,
            fd_eps: 1e-5,
            gradient_method: GradientMethod::Analytic,
            eigen_warm_start: true,
            c9_gradient: C9Gradient::Exact,
            seed: 42,
            scramble_seed: false,
            pgbo_enabled: true,
            pgbo_alpha: 0.5,
            pgbo_kappa: 0.3,
            pgbo_weight: 0.1,
            pgbo_u_cap: 10.0,
            pgbo_traceless: false,
        }
    }
}

impl SSGFConfig {
    /// A generator for `seed`, scrambled if [`Self::scramble_seed`].
    pub(crate) fn rng(&self, seed: u64) -> SimpleRng {
        if self.scramble_seed { SimpleRng::scrambled(seed) } else { SimpleRng::new(seed) }
    }

    /// Checks every field: `1 <= n <= MAX_N`; time steps, `fd_eps` and
    /// `pgbo_u_cap` finite and `> 0`; `lr_z`, weights and PGBO α finite
    /// and `>= 0`; κ in `[0, 5]`; the micro-cycle, closure and decoder
    /// parameters as their own types require. The PGBO configuration is
    /// checked at κ = 5, the largest gain the stage-10 adaptation can
    /// reach, so that no later step can find it invalid. Errors name the
    /// field of this struct.
    pub fn validate(&self) -> Result<(), SSGFError> {
        check_at_least("n", self.n, 1, ">= 1")?;
        if self.n > MAX_N {
            return Err(ParamError::new("n", self.n as f64, N_RULE).into());
        }
        // The micro-cycle's own check calls this `dt`.
        check_positive("dt_micro", self.dt_micro)?;
        self.micro_params().validate()?;
        check_positive("dt_outer", self.dt_outer)?;
        check_non_negative("lr_z", self.lr_z)?;
        check_positive("fd_eps", self.fd_eps)?;
        self.cost_weights.validate()?;
        self.closure_params().validate()?;
        if let Decoder::Rbf { sigma } = self.decoder {
            Decoder::rbf(sigma)?;
        }
        if !(0.0..=KAPPA_MAX).contains(&self.pgbo_kappa) {
            return Err(ParamError::new("pgbo_kappa", self.pgbo_kappa, KAPPA_RULE).into());
        }
        self.pgbo_config(KAPPA_MAX).map_err(|e| ParamError { field: pgbo_field(e.field), ..e })?;
        Ok(())
    }

    /// The micro-cycle's parameters (the PGBO gain is 0 when PGBO is off).
    pub fn micro_params(&self) -> MicroParams {
        MicroParams {
            dt: self.dt_micro,
            sigma_g: self.sigma_g,
            noise_amp: self.noise_amp,
            field_pressure: self.field_pressure,
            pgbo_weight: if self.pgbo_enabled { self.pgbo_weight } else { 0.0 },
        }
    }

    /// The L16 closure's parameters.
    pub fn closure_params(&self) -> ClosureParams {
        ClosureParams {
            plv_threshold: self.plv_threshold,
            plv_window: self.plv_window,
            h_rec_window: self.h_rec_window,
        }
    }

    /// The PGBO configuration with gain `kappa` (κ adapts every step).
    pub(crate) fn pgbo_config(&self, kappa: f64) -> Result<PGBOConfig<f64>, ParamError> {
        PGBOConfig::new(&PGBOParams {
            alpha: self.pgbo_alpha,
            kappa,
            u_cap: self.pgbo_u_cap,
            traceless: self.pgbo_traceless,
        })
    }
}

/// The name in [`SSGFConfig`] of a field of the PGBO configuration.
fn pgbo_field(field: &'static str) -> &'static str {
    match field {
        "alpha" => "pgbo_alpha",
        "kappa" => "pgbo_kappa",
        "u_cap" => "pgbo_u_cap",
        "kappa * u_cap^2" => "5 * pgbo_u_cap^2",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(config: SSGFConfig) -> &'static str {
        match config.validate() {
            Err(SSGFError::Param(e)) => e.field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_kappa_the_adaptation_can_reach_is_valid() {
        // Stage 10 may raise κ up to KAPPA_MAX and stage 3 rebuilds the
        // PGBO configuration with it: a configuration that validates must
        // stay valid there, or a later step would fail.
        for u_cap in [10.0, 1e70, 1e76, 1e77, 1e100] {
            for kappa in [0.0, 0.3, KAPPA_MAX] {
                let config = SSGFConfig { pgbo_u_cap: u_cap, pgbo_kappa: kappa, ..SSGFConfig::default() };
                if config.validate().is_ok() {
                    assert!(config.pgbo_config(KAPPA_MAX).is_ok(), "u_cap {u_cap}, κ {kappa}");
                }
            }
        }
        assert!(SSGFConfig { pgbo_u_cap: 1e76, ..SSGFConfig::default() }.validate().is_ok());
    }

    #[test]
    fn errors_name_the_configuration_field() {
        let d = SSGFConfig::default();
        assert_eq!(field(SSGFConfig { dt_micro: 0.0, ..d }), "dt_micro");
        assert_eq!(field(SSGFConfig { dt_outer: -1.0, ..d }), "dt_outer");
        assert_eq!(field(SSGFConfig { pgbo_kappa: -0.1, ..d }), "pgbo_kappa");
        assert_eq!(field(SSGFConfig { pgbo_kappa: f64::NAN, ..d }), "pgbo_kappa");
        assert_eq!(field(SSGFConfig { pgbo_kappa: 5.5, ..d }), "pgbo_kappa");
        assert_eq!(field(SSGFConfig { pgbo_alpha: -1.0, ..d }), "pgbo_alpha");
        assert_eq!(field(SSGFConfig { pgbo_u_cap: 0.0, ..d }), "pgbo_u_cap");
        assert_eq!(field(SSGFConfig { n: MAX_N + 1, ..d }), "n");
        assert!(SSGFConfig { pgbo_kappa: KAPPA_MAX, ..d }.validate().is_ok());
    }
}
