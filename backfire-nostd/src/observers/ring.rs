//! The TCBO history: a FIFO of the newest samples of `width` channels,
//! stored channel-major over a caller's slice.
//!
//! Channel-major (each channel's samples contiguous) because the
//! surrogate's hot loops run over time for one channel at a time; a push
//! writes one value per channel, strided.

use crate::num::Real;

use super::embedding::SeriesWindow;

/// Bookkeeping of a ring of `capacity` samples per channel; the values
/// live in a slice passed to each call, so the observer can lend the rest
/// of its storage to scratch buffers at the same time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeriesRing {
    width: usize,
    capacity: usize,
    /// Slot the next sample goes to.
    head: usize,
    /// Samples held per channel, at most `capacity`.
    len: usize,
}

impl SeriesRing {
    /// An empty ring; `width` and `capacity` are at least 1 (validated by
    /// the observer's configuration).
    pub(crate) fn new(width: usize, capacity: usize) -> Self {
        SeriesRing { width, capacity, head: 0, len: 0 }
    }

    /// Channels.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Values of the slice the ring uses: `width · capacity`.
    pub(crate) fn values(&self) -> usize {
        self.width * self.capacity
    }

    /// Samples held per channel.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `true` once `capacity` samples are held.
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.capacity
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Stores one time step, overwriting the oldest once full: `write`
    /// receives a setter `(channel, value)` and must set every channel.
    pub(crate) fn push<T>(&mut self, data: &mut [T], write: impl FnOnce(&mut dyn FnMut(usize, T))) {
        let (head, capacity) = (self.head, self.capacity);
        write(&mut |c, x| {
            if let Some(slot) = data.get_mut(c * capacity + head) {
                *slot = x;
            }
        });
        self.head = if head + 1 == capacity { 0 } else { head + 1 };
        self.len = (self.len + 1).min(capacity);
    }

    /// Rotates every channel so that the oldest sample sits at slot 0: the
    /// window is then one contiguous run per channel, which the
    /// surrogate's fast paths need. One `memmove` of the ring (a rotation
    /// by the pushes since the last call); nothing to do when already
    /// straight.
    pub(crate) fn linearize<T>(&mut self, data: &mut [T]) {
        if !self.is_full() || self.head == 0 {
            return; // slots 0..len already hold the samples in order
        }
        let data = data.get_mut(..self.values()).unwrap_or_default();
        for series in data.chunks_exact_mut(self.capacity) {
            series.rotate_left(self.head);
        }
        self.head = 0;
    }

    /// The samples held, oldest first.
    pub(crate) fn window<'a, T: Real>(&self, data: &'a [T]) -> SeriesWindow<'a, T> {
        let data = data.get(..self.values()).unwrap_or_default();
        // Until the ring is full the oldest sample is at slot 0.
        let start = if self.is_full() { self.head } else { 0 };
        SeriesWindow::ring(data, self.width, self.capacity, start, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observers::{PointCloud, PointSet};

    #[test]
    fn keeps_the_newest_samples_in_order() {
        let mut ring = SeriesRing::new(2, 3);
        let mut data = [0.0; 6];
        for x in 1..=5 {
            ring.push(&mut data, |set| {
                set(0, f64::from(x));
                set(1, -f64::from(x));
            });
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(data, [4.0, 5.0, 3.0, -4.0, -5.0, -3.0]);
        let cloud = PointCloud::new(ring.window(&data), 1, 1);
        let mut out = [0.0; 6];
        assert_eq!(cloud.fill(&mut out), Ok(6));
        assert_eq!(out, [3.0, -3.0, 4.0, -4.0, 5.0, -5.0]);
        ring.linearize(&mut data);
        assert_eq!(data, [3.0, 4.0, 5.0, -3.0, -4.0, -5.0]);
        let mut again = [0.0; 6];
        assert_eq!(PointCloud::new(ring.window(&data), 1, 1).fill(&mut again), Ok(6));
        assert_eq!(again, out);
        ring.push(&mut data, |set| {
            set(0, 6.0);
            set(1, -6.0);
        });
        assert_eq!(data, [6.0, 4.0, 5.0, -6.0, -4.0, -5.0]);
        ring.clear();
        assert_eq!(PointCloud::new(ring.window(&data), 1, 1).len(), 0);
    }
}
