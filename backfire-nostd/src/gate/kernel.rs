//! The two kernels as sans-IO monitors: feed a score per token, get a
//! verdict back.

use crate::num::Real;

use super::interlock::Interlock;
use super::limits::{HardLimit, StreamingLimits};
use super::monitor::{StorageTooSmall, StreamMonitor};
use super::verdict::{HaltReason, Verdict};

/// The basic gate: a hard floor under every token, and a latch.
///
/// Unlike the reference, a halt is final across streams: after a
/// hard-limit halt every token halts with [`HaltReason::Inactive`] until
/// [`reactivate`](Self::reactivate) (see COMPATIBILITY.md).
///
/// ```
/// use backfire_nostd::gate::{HaltReason, SafetyKernel, Verdict};
/// let kernel = SafetyKernel::<f32>::new(0.5).unwrap();
/// assert_eq!(kernel.push(0.9), Verdict::Continue);
/// assert!(kernel.push(0.2).is_halt());
/// assert_eq!(kernel.push(0.9), Verdict::Halt(HaltReason::Inactive));
/// kernel.reactivate();
/// assert_eq!(kernel.push(0.9), Verdict::Continue);
/// ```
#[derive(Clone, Debug)]
pub struct SafetyKernel<T> {
    hard_limit: HardLimit<T>,
    interlock: Interlock,
}

impl<T: Real> SafetyKernel<T> {
    /// A kernel with a validated hard limit in `[0, 1]`.
    pub fn new(hard_limit: f64) -> Result<Self, super::ParamError> {
        Ok(Self::with_limit(HardLimit::new(hard_limit)?))
    }

    /// A kernel for an already-validated limit.
    pub fn with_limit(hard_limit: HardLimit<T>) -> Self {
        SafetyKernel { hard_limit, interlock: Interlock::new() }
    }

    /// Checks one token's score. Takes `&self`: the only state is the
    /// atomic latch.
    #[inline]
    pub fn push(&self, score: T) -> Verdict<T> {
        if !self.interlock.is_active() {
            return Verdict::Halt(HaltReason::Inactive);
        }
        self.interlock.observe(match self.hard_limit.check(score) {
            Ok(()) => Verdict::Continue,
            Err(reason) => Verdict::Halt(reason),
        })
    }

    /// The hard limit.
    #[inline]
    pub fn hard_limit(&self) -> T {
        self.hard_limit.value()
    }

    /// The latch (shareable with a supervisor).
    #[inline]
    pub fn interlock(&self) -> &Interlock {
        &self.interlock
    }

    /// `false` after a halt or an emergency stop.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.interlock.is_active()
    }

    /// Trips the latch.
    #[inline]
    pub fn emergency_stop(&self) {
        self.interlock.emergency_stop();
    }

    /// Clears the latch.
    #[inline]
    pub fn reactivate(&self) {
        self.interlock.reactivate();
    }
}

/// The streaming gate: hard floor, sliding-window mean and downward trend,
/// over score storage `S` chosen by the caller.
///
/// `S` is anything that derefs to a slice: `[T; N]` in firmware
/// (e.g. `StreamingKernel<f32, [f32; 10]>`), `&mut [T]` lent by the
/// application, or a `Vec<T>` sized at run time in the std layer.
///
/// ```
/// use backfire_nostd::gate::{HaltReason, StreamingKernel, StreamingLimits, Verdict};
/// let limits = StreamingLimits::<f64>::new(0.1, 10, 0.1, 3, 0.1).unwrap();
/// let mut kernel = StreamingKernel::new(limits, [0.0; 10]).unwrap();
/// for score in [0.9, 0.8] {
///     assert_eq!(kernel.push(score), Verdict::Continue);
/// }
/// // 0.9 → 0.7 over the last three scores is a drop of 0.2 > 0.1.
/// let verdict = kernel.push(0.7);
/// assert_eq!(verdict.halt_reason().unwrap().to_string(), "downward_trend (0.2000 > 0.1)");
/// // Trend halts end the stream but do not latch the kernel.
/// kernel.begin_stream();
/// assert_eq!(kernel.push(0.9), Verdict::Continue);
/// ```
#[derive(Clone, Debug)]
pub struct StreamingKernel<T: Real, S> {
    monitor: StreamMonitor<T, S>,
    interlock: Interlock,
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> StreamingKernel<T, S> {
    /// A kernel for `limits` over `storage` (at least
    /// `max(window_size, trend_window)` slots).
    pub fn new(limits: StreamingLimits<T>, storage: S) -> Result<Self, StorageTooSmall> {
        Ok(StreamingKernel { monitor: StreamMonitor::new(limits, storage)?, interlock: Interlock::new() })
    }

    /// Checks the next token's score of the current stream.
    #[inline]
    pub fn push(&mut self, score: T) -> Verdict<T> {
        self.interlock.gate(&mut self.monitor, score)
    }

    /// Starts a new stream (forgets the window; the latch is kept).
    #[inline]
    pub fn begin_stream(&mut self) {
        self.monitor.reset();
    }

    /// The limits.
    #[inline]
    pub fn limits(&self) -> &StreamingLimits<T> {
        self.monitor.limits()
    }

    /// The per-stream monitor (window mean, halt of the current stream).
    #[inline]
    pub fn monitor(&self) -> &StreamMonitor<T, S> {
        &self.monitor
    }

    /// The latch (shareable with a supervisor).
    #[inline]
    pub fn interlock(&self) -> &Interlock {
        &self.interlock
    }

    /// `false` after a hard-limit halt or an emergency stop.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.interlock.is_active()
    }

    /// Trips the latch (the reference has no such method on the streaming
    /// kernel; we add it).
    #[inline]
    pub fn emergency_stop(&self) {
        self.interlock.emergency_stop();
    }

    /// Clears the latch.
    #[inline]
    pub fn reactivate(&self) {
        self.interlock.reactivate();
    }
}
