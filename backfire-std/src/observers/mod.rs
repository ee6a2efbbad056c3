//! Runtime-sized TCBO observer, TCBO controller and PGBO engine, for
//! servers and the Python module (spec/30-observers.md §5).
//!
//! Each type owns a `Vec` it lends to the `no_std` core
//! (`backfire_nostd::observers`), so any `n` works; every formula lives in
//! the core. This layer adds:
//!
//! * constructors with the Python signatures and defaults, plus
//!   `with_params` for the full configuration (serde-loadable);
//! * errors as [`BackfireError`]: bad parameters and inputs are
//!   [`BackfireError::Validation`] naming the parameter and value, an
//!   overflow inside a computation is [`BackfireError::Numerical`];
//! * the Vietoris–Rips H1 estimator ([`rips`]) as a second TCBO method.
//!
//! Getters and the PGBO output's fields map one-to-one to the Python
//! properties and dict keys (`u_mu`, `h_munu`, `u_norm`, `h_trace`,
//! `h_frob`).

mod controller;
mod pgbo;
pub mod rips;
mod tcbo;

pub use backfire_nostd::observers::{
    ControlLaw, ObserverError, PGBOOutput, PGBOParams, PGBOState, PhaseEmbedding, TCBOControllerParams,
    TCBOParams, TCBOState,
};
pub use controller::TCBOController;
pub use pgbo::PGBOEngine;
pub use rips::MAX_RIPS_POINTS;
pub use tcbo::{TCBOObserver, TcboMethod};

use crate::error::{BackfireError, BackfireResult};

/// Core observer errors: bad input is a validation error, an overflow
/// inside a computation a numerical one.
impl From<ObserverError> for BackfireError {
    fn from(e: ObserverError) -> Self {
        match e {
            ObserverError::NonFiniteResult { .. } => BackfireError::Numerical(e.to_string()),
            _ => BackfireError::Validation(e.to_string()),
        }
    }
}

/// Most values of storage one object may ask for (1 GiB of `f64`): beyond
/// this a constructor reports an error instead of aborting the process on
/// allocation failure (the reference's behaviour for a huge PGBO `n`).
pub const MAX_STORAGE_VALUES: usize = 1 << 27;

/// A zeroed buffer of `len` values, or a validation error naming `what`.
pub(crate) fn storage(what: &str, len: Option<usize>) -> BackfireResult<Vec<f64>> {
    let too_large = || {
        BackfireError::Validation(format!(
            "{what} needs more than the supported {MAX_STORAGE_VALUES} values of storage"
        ))
    };
    let len = len.filter(|&len| len <= MAX_STORAGE_VALUES).ok_or_else(too_large)?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|_| too_large())?;
    buf.resize(len, 0.0);
    Ok(buf)
}
