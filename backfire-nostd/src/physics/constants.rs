//! The fixed 16-layer model data (spec §2): layer names, natural
//! frequencies and the inter-layer coupling matrix.

/// Number of layers (oscillators) of the canonical model.
pub const N_LAYERS: usize = 16;

/// Layer names, index 0 = L1 … index 15 = L16.
pub const LAYER_NAMES: [&str; N_LAYERS] = [
    "Quantum Biological",
    "Neurochemical",
    "Genomic-Epigenetic",
    "Cellular Synchrony",
    "Intentional Frame",
    "Gaian Embodiment",
    "Geometrical-Symbolic",
    "Cosmic Information",
    "Memory Manifold",
    "Identity Manifold",
    "Noospheric-Cultural",
    "Ecological-Gaian",
    "Source-Field",
    "Transdimensional",
    "Consilium",
    "The Director",
];

/// Natural angular frequencies in rad/s (catalogue literals, not derived
/// from π; `6.283` and `3.142` are data, not approximations of 2π and π).
#[allow(clippy::approx_constant)]
pub const OMEGA_N: [f64; N_LAYERS] = [
    1.329, 251.327, 0.628, 31.416, 6.283, 49.199, 3.142, 0.105, 1.571, 0.942, 0.209, 0.042, 0.013, 0.006,
    0.003, 0.991,
];

/// Baseline coupling strength `K_BASE · e^(−DECAY_ALPHA · |n − m|)`.
pub const K_BASE: f64 = 0.45;
/// Decay of the baseline coupling with layer distance.
pub const DECAY_ALPHA: f64 = 0.3;

/// Calibration anchors `(i, j, K)`; they replace both symmetric entries.
pub const CALIBRATION_ANCHORS: [(usize, usize, f64); 4] =
    [(0, 1, 0.302), (1, 2, 0.201), (2, 3, 0.252), (3, 4, 0.154)];

/// "Cross-hierarchy boosts" `(i, j, K)`, applied after the anchors; they
/// also replace (the L5–L7 value is below its baseline).
pub const CROSS_HIERARCHY_BOOSTS: [(usize, usize, f64); 2] = [(0, 15, 0.05), (4, 6, 0.15)];

/// `K_BASE · exp(−DECAY_ALPHA · d)` for d = 0..15 with a correctly rounded
/// `exp` (as the reference's platform libm gives it; checked against
/// [`build_knm_matrix`] bit for bit).
const BASELINE_BY_DISTANCE: [f64; N_LAYERS] = [
    0.45,
    0.333368199306773,
    0.24696523624231187,
    0.18295634688326962,
    0.13553739536049098,
    0.10040857206679342,
    0.07438449969971396,
    0.05510539271384186,
    0.040823078980235634,
    0.030242480732887402,
    0.022404180765538774,
    0.016597425330558007,
    0.012295675101281656,
    0.009108860150611976,
    0.006748009569214967,
    0.0049990484422090375,
];

/// The canonical coupling matrix, precomputed at compile time; equal to
/// [`build_knm_matrix`]`()` bit for bit.
pub const KNM: [[f64; N_LAYERS]; N_LAYERS] = assemble(&BASELINE_BY_DISTANCE);

/// Builds the canonical coupling matrix in the reference's order of
/// operations (spec §2.3): exponential baseline, calibration anchors,
/// cross-hierarchy boosts, symmetrisation, zero diagonal.
///
/// `exp` is evaluated in double-double and rounded once, so the result is
/// the correctly rounded value the reference got from its platform libm
/// (the `libm` crate's `exp` is 1 ulp off at −0.6, −1.2, −3.6 and −4.5).
///
/// ```
/// use backfire_nostd::physics::constants::{build_knm_matrix, KNM};
/// let k = build_knm_matrix();
/// assert_eq!(k[0][1], 0.302);
/// assert_eq!(k, KNM);
/// ```
pub fn build_knm_matrix() -> [[f64; N_LAYERS]; N_LAYERS] {
    let mut baseline = [0.0; N_LAYERS];
    for (d, b) in baseline.iter_mut().enumerate() {
        *b = K_BASE * exp_correctly_rounded(-DECAY_ALPHA * d as f64);
    }
    assemble(&baseline)
}

