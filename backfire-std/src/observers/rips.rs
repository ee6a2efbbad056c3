//! H1 persistence of a point cloud by a Vietoris–Rips filtration — the
//! real topological estimator the reference only names (spec §8 item 1).
//!
//! # Algorithm
//!
//! 1. Pairwise Euclidean distances; edges sorted by `(length, i, j)`.
//! 2. Union–find over the sorted edges: an edge that joins two components
//!    kills an H0 class ("negative"); every other edge closes a cycle
//!    ("positive") and may give birth to an H1 class.
//! 3. A triangle enters with its longest edge (its diameter) and is
//!    ordered by `(diameter rank, vertex opposite the diameter)`.
//! 4. Persistent **cohomology** over Z/2, as in Ripser: the positive
//!    edges, latest first, each with its coboundary column (the triangles
//!    containing it, pivot = earliest). A column whose pivot is owned by a
//!    later edge gets that edge's column added, until its pivot is free —
//!    the pair (edge, pivot triangle) is the bar
//!    `[len(edge), diameter(triangle))` — or the column vanishes. The
//!    pairs, hence the bars, are the same as those of the boundary-matrix
//!    reduction of the triangles; the coboundary direction is far cheaper
//!    because most H2-creating triangles never need to be reduced.
//!
//! Shortcuts (Ripser's):
//! * **Enclosing radius** — once some vertex is joined to all others the
//!   complex is a cone and every H1 class has died, so longer edges and
//!   larger triangles are left out.
//! * **Clearing** — negative edges are already paired in H0 and are
//!   skipped (their columns would reduce to zero).
//! * **Apparent pairs** — if an edge's earliest coface has the edge as its
//!   diameter, no later column can contain that triangle: the pair (a
//!   zero-length bar) is made with no reduction at all. Most edges end
//!   here.
//! * **Implicit columns** — a reduced column `R_e = δ(V_e)` is kept as the
//!   short edge combination `V_e`, and the working column is a heap of
//!   coboundary entries summed lazily, so only entries up to the pivot are
//!   ever sorted out.
//!
//! Buffers are reused between calls. Cost: `O(P²·D)` distances,
//! `O(P² log P)` edge sort, `O(P)` per apparent pair, and the reductions
//! (`O(P log P)` per added edge), which stay short for point clouds:
//! ~0.7 ms for the TCBO default window (50 points in 96 dimensions).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use backfire_nostd::observers::PointSet;

/// One H1 interval of the filtration, in distance units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// Edge length at which the cycle appears.
    pub birth: f64,
    /// Edge length at which it is filled in.
    pub death: f64,
}

impl Bar {
    /// `death − birth`.
    pub fn persistence(&self) -> f64 {
        self.death - self.birth
    }
}

#[derive(Clone, Copy, Debug)]
struct Edge {
    length: f64,
    i: u32,
    j: u32,
}

const NONE: u32 = u32::MAX;

/// Most points the TCBO observer lets the Rips method use: with
/// `method = Rips`, [`TCBOObserver`](super::TCBOObserver) rejects a
/// `subsample_max` above this. The workspace is dense in the point count
/// `P`: a `P × P` matrix of `u32` edge ranks and `P(P−1)/2` edges of 16
/// bytes — 48 MiB at 2048 points, growing quadratically — and the edge
/// ranks are `u32`, so [`RipsH1::bars`] cannot index 65536 points or more
/// at all.
pub const MAX_RIPS_POINTS: usize = 2048;

/// Reusable workspace of the Rips H1 computation.
///
/// ```
/// use backfire_nostd::observers::FlatPoints;
/// use backfire_std::observers::rips::RipsH1;
/// // Eight points on the unit circle: one long H1 bar.
/// let circle: Vec<f64> = (0..8)
///     .flat_map(|k| {
///         let a = std::f64::consts::TAU * k as f64 / 8.0;
///         [a.cos(), a.sin()]
///     })
///     .collect();
/// let mut rips = RipsH1::new();
/// let bars = rips.bars(&FlatPoints::new(&circle, 2).unwrap());
/// assert_eq!(bars.len(), 1);
/// assert!(bars[0].persistence() > 0.6);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RipsH1 {
    coords: Vec<f64>,
    filtration: Filtration,
    reducer: Reducer,
}

