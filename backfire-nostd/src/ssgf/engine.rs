//! The SSGF engine: persistent state and the ten stages of one outer step
//! (spec §1, §8).

use core::f64::consts::TAU;

use super::SSGFError;
use super::audio::{AudioInputs, AudioMapping, audio_mapping};
use super::closure::SSGFClosure;
use super::config::{GradientMethod, KAPPA_MAX, MAX_N, SSGFConfig};
use super::costs::{
    CostInputs, Costs, TCBO_THRESHOLD, analytic_weight_gradient, compute_costs, order_parameter,
};
use super::decoder::latent_len;
use super::micro::{effective_coupling, micro_cycle};
use super::spectral::{Gauge, JacobiOutcome, SpectralBridge, fiedler_value, spectral_gap};
use crate::observers::{check_storage, check_vector, phase_geometry_bridge, wrap_phase};
use crate::rng::SimpleRng;
use crate::slices::copy;

/// Tolerance of the `w_valid` check (symmetry, sign, diagonal).
const W_TOLERANCE: f64 = 1e-12;
/// Tolerance of the `eigval_ordered` check.
const EIGVAL_TOLERANCE: f64 = 1e-10;
/// Floor of the PGBO velocity's time base.
const MIN_DT_OUTER: f64 = 1e-12;

/// Size of one storage region, in terms of `n`.
#[derive(Clone, Copy)]
enum Size {
    Latent,
    N,
    TwoN,
    Square,
}

impl Size {
    const fn of(self, n: usize) -> usize {
        match self {
            Size::Latent => latent_len(n),
            Size::N => n,
            Size::TwoN => n.saturating_mul(2),
            Size::Square => n.saturating_mul(n),
        }
    }
}

/// The storage layout: the regions of [`Parts`], in this order.
const LAYOUT: [Size; REGIONS] = {
    use Size::*;
    [
        Latent, Latent, N, N, N, N, N, N, N, N, N, TwoN, Square, Square, Square, Square, Square, Square,
        Square, Square, Square, Square, Square, Square,
    ]
};
const REGIONS: usize = 24;
// Indices into LAYOUT of the regions read through `&self`.
const Z: usize = 0;
const THETA: usize = 2;
const OMEGA: usize = 7;
const LAMBDA: usize = 8;
const K: usize = 12;
const W: usize = 13;
const V: usize = 15;

/// Values of storage an engine of `n` oscillators needs (saturating: an
/// absurd `n` asks for more than any buffer holds).
///
/// ```
/// use backfire_nostd::ssgf::ssgf_storage_len;
/// assert_eq!(ssgf_storage_len(16), 2 * 120 + 11 * 16 + 12 * 256);
/// ```
pub const fn ssgf_storage_len(n: usize) -> usize {
    let mut total = 0usize;
    let mut i = 0;
    while i < REGIONS {
        total = total.saturating_add(LAYOUT[i].of(n));
        i += 1;
    }
    total
}

/// `(start, len)` of region `index` for `n` oscillators.
fn span(n: usize, index: usize) -> (usize, usize) {
    let start = LAYOUT.iter().take(index).map(|size| size.of(n)).sum();
    (start, LAYOUT.get(index).map_or(0, |size| size.of(n)))
}

/// One outer step's record (spec §8.1), plus whether the eigensolver
/// converged (the reference reports nothing when it does not).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SSGFStepLog {
    /// Steps done before this one (0-based).
    pub step: u64,
    /// The full cost breakdown.
    pub costs: Costs,
    /// R after the micro-cycle.
    pub r_global: f64,
    /// λ1 of the W decoded at stage 1.
    pub fiedler_value: f64,
    /// λ1/λ2.
    pub spectral_gap: f64,
    /// The L16 Lyapunov candidate.
    pub h_rec: f64,
    /// The L16 PLV gate after this step's sample.
    pub gate_open: bool,
    /// The L16 refusal flag after this step.
    pub refusal: bool,
    /// W symmetric, non-negative, zero diagonal (within 1e-12).
    pub w_valid: bool,
    /// Eigenvalues ascending (within 1e-10).
    pub eigval_ordered: bool,
    /// PGBO `|u|` (0 when PGBO is off).
    pub pgbo_u_norm: f64,
    /// PGBO `‖h‖_F` (0 when PGBO is off).
    pub pgbo_h_frob: f64,
    /// The injected TCBO `p_h1`.
    pub tcbo_p_h1: f64,
    /// `p_h1 > 0.72`.
    pub tcbo_gate_open: bool,
    /// The Jacobi solver reached its tolerance within 50 sweeps.
    pub eigen_converged: bool,
}

/// The PGBO part of the state: gain, memory of the previous phases, norms.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PgboMemory {
    kappa: f64,
    has_previous: bool,
    u_norm: f64,
    h_frob: f64,
}

/// The SSGF geometry engine over storage `S` lent by the caller
/// (`[f64; ssgf_storage_len(n)]`, `&mut [f64]`, or a `Vec<f64>` in std).
///
/// Construction randomises the latent vector and the phases from the seed,
/// decodes `W` and computes its eigenpairs once (spec §1). Each
/// [`outer_step`](Self::outer_step) runs decode → PGBO → micro-cycle →
/// spectrum → costs → gradient step → L16 closure → κ adaptation and
/// returns the step's [`SSGFStepLog`]; the engine keeps no log itself.
///
/// ```
/// use backfire_nostd::physics::{KNM, OMEGA_N};
/// use backfire_nostd::ssgf::{SSGFConfig, SSGFEngine, ssgf_storage_len};
/// let storage = vec![0.0; ssgf_storage_len(16)];
/// let mut engine = SSGFEngine::new(SSGFConfig::default(), &OMEGA_N, KNM.as_flattened(), storage).unwrap();
/// let log = engine.outer_step().unwrap();
/// assert_eq!(log.step, 0);
/// assert!(log.w_valid && log.eigval_ordered && (0.0..=1.0).contains(&log.r_global));
/// assert_eq!(engine.step_count(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct SSGFEngine<S> {
    config: SSGFConfig,
    storage: S,
    rng: SimpleRng,
    bridge: SpectralBridge,
    closure: SSGFClosure,
    pgbo: PgboMemory,
    mask: [bool; MAX_N],
    p_h1: f64,
    step_count: u64,
    jacobi: JacobiOutcome,
}

