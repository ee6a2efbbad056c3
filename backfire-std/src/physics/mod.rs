//! Phase dynamics for std users: owned states, runtime-length inputs,
//! errors as [`BackfireError`], clock seeding.
//!
//! Thin adapters over [`backfire_nostd::physics`] (every formula lives
//! there). Field and method names follow the reference's Python API
//! (spec/20-physics.md §6), so the Python bindings map one-to-one:
//!
//! | here | Python |
//! |---|---|
//! | [`UPDEStepper`], [`UPDEState`] | `RustUPDEStepper`, the state dict (`theta`, `dtheta_dt`, `t`, `r_global`, `step_count`) |
//! | [`SECFunctional`], [`SECResult`] | `RustSECFunctional`, the `evaluate` dict |
//! | [`L16Controller`], [`L16StepResult`] | `RustL16Controller`, the `step` dict |
//!
//! The f64 UPDE step runs in the widest vector instruction set the CPU
//! has ([`SimdLevel`]: AVX-512, AVX2 or the portable baseline), chosen at
//! run time, with bit-identical results.
//!
//! Input errors are [`BackfireError::Validation`] carrying the reference's
//! message (`"theta length mismatch"`, `"input theta contains NaN or Inf"`,
//! `"expected 256 elements, got 10"`, …).

mod l16;
mod sec;
mod simd;
mod upde;

pub use backfire_nostd::physics::{
    EigenBlocks, KNM, L16CostInputs, L16StepResult, LAYER_NAMES, N_LAYERS, OMEGA_N, SECResult,
    build_knm_matrix,
};
pub use l16::{L16Controller, L16ControllerState};
pub use sec::SECFunctional;
pub use simd::SimdLevel;
pub use upde::{UPDEState, UPDEStepper};

use backfire_nostd::physics::PhysicsError;

use crate::BackfireError;

/// Input problems are validation errors (with the reference's message);
/// arithmetic overflow inside a model is a numerical error.
fn physics_error(e: PhysicsError) -> BackfireError {
    match e {
        PhysicsError::Param(p) => p.into(),
        PhysicsError::NonFiniteResult => BackfireError::Numerical(e.to_string()),
        other => BackfireError::Validation(other.to_string()),
    }
}

/// A seed from the wall clock: nanoseconds since the Unix epoch, low 64
/// bits (0 before the epoch, which the RNG maps to its fixed constant).
fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// A 16×16 matrix from 256 row-major values (`K[i][j] = flat[16·i + j]`).
fn matrix_from_flat(flat: &[f64]) -> Result<[[f64; N_LAYERS]; N_LAYERS], BackfireError> {
    let expected = N_LAYERS * N_LAYERS;
    if flat.len() != expected {
        return Err(physics_error(PhysicsError::MatrixLength { expected, got: flat.len() }));
    }
    let mut k = [[0.0; N_LAYERS]; N_LAYERS];
    for (row, chunk) in k.iter_mut().zip(flat.chunks_exact(N_LAYERS)) {
        row.copy_from_slice(chunk);
    }
    Ok(k)
}

/// 16 frequencies from a slice.
fn omega_from_slice(omega: &[f64]) -> Result<[f64; N_LAYERS], BackfireError> {
    omega.try_into().map_err(|_| {
        BackfireError::Validation(format!("expected {N_LAYERS} frequencies, got {}", omega.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_matrix_is_row_major_and_length_checked() {
        let flat: Vec<f64> = (0..256).map(f64::from).collect();
        let k = matrix_from_flat(&flat).unwrap();
        assert_eq!(k[1][2], 18.0);
        let e = matrix_from_flat(&[0.1; 10]).unwrap_err();
        assert_eq!(e, BackfireError::Validation("expected 256 elements, got 10".into()));
        assert!(omega_from_slice(&[1.0; 3]).is_err());
    }

    #[test]
    fn errors_map_to_validation_or_numerical() {
        let e = physics_error(PhysicsError::ThetaLength { expected: 16, got: 4 });
        assert_eq!(e.to_string(), "validation error: theta length mismatch");
        assert!(matches!(physics_error(PhysicsError::NonFiniteResult), BackfireError::Numerical(_)));
    }
}
