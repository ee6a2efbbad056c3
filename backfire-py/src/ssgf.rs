//! `SSGFEngine`: the reference's Python API (spec/40 §9) plus the
//! configuration it could not set and read access to the state.

use backfire_std::ssgf::{
    AudioMapping, C9Gradient, CostWeights, Costs, Decoder, GradientMethod, SSGFConfig, SSGFEngine,
    SSGFStepLog,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{choice, floats};
use crate::errors::IntoPyResult;

/// The step dict: the reference's 15 keys, in its order.
fn log_dict<'py>(py: Python<'py>, log: &SSGFStepLog) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("step", log.step)?;
    d.set_item("r_global", log.r_global)?;
    d.set_item("fiedler_value", log.fiedler_value)?;
    d.set_item("spectral_gap", log.spectral_gap)?;
    d.set_item("h_rec", log.h_rec)?;
    d.set_item("gate_open", log.gate_open)?;
    d.set_item("refusal", log.refusal)?;
    d.set_item("w_valid", log.w_valid)?;
    d.set_item("eigval_ordered", log.eigval_ordered)?;
    d.set_item("u_total", log.costs.u_total)?;
    d.set_item("c_micro", log.costs.c_micro)?;
    d.set_item("pgbo_u_norm", log.pgbo_u_norm)?;
    d.set_item("pgbo_h_frob", log.pgbo_h_frob)?;
    d.set_item("tcbo_p_h1", log.tcbo_p_h1)?;
    d.set_item("tcbo_gate_open", log.tcbo_gate_open)?;
    Ok(d)
}

/// Every cost term of a step (the reference exports only two of them).
fn costs_dict<'py>(py: Python<'py>, c: &Costs) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("c_micro", c.c_micro)?;
    d.set_item("c7_symbolic", c.c7_symbolic)?;
    d.set_item("c8_phase", c.c8_phase)?;
    d.set_item("c9_memory", c.c9_memory)?;
    d.set_item("c10_boundary", c.c10_boundary)?;
    d.set_item("r_graph", c.r_graph)?;
    d.set_item("c4_tcbo", c.c4_tcbo)?;
    d.set_item("c_pgbo", c.c_pgbo)?;
    d.set_item("u_total", c.u_total)?;
    Ok(d)
}

/// The audio dict: the reference's 17 keys, in its order.
fn audio_dict<'py>(py: Python<'py>, a: &AudioMapping) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("r_global", a.r_global)?;
    d.set_item("entrainment_intensity", a.entrainment_intensity)?;
    d.set_item("beat_hz", a.beat_hz)?;
    d.set_item("pulse_hz", a.pulse_hz)?;
    d.set_item("spatial_angle_deg", a.spatial_angle_deg)?;
    d.set_item("brainwave_band", a.brainwave_band.as_str())?;
    d.set_item("fiedler_stability", a.fiedler_stability)?;
    d.set_item("spectral_gap", a.spectral_gap)?;
    d.set_item("geometry_density", a.geometry_density)?;
    d.set_item("l16_gate_open", a.l16_gate_open)?;
    d.set_item("l16_refusal", a.l16_refusal)?;
    d.set_item("tcbo_p_h1", a.tcbo_p_h1)?;
    d.set_item("tcbo_gate_open", a.tcbo_gate_open)?;
    d.set_item("pgbo_u_norm", a.pgbo_u_norm)?;
    d.set_item("pgbo_h_frob", a.pgbo_h_frob)?;
    d.set_item("theurgic_mode", a.theurgic_mode)?;
    d.set_item("healing_acceleration", a.healing_acceleration)?;
    Ok(d)
}

