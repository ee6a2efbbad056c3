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
//! (`vzeroupper`) first.
//!
//! A function cannot tell what it is inlined into, so there are two rules:
//! - [`sqrt`], [`sqrtf`] (the general ones): out of line only when the
//!   whole crate is built with AVX; inlined to the bare instruction in a
//!   baseline build, where a call would cost hot loops (TCBO takes one per
//!   embedded point) ~1 ns each.
//! - [`sqrt_each`] (the noise draw's, inside the UPDE step that
//!   `backfire-std` compiles with AVX): always out of line on x86; the call
//!   is paid once per batch. (The step takes no other square root: R is
//!   computed when read, outside the step.)

/// `$name` out of line where `$outlined` holds, inlined elsewhere.
macro_rules! sqrt_fn {
    ($(#[$doc:meta])* [$($outlined:tt)*] fn $name:ident($arg:ident: $ty:ty) $(-> $ret:ty)? $body:block) => {
        $(#[$doc])*
        #[cfg_attr($($outlined)*, inline(never))]
        #[cfg_attr(not($($outlined)*), inline)]
        pub(crate) fn $name($arg: $ty) $(-> $ret)? $body
    };
}

sqrt_fn! {
    /// `√x` (correctly rounded, as `libm::sqrt`).
    [all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx")]
    fn sqrt(x: f64) -> f64 {
        libm::sqrt(x)
    }
}

sqrt_fn! {
    /// `√x` (correctly rounded, as `libm::sqrtf`).
    [all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx")]
    fn sqrtf(x: f32) -> f32 {
        libm::sqrtf(x)
    }
}

sqrt_fn! {
    /// `x ↦ √x` over a batch, with one call boundary for the whole batch
    /// (on every x86 build).
    [any(target_arch = "x86", target_arch = "x86_64")]
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