/// The 1-skeleton: sorted edges, their ranks, and which close cycles.
#[derive(Clone, Debug, Default)]
struct Filtration {
    edges: Vec<Edge>,
    /// `rank[i·P + j]`: position of edge `{i, j}` in filtration order;
    /// `NONE` on the diagonal.
    rank: Vec<u32>,
    parent: Vec<u32>,
    positive: Vec<bool>,
    /// Each vertex's largest distance to another.
    farthest: Vec<f64>,
    /// Edges `0..limit` have length at most the enclosing radius.
    limit: u32,
}

/// Coboundary reduction of the positive edges over Z/2.
///
/// As in Ripser, a reduced column `R_e = δ(V_e)` is stored as its
/// combination `V_e` of edges (short) rather than as its triangles (long),
/// and the working column is a heap of coboundary entries summed lazily:
/// only the entries up to the pivot are ever sorted out.
#[derive(Clone, Debug, Default)]
struct Reducer {
    /// Edge owning each pivot triangle (by key).
    pivot_owner: HashMap<u64, u32>,
    /// Where each edge's `V` column is stored, if it is not just `{e}`.
    stored: Vec<Option<(usize, usize)>>,
    /// Stored `V` columns: edge indices, back to back.
    arena: Vec<u32>,
    /// Working column: triangle keys with multiplicity (Z/2: pairs cancel).
    heap: BinaryHeap<Reverse<u64>>,
    /// Working `V`: edges with multiplicity.
    combination: Vec<u32>,
    coboundary: Vec<u64>,
    bars: Vec<Bar>,
}

impl RipsH1 {
    /// An empty workspace.
    pub fn new() -> Self {
        RipsH1::default()
    }

    /// The H1 bars of positive length, longest first.
    ///
    /// A cloud of 65536 points or more (`P²` past `u32`) is beyond the
    /// `u32` indexing and gives no bars; the TCBO observer never passes
    /// more than [`MAX_RIPS_POINTS`].
    pub fn bars<P: PointSet<f64>>(&mut self, points: &P) -> &[Bar] {
        let (count, dim) = (points.len(), points.dim());
        self.reducer.bars.clear();
        // Fewer than 3 points (or 0-dimensional ones) cannot hold a cycle.
        if count >= 3 && dim > 0 && count.checked_mul(count).is_some_and(|c| u32::try_from(c).is_ok()) {
            self.coords.clear();
            for r in 0..count {
                points.visit(r, |x| self.coords.push(x));
            }
            self.filtration.build(&self.coords, count, dim);
            self.reducer.run(&self.filtration, count);
        }
        let bars = &mut self.reducer.bars;
        bars.sort_by(|a, b| b.persistence().total_cmp(&a.persistence()));
        bars
    }

    /// The persistence of the longest H1 bar, or 0 if there is none.
    pub fn longest<P: PointSet<f64>>(&mut self, points: &P) -> f64 {
        self.bars(points).first().map_or(0.0, Bar::persistence)
    }
}

