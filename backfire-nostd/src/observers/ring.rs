//! The TCBO history: the newest `window` samples of `width` channels,
//! stored channel-major over a caller's slice, each channel contiguous.
//!
//! Channel-major because the surrogate's hot loops run over time for one
//! channel at a time. Each channel has `window + SLACK` slots and the
//! samples never wrap around: pushes fill the slack, and only when it is
//! used up are the samples moved back to the front (one `memmove` per
//! channel every `SLACK` pushes). So the window is always one slice per
//! channel, at a memory cost of `SLACK` rows — the reference keeps the
//! same 10 spare rows (spec §2.1 `max_buffer`).

use crate::num::Real;

use super::embedding::SeriesWindow;

/// Spare slots per channel between compactions.
pub(crate) const SLACK: usize = 10;

/// Bookkeeping of the history; the values live in a slice passed to each
/// call, so the observer can lend the rest of its storage to scratch
/// buffers at the same time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeriesRing {
    width: usize,
    /// Samples kept per channel.
    window: usize,
    /// Slot of the oldest sample.
    start: usize,
    /// Samples held per channel, at most `window`.
    len: usize,
}

impl SeriesRing {
    /// An empty history of `window >= 1` samples of `width >= 1` channels
    /// (validated by the observer's configuration).
    pub(crate) fn new(width: usize, window: usize) -> Self {
        SeriesRing { width, window, start: 0, len: 0 }
    }

    /// Slots per channel.
    fn slots(&self) -> usize {
        self.window + SLACK
    }

    /// Channels.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Values of the slice the history uses: `width · (window + SLACK)`.
    pub(crate) fn values(&self) -> usize {
        self.width * self.slots()
    }

    /// Samples held per channel.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `true` once `window` samples are held.
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.window
    }

    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.len = 0;
    }

    /// Stores one time step, dropping the oldest once full: `write`
    /// receives a setter `(channel, value)` and must set every channel.
    pub(crate) fn push<T: Copy>(&mut self, data: &mut [T], write: impl FnOnce(&mut dyn FnMut(usize, T))) {
        if self.is_full() {
            self.start += 1;
            self.len -= 1;
        }
        let slots = self.slots();
        if self.start + self.len == slots {
            self.compact(data);
        }
        let slot = self.start + self.len;
        write(&mut |c, x| {
            if let Some(value) = data.get_mut(c * slots + slot) {
                *value = x;
            }
        });
        self.len += 1;
    }

    /// Moves every channel's samples to the front of its slots.
    fn compact<T: Copy>(&mut self, data: &mut [T]) {
        let (start, len) = (self.start, self.len);
        for series in data.chunks_exact_mut(self.slots()).take(self.width) {
            if start + len <= series.len() {
                series.copy_within(start..start + len, 0);
            }
        }
        self.start = 0;
    }

    /// The samples held, oldest first.
    pub(crate) fn window<'a, T: Real>(&self, data: &'a [T]) -> SeriesWindow<'a, T> {
        SeriesWindow::channel_major(data, self.width, self.slots(), self.start, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observers::{PointCloud, PointSet};

    #[test]
    fn keeps_the_newest_samples_in_order_across_compactions() {
        let mut ring = SeriesRing::new(2, 3);
        let mut data = [0.0; 2 * (3 + SLACK)];
        for x in 1..=40u32 {
            ring.push(&mut data, |set| {
                set(0, f64::from(x));
                set(1, -f64::from(x));
            });
            let n = x.min(3);
            let cloud = PointCloud::new(ring.window(&data), 1, 1);
            let mut out = [0.0; 6];
            assert_eq!(cloud.fill(&mut out), Ok(2 * n as usize));
            // Point r is time x − n + 1 + r, both channels.
            for (r, point) in out.chunks(2).take(n as usize).enumerate() {
                let t = f64::from(x - n + 1) + r as f64;
                assert_eq!(point, [t, -t], "after {x} pushes");
            }
        }
        assert_eq!(ring.len(), 3);
        ring.clear();
        assert_eq!(PointCloud::new(ring.window(&data), 1, 1).len(), 0);
    }
}
