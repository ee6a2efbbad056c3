//! A FIFO of fixed-width rows over a caller's slice (the TCBO history).

use crate::num::Real;

use super::embedding::RowWindow;

/// Bookkeeping of a ring of `capacity` rows of `width` values; the values
/// live in a slice passed to each call, so the observer can lend the rest
/// of its storage to scratch buffers at the same time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowRing {
    width: usize,
    capacity: usize,
    /// Slot the next row goes to.
    head: usize,
    /// Rows held, at most `capacity`.
    len: usize,
}

impl RowRing {
    /// An empty ring; `width` and `capacity` are at least 1 (validated by
    /// the observer's configuration).
    pub(crate) fn new(width: usize, capacity: usize) -> Self {
        RowRing { width, capacity, head: 0, len: 0 }
    }

    /// Values per row.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Values of `rows` the ring uses: `width · capacity`.
    pub(crate) fn values(&self) -> usize {
        self.width * self.capacity
    }

    /// Rows held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `true` once `capacity` rows are held.
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.capacity
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// The slot for a new row, overwriting the oldest once full. The caller
    /// fills it completely.
    pub(crate) fn push<'a, T>(&mut self, rows: &'a mut [T]) -> &'a mut [T] {
        let start = self.head * self.width;
        self.head = if self.head + 1 == self.capacity { 0 } else { self.head + 1 };
        self.len = (self.len + 1).min(self.capacity);
        rows.get_mut(start..start + self.width).unwrap_or_default()
    }

    /// The rows held, oldest first.
    pub(crate) fn window<'a, T: Real>(&self, rows: &'a [T]) -> RowWindow<'a, T> {
        let rows = rows.get(..self.values()).unwrap_or_default();
        if self.is_full() {
            // The oldest row sits at `head`.
            let (newer, older) = rows.split_at(self.head * self.width);
            RowWindow::new(older, newer, self.width)
        } else {
            RowWindow::new(rows.get(..self.len * self.width).unwrap_or_default(), &[], self.width)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observers::{PointCloud, PointSet};

    #[test]
    fn keeps_the_newest_rows_in_order() {
        let mut ring = RowRing::new(1, 3);
        let mut rows = [0.0; 3];
        for x in 1..=5 {
            ring.push(&mut rows)[0] = f64::from(x);
        }
        assert_eq!(ring.len(), 3);
        let cloud = PointCloud::new(ring.window(&rows), 1, 1);
        let mut out = [0.0; 3];
        assert_eq!(cloud.fill(&mut out), Ok(3));
        assert_eq!(out, [3.0, 4.0, 5.0]);
        ring.clear();
        assert_eq!(PointCloud::new(ring.window(&rows), 1, 1).len(), 0);
    }
}
