//! From phase vectors to a point cloud: the per-channel phase embedding
//! and the delay embedding (spec §2.4 steps 5–7, §2.6).
//!
//! The delay-embedded cloud is never materialised: a [`PointCloud`] is a
//! view over the buffered rows, and point `r`, coordinate `c·m + k` is read
//! straight from row `r + (m−1)τ − kτ`, channel `c`.

use crate::num::Real;

use super::ObserverFloat;
use super::error::ObserverError;
use crate::check::{ParamError, check_at_least};

/// How a phase `θ` becomes coordinates of the embedded point.
///
/// * [`Angular`](Self::Angular) (default): `(cos θ, sin θ)`, two
///   coordinates per channel. Distances are chord lengths on the circle,
///   so a phase that wraps from `π` to `−π` does not jump by `2π`, and
///   unwrapped phases that drift without bound stay on the unit circle.
///   For small differences the chord equals the angle difference, so the
///   default thresholds keep their meaning.
/// * [`Linear`](Self::Linear): `θ` itself, one coordinate per channel —
///   the reference's Euclidean treatment (spec §8 item 2). Select it to
///   reproduce the reference's values.
///
/// (Wrapped differences were the other candidate; they need a reference
/// phase per channel and do not give points of a fixed space, which a
/// Rips filtration needs.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PhaseEmbedding {
    /// Each channel as `(cos θ, sin θ)`.
    #[default]
    Angular,
    /// Each channel as `θ` (reference behaviour).
    Linear,
}

impl PhaseEmbedding {
    /// Stored coordinates per input channel: 2 (angular) or 1 (linear).
    #[inline]
    pub const fn coords_per_channel(self) -> usize {
        match self {
            PhaseEmbedding::Angular => 2,
            PhaseEmbedding::Linear => 1,
        }
    }

    /// Writes the embedded coordinates of `theta` into `row`
    /// (`coords_per_channel() · theta.len()` values).
    pub(crate) fn write_row<T: ObserverFloat>(self, theta: &[T], row: &mut [T]) {
        match self {
            PhaseEmbedding::Linear => {
                for (slot, &x) in row.iter_mut().zip(theta) {
                    *slot = x;
                }
            }
            PhaseEmbedding::Angular => {
                for (pair, &x) in row.chunks_exact_mut(2).zip(theta) {
                    let (sin, cos) = x.sin_cos();
                    if let [c, s] = pair {
                        *c = cos;
                        *s = sin;
                    }
                }
            }
        }
    }
}

/// Buffered rows in time order, oldest first: the tail of a ring
/// (`older`) followed by its wrapped-around head (`newer`). Each row holds
/// `width` values.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowWindow<'a, T> {
    older: &'a [T],
    newer: &'a [T],
    width: usize,
}

impl<'a, T: Real> RowWindow<'a, T> {
    /// A window over two row-major segments; `width` must be at least 1.
    pub(crate) fn new(older: &'a [T], newer: &'a [T], width: usize) -> Self {
        RowWindow { older, newer, width }
    }

    fn rows(&self) -> usize {
        (self.older.len() + self.newer.len()) / self.width.max(1)
    }

    /// Value `i` of the concatenated rows (`i = t·width + c`).
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        match self.older.get(i) {
            Some(&x) => x,
            // `i >= older.len()` here, so the subtraction cannot wrap.
            None => self.newer.get(i - self.older.len()).copied().unwrap_or(T::ZERO),
        }
    }
}

/// A set of points of equal dimension, read one point at a time.
///
/// Implemented by the delay-embedded [`PointCloud`] of an observer and by
/// [`FlatPoints`] (an explicit row-major array). The H1 estimators take
/// any `PointSet`.
pub trait PointSet<T> {
    /// Number of points.
    fn len(&self) -> usize;
    /// Coordinates per point.
    fn dim(&self) -> usize;
    /// `true` when there are no points.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Calls `f` with each coordinate of point `r`, in coordinate order.
    /// Does nothing for `r >= len()`.
    fn visit(&self, r: usize, f: impl FnMut(T));
}

/// The delay embedding of buffered rows, as a view (spec §2.4 steps 5–7).
///
/// With `w` stored coordinates per row, embedding dimension `m` and delay
/// `τ`, the cloud has `rows − (m−1)τ` points of dimension `w·m`; point `r`
/// coordinate `c·m + k` is row `r + (m−1)τ − kτ`, coordinate `c` — so lag 0
/// is the newest sample, and channels are concatenated (the reference's
/// layout). For [`PhaseEmbedding::Angular`], stored coordinate `2i` is
/// `cos θ_i` and `2i + 1` is `sin θ_i`.
#[derive(Clone, Copy, Debug)]
pub struct PointCloud<'a, T> {
    window: RowWindow<'a, T>,
    embed_dim: usize,
    tau: usize,
    lag_span: usize,
    points: usize,
}