/// The engine's arrays, carved out of its storage in [`LAYOUT`] order.
struct Parts<'a> {
    z: &'a mut [f64],
    grad: &'a mut [f64],
    theta: &'a mut [f64],
    theta_prev: &'a mut [f64],
    theta_start: &'a mut [f64],
    dphi: &'a mut [f64],
    zeros: &'a mut [f64],
    omega: &'a mut [f64],
    lambda: &'a mut [f64],
    pgbo_u: &'a mut [f64],
    fd_lambda: &'a mut [f64],
    scratch: &'a mut [f64],
    k: &'a mut [f64],
    w: &'a mut [f64],
    phi: &'a mut [f64],
    v: &'a mut [f64],
    v_prev: &'a mut [f64],
    work: &'a mut [f64],
    m: &'a mut [f64],
    g_w: &'a mut [f64],
    pgbo_h: &'a mut [f64],
    fd_w: &'a mut [f64],
    fd_v: &'a mut [f64],
    fd_prev: &'a mut [f64],
}

impl<'a> Parts<'a> {
    /// Splits `all` (at least `ssgf_storage_len(n)` values, checked by the
    /// constructor; a shorter buffer gives short regions, never a panic).
    /// Fields are initialised in the order written, which is [`LAYOUT`]'s.
    fn carve(all: &'a mut [f64], n: usize) -> Self {
        let mut rest = all;
        let mut sizes = LAYOUT.iter();
        let mut next = || {
            let len = sizes.next().map_or(0, |size| size.of(n));
            let all = core::mem::take(&mut rest);
            let (head, tail) = all.split_at_mut(len.min(all.len()));
            rest = tail;
            head
        };
        Parts {
            z: next(),
            grad: next(),
            theta: next(),
            theta_prev: next(),
            theta_start: next(),
            dphi: next(),
            zeros: next(),
            omega: next(),
            lambda: next(),
            pgbo_u: next(),
            fd_lambda: next(),
            scratch: next(),
            k: next(),
            w: next(),
            phi: next(),
            v: next(),
            v_prev: next(),
            work: next(),
            m: next(),
            g_w: next(),
            pgbo_h: next(),
            fd_w: next(),
            fd_v: next(),
            fd_prev: next(),
        }
    }
}

impl<S: AsRef<[f64]> + AsMut<[f64]>> SSGFEngine<S> {
    /// An engine for `config` with natural frequencies `omega` (length n)
    /// and coupling `k` (n², row-major), over `storage` of at least
    /// [`ssgf_storage_len(n)`](ssgf_storage_len) values.
    ///
    /// # Errors
    ///
    /// An invalid configuration, `omega`/`k` of the wrong length or not
    /// finite, or too little storage.
    pub fn new(config: SSGFConfig, omega: &[f64], k: &[f64], storage: S) -> Result<Self, SSGFError> {
        config.validate()?;
        let n = config.n;
        check_vector("omega", omega, n)?;
        check_vector("k", k, n * n)?;
        check_storage(n, Some(ssgf_storage_len(n)), storage.as_ref().len())?;
        let mut engine = SSGFEngine {
            config,
            storage,
            rng: config.rng(config.seed.wrapping_add(1)),
            bridge: if config.eigen_warm_start {
                SpectralBridge::warm(Gauge::Sign)
            } else {
                SpectralBridge::new(Gauge::Sign)
            },
            closure: SSGFClosure::new(config.closure_params())?,
            pgbo: PgboMemory { kappa: config.pgbo_kappa, has_previous: false, u_norm: 0.0, h_frob: 0.0 },
            mask: [false; MAX_N],
            p_h1: 0.0,
            step_count: 0,
            jacobi: JacobiOutcome { sweeps: 0, converged: true },
        };
        engine.initialise(omega, k)?;
        Ok(engine)
    }

    /// The NodeSpace of spec §8.5 (z, then θ, from one RNG seeded with
    /// `seed`; Φ = I), then the first decode and eigen-call.
    fn initialise(&mut self, omega: &[f64], k: &[f64]) -> Result<(), SSGFError> {
        let n = self.config.n;
        let all = self.storage.as_mut();
        all.iter_mut().for_each(|x| *x = 0.0);
        let p = Parts::carve(all, n);
        let mut rng = self.config.rng(self.config.seed);
        p.z.iter_mut().for_each(|z| *z = rng.next_f64() - 0.5);
        p.theta.iter_mut().for_each(|t| *t = rng.next_f64() * TAU);
        copy(p.omega, omega);
        copy(p.k, k);
        p.phi.iter_mut().step_by(n + 1).for_each(|d| *d = 1.0);
        self.config.decoder.decode(p.z, n, p.w)?;
        self.jacobi = self.bridge.eigenpairs(p.w, n, p.work, first(p.scratch, n), p.lambda, p.v, p.v_prev)?;
        Ok(())
    }