impl Filtration {
    fn build(&mut self, coords: &[f64], count: usize, dim: usize) {
        self.edges.clear();
        self.farthest.clear();
        self.farthest.resize(count, 0.0);
        for (i, a) in coords.chunks_exact(dim).enumerate() {
            for (j, b) in coords.chunks_exact(dim).enumerate().skip(i + 1) {
                let length = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
                self.edges.push(Edge { length, i: i as u32, j: j as u32 });
                for v in [i, j] {
                    if let Some(far) = self.farthest.get_mut(v) {
                        *far = far.max(length);
                    }
                }
            }
        }
        // At the enclosing radius some vertex is joined to all others: the
        // complex is a cone, so every H1 class has died. Longer edges and
        // larger triangles can only add zero-length bars.
        let enclosing = self.farthest.iter().copied().fold(f64::INFINITY, f64::min);
        self.edges
            .sort_unstable_by(|a, b| a.length.total_cmp(&b.length).then(a.i.cmp(&b.i)).then(a.j.cmp(&b.j)));
        self.limit = self.edges.partition_point(|e| e.length <= enclosing) as u32;
        self.rank.clear();
        self.rank.resize(count * count, NONE);
        for (index, e) in self.edges.iter().enumerate() {
            let (i, j) = (e.i as usize, e.j as usize);
            put(&mut self.rank, i * count + j, index as u32);
            put(&mut self.rank, j * count + i, index as u32);
        }
        self.mark_positive_edges(count);
    }

    /// Union–find over the sorted edges: an edge inside one component
    /// closes a cycle.
    fn mark_positive_edges(&mut self, count: usize) {
        self.parent.clear();
        self.parent.extend(0..count as u32);
        self.positive.clear();
        for e in &self.edges {
            let (a, b) = (find(&mut self.parent, e.i), find(&mut self.parent, e.j));
            self.positive.push(a == b);
            if a != b {
                put(&mut self.parent, a.max(b) as usize, a.min(b));
            }
        }
    }

    /// Length of edge `e`.
    fn length(&self, e: u32) -> f64 {
        self.edges.get(e as usize).map_or(0.0, |edge| edge.length)
    }

    /// The triangles containing edge `e` (up to the enclosing radius), as
    /// keys `diameter rank · P + opposite vertex`.
    fn coboundary(&self, e: u32, count: usize, out: &mut Vec<u64>) {
        out.clear();
        let Some(&Edge { i, j, .. }) = self.edges.get(e as usize) else { return };
        let (row_i, row_j) = (self.row(i, count), self.row(j, count));
        for (k, (&ik, &jk)) in (0u64..).zip(row_i.iter().zip(row_j)) {
            if ik >= self.limit || jk >= self.limit {
                continue; // k is i or j (NONE), or the triangle is past the enclosing radius
            }
            let (diameter, opposite) = if e > ik && e > jk {
                (e, k)
            } else if ik > jk {
                (ik, u64::from(j))
            } else {
                (jk, u64::from(i))
            };
            out.push(u64::from(diameter) * count as u64 + opposite);
        }
    }

    /// The earliest coface of `e` if its diameter is `e` itself — an
    /// apparent pair: no later edge's column can contain that triangle.
    fn apparent_coface(&self, e: u32, count: usize) -> Option<u64> {
        let Edge { i, j, .. } = *self.edges.get(e as usize)?;
        let (row_i, row_j) = (self.row(i, count), self.row(j, count));
        let k = row_i.iter().zip(row_j).position(|(&ik, &jk)| ik < e && jk < e)?;
        Some(u64::from(e) * count as u64 + k as u64)
    }

    /// Ranks of the edges from vertex `i` to every vertex.
    fn row(&self, i: u32, count: usize) -> &[u32] {
        let start = i as usize * count;
        self.rank.get(start..start + count).unwrap_or_default()
    }
}

impl Reducer {
    fn run(&mut self, filtration: &Filtration, count: usize) {
        self.pivot_owner.clear();
        self.stored.clear();
        self.stored.resize(filtration.edges.len(), None);
        self.arena.clear();
        for e in (0..filtration.limit).rev() {
            if filtration.positive.get(e as usize) == Some(&true) {
                self.reduce(filtration, count, e);
            }
        }
    }