/// Cost weights from a dict of the weights to change (keys: ``micro``,
/// ``c7``, ``c8``, ``c9``, ``c10``, ``reg``, ``c4_tcbo``, ``pgbo``).
fn cost_weights(dict: Option<&Bound<'_, PyDict>>) -> PyResult<CostWeights> {
    let mut w = CostWeights::default();
    for (key, value) in dict.into_iter().flat_map(|d| d.iter()) {
        let key: String = key.extract()?;
        let slot = match key.as_str() {
            "micro" => &mut w.micro,
            "c7" => &mut w.c7,
            "c8" => &mut w.c8,
            "c9" => &mut w.c9,
            "c10" => &mut w.c10,
            "reg" => &mut w.reg,
            "c4_tcbo" => &mut w.c4_tcbo,
            "pgbo" => &mut w.pgbo,
            _ => return Err(PyValueError::new_err(format!("cost_weights has no weight {key:?}"))),
        };
        *slot = value.extract()?;
    }
    Ok(w)
}

/// SSGF geometry engine: a latent graph ``W`` over ``n`` phase oscillators,
/// learned by gradient descent on eight geometric and dynamical costs, with
/// PGBO coupling and the L16 closure (spec/40).
///
/// ``omega`` (``n`` values) and ``k`` (``n*n`` values, row-major) default to
/// the canonical 16-layer tables, so with ``n != 16`` both must be given.
/// Keyword-only arguments set what the reference's constructor cannot.
#[pyclass(name = "SSGFEngine", module = "backfire_kernel")]
pub struct PySSGFEngine {
    inner: SSGFEngine,
    last_costs: Option<Costs>,
}