    /// One outer step (spec §1, stages 1–10).
    ///
    /// # Errors
    ///
    /// [`SSGFError::NonFiniteResult`] when the dynamics overflow (e.g. a
    /// huge learning rate or coupling); the step is then not counted, and
    /// `z`, `θ`, κ, the noise stream and the closure are unchanged. `W`,
    /// λ and `V` may not be: the stages that ran before the failure have
    /// replaced them with those of the current `z`. Nothing the failing
    /// stage reads has changed, so repeating the step fails again.
    pub fn outer_step(&mut self) -> Result<SSGFStepLog, SSGFError> {
        let n = self.config.n;
        let mut parts = Parts::carve(self.storage.as_mut(), n);
        let mut step = Step {
            config: &self.config,
            mask: self.mask.get(..n).unwrap_or_default(),
            p_h1: self.p_h1,
            rng: self.rng,
            bridge: self.bridge,
            pgbo: self.pgbo,
        };
        let stages = match step.stages(&mut parts, self.closure.lr_z_scale()) {
            Ok(stages) => stages,
            Err(error) => {
                copy(parts.theta, parts.theta_start);
                return Err(error);
            }
        };
        // Committed: nothing below can fail.
        (self.rng, self.bridge, self.jacobi) = (step.rng, step.bridge, stages.jacobi);
        // [9] L16 closure, [10] κ adaptation.
        let (u_norm, h_frob) = stages.pgbo.unwrap_or((0.0, 0.0));
        let closure = self.closure.step(parts.theta, parts.v, parts.phi, stages.r_global, self.p_h1, h_frob);
        if stages.pgbo.is_some() {
            copy(parts.theta_prev, parts.theta_start);
            let kappa = adapt_kappa(self.pgbo.kappa, stages.r_global, closure.refusal);
            self.pgbo = PgboMemory { kappa, has_previous: true, u_norm, h_frob };
        }
        let log = SSGFStepLog {
            step: self.step_count,
            costs: stages.costs,
            r_global: stages.r_global,
            fiedler_value: fiedler_value(parts.lambda),
            spectral_gap: spectral_gap(parts.lambda),
            h_rec: closure.h_rec,
            gate_open: closure.gate_open,
            refusal: closure.refusal,
            w_valid: stages.w_valid,
            eigval_ordered: stages.eigval_ordered,
            pgbo_u_norm: u_norm,
            pgbo_h_frob: h_frob,
            tcbo_p_h1: self.p_h1,
            tcbo_gate_open: self.p_h1 > TCBO_THRESHOLD,
            eigen_converged: stages.jacobi.converged,
        };
        self.step_count = self.step_count.saturating_add(1);
        Ok(log)
    }

    /// The audio mapping of the current state (spec §8.4): θ after the last
    /// micro-cycle; W, λ from the last decode and eigen-call.
    pub fn audio_mapping(&self) -> AudioMapping {
        let n = self.config.n;
        let lambda = self.region(LAMBDA);
        audio_mapping(&AudioInputs {
            theta: self.region(THETA),
            w: self.region(W),
            n,
            fiedler: fiedler_value(lambda),
            spectral_gap: spectral_gap(lambda),
            gate_open: self.closure.gate_open(),
            refusal: self.closure.refusal(),
            p_h1: self.p_h1,
            // Written only by steps that ran PGBO: 0 while it is off.
            pgbo_u_norm: self.pgbo.u_norm,
            pgbo_h_frob: self.pgbo.h_frob,
        })
    }

    /// Sets the injected TCBO probability `p_h1` (it persists).
    ///
    /// # Errors
    ///
    /// `p_h1` must be in `[0, 1]` (the reference takes anything, NaN too).
    pub fn set_tcbo_p_h1(&mut self, p_h1: f64) -> Result<(), SSGFError> {
        self.p_h1 = crate::check::check_unit("p_h1", p_h1)?;
        Ok(())
    }

    /// R of the current phases.
    pub fn r_global(&self) -> f64 {
        order_parameter(self.region(THETA))
    }

    /// Outer steps done.
    pub fn step_count(&self) -> u64 {
        self.step_count
    }

    /// The configuration.
    pub fn config(&self) -> &SSGFConfig {
        &self.config
    }

    /// The injected `p_h1`.
    pub fn tcbo_p_h1(&self) -> f64 {
        self.p_h1
    }

    /// The current PGBO gain κ.
    pub fn pgbo_kappa(&self) -> f64 {
        self.pgbo.kappa
    }

    /// The latent vector `z`.
    pub fn z(&self) -> &[f64] {
        self.region(Z)
    }

    /// The phases θ (after the last micro-cycle).
    pub fn theta(&self) -> &[f64] {
        self.region(THETA)
    }

    /// The weights `W` of the last decode (n², row-major). Stage 8 changes
    /// `z` after decoding, so after a step this is the graph of the
    /// previous `z` (after a failed step, of the current one).
    pub fn w(&self) -> &[f64] {
        self.region(W)
    }

    /// Eigenvalues of the last eigen-call, ascending.
    pub fn eigenvalues(&self) -> &[f64] {
        self.region(LAMBDA)
    }

    /// Eigenvectors of the last eigen-call, as the columns of an n² matrix.
    pub fn eigenvectors(&self) -> &[f64] {
        self.region(V)
    }

    /// The natural frequencies Ω.
    pub fn omega(&self) -> &[f64] {
        self.region(OMEGA)
    }

    /// The coupling K (n², row-major).
    pub fn k(&self) -> &[f64] {
        self.region(K)
    }

    /// How the last eigen-call went.
    pub fn jacobi_outcome(&self) -> JacobiOutcome {
        self.jacobi
    }

    /// The L16 closure (refusal count, H_rec history, lr scale).
    pub fn closure(&self) -> &SSGFClosure {
        &self.closure
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.storage
    }

    fn region(&self, index: usize) -> &[f64] {
        let (start, len) = span(self.config.n, index);
        self.storage.as_ref().get(start..start + len).unwrap_or_default()
    }
}