/// `e^x` for moderate `|x|` (≤ 10 here), correctly rounded in all but
/// pathological cases: the Taylor series summed in double-double
/// arithmetic (≈ 30 correct digits before the final rounding).
fn exp_correctly_rounded(x: f64) -> f64 {
    let mut sum = DoubleDouble { hi: 1.0, lo: 0.0 };
    let mut term = sum;
    for k in 1..=80 {
        term = term.mul_f64(x).div_f64(k as f64);
        sum = sum.add(term);
        if term.hi.abs() < 1e-40 {
            break;
        }
    }
    sum.hi + sum.lo
}

/// An unevaluated sum `hi + lo` with `|lo| ≤ ulp(hi)/2` (Dekker/Knuth).
#[derive(Clone, Copy)]
struct DoubleDouble {
    hi: f64,
    lo: f64,
}

impl DoubleDouble {
    fn two_sum(a: f64, b: f64) -> Self {
        let s = a + b;
        let bb = s - a;
        DoubleDouble { hi: s, lo: (a - (s - bb)) + (b - bb) }
    }
    fn quick(a: f64, b: f64) -> Self {
        let s = a + b;
        DoubleDouble { hi: s, lo: b - (s - a) }
    }
    fn split(a: f64) -> (f64, f64) {
        let c = 134_217_729.0 * a; // 2^27 + 1
        let hi = c - (c - a);
        (hi, a - hi)
    }
    fn two_prod(a: f64, b: f64) -> Self {
        let p = a * b;
        let (ah, al) = Self::split(a);
        let (bh, bl) = Self::split(b);
        DoubleDouble { hi: p, lo: ((ah * bh - p) + ah * bl + al * bh) + al * bl }
    }
    fn add(self, o: Self) -> Self {
        let s = Self::two_sum(self.hi, o.hi);
        Self::quick(s.hi, s.lo + self.lo + o.lo)
    }
    fn mul_f64(self, b: f64) -> Self {
        let p = Self::two_prod(self.hi, b);
        Self::quick(p.hi, p.lo + self.lo * b)
    }
    fn div_f64(self, b: f64) -> Self {
        let q1 = self.hi / b;
        let p = Self::two_prod(q1, b);
        let r = ((self.hi - p.hi) - p.lo) + self.lo;
        Self::quick(q1, r / b)
    }
}

/// Steps 1–4 of spec §2.3 given the baseline value for each distance.
const fn assemble(baseline: &[f64; N_LAYERS]) -> [[f64; N_LAYERS]; N_LAYERS] {
    let mut k = [[0.0; N_LAYERS]; N_LAYERS];
    let mut n = 0;
    while n < N_LAYERS {
        let mut m = 0;
        while m < N_LAYERS {
            if n != m {
                k[n][m] = baseline[n.abs_diff(m)];
            }
            m += 1;
        }
        n += 1;
    }
    set_pairs(&mut k, &CALIBRATION_ANCHORS);
    set_pairs(&mut k, &CROSS_HIERARCHY_BOOSTS);
    // Symmetrise (a no-op for the canonical data; keeps edits symmetric),
    // then force the diagonal to zero.
    let mut n = 0;
    while n < N_LAYERS {
        let mut m = n + 1;
        while m < N_LAYERS {
            let avg = (k[n][m] + k[m][n]) / 2.0;
            k[n][m] = avg;
            k[m][n] = avg;
            m += 1;
        }
        k[n][n] = 0.0;
        n += 1;
    }
    k
}

/// Sets `k[i][j] = k[j][i] = v` for every `(i, j, v)` (later pairs win).
const fn set_pairs(k: &mut [[f64; N_LAYERS]; N_LAYERS], pairs: &[(usize, usize, f64)]) {
    let mut p = 0;
    while p < pairs.len() {
        let (i, j, v) = pairs[p];
        k[i][j] = v;
        k[j][i] = v;
        p += 1;
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision, clippy::needless_range_loop)]
mod tests {
    use super::*;

