//! The safety gate: score combination and the two kernels.
//!
//! ```text
//!  scorer ──► CoherenceScore::combine(h_logical, h_factual)   score.rs
//!
//!  token score ──► Interlock ──► StreamMonitor ──► Verdict      interlock.rs, monitor.rs
//!                  (latch)       hard limit          Continue
//!                                window mean         Halt(HaltReason)
//!                                downward trend
//! ```
//!
//! * [`SafetyKernel`] — hard floor + latch; no per-stream state.
//! * [`StreamingKernel`] — [`Interlock`] + [`StreamMonitor`] over storage
//!   the caller chooses (array, lent slice, `Vec`).
//! * Every threshold comes from a validating constructor in [`limits`]:
//!   a kernel cannot be built from NaN, out-of-range or inconsistent
//!   numbers.
//!
//! The monitors are sans-IO: no tokens, callbacks, clocks or strings. The
//! std layer (`backfire-std`) drives them with tokens and callbacks and
//! records sessions; firmware feeds them numbers directly.

mod interlock;
mod kernel;
pub mod limits;
mod monitor;
mod score;
mod verdict;
mod window;

pub use interlock::Interlock;
pub use kernel::{SafetyKernel, StreamingKernel};
pub use limits::{HardLimit, ParamError, ScoreLimits, StreamingLimits, WeightError, Weights};
pub use monitor::{StorageTooSmall, StreamMonitor};
pub use score::{CoherenceScore, clamp_score, divergence};
pub use verdict::{HaltReason, TimeLimit, Verdict};

/// The string the basic kernel's `stream_output` returns on a halt.
pub const SAFETY_INTERRUPT: &str = "[KERNEL INTERRUPT: COHERENCE LIMIT EXCEEDED]";
/// What the basic kernel's `stream_output` returns when one token's scoring
/// ran past its timeout (the reference's Python kernel's text).
pub const TOKEN_TIMEOUT_INTERRUPT: &str = "[KERNEL INTERRUPT: TOKEN TIMEOUT EXCEEDED]";
/// What the basic kernel's `stream_output` returns when the stream ran past
/// its total timeout (the reference's Python kernel's text).
pub const TOTAL_TIMEOUT_INTERRUPT: &str = "[KERNEL INTERRUPT: TOTAL TIMEOUT EXCEEDED]";
