//! The number types the observers run on.

use core::ops::Rem;

use crate::num::Transcendental;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point backend for the observers: `f64` or `f32`.
///
/// Sealed. Q16.16 is left out on purpose: the observers square phase
/// differences and velocities, which overflow a 16-bit integer part.
pub trait ObserverFloat: Transcendental + Rem<Output = Self> + sealed::Sealed {
    /// π.
    const PI: Self;
    /// 2π.
    const TAU: Self;

    /// Correctly rounded square root (`libm`), even with the `micromath`
    /// feature: the surrogate's σ is the spread of the radii, and a
    /// `sqrt` with percent-level error (micromath's) adds a spread of its
    /// own — it moved `p_h1` by 0.06 in the f32 test.
    fn sqrt_exact(self) -> Self;
}

impl ObserverFloat for f64 {
    const PI: Self = core::f64::consts::PI;
    const TAU: Self = core::f64::consts::TAU;

    #[inline]
    fn sqrt_exact(self) -> Self {
        crate::num::sqrt(self)
    }
}

impl ObserverFloat for f32 {
    const PI: Self = core::f32::consts::PI;
    const TAU: Self = core::f32::consts::TAU;

    #[inline]
    fn sqrt_exact(self) -> Self {
        crate::num::sqrtf(self)
    }
}
