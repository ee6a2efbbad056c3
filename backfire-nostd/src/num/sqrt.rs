//! Square roots that stay fast when the crate is built with AVX enabled.
//!
//! `libm::sqrt` on x86 is the legacy-SSE `sqrtsd` instruction in inline
//! assembly, invisible to the compiler. In a build with AVX enabled
//! (`-C target-cpu=native`), the SIMD code around it leaves the upper
//! vector halves dirty and every legacy-SSE instruction then pays an
//! AVX–SSE transition penalty: one `sqrt` per step took the f64 UPDE step
//! from 0.19 µs to 0.41 µs, the sixteen of the noise draw to 3.3 µs. A call
//! boundary makes the compiler clean the upper halves (`vzeroupper`)
//! first, so with AVX these functions are kept out of line; without AVX
//! (every baseline build, and the Python wheel) they inline to the bare
//! instruction.

macro_rules! avx_safe {
    ($(#[$doc:meta])* fn $name:ident($arg:ident: $ty:ty) $(-> $ret:ty)? $body:block) => {
        $(#[$doc])*
        #[cfg_attr(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx"), inline(never))]
        #[cfg_attr(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx")), inline)]
        pub(crate) fn $name($arg: $ty) $(-> $ret)? $body
    };
}

avx_safe! {
    /// `√x` (correctly rounded, as `libm::sqrt`).
    fn sqrt(x: f64) -> f64 {
        libm::sqrt(x)
    }
}

avx_safe! {
    /// `√x` (correctly rounded, as `libm::sqrtf`).
    fn sqrtf(x: f32) -> f32 {
        libm::sqrtf(x)
    }
}

avx_safe! {
    /// `x ↦ √x` over a batch, with one call boundary for the whole batch.
    fn sqrt_each(values: &mut [f64]) {
        for v in values {
            *v = libm::sqrt(*v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_to_libm_bit_for_bit() {
        let xs = [0.0, 1e-310, 0.25, 2.0, 1e300, f64::INFINITY];
        for x in xs {
            assert_eq!(sqrt(x).to_bits(), libm::sqrt(x).to_bits());
            assert_eq!(sqrtf(x as f32).to_bits(), libm::sqrtf(x as f32).to_bits());
        }
        assert!(sqrt(-1.0).is_nan());
        let mut batch = xs;
        sqrt_each(&mut batch);
        assert!(batch.iter().zip(xs).all(|(r, x)| r.to_bits() == libm::sqrt(x).to_bits()));
    }
}
