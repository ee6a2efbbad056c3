//! The audio mapping (spec §8.4): a read-only projection of the engine's
//! state onto entrainment parameters — binaural beat and pulse
//! frequencies, a spatial angle, the brainwave band of the beat, and the
//! gate flags.
//!
//! ```
//! use backfire_nostd::ssgf::audio::{audio_mapping, AudioInputs, BrainwaveBand};
//! let theta = [0.0; 16];
//! let inputs = AudioInputs {
//!     theta: &theta, w: &[0.5; 256], n: 16, fiedler: 0.99, spectral_gap: 0.98,
//!     gate_open: true, refusal: false, p_h1: 0.8, pgbo_u_norm: 0.0, pgbo_h_frob: 0.0,
//! };
//! let a = audio_mapping(&inputs);
//! assert_eq!(a.beat_hz, 40.0); // |cos θ_1| = 1
//! assert_eq!(a.brainwave_band, BrainwaveBand::Gamma);
//! assert!(a.theurgic_mode); // p_h1 > 0.72 and R = 1 > 0.95
//! ```

use core::f64::consts::TAU;

use super::costs::{TCBO_THRESHOLD, order_parameter};

/// `R` must be strictly above this (with the tcbo gate open) for theurgic
/// mode.
pub const THEURGIC_R_THRESHOLD: f64 = 0.95;
/// `healing_acceleration` in theurgic mode (1.0 otherwise).
pub const HEALING_FACTOR: f64 = 1.75;
/// A weight counts towards the geometry density if strictly above this.
pub const W_DENSITY_THRESHOLD: f64 = 0.01;

/// Beat range `[0.5, 40]` Hz: `0.5 + 39.5·|cos θ_1|`.
const BEAT_BASE_HZ: f64 = 0.5;
const BEAT_SPAN_HZ: f64 = 39.5;
/// Beat for `n <= 1`.
const BEAT_FALLBACK_HZ: f64 = 10.0;
/// Pulse range `[1, 20]` Hz: `1 + 19·|cos θ_3|`.
const PULSE_BASE_HZ: f64 = 1.0;
const PULSE_SPAN_HZ: f64 = 19.0;
/// Pulse for `n <= 3`.
const PULSE_FALLBACK_HZ: f64 = 6.0;
/// The oscillators driving the beat, the pulse and the spatial angle.
const BEAT_NODE: usize = 1;
const PULSE_NODE: usize = 3;
const SPATIAL_NODE: usize = 6;

/// The EEG band a beat frequency falls in (upper bounds exclusive:
/// 4, 8, 12 and 30 Hz start the next band).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BrainwaveBand {
    /// Below 4 Hz.
    Delta,
    /// `[4, 8)` Hz.
    Theta,
    /// `[8, 12)` Hz.
    Alpha,
    /// `[12, 30)` Hz.
    Beta,
    /// 30 Hz and above (and NaN).
    Gamma,
}

impl BrainwaveBand {
    /// The band of `beat_hz`: `< 4` delta, `< 8` theta, `< 12` alpha,
    /// `< 30` beta, otherwise gamma.
    pub fn from_beat_hz(beat_hz: f64) -> Self {
        if beat_hz < 4.0 {
            BrainwaveBand::Delta
        } else if beat_hz < 8.0 {
            BrainwaveBand::Theta
        } else if beat_hz < 12.0 {
            BrainwaveBand::Alpha
        } else if beat_hz < 30.0 {
            BrainwaveBand::Beta
        } else {
            BrainwaveBand::Gamma
        }
    }

    /// The reference's name: `"delta"`, `"theta"`, `"alpha"`, `"beta"` or
    /// `"gamma"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            BrainwaveBand::Delta => "delta",
            BrainwaveBand::Theta => "theta",
            BrainwaveBand::Alpha => "alpha",
            BrainwaveBand::Beta => "beta",
            BrainwaveBand::Gamma => "gamma",
        }
    }
}