impl<'a, T: Real> PointCloud<'a, T> {
    /// The embedding of `window` with `embed_dim >= 1` and delay `tau`.
    pub(crate) fn new(window: RowWindow<'a, T>, embed_dim: usize, tau: usize) -> Self {
        let lag_span = embed_dim.saturating_sub(1).saturating_mul(tau);
        let points = window.rows().saturating_sub(lag_span);
        PointCloud { window, embed_dim, tau, lag_span, points }
    }

    /// Coordinate `j` of point `r`, or `None` out of range.
    pub fn coord(&self, r: usize, j: usize) -> Option<T> {
        if r >= self.points || j >= self.dim() {
            return None;
        }
        let (c, k) = (j / self.embed_dim, j % self.embed_dim);
        let t = r + self.lag_span - k * self.tau;
        Some(self.window.at(t * self.window.width + c))
    }

    /// Writes the cloud row-major (`len() × dim()` values) into `out` and
    /// returns the number of values written.
    pub fn fill(&self, out: &mut [T]) -> Result<usize, ObserverError> {
        let needed = self.points * self.dim();
        let provided = out.len();
        let out = out.get_mut(..needed).ok_or(ObserverError::Storage { needed, provided })?;
        for (r, point) in out.chunks_exact_mut(self.dim().max(1)).enumerate() {
            let mut slots = point.iter_mut();
            self.visit(r, |x| {
                if let Some(slot) = slots.next() {
                    *slot = x;
                }
            });
        }
        Ok(needed)
    }
}

impl<T: Real> PointSet<T> for PointCloud<'_, T> {
    #[inline]
    fn len(&self) -> usize {
        self.points
    }

    #[inline]
    fn dim(&self) -> usize {
        self.window.width * self.embed_dim
    }

    #[inline]
    fn visit(&self, r: usize, mut f: impl FnMut(T)) {
        if r >= self.points {
            return;
        }
        let width = self.window.width;
        // Index of (row r + lag_span, coordinate 0): the newest sample.
        let newest = (r + self.lag_span) * width;
        let step = self.tau * width;
        for c in 0..width {
            let mut i = newest + c;
            for _ in 0..self.embed_dim {
                f(self.window.at(i));
                // The last decrement is never read and may wrap.
                i = i.wrapping_sub(step);
            }
        }
    }
}

/// Explicit points: a row-major array of `len × dim` values.
///
/// ```
/// use backfire_nostd::observers::{FlatPoints, PointSet};
/// let triangle = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
/// let points = FlatPoints::new(&triangle, 2).unwrap();
/// assert_eq!((points.len(), points.dim()), (3, 2));
/// assert!(FlatPoints::new(&triangle, 4).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FlatPoints<'a, T> {
    data: &'a [T],
    dim: usize,
}

impl<'a, T> FlatPoints<'a, T> {
    /// Points of dimension `dim >= 1`; `data.len()` must be a multiple of
    /// `dim`.
    pub fn new(data: &'a [T], dim: usize) -> Result<Self, ObserverError> {
        check_at_least("dim", dim, 1, ">= 1")?;
        if data.len() % dim != 0 {
            return Err(ParamError::new("data length", data.len() as f64, "a multiple of dim").into());
        }
        Ok(FlatPoints { data, dim })
    }
}

impl<T: Copy> PointSet<T> for FlatPoints<'_, T> {
    #[inline]
    fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    #[inline]
    fn dim(&self) -> usize {
        self.dim
    }

    #[inline]
    fn visit(&self, r: usize, mut f: impl FnMut(T)) {
        if let Some(point) = self.data.chunks_exact(self.dim).nth(r) {
            point.iter().for_each(|&x| f(x));
        }
    }
}

