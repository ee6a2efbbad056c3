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

    /// Calls `f(j, x)` for each stored coordinate `j` of `theta`
    /// (`coords_per_channel() · theta.len()` of them, in order).
    pub(crate) fn for_each_coord<T: ObserverFloat>(self, theta: &[T], mut f: impl FnMut(usize, T)) {
        match self {
            PhaseEmbedding::Linear => theta.iter().enumerate().for_each(|(c, &x)| f(c, x)),
            PhaseEmbedding::Angular => {
                for (c, &x) in theta.iter().enumerate() {
                    let (sin, cos) = x.sin_cos();
                    f(2 * c, cos);
                    f(2 * c + 1, sin);
                }
            }
        }
    }
}

/// Samples of `width` channels over `rows` consecutive times, oldest
/// first: value `(t, c)` is at `data[c·channel_stride + (start + t)·time_stride]`
/// — channel-major history (`time_stride = 1`, each channel one contiguous
/// run) or plain row-major rows (`channel_stride = 1`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeriesWindow<'a, T> {
    data: &'a [T],
    width: usize,
    rows: usize,
    start: usize,
    channel_stride: usize,
    time_stride: usize,
}

impl<'a, T: Real> SeriesWindow<'a, T> {
    /// Row-major rows of `width >= 1` values (`data.len() / width` rows).
    pub(crate) fn row_major(data: &'a [T], width: usize) -> Self {
        let rows = data.len() / width.max(1);
        SeriesWindow { data, width, rows, start: 0, channel_stride: 1, time_stride: width }
    }

    /// Channel-major: channel `c`'s samples are
    /// `data[c·channel_stride + start ..][..rows]`, oldest first.
    pub(crate) fn channel_major(
        data: &'a [T],
        width: usize,
        channel_stride: usize,
        start: usize,
        rows: usize,
    ) -> Self {
        SeriesWindow { data, width, rows, start, channel_stride, time_stride: 1 }
    }

    /// Sample of channel `c` at time `t` (0 = oldest).
    #[inline(always)]
    fn sample(&self, t: usize, c: usize) -> T {
        let i = c * self.channel_stride + (self.start + t) * self.time_stride;
        self.data.get(i).copied().unwrap_or(T::ZERO)
    }

    /// Channel `c`'s samples, oldest first, as one slice (channel-major
    /// layout only).
    #[inline]
    fn series(&self, c: usize) -> Option<&'a [T]> {
        if self.time_stride != 1 {
            return None;
        }
        let first = c * self.channel_stride + self.start;
        self.data.get(first..first + self.rows)
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

    /// Adds every point to `sums` (coordinate `j` into `sums[j]`), points
    /// in ascending order — each sum is accumulated in exactly that order.
    /// Implementations may be faster but must give the same bits.
    fn accumulate(&self, sums: &mut [T])
    where
        T: Real,
    {
        accumulate_points(self, sums);
    }

    /// `out[r] = Σ_j (p_rj − center_j)²`, summed from 0 over ascending `j`.
    /// Implementations may be faster but must give the same bits.
    fn squared_distances(&self, center: &[T], out: &mut [T])
    where
        T: Real,
    {
        squared_distances_of_points(self, center, out);
    }
}

/// [`PointSet::accumulate`] point by point.
fn accumulate_points<T: Real, P: PointSet<T> + ?Sized>(points: &P, sums: &mut [T]) {
    for r in 0..points.len() {
        let mut slots = sums.iter_mut();
        points.visit(r, |x| {
            if let Some(sum) = slots.next() {
                *sum = *sum + x;
            }
        });
    }
}

/// [`PointSet::squared_distances`] point by point.
fn squared_distances_of_points<T: Real, P: PointSet<T> + ?Sized>(points: &P, center: &[T], out: &mut [T]) {
    for (r, slot) in out.iter_mut().enumerate().take(points.len()) {
        let mut g = center.iter();
        let mut squares = T::ZERO;
        points.visit(r, |x| {
            let d = x - g.next().copied().unwrap_or(T::ZERO);
            squares = squares + d * d;
        });
        *slot = squares;
    }
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
    window: SeriesWindow<'a, T>,
    embed_dim: usize,
    tau: usize,
    lag_span: usize,
    points: usize,
}

