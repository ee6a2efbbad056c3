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

    /// Fixed point.
    pub const FIXED_POINT: bool = true;
}

pub use selected::{FIXED_POINT, Num, TOLERANCE};
