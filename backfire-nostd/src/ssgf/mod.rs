//! SSGF geometry engine (spec/40-ssgf.md): a latent vector `z` decoded into
//! a weighted graph `W` over N phase oscillators, learned by gradient
//! descent on eight cost terms.
//!
//! ```text
//!  z ──decoder──► W ──Laplacian──► L ──Jacobi──► (λ, V) ─┐
//!                 │                                      ├─► costs ─► U_total ─► ∂U/∂z ─► z
//!  θ ──PGBO──► h ─┴─► micro-cycle (Kuramoto + W + h) ─► θ'┘
//!                                                     └─► L16 closure (H_rec, PLV gate, refusal)
//! ```
//!
//! | file | concept |
//! |---|---|
//! | [`decoder`] | `z → W` (gram-softplus, RBF) and the chain rule back to `z` |
//! | [`micro`] | the micro-cycle: Kuramoto steps with geometry and PGBO coupling |
//! | [`spectral`] | normalised Laplacian, cyclic Jacobi eigensolver, sort and sign gauge |
//! | [`costs`] | the eight cost terms and their weighted total |
//! | [`closure`] | the L16 closure as SSGF uses it: H_rec, PLV gate, refusal |
//! | [`audio`] | the audio mapping, a read-only projection of the state |
//! | [`config`] | [`SSGFConfig`], validated once |
//! | [`engine`] | [`SSGFEngine`]: the persistent state and the ten stages of an outer step |
//!
//! Matrices are `n × n`, flat, row-major (`m[i * n + j]`); eigenvectors are
//! the **columns** of `V`.
//!
//! Errors are the observers' input errors ([`SSGFError`]): wrong lengths,
//! non-finite inputs, invalid parameters. Nothing here allocates or panics.

pub mod audio;
pub mod closure;
pub mod config;
pub mod costs;
pub mod decoder;
pub mod engine;
pub mod micro;
pub mod spectral;

pub use config::{GradientMethod, MAX_N, SSGFConfig};
pub use engine::{SSGFEngine, SSGFStepLog, ssgf_storage_len};

/// The errors of the SSGF functions: the same input errors as the
/// observers' (length, non-finite entry, parameter, storage).
pub type SSGFError = crate::observers::ObserverError;
