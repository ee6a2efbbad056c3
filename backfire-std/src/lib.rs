//! # backfire-std
//!
//! The std adapter of the Backfire kernel: it lends runtime-sized storage to
//! the `no_std` core, loads configuration files, drives the kernels with
//! tokens and callbacks, records sessions and reports errors. Every formula
//! lives in `backfire-nostd`.
//!
//! ## Layers
//!
//! | module | what |
//! |---|---|
//! | [`config`] | [`BackfireConfig`] (serde, JSON/TOML) and its validated form [`ValidConfig`] |
//! | [`kernel`] | [`SafetyKernel`] and [`StreamingKernel`]: tokens and callbacks around the core monitors |
//! | [`scorer`] | [`CoherenceScorer`]: NLI and knowledge divergences combined by the core |
//! | [`session`] | [`StreamSession`]: what one stream did (text stored once, scores, times, halt) |
//! | [`physics`] | UPDE stepper (run-time AVX-512/AVX2 dispatch), SEC functional, L16 controller with owned states and clock seeding |
//! | [`observers`] | TCBO observer (surrogate or Vietoris–Rips H1) and controller, PGBO engine, runtime-sized |
//! | [`ssgf`] | SSGF geometry engine, runtime-sized, with the canonical defaults |
//! | [`error`] | [`BackfireError`], the one error type |
//!
//! ## `unsafe`
//!
//! One module uses it: [`physics`]'s run-time choice of instruction set
//! (`physics/simd.rs`) calls `#[target_feature]` copies of the core's UPDE
//! step, which is only sound on a CPU that has those features; a private
//! type that can only be built by checking the CPU carries that proof.
//! Everything else is safe code (`deny(unsafe_code)` crate-wide).
//!
//! ## Example
//!
//! ```
//! use backfire_std::{BackfireConfig, StreamingKernel};
//!
//! let config = BackfireConfig::from_toml("hard_limit = 0.4\nwindow_size = 4")?;
//! let kernel = StreamingKernel::from_config(&config)?;
//! let session = kernel.stream_tokens(&["The ", "sky ", "is ", "green."], |token| {
//!     if token.starts_with("green") { 0.2 } else { 0.9 }
//! });
//! assert!(session.halted());
//! assert_eq!(session.output(), "The sky is ");
//! assert_eq!(session.halt_reason(), "hard_limit (0.2000 < 0.4)");
//! # Ok::<(), backfire_std::BackfireError>(())
//! ```

#![deny(unsafe_code)] // one audited exception: `physics::simd` (run-time CPU dispatch)
#![deny(missing_docs)]

pub use backfire_nostd as core_kernel;

pub mod config;
pub mod error;
pub mod kernel;
pub mod observers;
pub mod physics;
pub mod scorer;
pub mod session;
pub mod ssgf;

pub use config::{BackfireConfig, ValidConfig};
pub use error::{BackfireError, BackfireResult};
pub use kernel::{Gate, Kernel, SafetyKernel, ScoreFailure, StreamingKernel, Timeouts, check_score_count};
pub use scorer::CoherenceScorer;
pub use session::{StreamRecord, StreamSession, Timestamps, TokenEvent};