impl<'a, T: Real> PointCloud<'a, T> {
    /// The embedding of `window` with `embed_dim >= 1` and delay `tau`.
    pub(crate) fn new(window: SeriesWindow<'a, T>, embed_dim: usize, tau: usize) -> Self {
        let lag_span = embed_dim.saturating_sub(1).saturating_mul(tau);
        let points = window.rows.saturating_sub(lag_span);
        PointCloud { window, embed_dim, tau, lag_span, points }
    }

    /// Coordinate `j` of point `r`, or `None` out of range.
    pub fn coord(&self, r: usize, j: usize) -> Option<T> {
        if r >= self.points || j >= self.dim() {
            return None;
        }
        let (c, k) = (j / self.embed_dim, j % self.embed_dim);
        Some(self.window.sample(r + self.lag_time(k), c))
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

    /// Time of lag `k` of point 0; point `r` adds `r`.
    #[inline]
    fn lag_time(&self, k: usize) -> usize {
        self.lag_span.saturating_sub(k * self.tau)
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
        for c in 0..self.window.width {
            for k in 0..self.embed_dim {
                f(self.window.sample(r + self.lag_time(k), c));
            }
        }
    }

    /// Sum `(c, k)` is channel `c` over the `W` times from `lag_time(k)`,
    /// summed oldest first — the same order as point by point — with the
    /// sums of `LANES` (4) channels side by side so that the additions
    /// overlap.
    fn accumulate(&self, sums: &mut [T]) {
        let (m, n, width) = (self.embed_dim, self.points, self.window.width);
        if (0..width).any(|c| self.window.series(c).is_none()) {
            return accumulate_points(self, sums); // row-major input
        }
        for k in 0..m {
            let start = self.lag_time(k);
            let lag =
                |c: usize| self.window.series(c).and_then(|x| x.get(start..start + n)).unwrap_or_default();
            for first in (0..width).step_by(LANES) {
                let lanes = LANES.min(width - first);
                // Spare lanes repeat the last channel; their sums are dropped.
                let channel = |lane: usize| first + lane.min(lanes - 1);
                let slot = |lane: usize| channel(lane) * m + k;
                let parts = [lag(channel(0)), lag(channel(1)), lag(channel(2)), lag(channel(3))];
                let sum = |lane: usize| sums.get(slot(lane)).copied().unwrap_or(T::ZERO);
                let acc = sum_lanes([sum(0), sum(1), sum(2), sum(3)], parts);
                for (lane, &sum) in acc.iter().enumerate().take(lanes) {
                    if let Some(s) = sums.get_mut(slot(lane)) {
                        *s = sum;
                    }
                }
            }
        }
    }

    /// All points at once, `GROUP` (6) coordinates per pass: `out[r]` still
    /// sums its coordinates in order, and each pass reads contiguous
    /// samples (one channel and lag per coordinate).
    fn squared_distances(&self, center: &[T], out: &mut [T]) {
        let (m, n, dim) = (self.embed_dim, self.points, self.dim());
        let Some(out) = out.get_mut(..n) else { return squared_distances_of_points(self, center, out) };
        out.fill(T::ZERO);
        // Coordinate j = c·m + k over all points: channel c from time
        // lag_time(k). (c, k) advance with j — no division per coordinate.
        let (mut c, mut k) = (0, 0);
        let mut j = 0;
        while j < dim {
            let group = (dim - j).min(GROUP);
            let mut xs: [&[T]; GROUP] = [&[]; GROUP];
            for x in xs.iter_mut().take(group) {
                let start = self.lag_time(k);
                match self.window.series(c).and_then(|series| series.get(start..start + n)) {
                    Some(samples) => *x = samples,
                    None => return squared_distances_of_points(self, center, out),
                }
                k += 1;
                if k == m {
                    (c, k) = (c + 1, 0);
                }
            }
            let g: [T; GROUP] = core::array::from_fn(|i| center.get(j + i).copied().unwrap_or(T::ZERO));
            if group == GROUP {
                add_six_squares(out, xs, g);
            } else {
                // The last few coordinates, one pass each (same order).
                for (x, &gi) in xs.iter().zip(&g).take(group) {
                    out.iter_mut().zip(*x).for_each(|(sum, &xr)| *sum = *sum + (xr - gi) * (xr - gi));
                }
            }
            j += group;
        }
    }
}

/// `acc[lane] += Σ parts[lane]`, each in order. Zipping four slice
/// iterators compiles to one indexed loop without bounds checks.
#[inline(always)]
fn sum_lanes<T: Real>(acc: [T; LANES], parts: [&[T]; LANES]) -> [T; LANES] {
    let [a, b, c, d] = parts;
    let [mut sa, mut sb, mut sc, mut sd] = acc;
    for (((&xa, &xb), &xc), &xd) in a.iter().zip(b).zip(c).zip(d) {
        sa = sa + xa;
        sb = sb + xb;
        sc = sc + xc;
        sd = sd + xd;
    }
    [sa, sb, sc, sd]
}

/// `sums[r] += (x[0][r] − g[0])² + … + (x[5][r] − g[5])²`, added left to
/// right. Zipping the seven slice iterators compiles to one indexed,
/// vectorized loop without bounds checks.
#[inline(always)]
fn add_six_squares<T: Real>(sums: &mut [T], x: [&[T]; GROUP], g: [T; GROUP]) {
    let [x0, x1, x2, x3, x4, x5] = x;
    let [g0, g1, g2, g3, g4, g5] = g;
    let sq = |a: T, c: T| (a - c) * (a - c);
    let samples = x0.iter().zip(x1).zip(x2).zip(x3).zip(x4).zip(x5);
    for (sum, (((((&a, &b), &c), &d), &e), &f)) in sums.iter_mut().zip(samples) {
        *sum = *sum + sq(a, g0) + sq(b, g1) + sq(c, g2) + sq(d, g3) + sq(e, g4) + sq(f, g5);
    }
}

/// Coordinates per pass of [`PointCloud::squared_distances`].
const GROUP: usize = 6;

/// Channels summed side by side in [`PointCloud::accumulate`].
const LANES: usize = 4;

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
    let cloud = PointCloud::new(SeriesWindow::row_major(rows, n), embed_dim, tau);
    cloud.fill(out)?;
    Ok((cloud.len(), cloud.dim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_major_window_reads_in_time_order() {
        // Two channels of stride 5; the window is slots 1..4 of each.
        let data = [9.0, 2.0, 3.0, 4.0, 9.0, 9.0, 20.0, 30.0, 40.0, 9.0];
        let cloud = PointCloud::new(SeriesWindow::channel_major(&data, 2, 5, 1, 3), 2, 1);
        assert_eq!((cloud.len(), cloud.dim()), (2, 4));
        let mut out = [0.0; 8];
        assert_eq!(cloud.fill(&mut out), Ok(8));
        assert_eq!(out, [3.0, 2.0, 30.0, 20.0, 4.0, 3.0, 40.0, 30.0]);
        assert_eq!(cloud.coord(1, 3), Some(30.0));
        assert_eq!(cloud.coord(2, 0), None);
        assert_eq!(cloud.coord(0, 4), None);
        assert_eq!(cloud.window.series(1), Some(&data[6..9]));
        assert_eq!(SeriesWindow::row_major(&data, 2).series(0), None);
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
    fn angular_coordinates_are_cosine_sine_pairs() {
        let mut row = [9.0; 4];
        PhaseEmbedding::Angular.for_each_coord(&[0.0, core::f64::consts::FRAC_PI_2], |j, x| row[j] = x);
        assert!((row[0] - 1.0).abs() < 1e-15 && row[1].abs() < 1e-15);
        assert!(row[2].abs() < 1e-15 && (row[3] - 1.0).abs() < 1e-15);
        let mut row = [9.0; 2];
        PhaseEmbedding::Linear.for_each_coord(&[0.5, -3.0], |j, x| row[j] = x);
        assert_eq!(row, [0.5, -3.0]);
    }
}