/// The audio mapping (spec §8.4; the Python dict's 17 keys).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AudioMapping {
    /// `R` of the current phases.
    pub r_global: f64,
    /// The same `R`.
    pub entrainment_intensity: f64,
    /// `0.5 + 39.5·|cos θ_1|` if `n > 1`, else 10: in `[0.5, 40]`.
    pub beat_hz: f64,
    /// `1 + 19·|cos θ_3|` if `n > 3`, else 6: in `[1, 20]`.
    pub pulse_hz: f64,
    /// `θ_6 mod 2π` in degrees if `n > 6`, else 0: in `[0, 360)`.
    pub spatial_angle_deg: f64,
    /// The band of `beat_hz`.
    pub brainwave_band: BrainwaveBand,
    /// `λ1`.
    pub fiedler_stability: f64,
    /// `λ1/λ2`.
    pub spectral_gap: f64,
    /// Share of the off-diagonal weights above 0.01.
    pub geometry_density: f64,
    /// The L16 PLV gate.
    pub l16_gate_open: bool,
    /// The L16 refusal flag.
    pub l16_refusal: bool,
    /// The injected TCBO probability.
    pub tcbo_p_h1: f64,
    /// `p_h1 > 0.72`.
    pub tcbo_gate_open: bool,
    /// PGBO's saturated drive norm (0 if PGBO is off).
    pub pgbo_u_norm: f64,
    /// PGBO's `‖h‖_F` (0 if PGBO is off).
    pub pgbo_h_frob: f64,
    /// The tcbo gate is open and `R > 0.95`.
    pub theurgic_mode: bool,
    /// 1.75 in theurgic mode, else 1.0.
    pub healing_acceleration: f64,
}

/// What the audio mapping reads from the engine's state.
#[derive(Clone, Copy, Debug)]
pub struct AudioInputs<'a> {
    /// Phases after the last micro-cycle.
    pub theta: &'a [f64],
    /// The last decoded `W`, `n×n` row-major.
    pub w: &'a [f64],
    /// Number of nodes.
    pub n: usize,
    /// `λ1` of the last spectral call.
    pub fiedler: f64,
    /// `λ1/λ2` of the last spectral call.
    pub spectral_gap: f64,
    /// The L16 PLV gate (false before any step).
    pub gate_open: bool,
    /// The L16 refusal flag.
    pub refusal: bool,
    /// The injected TCBO probability.
    pub p_h1: f64,
    /// PGBO's cached `u_norm` (0 if PGBO is off).
    pub pgbo_u_norm: f64,
    /// PGBO's cached `h_frob` (0 if PGBO is off).
    pub pgbo_h_frob: f64,
}

/// The audio mapping of the state (spec §8.4), with `r = R(θ)`.
///
/// A channel whose node does not exist (`n` too small, or `θ` shorter
/// than its index) takes its fallback value.
pub fn audio_mapping(inputs: &AudioInputs<'_>) -> AudioMapping {
    let r = order_parameter(inputs.theta);
    let node = |index: usize| if inputs.n > index { inputs.theta.get(index).copied() } else { None };
    let beat_hz =
        node(BEAT_NODE).map_or(BEAT_FALLBACK_HZ, |x| BEAT_BASE_HZ + BEAT_SPAN_HZ * libm::cos(x).abs());
    let pulse_hz =
        node(PULSE_NODE).map_or(PULSE_FALLBACK_HZ, |x| PULSE_BASE_HZ + PULSE_SPAN_HZ * libm::cos(x).abs());
    let spatial_angle_deg = node(SPATIAL_NODE).map_or(0.0, spatial_angle_deg);
    let tcbo_gate_open = inputs.p_h1 > TCBO_THRESHOLD;
    let theurgic_mode = tcbo_gate_open && r > THEURGIC_R_THRESHOLD;
    AudioMapping {
        r_global: r,
        entrainment_intensity: r,
        beat_hz,
        pulse_hz,
        spatial_angle_deg,
        brainwave_band: BrainwaveBand::from_beat_hz(beat_hz),
        fiedler_stability: inputs.fiedler,
        spectral_gap: inputs.spectral_gap,
        geometry_density: geometry_density(inputs.w, inputs.n),
        l16_gate_open: inputs.gate_open,
        l16_refusal: inputs.refusal,
        tcbo_p_h1: inputs.p_h1,
        tcbo_gate_open,
        pgbo_u_norm: inputs.pgbo_u_norm,
        pgbo_h_frob: inputs.pgbo_h_frob,
        theurgic_mode,
        healing_acceleration: if theurgic_mode { HEALING_FACTOR } else { 1.0 },
    }
}

/// `θ mod 2π` (Euclidean) in degrees, in `[0, 360)`.
///
/// A tiny negative `θ` makes the Euclidean remainder round up to exactly
/// 2π, which the reference reports as 360°; that is the same angle as 0°,
/// so it is returned as 0 to keep the documented range. (`2π − ulp` stays
/// below 360: 359.99999999999994.)
fn spatial_angle_deg(theta: f64) -> f64 {
    let mut x = theta % TAU;
    if x < 0.0 {
        x += TAU;
    }
    let deg = x.to_degrees();
    if deg >= 360.0 { 0.0 } else { deg }
}

