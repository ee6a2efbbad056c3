//! # backfire-std
//!
//! The std adapter of the Backfire kernel: it lends runtime-sized storage to
//! the `no_std` core, loads configuration files, drives the kernels with
//! tokens and callbacks, records sessions and reports errors. Every formula
//! lives in `backfire-nostd`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use backfire_nostd as core_kernel;

pub mod error;
pub mod observers;

pub use error::{BackfireError, BackfireResult};
