//! Boundary observers: TCBO observer and controller, PGBO engine
//! (spec/30-observers.md).
//!
//! ```text
//!  phases θ ──► TCBOObserver ──► p_h1 ──► TCBOController ──► κ (gap-junction gain)
//!               history of rows         PI law, anti-windup
//!               delay embedding
//!               H1 lifetime → logistic
//!
//!  phases θ ──► PGBOEngine ──► u_μ (saturated phase velocity), h_μν = κ·u uᵀ
//! ```
//!
//! | file | concept |
//! |---|---|
//! | [`embedding`] | phases → embedded coordinates ([`PhaseEmbedding`]), the delay-embedded [`PointCloud`], [`delay_embed`] |
//! | [`persistence`] | the radial-dispersion surrogate of the H1 lifetime, the noise floor and logistic ([`persistence_to_probability`]) |
//! | [`tcbo`] | [`TCBOObserver`] over a history of rows in storage lent by the caller |
//! | [`controller`] | [`TCBOController`]: the clamped PI law, reference or anti-windup |
//! | [`pgbo`] | [`PGBOEngine`] and the stateless [`phase_geometry_bridge`] |
//!
//! # Storage
//!
//! Nothing here allocates. The observer and the engine run over one flat
//! buffer the caller lends (`[T; N]`, `&mut [T]` or a `Vec<T>` in the std
//! layer), smoltcp style; a `const fn` gives its length, so firmware sizes
//! a plain array at compile time:
//!
//! ```
//! use backfire_nostd::observers::{pgbo_storage_len, PGBOConfig, PGBOEngine, PGBOParams};
//! const D: usize = 4;
//! let config = PGBOConfig::<f32>::new(&PGBOParams::default()).unwrap();
//! let mut engine = PGBOEngine::new(D, config, [0.0f32; pgbo_storage_len(D)]).unwrap();
//! engine.compute(&[0.1, 0.2, 0.3, 0.4], 0.01).unwrap();
//! let out = engine.compute(&[0.2, 0.3, 0.4, 0.5], 0.01).unwrap();
//! assert!(out.u_norm > 0.0);
//! ```
//!
//! (Capacities are array lengths rather than const parameters of the types
//! because stable Rust cannot size `[T; (W + 2) * N]` from const generics.)
//!
//! # Number types
//!
//! Everything is generic over [`ObserverFloat`]: `f64` (reference parity)
//! and `f32`. The fixed-point backend is deliberately excluded: squared
//! distances of phases overflow Q16.16.
//!
//! # Errors
//!
//! Wrong lengths, non-finite inputs and invalid parameters are rejected
//! with an [`ObserverError`] and leave the state unchanged; nothing
//! reachable from outside panics.

/// The first-Betti probability threshold τ_h1 = 0.72, one value for every
/// model that reads it: the default of the TCBO gate (`p_h1 > τ_h1`) and of
/// the controller's target, the L16 H_rec deficit `max(0, τ_h1 − p_h1)`
/// ([`P_H1_TARGET`](crate::physics::l16::P_H1_TARGET)) and the SSGF's C4 target
/// ([`TCBO_THRESHOLD`](crate::ssgf::costs::TCBO_THRESHOLD)).
pub const TAU_H1: f64 = 0.72;

pub mod controller;
pub mod embedding;
mod error;
mod float;
pub mod persistence;
pub mod pgbo;
mod ring;
pub mod tcbo;

pub use controller::{ControlLaw, TCBOController, TCBOControllerConfig, TCBOControllerParams};
pub use embedding::{FlatPoints, PhaseEmbedding, PointCloud, PointSet, delay_embed, delay_embed_multi};
pub use error::ObserverError;
pub(crate) use error::{check_length, check_storage, check_vector};
pub use float::ObserverFloat;
pub use persistence::{dispersion_lifetime, persistence_to_probability, s0_for_threshold};
pub use pgbo::{
    PGBOConfig, PGBOEngine, PGBOOutput, PGBOParams, PGBOState, PgboNorms, pgbo_storage_len,
    phase_geometry_bridge, wrap_phase,
};
pub use tcbo::{TCBOConfig, TCBOObserver, TCBOParams, TCBOState, tcbo_storage_len};
