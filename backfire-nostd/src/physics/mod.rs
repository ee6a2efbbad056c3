//! Phase dynamics (spec/20-physics.md): the fixed 16-layer model data, the
//! UPDE oscillator stepper, the SEC Lyapunov functional and the L16
//! supervisory controller.
//!
//! | module | what |
//! |---|---|
//! | [`constants`] | layer names, natural frequencies ω, coupling matrix K |
//! | [`upde`] | [`UPDEStepper`]: Kuramoto + field + noise, Euler–Maruyama, on every backend |
//! | [`sec`] | [`SECFunctional`]: coupling energy + frequency penalty + entropy → coherence score |
//! | [`l16`] | [`L16Controller`]: H_rec trend, PLV gate, refusal rule, PI weights |
//! | [`error`] | [`PhysicsError`], with the reference's messages |

pub mod constants;
mod coupling;
pub mod error;
pub mod l16;
pub mod sec;
pub mod upde;

pub use constants::{K_BASE, KNM, LAYER_NAMES, N_LAYERS, OMEGA_N, build_knm_matrix};
pub use error::PhysicsError;
pub use l16::{EigenBlocks, L16Controller, L16CostInputs, L16Params, L16StepResult, PIState};
pub use sec::{SECFunctional, SECResult};
pub use upde::{UPDEParams, UPDEState, UPDEStepper, order_parameter, order_parameter_from_sums};
