//! Square roots that stay fast in code compiled for AVX.
//!
//! `libm::sqrt` on x86 is the legacy-SSE `sqrtsd` instruction in inline
//! assembly, invisible to the compiler. In code compiled with AVX enabled
//! — a `-C target-cpu=native` build, or the AVX-512/AVX2 copies of the UPDE
//! step that `backfire-std` selects at run time — the SIMD code around it
//! leaves the upper vector halves dirty and every legacy-SSE instruction
//! then pays an AVX–SSE transition penalty: one `sqrt` per step took the
//! f64 UPDE step from 0.19 µs to 0.41 µs, the sixteen of the noise draw to
//! 3.3 µs. A call boundary makes the compiler clean the upper halves
//! (`vzeroupper`) first. A function cannot tell what it is inlined into,
//! so on x86 these are always out of line (a call costs ~1 ns; the batch
//! form pays it once per batch); elsewhere they inline to the bare
//! instruction.

macro_rules! avx_safe {
    ($(#[$doc:meta])* fn $name:ident($arg:ident: $ty:ty) $(-> $ret:ty)? $body:block) => {
        $(#[$doc])*
        #[cfg_attr(any(target_arch = "x86", target_arch = "x86_64"), inline(never))]
        #[cfg_attr(not(any(target_arch = "x86", target_arch = "x86_64")), inline)]
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