    /// Reduces the coboundary column of positive edge `e`.
    fn reduce(&mut self, filtration: &Filtration, count: usize, e: u32) {
        if let Some(key) = filtration.apparent_coface(e, count) {
            // Pivot free at once and a zero-length bar: nothing to reduce.
            self.pivot_owner.insert(key, e);
            return;
        }
        self.heap.clear();
        self.combination.clear();
        self.add_edge(filtration, count, e);
        while let Some(pivot) = self.pivot() {
            let Some(&owner) = self.pivot_owner.get(&pivot) else {
                self.pair(filtration, count, e, pivot);
                return;
            };
            match self.stored.get(owner as usize).copied().flatten() {
                Some((start, len)) => {
                    for index in start..start + len {
                        let edge = self.arena.get(index).copied().unwrap_or(owner);
                        self.add_edge(filtration, count, edge);
                    }
                }
                None => self.add_edge(filtration, count, owner),
            }
        }
        // The column vanished: an essential class, impossible below the
        // enclosing radius (the complex there is a cone), so nothing to report.
    }

    /// Adds `δ(edge)` to the working column.
    fn add_edge(&mut self, filtration: &Filtration, count: usize, edge: u32) {
        self.combination.push(edge);
        filtration.coboundary(edge, count, &mut self.coboundary);
        self.heap.extend(self.coboundary.iter().map(|&key| Reverse(key)));
    }

    /// The smallest key of odd multiplicity, left in the heap once; keys of
    /// even multiplicity below it are dropped.
    fn pivot(&mut self) -> Option<u64> {
        while let Some(Reverse(key)) = self.heap.pop() {
            let mut odd = true;
            while self.heap.peek() == Some(&Reverse(key)) {
                self.heap.pop();
                odd = !odd;
            }
            if odd {
                self.heap.push(Reverse(key));
                return Some(key);
            }
        }
        None
    }

    /// Pairs edge `e` with triangle `pivot`, keeping `V_e` if it is more
    /// than `{e}`.
    fn pair(&mut self, filtration: &Filtration, count: usize, e: u32, pivot: u64) {
        self.pivot_owner.insert(pivot, e);
        if self.combination.len() > 1 {
            let start = self.arena.len();
            self.combination.sort_unstable();
            for pair in self.combination.chunk_by(|a, b| a == b) {
                if let (Some(&edge), true) = (pair.first(), pair.len() % 2 == 1) {
                    self.arena.push(edge);
                }
            }
            if let Some(slot) = self.stored.get_mut(e as usize) {
                *slot = Some((start, self.arena.len() - start));
            }
        }
        let birth = filtration.length(e);
        let death = filtration.length((pivot / count as u64) as u32);
        if death > birth {
            self.bars.push(Bar { birth, death });
        }
    }
}

fn put(xs: &mut [u32], index: usize, value: u32) {
    if let Some(slot) = xs.get_mut(index) {
        *slot = value;
    }
}

/// Union–find root with path halving.
fn find(parent: &mut [u32], mut x: u32) -> u32 {
    loop {
        let up = parent.get(x as usize).copied().unwrap_or(x);
        if up == x {
            return x;
        }
        let grand = parent.get(up as usize).copied().unwrap_or(up);
        put(parent, x as usize, grand);
        x = grand;
    }
}

/// At most `max` points of `inner`, evenly strided and ending at its last
/// (newest) point — the TCBO `subsample_max` cap on the Rips cost.
#[derive(Clone, Copy, Debug)]
pub struct Thinned<'a, P> {
    inner: &'a P,
    first: usize,
    stride: usize,
    count: usize,
}

impl<'a, P: PointSet<f64>> Thinned<'a, P> {
    /// Every `⌈len/max⌉`-th point of `inner` (all of them if
    /// `len <= max`); `max` is at least 1.
    pub fn new(inner: &'a P, max: usize) -> Self {
        let len = inner.len();
        let stride = len.div_ceil(max.max(1)).max(1);
        let count = len.div_ceil(stride);
        let first = (len + stride - 1) - count * stride;
        Thinned { inner, first, stride, count }
    }
}