/// What stages 1–8 hand to the committing part of the step.
struct Stages {
    costs: Costs,
    r_global: f64,
    w_valid: bool,
    eigval_ordered: bool,
    jacobi: JacobiOutcome,
    /// `(u_norm, h_frob)` when PGBO runs.
    pgbo: Option<(f64, f64)>,
}

/// The state one step works on before it is committed.
struct Step<'c> {
    config: &'c SSGFConfig,
    mask: &'c [bool],
    p_h1: f64,
    rng: SimpleRng,
    bridge: SpectralBridge,
    pgbo: PgboMemory,
}

impl Step<'_> {
    /// Stages 1–8; `θ` and `z` are written in place (the caller restores
    /// θ on error; `z` is written last, only if every value is finite).
    fn stages(&mut self, p: &mut Parts<'_>, lr_scale: f64) -> Result<Stages, SSGFError> {
        let config = self.config;
        let n = config.n;
        // [1]–[2] decode and verify.
        config.decoder.decode(p.z, n, p.w)?;
        let w_valid = w_is_valid(p.w, n);
        // [3] PGBO from the phases before this step's micro-cycle.
        copy(p.theta_start, p.theta);
        let pgbo = if config.pgbo_enabled { Some(self.pgbo_tensor(p)?) } else { None };
        let h = pgbo.map(|_| &*p.pgbo_h);
        // [4] micro-cycle.
        let micro = config.micro_params();
        effective_coupling(p.k, p.w, h, &micro, n, p.m)?;
        micro_cycle(p.theta, p.omega, p.m, &micro, config.n_micro, &mut self.rng, p.scratch)?;
        let r_global = order_parameter(p.theta);
        // [5]–[6] spectrum of this step's W.
        let jacobi = self.bridge.eigenpairs(p.w, n, p.work, first(p.scratch, n), p.lambda, p.v, p.v_prev)?;
        let eigval_ordered = p.lambda.windows(2).all(|l| l[0] <= l[1] + EIGVAL_TOLERANCE);
        // [7] costs.
        let inputs = CostInputs {
            theta: p.theta,
            w: p.w,
            eigvals: p.lambda,
            eigvecs: p.v,
            phi: p.phi,
            mask: self.mask,
            p_h1: self.p_h1,
            h: pgbo.map(|_| &*p.pgbo_h),
        };
        let costs = compute_costs(&inputs, n, &config.cost_weights);
        // [8] gradient step on z, with the lr scale of the previous closure.
        self.gradient(p)?;
        descend(p.z, p.grad, config.lr_z * lr_scale)?;
        Ok(Stages { costs, r_global, w_valid, eigval_ordered, jacobi, pgbo })
    }

    /// Stage 3: `u = wrap(θ − θ_prev)/dt_outer` (0 on the first call),
    /// saturated, and `h = κ·u uᵀ`, by the observers' stateless bridge.
    fn pgbo_tensor(&self, p: &mut Parts<'_>) -> Result<(f64, f64), SSGFError> {
        let config = self.config;
        let dt = config.dt_outer.max(MIN_DT_OUTER);
        for ((d, &t), &prev) in p.dphi.iter_mut().zip(p.theta.iter()).zip(p.theta_prev.iter()) {
            *d = if self.pgbo.has_previous { wrap_phase(t - prev) / dt } else { 0.0 };
        }
        let pgbo_config = config.pgbo_config(self.pgbo.kappa)?;
        let norms = phase_geometry_bridge(&pgbo_config, p.dphi, p.zeros, p.pgbo_u, p.pgbo_h)?;
        Ok((norms.u_norm, norms.h_frob))
    }

    /// Stage 8's `∂U/∂z` into `p.grad`.
    fn gradient(&self, p: &mut Parts<'_>) -> Result<(), SSGFError> {
        let config = self.config;
        let n = config.n;
        match config.gradient_method {
            GradientMethod::Analytic => {
                let weights = &config.cost_weights;
                analytic_weight_gradient(p.w, n, self.mask, weights, config.c9_gradient, p.g_w)?;
                config.decoder.chain(p.z, n, p.w, p.g_w, p.grad)
            }
            GradientMethod::FiniteDifference => self.finite_difference(p),
        }
    }

    /// Spec §7.2: central differences of `U_total`, `+ε` first, each
    /// evaluation with its own decode and eigen-call on a fresh
    /// [`Gauge::None`] bridge (so only the first one is gauged, by the
    /// largest-entry rule); the costs see the post-micro θ and no `h`.
    fn finite_difference(&self, p: &mut Parts<'_>) -> Result<(), SSGFError> {
        let eps = self.config.fd_eps;
        let mut bridge = SpectralBridge::new(Gauge::None);
        for k in 0..p.z.len() {
            let original = p.z.get(k).copied().unwrap_or(0.0);
            let mut loss_at = |z_k: f64, p: &mut Parts<'_>| {
                if let Some(slot) = p.z.get_mut(k) {
                    *slot = z_k;
                }
                self.loss(&mut bridge, p)
            };
            let plus = loss_at(original + eps, p);
            let minus = loss_at(original - eps, p);
            if let Some(slot) = p.z.get_mut(k) {
                *slot = original;
            }
            if let Some(g) = p.grad.get_mut(k) {
                *g = (plus? - minus?) / (2.0 * eps);
            }
        }
        Ok(())
    }

    /// `U_total` at the current (perturbed) `z`, for the FD gradient.
    fn loss(&self, bridge: &mut SpectralBridge, p: &mut Parts<'_>) -> Result<f64, SSGFError> {
        let n = self.config.n;
        self.config.decoder.decode(p.z, n, p.fd_w)?;
        bridge.eigenpairs(p.fd_w, n, p.work, first(p.scratch, n), p.fd_lambda, p.fd_v, p.fd_prev)?;
        let inputs = CostInputs {
            theta: p.theta,
            w: p.fd_w,
            eigvals: p.fd_lambda,
            eigvecs: p.fd_v,
            phi: p.phi,
            mask: self.mask,
            p_h1: self.p_h1,
            h: None,
        };
        Ok(compute_costs(&inputs, n, &self.config.cost_weights).u_total)
    }
}

