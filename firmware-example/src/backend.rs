//! The numeric backend of this image, and how close its answers must be
//! to the reference's `f64` golden values.

#[cfg(not(any(board = "microbit", feature = "q16")))]
mod selected {
    /// Single precision: the Cortex-M4F has a single-precision FPU.
    pub type Num = f32;

    /// f32 carries ~7 significant digits; every golden value is a short
    /// sum or difference of scores in `[0, 1]`, so its error is a few ulps
    /// (~1e-7). 1e-6 leaves headroom without hiding a wrong formula: the
    /// reference prints halt numbers to 4 decimals.
    pub const TOLERANCE: f64 = 1e-6;

    /// UPDE phases vs the `f64` goldens of spec §3.6 (≤ 10 steps), radians:
    /// the bound `f32_tracks_f64` asserts on the phase gap after 10 steps
    /// (`backfire-nostd/tests/physics_upde.rs`; measured there 1.5e-8, on
    /// the goldens at most 1.3e-8).
    pub const UPDE_PHASE_TOLERANCE: f64 = 1e-6;

    /// UPDE order parameter R: the bound `f32_tracks_f64` asserts on the R
    /// gap over the first 10 steps (measured 4.6e-8 there; on the goldens
    /// at most 4.7e-8, also after 100 steps, so the 100-step values use it
    /// too).
    pub const UPDE_R_TOLERANCE: f64 = 1e-6;

    /// UPDE velocities dθ/dt (rad/s): a velocity error `e` moves the phase
    /// by `e·dt` in one step, so the phase bound allows at most
    /// `UPDE_PHASE_TOLERANCE / dt` (dt = 0.01). Measured on the goldens:
    /// 3.6e-6 (f32 has an ulp of 1.5e-5 at the fastest layer's 252 rad/s).
    pub const UPDE_VELOCITY_TOLERANCE: f64 = 1e-4;

    /// Not fixed point.
    pub const FIXED_POINT: bool = false;
}

#[cfg(any(board = "microbit", feature = "q16"))]
mod selected {
    /// Q16.16 fixed point: the Cortex-M0 has no FPU, and soft-float would
    /// cost ~10x the instructions.
    pub type Num = backfire_nostd::num::Q16;

    /// Two Q16.16 LSBs (3.05e-5): each input score is rounded to the
    /// nearest LSB (±0.5) and the window mean rounds once more, so a
    /// correct result is within 1.5 LSB of the `f64` value.
    pub const TOLERANCE: f64 = 2.0 / 65536.0;

    /// UPDE phases vs the `f64` goldens of spec §3.6 (≤ 10 steps), radians:
    /// the bound `q16_tracks_f64` asserts on the phase gap after 10 steps
    /// (`backfire-nostd/tests/physics_upde.rs`; measured there 2.0e-5, on
    /// the goldens at most 1.2e-5). The phases are exact 32-bit binary
    /// angles; the error comes from the Q16.16 coupling sums.
    pub const UPDE_PHASE_TOLERANCE: f64 = 1e-4;

    /// UPDE order parameter R: the bound `q16_tracks_f64` asserts on the R
    /// gap over the first 10 steps (measured 9.6e-5 there; on the goldens
    /// at most 5.0e-5, also after 100 steps, so the 100-step values use it
    /// too). R is computed from Q16.16 sines (±1 LSB each) and a Q16.16
    /// square root.
    pub const UPDE_R_TOLERANCE: f64 = 5e-4;

    /// UPDE velocities dθ/dt (rad/s): a velocity error `e` moves the phase
    /// by `e·dt` in one step, so the phase bound allows at most
    /// `UPDE_PHASE_TOLERANCE / dt` (dt = 0.01). Measured on the goldens:
    /// 1.2e-4 (eight LSBs: sixteen rounded K·sin products).
    pub const UPDE_VELOCITY_TOLERANCE: f64 = 1e-2;

    /// Fixed point.
    pub const FIXED_POINT: bool = true;
}

pub use selected::{
    FIXED_POINT, Num, TOLERANCE, UPDE_PHASE_TOLERANCE, UPDE_R_TOLERANCE, UPDE_VELOCITY_TOLERANCE,
};
