//! The SSGF geometry engine on a microcontroller: three outer steps (decode,
//! PGBO, micro-cycle, Jacobi eigen-decomposition, costs, gradient step, L16
//! closure), `f64` in software on cores without a double-precision FPU, in
//! storage on the stack — no allocator.
//!
//! * Cortex-M4F (4 MiB RAM): the canonical 16 oscillators, also compared
//!   with the reference's measured trajectory (spec/40 §10.3) to 1e-8.
//! * Cortex-M0 (16 KiB RAM; N = 16 needs 27 KiB of storage): 8 oscillators
//!   with Ω = 1 and K = 0.1.
//!
//! On both, every value must equal the host's (x86-64, hardware `f64`)
//! **bit for bit**: the core is plain IEEE arithmetic without contraction,
//! so its results do not depend on the platform. The host pins the same
//! bits in `canonical_trajectory_is_pinned` and
//! `small_graph_trajectory_is_pinned` (`backfire-nostd/src/ssgf/engine.rs`).
//!
//! `cargo run --release --example ssgf` (add `--target thumbv6m-none-eabi`
//! for the Cortex-M0); exits 0 if every value matched.

#![no_std]
#![no_main]

use backfire_firmware::board::{self, Exit};
use backfire_nostd::ssgf::{SSGFConfig, SSGFEngine, SSGFStepLog, ssgf_storage_len};

/// `(u_total, r_global, h_rec)` of one step.
type Values = (f64, f64, f64);

#[cfg(board = "mps2-an386")]
mod scenario {
    use backfire_nostd::physics::{KNM, OMEGA_N};
    use backfire_nostd::ssgf::SSGFConfig;
    use backfire_nostd::ssgf::costs::C9Gradient;

    use super::Values;

    pub const N: usize = 16;
    /// The host's values of steps 0–2.
    pub const HOST: [Values; 3] = [
        (1.8577638781406685, 0.27956205534573486, 34.71486487022183),
        (2.208273488760322, 0.31235461184835267, 34.928534115473454),
        (2.2180359324129726, 0.24602315747267156, 35.02198287995333),
    ];
    /// Spec/40 §10.3, seed 42, measured on the reference.
    pub const REFERENCE: Option<[Values; 3]> = Some([
        (1.8577638781406716, 0.27956205534573486, 34.71486487022187),
        (2.2082734887603213, 0.31235461184835267, 34.92853411547344),
        (2.2180359324129655, 0.24602315747267153, 35.02198287995324),
    ]);

    /// The reference's configuration (its doubled C9 derivative).
    pub fn config() -> SSGFConfig {
        SSGFConfig { c9_gradient: C9Gradient::Reference, ..SSGFConfig::default() }
    }
    pub fn omega() -> [f64; N] {
        OMEGA_N
    }
    pub fn k() -> &'static [f64] {
        KNM.as_flattened()
    }
}

#[cfg(board = "microbit")]
mod scenario {
    use backfire_nostd::ssgf::SSGFConfig;

    use super::Values;

    pub const N: usize = 8;
    /// The host's values of steps 0–2.
    pub const HOST: [Values; 3] = [
        (1.6664589006495927, 0.30624539057689326, 18.073558318097255),
        (1.6637379467035078, 0.3088881395195151, 18.084214452469475),
        (1.6598601547227523, 0.3115265791532809, 18.079579196740486),
    ];
    /// The reference publishes nothing for N = 8.
    pub const REFERENCE: Option<[Values; 3]> = None;

    pub fn config() -> SSGFConfig {
        SSGFConfig { n: N, ..SSGFConfig::default() }
    }
    pub fn omega() -> [f64; N] {
        [1.0; N]
    }
    pub fn k() -> &'static [f64] {
        &[0.1; N * N]
    }
}

use scenario::{HOST, N, REFERENCE};

/// Agreement with the reference (its trajectory differs by rounding).
const REFERENCE_TOLERANCE: f64 = 1e-8;

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut storage = [0.0; ssgf_storage_len(N)];
    let config: SSGFConfig = scenario::config();
    let Ok(mut engine) = SSGFEngine::new(config, &scenario::omega(), scenario::k(), &mut storage[..]) else {
        defmt::error!("engine refused its configuration");
        board::exit(Exit::Mismatch)
    };
    let mut matched = true;
    for (step, host) in HOST.into_iter().enumerate() {
        let Ok(log) = engine.outer_step() else {
            defmt::error!("outer step refused");
            board::exit(Exit::Mismatch)
        };
        let reference = REFERENCE.and_then(|r| r.get(step).copied());
        matched &= check(&log, host, reference, engine.jacobi_outcome().sweeps);
    }
    defmt::info!(
        "N = {=usize}, storage {=usize} bytes; stack: peak {=u32} bytes",
        N,
        8 * ssgf_storage_len(N),
        board::stack_usage().peak
    );
    board::exit(if matched { Exit::Success } else { Exit::Mismatch })
}

/// Logs one step; true if it equals the host's bits, is within tolerance
/// of the reference (if known) and its flags are all set.
fn check(log: &SSGFStepLog, host: Values, reference: Option<Values>, sweeps: usize) -> bool {
    let got = (log.costs.u_total, log.r_global, log.h_rec);
    let bits = |v: Values| [v.0.to_bits(), v.1.to_bits(), v.2.to_bits()];
    let bitwise = bits(got) == bits(host);
    let near = |r: Values| {
        [(got.0, r.0), (got.1, r.1), (got.2, r.2)].iter().all(|(g, w)| (g - w).abs() <= REFERENCE_TOLERANCE)
    };
    let reference_ok = reference.is_none_or(near);
    defmt::info!(
        "step {=u64}: U_total {=f64}, R {=f64}, H_rec {=f64} ({=u32} Jacobi sweeps); host bits {=str}; reference {=str}",
        log.step,
        got.0,
        got.1,
        got.2,
        sweeps as u32,
        if bitwise { "equal" } else { "DIFFER" },
        match (reference.is_some(), reference_ok) {
            (false, _) => "-",
            (true, true) => "within 1e-8",
            (true, false) => "MISMATCH",
        }
    );
    bitwise && reference_ok && log.w_valid && log.eigval_ordered && log.eigen_converged
}