#[pymethods]
impl PySSGFEngine {
    #[new]
    #[pyo3(signature = (
        omega = None, k = None, n = 16, lr_z = 0.01, n_micro = 10, noise_amp = 0.02, pgbo_enabled = true, seed = 42,
        *, decoder = "gram_softplus", rbf_sigma = 1.0, gradient_method = "analytic", c9_gradient = "exact",
        eigen_warm_start = true, scramble_seed = false,
        dt_micro = 0.001, dt_outer = 0.01, sigma_g = 0.1, field_pressure = 0.05, fd_eps = 1e-5,
        cost_weights = None, plv_threshold = 0.6, plv_window = 10, h_rec_window = 5, pgbo_alpha = 0.5,
        pgbo_kappa = 0.3, pgbo_weight = 0.1, pgbo_u_cap = 10.0, pgbo_traceless = false,
    ))]
    #[allow(clippy::too_many_arguments)] // the Python signature
    fn new(
        omega: Option<&Bound<'_, PyAny>>,
        k: Option<&Bound<'_, PyAny>>,
        n: usize,
        lr_z: f64,
        n_micro: usize,
        noise_amp: f64,
        pgbo_enabled: bool,
        seed: u64,
        decoder: &str,
        rbf_sigma: f64,
        gradient_method: &str,
        c9_gradient: &str,
        eigen_warm_start: bool,
        scramble_seed: bool,
        dt_micro: f64,
        dt_outer: f64,
        sigma_g: f64,
        field_pressure: f64,
        fd_eps: f64,
        cost_weights: Option<&Bound<'_, PyDict>>,
        plv_threshold: f64,
        plv_window: usize,
        h_rec_window: usize,
        pgbo_alpha: f64,
        pgbo_kappa: f64,
        pgbo_weight: f64,
        pgbo_u_cap: f64,
        pgbo_traceless: bool,
    ) -> PyResult<Self> {
        let decoder = match choice("decoder", decoder, &[("gram_softplus", false), ("rbf", true)])? {
            true => Decoder::Rbf { sigma: rbf_sigma },
            false => Decoder::GramSoftplus,
        };
        let config = SSGFConfig {
            n,
            decoder,
            n_micro,
            dt_micro,
            dt_outer,
            lr_z,
            sigma_g,
            noise_amp,
            field_pressure,
            cost_weights: self::cost_weights(cost_weights)?,
            plv_threshold,
            plv_window,
            h_rec_window,
            fd_eps,
            gradient_method: choice(
                "gradient_method",
                gradient_method,
                &[
                    ("analytic", GradientMethod::Analytic),
                    ("finite_difference", GradientMethod::FiniteDifference),
                ],
            )?,
            c9_gradient: choice(
                "c9_gradient",
                c9_gradient,
                &[("exact", C9Gradient::Exact), ("reference", C9Gradient::Reference)],
            )?,
            eigen_warm_start,
            seed,
            scramble_seed,
            pgbo_enabled,
            pgbo_alpha,
            pgbo_kappa,
            pgbo_weight,
            pgbo_u_cap,
            pgbo_traceless,
        };
        let omega = omega.map(|o| floats(o, "omega")).transpose()?;
        let k = k.map(|k| floats(k, "k")).transpose()?;
        let inner = SSGFEngine::new(config, omega.as_deref(), k.as_deref()).into_py()?;
        Ok(PySSGFEngine { inner, last_costs: None })
    }

    /// ``n_outer`` outer steps (without the GIL); one dict per step. If a
    /// step fails, the steps before it stay done and ``last_costs()`` is
    /// that of the last of them.
    fn run<'py>(&mut self, py: Python<'py>, n_outer: usize) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let inner = &mut self.inner;
        let (logs, result) = py.detach(|| {
            let mut logs = Vec::new();
            for _ in 0..n_outer {
                match inner.outer_step() {
                    Ok(log) => logs.push(log),
                    Err(e) => return (logs, Err(e)),
                }
            }
            (logs, Ok(()))
        });
        if let Some(last) = logs.last() {
            self.last_costs = Some(last.costs);
        }
        result.into_py()?;
        logs.iter().map(|log| log_dict(py, log)).collect()
    }

    /// One outer step; its dict.
    fn outer_step<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let log = self.inner.outer_step().into_py()?;
        self.last_costs = Some(log.costs);
        log_dict(py, &log)
    }

    /// Every cost term of the last step (``None`` before the first).
    fn last_costs<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.last_costs.as_ref().map(|c| costs_dict(py, c)).transpose()
    }

    /// The audio mapping of the current state (17 keys).
    fn audio_mapping<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        audio_dict(py, &self.inner.audio_mapping())
    }

    /// Set the injected TCBO ``p_h1`` (in [0, 1]; it persists).
    fn set_tcbo_p_h1(&mut self, p_h1: f64) -> PyResult<()> {
        self.inner.set_tcbo_p_h1(p_h1).into_py()
    }

    /// R of the current phases.
    fn r_global(&self) -> f64 {
        self.inner.r_global()
    }

    /// Outer steps done.
    fn step_count(&self) -> u64 {
        self.inner.step_count()
    }

    /// The latent vector ``z``.
    fn z(&self) -> Vec<f64> {
        self.inner.z().to_vec()
    }

    /// The phases θ.
    fn theta(&self) -> Vec<f64> {
        self.inner.theta().to_vec()
    }

    /// The weights ``W`` of the last decode (``n*n``, row-major).
    fn w(&self) -> Vec<f64> {
        self.inner.w().to_vec()
    }

    /// Jacobi sweeps of the last eigen-call (warm-started calls need
    /// about 3, cold ones 7–8; at most 50).
    fn jacobi_sweeps(&self) -> usize {
        self.inner.jacobi_outcome().sweeps
    }

    /// Whether the last eigen-call converged (every off-diagonal entry
    /// below 1e-14); the reference returned unconverged results silently.
    fn eigen_converged(&self) -> bool {
        self.inner.jacobi_outcome().converged
    }

    /// Eigenvalues of the last eigen-call, ascending.
    fn eigenvalues(&self) -> Vec<f64> {
        self.inner.eigenvalues().to_vec()
    }

    /// Eigenvectors of the last eigen-call: the columns of an ``n*n``
    /// row-major matrix.
    fn eigenvectors(&self) -> Vec<f64> {
        self.inner.eigenvectors().to_vec()
    }

    /// The current PGBO gain κ.
    #[getter]
    fn pgbo_kappa(&self) -> f64 {
        self.inner.pgbo_kappa()
    }

    /// Number of oscillators.
    #[getter]
    fn n(&self) -> usize {
        self.inner.config().n
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        format!("SSGFEngine(n={}, seed={}, step_count={})", c.n, c.seed, self.inner.step_count())
    }
}