/// `#{W_ij > 0.01, i ≠ j} / max(n(n−1), 1)` over the first `n²` entries.
/// The reference counts all `n²` entries, relying on the zero diagonal;
/// skipping the diagonal gives the same value for a valid `W` and ignores
/// a diagonal that is not zero.
fn geometry_density(w: &[f64], n: usize) -> f64 {
    let cells = w.get(..n.saturating_mul(n)).unwrap_or(w);
    let dense = |x: &&f64| **x > W_DENSITY_THRESHOLD;
    // All dense cells, then the diagonal ones (every (n+1)-th from 0) back
    // out: two counting passes instead of an index division per cell.
    let all = cells.iter().filter(dense).count();
    let diagonal = cells.iter().step_by(n.saturating_add(1)).filter(dense).count();
    (all - diagonal) as f64 / n.saturating_mul(n.saturating_sub(1)).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::f64::consts::PI;

    fn inputs<'a>(theta: &'a [f64], w: &'a [f64], n: usize, p_h1: f64) -> AudioInputs<'a> {
        AudioInputs {
            theta,
            w,
            n,
            fiedler: 0.9928209390218301,
            spectral_gap: 0.9904766609085377,
            gate_open: false,
            refusal: true,
            p_h1,
            pgbo_u_norm: 9.5,
            pgbo_h_frob: 26.5,
        }
    }

    #[test]
    fn bands_switch_at_the_exact_boundaries() {
        use BrainwaveBand::*;
        let cases = [
            (0.5, Delta),
            (3.999, Delta),
            (4.0, Theta),
            (7.999, Theta),
            (8.0, Alpha),
            (11.999, Alpha),
            (12.0, Beta),
            (29.999, Beta),
            (30.0, Gamma),
            (40.0, Gamma),
            (f64::NAN, Gamma),
        ];
        for (hz, band) in cases {
            assert_eq!(BrainwaveBand::from_beat_hz(hz), band, "{hz}");
        }
        let names = [Delta, Theta, Alpha, Beta, Gamma].map(|b| b.as_str());
        assert_eq!(names, ["delta", "theta", "alpha", "beta", "gamma"]);
    }

    #[test]
    fn seed_42_construction_goldens() {
        // NodeSpace::randomise(42): 120 latents first, then θ_i = 2π·uniform.
        let mut rng = crate::rng::SimpleRng::new(42);
        (0..120).for_each(|_| {
            rng.next_f64();
        });
        let theta: [f64; 16] = core::array::from_fn(|_| rng.next_f64() * TAU);
        assert_eq!(&theta[..3], &[5.6373784963976314, 4.922748747607568, 2.812819164422284]);
        let a = audio_mapping(&inputs(&theta, &[0.5; 256], 16, 0.0));
        assert!((a.r_global - 0.2244867095174256).abs() < 1e-15);
        assert!((a.beat_hz - 8.748064117647095).abs() < 1e-12);
        assert_eq!(a.brainwave_band.as_str(), "alpha");
        assert!((a.pulse_hz - 4.8011440870437365).abs() < 1e-12);
        assert!((a.spatial_angle_deg - 235.10523344047937).abs() < 1e-11);
        assert_eq!(a.geometry_density, 1.0);
        assert_eq!(a.entrainment_intensity, a.r_global);
        // Pass-through fields.
        assert_eq!((a.fiedler_stability, a.spectral_gap), (0.9928209390218301, 0.9904766609085377));
        assert_eq!((a.l16_gate_open, a.l16_refusal), (false, true));
        assert_eq!((a.tcbo_p_h1, a.pgbo_u_norm, a.pgbo_h_frob), (0.0, 9.5, 26.5));
        assert!(!a.tcbo_gate_open && !a.theurgic_mode);
        assert_eq!(a.healing_acceleration, 1.0);
    }

    #[test]
    fn beat_and_pulse_span_their_ranges() {
        let mut theta = [0.0; 8];
        let a = audio_mapping(&inputs(&theta, &[], 8, 0.0));
        assert_eq!((a.beat_hz, a.pulse_hz), (40.0, 20.0));
        theta[1] = PI / 2.0;
        theta[3] = 3.0 * PI / 2.0;
        let a = audio_mapping(&inputs(&theta, &[], 8, 0.0));
        assert!((a.beat_hz - 0.5).abs() < 1e-14 && (a.pulse_hz - 1.0).abs() < 1e-14);
        theta[1] = PI; // |cos| makes π count like 0
        assert_eq!(audio_mapping(&inputs(&theta, &[], 8, 0.0)).beat_hz, 40.0);
        let mut rng = crate::rng::SimpleRng::new(9);
        for _ in 0..500 {
            let theta: [f64; 8] = core::array::from_fn(|_| 40.0 * rng.next_f64() - 20.0);
            let a = audio_mapping(&inputs(&theta, &[], 8, 0.0));
            assert!((0.5..=40.0).contains(&a.beat_hz) && (1.0..=20.0).contains(&a.pulse_hz));
            assert!((0.0..360.0).contains(&a.spatial_angle_deg));
            assert!((0.0..=1.0).contains(&a.r_global));
            assert_eq!(a.brainwave_band, BrainwaveBand::from_beat_hz(a.beat_hz));
        }
    }

    #[test]
    fn spatial_angle_edges() {
        let at = |x: f64| {
            let mut theta = [0.0; 7];
            theta[6] = x;
            audio_mapping(&inputs(&theta, &[], 7, 0.0)).spatial_angle_deg
        };
        let below_tau = f64::from_bits(TAU.to_bits() - 1);
        assert_eq!(at(below_tau), 359.99999999999994);
        assert_eq!(at(TAU), 0.0);
        assert_eq!(at(-1e-17), 0.0); // 2π after rounding: reported as 0, not 360
        assert!((at(-PI / 2.0) - 270.0).abs() < 1e-12);
        assert!((at(7.0 * PI) - 180.0).abs() < 1e-9);
        assert!((at(PI / 4.0) - 45.0).abs() < 1e-12);
    }

    #[test]
    fn theurgic_mode_needs_both_strict_conditions() {
        let aligned = [0.3; 16];
        let spread: [f64; 16] = core::array::from_fn(|i| 0.2 * i as f64); // R ≈ 0.77
        let mode = |theta: &[f64], p_h1| {
            let a = audio_mapping(&inputs(theta, &[], 16, p_h1));
            (a.tcbo_gate_open, a.theurgic_mode, a.healing_acceleration)
        };
        assert_eq!(mode(&aligned, 0.73), (true, true, 1.75));
        assert_eq!(mode(&aligned, 0.72), (false, false, 1.0));
        assert_eq!(mode(&spread, 0.9), (true, false, 1.0));
        assert_eq!(mode(&aligned, 0.5), (false, false, 1.0));
        // R exactly at 0.95 is not enough: two phases ±δ with cos δ = 0.95.
        let d = libm::acos(0.95);
        let r = order_parameter(&[d, -d]);
        let a = audio_mapping(&inputs(&[d, -d], &[], 2, 0.9));
        assert_eq!(a.theurgic_mode, r > 0.95);
        assert!((r - 0.95).abs() < 1e-15);
    }

    #[test]
    fn geometry_density_ignores_the_diagonal() {
        let n = 4;
        let mut w = [1.0; 16]; // a non-zero diagonal, ignored
        w[1] = 0.01; // not strictly above the threshold
        w[4] = 0.0;
        w[14] = 0.011;
        let a = audio_mapping(&inputs(&[0.0; 4], &w, n, 0.0));
        assert_eq!(a.geometry_density, 10.0 / 12.0);
        assert_eq!(geometry_density(&[0.5; 16], 4), 1.0);
        assert_eq!(geometry_density(&[0.5; 9], 4), 7.0 / 12.0); // short W: what exists
        assert_eq!(geometry_density(&[0.5], 1), 0.0);
        assert_eq!(geometry_density(&[], 0), 0.0);
        assert_eq!(geometry_density(&[], usize::MAX), 0.0);
    }

    #[test]
    fn small_n_fallbacks() {
        let theta = [0.0; 16];
        let a = audio_mapping(&inputs(&theta[..1], &[0.0], 1, 0.0));
        assert_eq!((a.beat_hz, a.pulse_hz, a.spatial_angle_deg), (10.0, 6.0, 0.0));
        assert_eq!(a.brainwave_band, BrainwaveBand::Alpha);
        let a = audio_mapping(&inputs(&theta[..3], &[], 3, 0.0));
        assert_eq!((a.beat_hz, a.pulse_hz, a.spatial_angle_deg), (40.0, 6.0, 0.0));
        let a = audio_mapping(&inputs(&theta[..6], &[], 6, 0.0));
        assert_eq!((a.beat_hz, a.pulse_hz, a.spatial_angle_deg), (40.0, 20.0, 0.0));
        // θ shorter than n: the missing channels fall back too.
        let a = audio_mapping(&inputs(&theta[..2], &[], 16, 0.0));
        assert_eq!((a.beat_hz, a.pulse_hz), (40.0, 6.0));
        let a = audio_mapping(&inputs(&[], &[], 0, 0.0));
        assert_eq!((a.r_global, a.beat_hz, a.geometry_density), (0.0, 10.0, 0.0));
    }
}