    #[test]
    fn const_table_is_bit_identical_to_builder() {
        let built = build_knm_matrix();
        for n in 0..N_LAYERS {
            for m in 0..N_LAYERS {
                assert_eq!(built[n][m].to_bits(), KNM[n][m].to_bits(), "K[{n}][{m}]");
            }
        }
    }

    #[test]
    fn double_double_exp_is_correctly_rounded_where_libm_is_not() {
        // Correctly rounded values (50-digit decimal reference).
        assert_eq!(exp_correctly_rounded(-0.6), 0.5488116360940264);
        assert_eq!(exp_correctly_rounded(-4.5), 0.011108996538242306);
        assert_eq!(exp_correctly_rounded(0.0), 1.0);
        assert_eq!(exp_correctly_rounded(-0.3 * 3.0), 0.40656965974059917);
    }

    #[test]
    fn baseline_matches_spec_digits() {
        let spec = [
            0.33336819930677303,
            0.24696523624231187,
            0.18295634688326962,
            0.13553739536049098,
            0.10040857206679342,
            0.07438449969971396,
            0.05510539271384186,
            0.04082307898023563,
            0.03024248073288740,
            0.02240418076553877,
            0.01659742533055801,
            0.01229567510128166,
            0.00910886015061198,
            0.00674800956921497,
            0.00499904844220904,
        ];
        for (d, want) in spec.iter().enumerate() {
            assert!((BASELINE_BY_DISTANCE[d + 1] - want).abs() < 1e-17, "d = {}", d + 1);
        }
    }

    #[test]
    fn matrix_properties() {
        for n in 0..N_LAYERS {
            assert_eq!(KNM[n][n], 0.0);
            for m in 0..N_LAYERS {
                assert!(KNM[n][m] >= 0.0);
                assert!((KNM[n][m] - KNM[m][n]).abs() < 1e-12);
            }
        }
        assert_eq!(KNM[0][1], 0.302);
        assert_eq!(KNM[0][15], 0.05);
        assert_eq!(KNM[4][6], 0.15);
        assert_eq!(KNM[3][4], 0.154);
        // L5–L6 keeps its d = 1 baseline.
        assert_eq!(KNM[4][5], BASELINE_BY_DISTANCE[1]);
    }

    #[test]
    fn row_sums_and_total_match_spec() {
        let rows = [
            1.28558, 1.43658, 1.62679, 1.75364, 1.86129, 2.22143, 2.17645, 2.29827, 2.29827, 2.27341,
            2.22143, 2.13762, 2.01438, 1.84053, 1.60031, 1.31695,
        ];
        let mut total = 0.0;
        let mut max_row: f64 = 0.0;
        for (n, want) in rows.iter().enumerate() {
            let s: f64 = KNM[n].iter().sum();
            assert!((s - want).abs() < 5e-6, "row {n}: {s}");
            max_row = max_row.max(s);
        }
        for row in &KNM {
            for &k in row {
                total += k; // row-major, as the reference sums
            }
        }
        assert!((max_row - 2.298274363526625).abs() < 1e-14);
        assert!((total - 30.36293369940583).abs() < 1e-13);
    }

    #[test]
    fn omega_facts() {
        assert!(OMEGA_N.iter().all(|&w| w > 0.0));
        assert_eq!(LAYER_NAMES.len(), N_LAYERS);
        assert_eq!(LAYER_NAMES[15], "The Director");
        let sum: f64 = OMEGA_N.iter().sum();
        let sum_sq: f64 = OMEGA_N.iter().map(|w| w * w).sum();
        assert!((sum - 347.206).abs() < 1e-12);
        assert!((sum_sq - 66628.670634).abs() < 1e-9);
        let mean = sum / 16.0;
        let var: f64 = OMEGA_N.iter().map(|w| (w - mean) * (w - mean)).sum::<f64>() / 16.0;
        assert!((mean - 21.700375).abs() < 1e-12);
        assert!((libm::sqrt(var) - 60.77323127401056).abs() < 1e-12);
    }
}
