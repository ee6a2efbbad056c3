//! Runtime-sized SSGF geometry engine, for servers and the Python module
//! (spec/40-ssgf.md §9).
//!
//! [`SSGFEngine`] owns a `Vec` it lends to the `no_std` core
//! (`backfire_nostd::ssgf`), so any `n` up to [`MAX_N`] works; every
//! formula lives in the core. This layer adds the reference's defaults
//! (the canonical 16-layer Ω and K), `run` returning every step's log, and
//! errors as [`BackfireError`].
//!
//! ```
//! use backfire_std::ssgf::{SSGFConfig, SSGFEngine};
//! let mut engine = SSGFEngine::new(SSGFConfig::default(), None, None)?;
//! let logs = engine.run(3)?;
//! assert_eq!(logs.len(), 3);
//! assert_eq!(engine.step_count(), 3);
//! assert!(SSGFEngine::new(SSGFConfig { n: 4, ..SSGFConfig::default() }, None, None).is_err());
//! # Ok::<(), backfire_std::BackfireError>(())
//! ```

use std::ops::Deref;

pub use backfire_nostd::ssgf::audio::{AudioMapping, BrainwaveBand};
pub use backfire_nostd::ssgf::costs::{C9Gradient, CostWeights, Costs};
pub use backfire_nostd::ssgf::decoder::Decoder;
pub use backfire_nostd::ssgf::{GradientMethod, MAX_N, SSGFConfig, SSGFStepLog};

use backfire_nostd::physics::{KNM, N_LAYERS, OMEGA_N};
use backfire_nostd::ssgf::{self as core, ssgf_storage_len};

use crate::error::{BackfireError, BackfireResult};
use crate::observers::storage;

/// The engine over owned storage. Read access (`z()`, `theta()`, `w()`,
/// `eigenvalues()`, …) is the core engine's, through `Deref`.
#[derive(Clone, Debug)]
pub struct SSGFEngine {
    core: core::SSGFEngine<Vec<f64>>,
}

impl SSGFEngine {
    /// An engine for `config`. `omega` (n values) and `k` (n², row-major)
    /// default to the canonical 16-layer tables, so with `n != 16` both
    /// must be given.
    ///
    /// # Errors
    ///
    /// [`BackfireError::Validation`] for an invalid configuration, a
    /// missing or wrongly sized `omega`/`k`, or non-finite values.
    pub fn new(config: SSGFConfig, omega: Option<&[f64]>, k: Option<&[f64]>) -> BackfireResult<Self> {
        // Before the allocation: an absurd `n` is reported as such, and
        // never sizes a buffer.
        config.validate()?;
        let omega = omega.map_or_else(|| default_table("omega", config.n).map(|()| &OMEGA_N[..]), Ok)?;
        let k = k.map_or_else(|| default_table("k", config.n).map(|()| KNM.as_flattened()), Ok)?;
        let buf = storage("SSGF engine", Some(ssgf_storage_len(config.n)))?;
        Ok(SSGFEngine { core: core::SSGFEngine::new(config, omega, k, buf)? })
    }

    /// One outer step.
    ///
    /// # Errors
    ///
    /// [`BackfireError::Numerical`] if the dynamics overflow; the step is
    /// then not counted and `z`, θ, κ, the noise stream and the closure
    /// are unchanged (`W`, λ and `V` may already be those of the current
    /// `z`; see the core's `outer_step`).
    pub fn outer_step(&mut self) -> BackfireResult<SSGFStepLog> {
        Ok(self.core.outer_step()?)
    }

    /// `n_outer` outer steps, every step's log in order (`run(0)` is empty).
    ///
    /// # Errors
    ///
    /// As [`Self::outer_step`]; the steps before the failing one stay done.
    pub fn run(&mut self, n_outer: usize) -> BackfireResult<Vec<SSGFStepLog>> {
        let mut logs = Vec::new();
        logs.try_reserve_exact(n_outer.min(1 << 20)).map_err(|e| BackfireError::Validation(e.to_string()))?;
        for _ in 0..n_outer {
            logs.push(self.outer_step()?);
        }
        Ok(logs)
    }

    /// Sets the injected TCBO `p_h1` (in `[0, 1]`).
    ///
    /// # Errors
    ///
    /// [`BackfireError::Validation`] outside `[0, 1]` or for NaN.
    pub fn set_tcbo_p_h1(&mut self, p_h1: f64) -> BackfireResult<()> {
        Ok(self.core.set_tcbo_p_h1(p_h1)?)
    }
}

impl Deref for SSGFEngine {
    type Target = core::SSGFEngine<Vec<f64>>;

    fn deref(&self) -> &Self::Target {
        &self.core
    }
}

/// The canonical tables serve only the 16-layer model.
fn default_table(name: &str, n: usize) -> BackfireResult<()> {
    if n == N_LAYERS {
        Ok(())
    } else {
        Err(BackfireError::Validation(format!(
            "{name} must be given when n != {N_LAYERS} (the default is the canonical {N_LAYERS}-layer table), got n = {n}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: BackfireResult<SSGFEngine>) -> String {
        result.map(drop).unwrap_err().to_string()
    }

    #[test]
    fn the_configuration_is_checked_before_any_storage_is_allocated() {
        // n = 5000 would need 3e8 values: the message must be about n, not
        // about storage (and nothing may be allocated for a rejected n).
        let config = SSGFConfig { n: 5000, ..SSGFConfig::default() };
        assert!(message(SSGFEngine::new(config, Some(&[1.0]), Some(&[1.0]))).contains("n must be <= 64"));
        let config = SSGFConfig { dt_micro: 0.0, ..SSGFConfig::default() };
        assert!(message(SSGFEngine::new(config, None, None)).contains("dt_micro must be finite and > 0"));
        assert!(
            message(SSGFEngine::new(SSGFConfig { n: 4, ..SSGFConfig::default() }, None, None))
                .contains("omega must be given when n != 16")
        );
    }

    #[test]
    fn a_failed_run_keeps_the_steps_before_it() {
        // Step 0 succeeds; step 1's z overflows (lr 1e300).
        let mut engine =
            SSGFEngine::new(SSGFConfig { lr_z: 1e300, ..SSGFConfig::default() }, None, None).unwrap();
        assert!(matches!(engine.run(3), Err(BackfireError::Numerical(_))));
        assert_eq!(engine.step_count(), 1);
    }
}
