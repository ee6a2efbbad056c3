//! The kernel's active flag and the rule for when a halt latches it.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::num::Real;

use super::monitor::StreamMonitor;
use super::verdict::{HaltReason, Verdict};

/// The latch that survives between streams: once a hard-limit (or
/// non-finite) halt or an emergency stop trips it, every token of every
/// later stream halts with [`HaltReason::Inactive`] until
/// [`reactivate`](Self::reactivate).
///
/// Methods take `&self` (the flag is atomic — plain load/store, which
/// every Cortex-M has), so a supervisor thread or an interrupt handler can
/// call [`emergency_stop`](Self::emergency_stop) while a stream runs, and a
/// stream nested inside a scoring callback sees the outer stream's halt.
#[derive(Debug)]
pub struct Interlock {
    active: AtomicBool,
}

impl Default for Interlock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Interlock {
    fn clone(&self) -> Self {
        Interlock { active: AtomicBool::new(self.is_active()) }
    }
}

impl Interlock {
    /// An active interlock.
    pub const fn new() -> Self {
        Interlock { active: AtomicBool::new(true) }
    }

    /// `false` after a latching halt or an emergency stop.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Trips the latch. Idempotent.
    #[inline]
    pub fn emergency_stop(&self) {
        self.active.store(false, Ordering::Release);
    }

    /// Clears the latch.
    #[inline]
    pub fn reactivate(&self) {
        self.active.store(true, Ordering::Release);
    }

    /// Trips the latch if `verdict` is a latching halt; passes it through.
    #[inline]
    pub fn observe<T>(&self, verdict: Verdict<T>) -> Verdict<T> {
        if let Verdict::Halt(reason) = &verdict {
            if reason.latches() {
                self.emergency_stop();
            }
        }
        verdict
    }

    /// One token through a monitor under this latch: inactive → halt
    /// without looking at the score; otherwise the monitor's verdict, which
    /// trips the latch if it is a hard-limit halt.
    #[inline]
    pub fn gate<T: Real, S: AsRef<[T]> + AsMut<[T]>>(
        &self,
        monitor: &mut StreamMonitor<T, S>,
        score: T,
    ) -> Verdict<T> {
        if !self.is_active() {
            return Verdict::Halt(HaltReason::Inactive);
        }
        self.observe(monitor.push(score))
    }
}