/// The first `n` values of a scratch region (the eigen-call's share of the
/// micro-cycle's `2n`).
fn first(scratch: &mut [f64], n: usize) -> &mut [f64] {
    let n = n.min(scratch.len());
    &mut scratch[..n]
}

/// `z ← z − lr·g`, only if every new value is finite.
fn descend(z: &mut [f64], grad: &[f64], lr: f64) -> Result<(), SSGFError> {
    let step = |(&z, &g): (&f64, &f64)| z - lr * g;
    if !z.iter().zip(grad).map(step).all(f64::is_finite) {
        return Err(SSGFError::NonFiniteResult { quantity: "z" });
    }
    z.iter_mut().zip(grad).for_each(|(z, &g)| *z -= lr * g);
    Ok(())
}

/// Stage 10: `κ ← clamp(κ·(0.9 + 0.2·R), 0, 5)` unless the closure refused.
fn adapt_kappa(kappa: f64, r_global: f64, refusal: bool) -> f64 {
    if refusal { kappa } else { (kappa * (0.9 + 0.2 * r_global)).clamp(0.0, KAPPA_MAX) }
}

/// Stage 2: `W` symmetric, non-negative and zero on the diagonal (1e-12).
fn w_is_valid(w: &[f64], n: usize) -> bool {
    let at = |i: usize, j: usize| w.get(i * n + j).copied().unwrap_or(f64::NAN);
    (0..n).all(|i| {
        at(i, i).abs() <= W_TOLERANCE
            && (0..n)
                .all(|j| at(i, j) >= -W_TOLERANCE && (j <= i || (at(i, j) - at(j, i)).abs() <= W_TOLERANCE))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::{KNM, OMEGA_N};
    use crate::ssgf::costs::C9Gradient;
    use crate::ssgf::decoder::Decoder;

    const K_LEN: usize = 256;
    const STORAGE: usize = ssgf_storage_len(16);

    fn canonical_k() -> &'static [f64] {
        KNM.as_flattened()
    }

    /// The reference's configuration: its doubled C9 derivative, so that
    /// trajectories match its measured values.
    fn reference() -> SSGFConfig {
        SSGFConfig { c9_gradient: C9Gradient::Reference, ..SSGFConfig::default() }
    }

    fn engine(config: SSGFConfig) -> SSGFEngine<[f64; STORAGE]> {
        SSGFEngine::new(config, &OMEGA_N, canonical_k(), [f64::NAN; STORAGE]).unwrap()
    }

    fn close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol, "{got} vs {want} (tolerance {tol})");
    }

    #[test]
    fn initial_node_space_matches_the_reference() {
        // Storage starts as NaN: construction must overwrite all of it.
        let e = engine(reference());
        let want_z = [-0.4999999975358901, 0.12516277981195145, 0.043262100969348016, -0.342841565987442];
        e.z().iter().zip(want_z).for_each(|(&g, w)| close(g, w, 1e-16));
        close(e.z()[119], -0.1206948702053241, 1e-16);
        let want_theta = [5.6373784963976314, 4.922748747607568, 2.812819164422284];
        e.theta().iter().zip(want_theta).for_each(|(&g, w)| close(g, w, 1e-15));
        close(e.w()[1], 0.4740769851104084, 1e-16);
        close(e.w()[8 * 16 + 9], 0.9361100009996312, 1e-16);
        // The other regions read through `&self` sit where the layout says.
        assert_eq!((e.omega(), e.k()), (&OMEGA_N[..], canonical_k()));
        assert_eq!(e.eigenvectors().len(), 256);
        assert_eq!(e.step_count(), 0);
        assert!(e.jacobi_outcome().converged);
        let seed_0 = engine(SSGFConfig { seed: 0, ..reference() });
        close(seed_0.z()[0], -0.34429382645156126, 1e-16);
        close(seed_0.theta()[0], 3.457935126532746, 1e-15);
    }

    #[test]
    fn initial_spectrum_matches_the_reference() {
        let e = engine(reference());
        let lambda = e.eigenvalues();
        close(lambda[0], 0.0, 1e-12);
        close(lambda[1], 0.9928209390218301, 1e-12);
        close(lambda[2], 1.0023668181248633, 1e-12);
        close(lambda[15], 1.1563650361999533, 1e-12);
        close(spectral_gap(lambda), 0.9904766609085377, 1e-12);
    }

    #[test]
    fn first_steps_match_the_reference() {
        first_steps_match(reference());
        first_steps_match(SSGFConfig { eigen_warm_start: false, ..reference() });
    }

    fn first_steps_match(config: SSGFConfig) {
        let mut e = engine(config);
        let want = [
            (0.27956205534573486, 1.8577638781406716, 0.0, 0.9928209390218301, 34.71486487022187, 0.0),
            (
                0.31235461184835267,
                2.2082734887603213,
                7.064883951693763,
                0.9928220140337379,
                34.92853411547344,
                9.627346006257165,
            ),
            (
                0.24602315747267153,
                2.2180359324129655,
                6.543569954105691,
                0.9928230890102208,
                35.02198287995324,
                9.626982914108314,
            ),
        ];
        for (step, (r, u, c_pgbo, fiedler, h_rec, u_norm)) in want.into_iter().enumerate() {
            let log = e.outer_step().unwrap();
            assert_eq!(log.step, step as u64);
            close(log.r_global, r, 1e-9);
            close(log.costs.u_total, u, 1e-9);
            close(log.costs.c_pgbo, c_pgbo, 1e-8);
            close(log.fiedler_value, fiedler, 1e-12);
            close(log.h_rec, h_rec, 1e-8);
            close(log.pgbo_u_norm, u_norm, 1e-9);
            assert!(log.w_valid && log.eigval_ordered && log.eigen_converged && !log.refusal);
            if step == 0 {
                let c = log.costs;
                close(c.c_micro, 0.7204379446542651, 1e-9);
                close(c.c7_symbolic, 1.6562478168584125, 1e-12);
                close(c.c8_phase, 0.0022667224015849047, 1e-9);
                close(c.c9_memory, 0.11408949207415695, 1e-12);
                close(c.r_graph, 1.3018410992189358, 1e-12);
                close(c.c4_tcbo, 0.5184, 1e-15);
                assert_eq!((c.c10_boundary, c.c_pgbo), (0.0, 0.0));
                close(e.pgbo_kappa(), 0.2868, 5e-5);
            }
        }
        let want_z = [-0.5000214753187969, 0.12511447827881342, 0.043218273167034735, -0.3428682834559885];
        e.z().iter().zip(want_z).for_each(|(&g, w)| close(g, w, 1e-12));
        let audio = e.audio_mapping();
        assert_eq!(audio.brainwave_band.as_str(), "gamma");
        close(audio.beat_hz, 39.78394953434019, 1e-8);
    }

    #[test]
    fn two_hundred_steps_match_the_reference() {
        let mut e = engine(reference());
        let (mut refusals, mut open) = (0, 0);
        let mut last = None;
        for _ in 0..200 {
            let log = e.outer_step().unwrap();
            assert!(log.w_valid && log.eigval_ordered);
            refusals += usize::from(log.refusal);
            open += usize::from(log.gate_open);
            last = Some(log);
        }
        let last = last.unwrap();
        assert_eq!((refusals, open), (0, 88));
        close(last.costs.u_total, 1.437851, 5e-7);
        close(last.r_global, 0.699463, 5e-7);
        close(last.h_rec, 33.911169, 5e-7);
        close(last.pgbo_h_frob, 1.260672, 5e-7);
    }

    #[test]
    fn warm_and_cold_eigensolver_starts_agree_and_warm_needs_fewer_sweeps() {
        let (mut warm, mut cold) =
            (engine(reference()), engine(SSGFConfig { eigen_warm_start: false, ..reference() }));
        for step in 0..50 {
            let (w, c) = (warm.outer_step().unwrap(), cold.outer_step().unwrap());
            close(w.costs.u_total, c.costs.u_total, 1e-12);
            close(w.h_rec, c.h_rec, 1e-12);
            close(w.r_global, c.r_global, 1e-12);
            assert_eq!((w.gate_open, w.refusal), (c.gate_open, c.refusal));
            let (sweeps_warm, sweeps_cold) = (warm.jacobi_outcome().sweeps, cold.jacobi_outcome().sweeps);
            assert!(sweeps_warm <= 4 && sweeps_cold >= 6, "step {step}: {sweeps_warm} vs {sweeps_cold}");
        }
        warm.eigenvectors().iter().zip(cold.eigenvectors()).for_each(|(&a, &b)| close(a, b, 1e-10));
    }

    #[test]
    fn finite_difference_step_matches_the_reference() {
        let mut e = engine(SSGFConfig { gradient_method: GradientMethod::FiniteDifference, ..reference() });
        e.outer_step().unwrap();
        let want = [-0.502403714196494, 0.1263969175501778, 0.043808087971180076, -0.34278541383651295];
        e.z().iter().zip(want).for_each(|(&g, w)| close(g, w, 1e-9));
    }

    #[test]
    fn rbf_decoder_matches_the_reference() {
        let mut e = engine(SSGFConfig { decoder: Decoder::Rbf { sigma: 1.0 }, ..reference() });
        close(e.w()[1], 0.6875093979460858, 1e-15);
        close(e.eigenvalues()[1], 0.9390526445473105, 1e-12);
        let log = e.outer_step().unwrap();
        close(log.costs.u_total, 2.2128886381711164, 1e-9);
        close(log.costs.c7_symbolic, 2.4038244455338567, 1e-9);
        // D = ⌊120/16⌋ = 7: the last 8 latents are never touched.
        close(e.z()[119], -0.1206948702053241, 0.0);
    }

    #[test]
    fn exact_c9_gradient_changes_only_row_8() {
        let (mut exact, mut doubled) = (engine(SSGFConfig::default()), engine(reference()));
        exact.outer_step().unwrap();
        doubled.outer_step().unwrap();
        for i in 0..16 {
            for j in i + 1..16 {
                let k = crate::ssgf::decoder::pair_index(16, i, j).unwrap();
                let (a, b) = (exact.z()[k], doubled.z()[k]);
                assert_eq!(a == b, i != 8 && j != 8, "pair ({i}, {j})");
            }
        }
    }

    #[test]
    fn small_graphs() {
        let run = |n: usize| {
            let config = SSGFConfig { n, ..reference() };
            let mut storage = [0.0; ssgf_storage_len(8)];
            let (omega, k) = ([1.0; 8], [0.1; 64]);
            let mut e = SSGFEngine::new(config, &omega[..n], &k[..n * n], &mut storage[..]).unwrap();
            let log = e.outer_step().unwrap();
            (log, e.eigenvalues().get(1).copied())
        };
        let (one, _) = run(1);
        close(one.costs.u_total, 0.16552, 5e-6);
        assert!(one.gate_open);
        let (two, lambda_1) = run(2);
        close(lambda_1.unwrap(), 2.0, 1e-12);
        assert_eq!(two.spectral_gap, 0.0);
        let (three, _) = run(3);
        assert_eq!((three.costs.c8_phase, three.costs.c9_memory), (0.0, 0.0));
        let (eight, _) = run(8);
        assert_eq!(eight.costs.c9_memory, 0.0);
    }

    /// The firmware's Cortex-M4F scenario (`firmware-example/examples/
    /// ssgf.rs`): the default engine with the reference's C9 gradient,
    /// three steps. The firmware (soft-float `f64`) must give these bits.
    #[test]
    fn canonical_trajectory_is_pinned() {
        let mut e = engine(reference());
        assert_bits(
            &mut e,
            [
                (1.8577638781406685, 0.27956205534573486, 34.71486487022183),
                (2.208273488760322, 0.31235461184835267, 34.928534115473454),
                (2.2180359324129726, 0.24602315747267156, 35.02198287995333),
            ],
        );
    }

    /// The firmware's Cortex-M0 scenario (`firmware-example/examples/
    /// ssgf.rs`): N = 8, Ω = 1, K = 0.1, default configuration, three
    /// outer steps. The values are this implementation's own (the
    /// reference publishes none for N = 8); the firmware must reproduce
    /// them bit for bit with soft-float `f64`.
    #[test]
    fn small_graph_trajectory_is_pinned() {
        let mut storage = [0.0; ssgf_storage_len(8)];
        let config = SSGFConfig { n: 8, ..SSGFConfig::default() };
        let mut e = SSGFEngine::new(config, &[1.0; 8], &[0.1; 64], &mut storage[..]).unwrap();
        assert_bits(
            &mut e,
            [
                (1.6664589006495927, 0.30624539057689326, 18.073558318097255),
                (1.6637379467035078, 0.3088881395195151, 18.084214452469475),
                (1.6598601547227523, 0.3115265791532809, 18.079579196740486),
            ],
        );
    }

    /// `(u_total, r_global, h_rec)` of the next steps, bit for bit.
    fn assert_bits<S: AsRef<[f64]> + AsMut<[f64]>>(e: &mut SSGFEngine<S>, want: [(f64, f64, f64); 3]) {
        for (u, r, h) in want {
            let log = e.outer_step().unwrap();
            assert_eq!(
                [log.costs.u_total, log.r_global, log.h_rec].map(f64::to_bits),
                [u, r, h].map(f64::to_bits)
            );
        }
    }

    #[test]
    fn cost_rises_in_the_reference_descent_test() {
        // §10.1 engine test: lr 0.05, noise 0, PGBO off, 20 micro-steps.
        let config =
            SSGFConfig { lr_z: 0.05, noise_amp: 0.0, pgbo_enabled: false, n_micro: 20, ..reference() };
        let mut e = engine(config);
        let mut u = [0.0; 20];
        for slot in &mut u {
            let log = e.outer_step().unwrap();
            assert_eq!((log.pgbo_u_norm, log.pgbo_h_frob, log.costs.c_pgbo), (0.0, 0.0, 0.0));
            *slot = log.costs.u_total;
        }
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
        close(mean(&u[..5]), 1.852248, 5e-7);
        close(mean(&u[15..]), 1.927491, 5e-7);
    }

    #[test]
    fn a_refusal_halves_the_next_steps_learning_rate_and_freezes_kappa() {
        // h_rec_window = 1: the newest single value always counts as
        // rising, so this closure refuses from step 1 on. Its lr scale
        // must reach stage 8 one step later (§7.3), and κ must not adapt
        // on a refusing step (§8.3). The analytic gradient depends on W
        // alone, so both engines take the same gradient at equal z.
        let mut refusing = engine(SSGFConfig { h_rec_window: 1, ..reference() });
        let mut plain = engine(reference());
        let (a, b) = (refusing.outer_step().unwrap(), plain.outer_step().unwrap());
        assert!(!a.refusal && !b.refusal);
        let kappa_0 = refusing.pgbo_kappa();
        assert_eq!(kappa_0, plain.pgbo_kappa());
        let (a, b) = (refusing.outer_step().unwrap(), plain.outer_step().unwrap());
        assert!(a.refusal && !b.refusal);
        assert_eq!(refusing.closure().lr_z_scale(), 0.5);
        // Step 1 still used the full rate; κ kept its step-0 value.
        let z_1 = refusing.z().to_vec_array();
        assert_eq!(z_1, plain.z().to_vec_array());
        assert_eq!(refusing.pgbo_kappa(), kappa_0);
        assert_ne!(plain.pgbo_kappa(), kappa_0);
        // Step 2 moves z by half as much.
        refusing.outer_step().unwrap();
        plain.outer_step().unwrap();
        let (half, full) = (refusing.z(), plain.z());
        for k in 0..120 {
            let (dh, df) = (z_1[k] - half[k], z_1[k] - full[k]);
            assert!(df != 0.0 && (dh - 0.5 * df).abs() <= 1e-15, "z[{k}]: {dh} vs {df}");
        }
    }

    #[test]
    fn injected_p_h1_and_theurgic_mode() {
        let mut e = engine(reference());
        e.set_tcbo_p_h1(0.85).unwrap();
        let log = e.outer_step().unwrap();
        assert!(log.tcbo_gate_open && log.tcbo_p_h1 == 0.85);
        e.set_tcbo_p_h1(0.5).unwrap();
        e.outer_step().unwrap();
        assert!(!e.audio_mapping().theurgic_mode);
        assert!(e.set_tcbo_p_h1(f64::NAN).is_err() && e.set_tcbo_p_h1(1.01).is_err());
        assert_eq!(e.tcbo_p_h1(), 0.5);
    }

    #[test]
    fn bad_construction_is_an_error() {
        let k = canonical_k();
        let new = |config: SSGFConfig, omega: &[f64], k: &[f64], len: usize| {
            let mut storage = [0.0; STORAGE];
            SSGFEngine::new(config, omega, k, &mut storage[..len]).map(drop)
        };
        let ok = SSGFConfig::default();
        assert!(new(ok, &OMEGA_N, k, STORAGE).is_ok());
        assert!(matches!(new(ok, &OMEGA_N, k, STORAGE - 1), Err(SSGFError::Storage { .. })));
        assert!(matches!(new(ok, &OMEGA_N[..15], k, STORAGE), Err(SSGFError::Length { field: "omega", .. })));
        assert!(matches!(new(ok, &OMEGA_N, &k[..255], STORAGE), Err(SSGFError::Length { field: "k", .. })));
        let mut nan = OMEGA_N;
        nan[3] = f64::NAN;
        assert!(matches!(
            new(ok, &nan, k, STORAGE),
            Err(SSGFError::NonFinite { field: "omega", index: 3, .. })
        ));
        for bad in [
            SSGFConfig { n: 0, ..ok },
            SSGFConfig { n: MAX_N + 1, ..ok },
            SSGFConfig { dt_micro: 0.0, ..ok },
            SSGFConfig { fd_eps: f64::NAN, ..ok },
            SSGFConfig { pgbo_kappa: 5.5, ..ok },
            SSGFConfig { pgbo_u_cap: 0.0, ..ok },
            SSGFConfig { plv_window: 0, ..ok },
            SSGFConfig { decoder: Decoder::Rbf { sigma: 0.0 }, ..ok },
        ] {
            assert!(matches!(new(bad, &OMEGA_N, k, STORAGE), Err(SSGFError::Param(_))), "{bad:?}");
        }
    }

    #[test]
    fn an_overflowing_step_changes_nothing() {
        // Couplings near f64::MAX: the micro-cycle's sums overflow.
        let mut e = SSGFEngine::new(reference(), &OMEGA_N, &[1e308; K_LEN], [0.0; STORAGE]).unwrap();
        let (z, theta) = (e.z().to_vec_array(), e.theta().to_vec_array());
        assert!(matches!(e.outer_step(), Err(SSGFError::NonFiniteResult { .. })));
        assert_eq!((e.z().to_vec_array(), e.theta().to_vec_array()), (z, theta));
        assert_eq!((e.step_count(), e.pgbo_kappa()), (0, 0.3));
        assert_eq!(e.closure().h_rec_history().count(), 0);
        // A failure at stage 8, after the spectrum: a huge rate makes step
        // 1's z overflow. z, θ, κ and the closure stay as step 0 left them;
        // the step fails again the same way.
        let mut e = SSGFEngine::new(
            SSGFConfig { lr_z: 1e300, ..reference() },
            &OMEGA_N,
            canonical_k(),
            [0.0; STORAGE],
        )
        .unwrap();
        e.outer_step().unwrap();
        let (z, theta, kappa) = (e.z().to_vec_array(), e.theta().to_vec_array(), e.pgbo_kappa());
        for _ in 0..2 {
            assert_eq!(e.outer_step(), Err(SSGFError::NonFiniteResult { quantity: "z" }));
            assert_eq!((e.z().to_vec_array(), e.theta().to_vec_array()), (z, theta));
            assert_eq!((e.step_count(), e.pgbo_kappa(), e.closure().h_rec_history().count()), (1, kappa, 1));
        }
    }

    /// Storage whose mutable view is shorter than the length it reports
    /// from the `as_mut` call number `short_from` on: a contrived but safe
    /// `AsMut`, which must give errors, never a panic.
    struct Shrinking {
        buf: [f64; STORAGE],
        calls: usize,
        short_from: usize,
        short_len: usize,
    }

    impl AsRef<[f64]> for Shrinking {
        fn as_ref(&self) -> &[f64] {
            &self.buf
        }
    }

    impl AsMut<[f64]> for Shrinking {
        fn as_mut(&mut self) -> &mut [f64] {
            self.calls += 1;
            let len = if self.calls >= self.short_from { self.short_len } else { STORAGE };
            &mut self.buf[..len]
        }
    }

    #[test]
    fn storage_that_shrinks_gives_errors_not_panics() {
        let k = canonical_k();
        let storage =
            |short_from, short_len| Shrinking { buf: [0.0; STORAGE], calls: 0, short_from, short_len };
        // Short at construction: Ω's region is cut (z 120 + grad 120 +
        // 5 × 16 phases, then Ω at 320).
        for short_len in [0, 100, 250, 330] {
            let e = SSGFEngine::new(reference(), &OMEGA_N, k, storage(1, short_len));
            assert!(e.is_err(), "{short_len}");
        }
        // Short from the first step on: θ is whole, its copy is cut.
        for short_len in [0, 250, 280, 330, 2000] {
            let mut e = SSGFEngine::new(reference(), &OMEGA_N, k, storage(2, short_len)).unwrap();
            assert!(e.outer_step().is_err(), "{short_len}");
            assert_eq!(e.step_count(), 0);
        }
        // Only the FD gradient's last region is cut: the analytic engine
        // never touches it.
        assert!(
            SSGFEngine::new(reference(), &OMEGA_N, k, storage(1, STORAGE - 1)).unwrap().outer_step().is_ok()
        );
    }

    /// A copy of a short slice, for comparisons without allocation.
    trait ToArray {
        fn to_vec_array(&self) -> [f64; 120];
    }

    impl ToArray for [f64] {
        fn to_vec_array(&self) -> [f64; 120] {
            let mut out = [0.0; 120];
            out.iter_mut().zip(self).for_each(|(o, &x)| *o = x);
            out
        }
    }
}