impl<P: PointSet<f64>> PointSet<f64> for Thinned<'_, P> {
    fn len(&self) -> usize {
        self.count
    }
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn visit(&self, r: usize, f: impl FnMut(f64)) {
        if r < self.count {
            self.inner.visit(self.first + r * self.stride, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backfire_nostd::observers::FlatPoints;
    use std::f64::consts::TAU;

    fn circle(n: usize, radius: f64, center: (f64, f64)) -> Vec<f64> {
        (0..n)
            .flat_map(|k| {
                let a = TAU * k as f64 / n as f64;
                [center.0 + radius * a.cos(), center.1 + radius * a.sin()]
            })
            .collect()
    }

    fn bars(data: &[f64], dim: usize) -> Vec<Bar> {
        RipsH1::new().bars(&FlatPoints::new(data, dim).unwrap()).to_vec()
    }

    /// Deterministic pseudo-random numbers in [0, 1).
    fn noise(seed: u64) -> impl FnMut() -> f64 {
        let mut s = seed;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn circle_has_one_bar_of_its_scale() {
        let radius = 2.0;
        let bars = bars(&circle(40, radius, (0.0, 0.0)), 2);
        assert_eq!(bars.len(), 1, "{bars:?}");
        let bar = bars[0];
        // Born at the sampling chord, filled once the inscribed equilateral
        // triangle (side r·√3) enters.
        assert!((bar.birth - 2.0 * radius * (TAU / 80.0).sin()).abs() < 1e-12);
        assert!((bar.death - radius * 3f64.sqrt()).abs() < 0.1 * radius, "{bar:?}");
    }

    #[test]
    fn line_and_cluster_have_no_bars() {
        let line: Vec<f64> = (0..30).flat_map(|i| [0.1 * i as f64, 0.05 * i as f64]).collect();
        assert!(bars(&line, 2).is_empty());
        let mut rnd = noise(7);
        let cluster: Vec<f64> = (0..40 * 3).map(|_| 0.1 * rnd()).collect();
        let longest = RipsH1::new().longest(&FlatPoints::new(&cluster, 3).unwrap());
        assert!(longest < 0.02, "a blob has at most tiny noise bars, got {longest}");
    }

    #[test]
    fn figure_eight_has_two_bars() {
        let mut data = circle(30, 1.0, (-1.0, 0.0));
        // The second loop shares the point (0, 0); skip its duplicate.
        data.extend(
            circle(30, 1.0, (1.0, 0.0)).chunks(2).filter(|p| p[0] > 1e-9 || p[1].abs() > 1e-9).flatten(),
        );
        let bars = bars(&data, 2);
        let long: Vec<&Bar> = bars.iter().filter(|b| b.persistence() > 1.0).collect();
        assert_eq!(long.len(), 2, "{bars:?}");
        for bar in long {
            assert!((bar.death - 3f64.sqrt()).abs() < 0.15, "{bar:?}");
        }
    }

    #[test]
    fn noisy_circle_in_higher_dimension_keeps_its_bar() {
        let mut rnd = noise(42);
        let data: Vec<f64> = circle(50, 1.0, (0.0, 0.0))
            .chunks(2)
            .flat_map(|p| [p[0] + 0.05 * rnd(), p[1] + 0.05 * rnd(), 0.05 * rnd(), 0.05 * rnd()])
            .collect();
        let bars = bars(&data, 4);
        assert!(bars[0].persistence() > 1.3, "{bars:?}");
        assert!(bars.iter().skip(1).all(|b| b.persistence() < 0.2), "{bars:?}");
    }

    #[test]
    fn degenerate_inputs() {
        assert!(bars(&[], 2).is_empty());
        assert!(bars(&[1.0, 2.0], 2).is_empty());
        assert!(bars(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0], 2).is_empty());
        // A square: one bar from its side to its diagonal.
        let square = bars(&[0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0], 2);
        assert_eq!(square, vec![Bar { birth: 1.0, death: 2f64.sqrt() }]);
        // Identical points: all distances 0.
        assert!(bars(&[0.5; 20], 2).is_empty());
    }

    #[test]
    fn workspace_reuse_gives_the_same_bars() {
        let mut rips = RipsH1::new();
        let a = circle(20, 1.0, (0.0, 0.0));
        let b: Vec<f64> = (0..15).flat_map(|i| [i as f64, 0.0]).collect();
        let first = rips.bars(&FlatPoints::new(&a, 2).unwrap()).to_vec();
        assert!(rips.bars(&FlatPoints::new(&b, 2).unwrap()).is_empty());
        assert_eq!(rips.bars(&FlatPoints::new(&a, 2).unwrap()), first.as_slice());
    }

    /// Textbook persistence: every triangle, sorted by diameter, boundary
    /// columns reduced left to right. Independent of the code under test.
    fn naive_bars(data: &[f64], dim: usize) -> Vec<(f64, f64)> {
        let pts: Vec<&[f64]> = data.chunks(dim).collect();
        let n = pts.len();
        let d = |a: usize, b: usize| {
            pts[a].iter().zip(pts[b]).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
        };
        let mut edges: Vec<(f64, usize, usize)> =
            (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).map(|(i, j)| (d(i, j), i, j)).collect();
        edges.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let idx = |a: usize, b: usize| edges.iter().position(|e| (e.1, e.2) == (a.min(b), a.max(b))).unwrap();
        let mut tris = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                for c in b + 1..n {
                    let mut col = vec![idx(a, b), idx(a, c), idx(b, c)];
                    col.sort_unstable();
                    tris.push((col[2], col));
                }
            }
        }
        tris.sort_by_key(|t| t.0);
        let mut low_owner: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut out = Vec::new();
        for (diam, mut col) in tris {
            while let Some(&low) = col.last() {
                match low_owner.get(&low) {
                    Some(other) => {
                        let mut x: Vec<usize> = col.iter().filter(|v| !other.contains(v)).copied().collect();
                        x.extend(other.iter().filter(|v| !col.contains(v)));
                        x.sort_unstable();
                        col = x;
                    }
                    None => {
                        if edges[diam].0 > edges[low].0 {
                            out.push((edges[low].0, edges[diam].0));
                        }
                        low_owner.insert(low, col);
                        break;
                    }
                }
            }
        }
        out.sort_by(|a, b| a.partial_cmp(b).unwrap());
        out
    }

    #[test]
    fn cohomology_matches_textbook_homology_on_random_clouds() {
        let mut rnd = noise(99);
        let mut total = 0;
        for trial in 0..60 {
            let (n, dim) = (5 + trial % 11, 2 + trial % 3);
            let data: Vec<f64> = (0..n * dim).map(|_| rnd()).collect();
            let mut ours: Vec<(f64, f64)> = bars(&data, dim).iter().map(|b| (b.birth, b.death)).collect();
            ours.sort_by(|a, b| a.partial_cmp(b).unwrap());
            assert_eq!(ours, naive_bars(&data, dim), "trial {trial}");
            total += ours.len();
        }
        assert!(total > 20, "the clouds must have H1 bars to compare: {total}");
    }

    #[test]
    fn thinning_keeps_the_newest_point_and_caps_the_count() {
        let data: Vec<f64> = (0..10).map(f64::from).collect();
        let points = FlatPoints::new(&data, 1).unwrap();
        let visit = |t: &Thinned<'_, FlatPoints<'_, f64>>| {
            (0..t.len())
                .map(|r| {
                    let mut x = 0.0;
                    t.visit(r, |v| x = v);
                    x
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(visit(&Thinned::new(&points, 4)), [0.0, 3.0, 6.0, 9.0]);
        assert_eq!(visit(&Thinned::new(&points, 3)), [1.0, 5.0, 9.0]);
        assert_eq!(visit(&Thinned::new(&points, 5)), [1.0, 3.0, 5.0, 7.0, 9.0]);
        assert_eq!(visit(&Thinned::new(&points, 10)).len(), 10);
        assert_eq!(visit(&Thinned::new(&points, 1)), [9.0]);
    }
}
