//! # backfire-nostd
//!
//! The core of the Backfire kernel: a real-time safety interlock for
//! generated text and the phase-dynamics models around it, written once for
//! microcontrollers, servers and Python.
//!
//! `#![no_std]`, no allocator, `#![forbid(unsafe_code)]`: everything here
//! runs on a Cortex-M0 as well as on a server. The std adapter
//! (`backfire-std`) and the Python module (`backfire-py`) add storage,
//! configuration files, callbacks and errors around it; they never
//! re-implement a formula.
//!
//! ## Layers
//!
//! | module | what |
//! |---|---|
//! | [`num`] | the numeric backends — `f64`, `f32`, fixed-point [`num::Q16`] — behind [`num::Real`] |
//! | [`check`] | parameter validation and its error type, shared by every model |
//! | [`gate`] | score combination, the safety and streaming kernels as sans-IO monitors |
//! | [`physics`] | constants, UPDE oscillator stepper, SEC functional, L16 controller |
//! | [`observers`] | TCBO observer and controller, PGBO engine |
//! | [`rng`] | the deterministic xorshift64 RNG shared by every stochastic model |
//! | [`ssgf`] | SSGF geometry engine: latent graph decoder, micro-cycle, spectral bridge, costs |
//!
//! ## Design rules
//!
//! * **Sans-IO.** A monitor is fed numbers and answers with a
//!   [`gate::Verdict`]; it never calls back, allocates, reads a clock or
//!   formats a string. It can run in an interrupt handler.
//! * **Storage chosen by the caller.** Buffers are fixed arrays (const
//!   generics) or slices the application lends, like `smoltcp`'s sockets.
//! * **Illegal states are unrepresentable.** Parameters pass through
//!   validating constructors ([`gate::limits`]); a kernel cannot hold a NaN
//!   limit or a zero window.
//! * **No panics reachable from outside**, and no unchecked indexing:
//!   non-finite input is a documented verdict, not a crash.
//!
//! ## Example: a stream that halts
//!
//! ```
//! use backfire_nostd::gate::{StreamingKernel, StreamingLimits, Verdict};
//!
//! let limits = StreamingLimits::<f32>::new(0.5, 4, 0.55, 3, 0.15).unwrap();
//! let mut kernel = StreamingKernel::new(limits, [0.0f32; 4]).unwrap();
//! let scores = [0.9, 0.85, 0.8, 0.3, 0.9];
//! let emitted = scores.iter().take_while(|&&s| kernel.push(s) == Verdict::Continue).count();
//! assert_eq!(emitted, 3);
//! assert!(!kernel.is_active()); // a hard-limit halt latches
//! ```
//!
//! ## Features
//!
//! * `micromath` — fast `f32` approximations instead of `libm`.
//! * `defmt` — `defmt::Format` on public data types, for firmware logs.
//! * `serde` — `Serialize`/`Deserialize` on public data types.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod check;
pub mod gate;
pub mod num;
pub mod observers;
pub mod physics;
pub mod rng;
mod slices;
pub mod ssgf;

#[cfg(test)]
mod testutil;
