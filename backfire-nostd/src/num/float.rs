//! `f64` and `f32` backends.
//!
//! Both use `libm` (the same correctly-rounded-in-practice routines on every
//! target, so results do not depend on the platform's C library). With the
//! `micromath` feature, `f32` uses micromath's fast approximations instead
//! (relative error around 1e-3 to 1e-4 — fine for firmware dashboards, not
//! for reference parity).

use super::{PlainSum, Real, Transcendental};

macro_rules! impl_real_float {
    ($t:ty, $name:literal) => {
        impl Real for $t {
            const NAME: &'static str = $name;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = <$t>::EPSILON;
            type Accumulator = PlainSum<$t>;

            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_u32(n: u32) -> Self {
                n as $t
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
        }
    };
}

impl_real_float!(f64, "f64");
impl_real_float!(f32, "f32");

impl Transcendental for f64 {
    #[inline]
    fn sqrt(self) -> Self {
        super::sqrt(self)
    }
    #[inline]
    fn sin(self) -> Self {
        libm::sin(self)
    }
    #[inline]
    fn cos(self) -> Self {
        libm::cos(self)
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        libm::sincos(self)
    }
    #[inline]
    fn exp(self) -> Self {
        libm::exp(self)
    }
    #[inline]
    fn ln(self) -> Self {
        libm::log(self)
    }
}

#[cfg(not(feature = "micromath"))]
impl Transcendental for f32 {
    #[inline]
    fn sqrt(self) -> Self {
        super::sqrtf(self)
    }
    #[inline]
    fn sin(self) -> Self {
        libm::sinf(self)
    }
    #[inline]
    fn cos(self) -> Self {
        libm::cosf(self)
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        libm::sincosf(self)
    }
    #[inline]
    fn exp(self) -> Self {
        libm::expf(self)
    }
    #[inline]
    fn ln(self) -> Self {
        libm::logf(self)
    }
}

#[cfg(feature = "micromath")]
impl Transcendental for f32 {
    #[inline]
    fn sqrt(self) -> Self {
        micromath::F32Ext::sqrt(self)
    }
    #[inline]
    fn sin(self) -> Self {
        micromath::F32Ext::sin(self)
    }
    #[inline]
    fn cos(self) -> Self {
        micromath::F32Ext::cos(self)
    }
    #[inline]
    fn exp(self) -> Self {
        micromath::F32Ext::exp(self)
    }
    #[inline]
    fn ln(self) -> Self {
        micromath::F32Ext::ln(self)
    }
}