/// Delay embedding of a scalar series (spec §2.6): `x.len() − (m−1)τ` rows
/// of `m` values, row `r` = `[x[r+(m−1)τ], x[r+(m−2)τ], …, x[r]]`, written
/// row-major into `out`. Returns the number of rows (0 when the series is
/// too short, like the reference's empty matrix).
///
/// ```
/// use backfire_nostd::observers::delay_embed;
/// let x: [f64; 10] = core::array::from_fn(|i| i as f64);
/// let mut out = [0.0; 24];
/// assert_eq!(delay_embed(&x, 3, 1, &mut out), Ok(8));
/// assert_eq!(out[..3], [2.0, 1.0, 0.0]);
/// assert_eq!(delay_embed(&[1.0, 2.0], 3, 2, &mut out), Ok(0));
/// ```
pub fn delay_embed<T: Real>(
    x: &[T],
    embed_dim: usize,
    tau: usize,
    out: &mut [T],
) -> Result<usize, ObserverError> {
    delay_embed_multi(x, 1, embed_dim, tau, out).map(|(rows, _)| rows)
}

/// Delay embedding of `n` channels given as row-major rows of `n` values
/// (spec §2.6 `delay_embed_multi`), channels concatenated: returns
/// `(points, n·m)` and writes the points row-major into `out`.
///
/// ```
/// use backfire_nostd::observers::delay_embed_multi;
/// let rows: [f64; 20] = core::array::from_fn(|i| if i % 2 == 0 { (i / 2) as f64 } else { (i - 1) as f64 });
/// let mut out = [0.0; 48];
/// assert_eq!(delay_embed_multi(&rows, 2, 3, 1, &mut out), Ok((8, 6)));
/// assert_eq!(out[..6], [2.0, 1.0, 0.0, 4.0, 2.0, 0.0]);
/// ```
pub fn delay_embed_multi<T: Real>(
    rows: &[T],
    n: usize,
    embed_dim: usize,
    tau: usize,
    out: &mut [T],
) -> Result<(usize, usize), ObserverError> {
    check_at_least("n", n, 1, ">= 1")?;
    check_at_least("embed_dim", embed_dim, 1, ">= 1")?;
    check_at_least("tau_delay", tau, 1, ">= 1")?;
    if rows.len() % n != 0 {
        return Err(ParamError::new("rows length", rows.len() as f64, "a multiple of n").into());
    }
    let cloud = PointCloud::new(RowWindow::new(rows, &[], n), embed_dim, tau);
    cloud.fill(out)?;
    Ok((cloud.len(), cloud.dim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_segments_read_as_one_series() {
        // Rows 2, 3 at the end of the ring, rows 4, 5 wrapped to the front.
        let older = [2.0, 20.0, 3.0, 30.0];
        let newer = [4.0, 40.0, 5.0, 50.0];
        let cloud = PointCloud::new(RowWindow::new(&older, &newer, 2), 2, 2);
        assert_eq!((cloud.len(), cloud.dim()), (2, 4));
        let mut out = [0.0; 8];
        assert_eq!(cloud.fill(&mut out), Ok(8));
        assert_eq!(out, [4.0, 2.0, 40.0, 20.0, 5.0, 3.0, 50.0, 30.0]);
        assert_eq!(cloud.coord(1, 3), Some(30.0));
        assert_eq!(cloud.coord(2, 0), None);
        assert_eq!(cloud.coord(0, 4), None);
    }

    #[test]
    fn fill_rejects_a_short_buffer() {
        let x = [0.0f32; 5];
        let mut out = [0.0f32; 5];
        assert_eq!(delay_embed(&x, 2, 1, &mut out), Err(ObserverError::Storage { needed: 8, provided: 5 }));
    }

    #[test]
    fn helpers_validate_their_parameters() {
        let mut out = [0.0; 4];
        assert!(delay_embed(&[1.0, 2.0], 0, 1, &mut out).is_err());
        assert!(delay_embed(&[1.0, 2.0], 2, 0, &mut out).is_err());
        assert!(delay_embed_multi(&[1.0, 2.0, 3.0], 2, 1, 1, &mut out).is_err());
        assert!(delay_embed_multi(&[1.0, 2.0], 0, 1, 1, &mut out).is_err());
    }

    #[test]
    fn angular_rows_are_cosine_sine_pairs() {
        let mut row = [9.0; 4];
        PhaseEmbedding::Angular.write_row(&[0.0, core::f64::consts::FRAC_PI_2], &mut row);
        assert!((row[0] - 1.0).abs() < 1e-15 && row[1].abs() < 1e-15);
        assert!(row[2].abs() < 1e-15 && (row[3] - 1.0).abs() < 1e-15);
        let mut row = [9.0; 2];
        PhaseEmbedding::Linear.write_row(&[0.5, -3.0], &mut row);
        assert_eq!(row, [0.5, -3.0]);
    }
}
