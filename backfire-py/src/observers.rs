//! `TCBOObserver`, `TCBOController`, `PGBOEngine`: the reference's Python
//! API (spec/30 §5) plus validation, state inspection and the choice of
//! H1 estimator and embedding.

use backfire_std::observers::{
    ControlLaw, PGBOEngine, PGBOParams, PhaseEmbedding, TCBOController, TCBOControllerParams, TCBOObserver,
    TCBOParams, TcboMethod,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{choice, floats};
use crate::errors::IntoPyResult;
use crate::gate::py_float;

/// Topological boundary observer: delay-embeds a window of phase vectors
/// and maps the H1 lifetime of the point cloud to ``p_h1`` in [0, 1].
///
/// ``method="surrogate"`` (default) is the reference's radial-dispersion
/// statistic; ``method="rips"`` computes the longest H1 bar of the
/// Vietoris–Rips filtration (real persistent homology) of at most
/// ``subsample_max`` points (the window thinned evenly), which must then
/// be at most 2048 (else ``ValueError``). ``embedding=
/// "angular"`` (default) treats each phase as ``(cos θ, sin θ)``;
/// ``"linear"`` reproduces the reference's Euclidean treatment.
#[pyclass(name = "TCBOObserver", module = "backfire_kernel")]
pub struct PyTCBOObserver {
    inner: TCBOObserver,
}

#[pymethods]
impl PyTCBOObserver {
    #[new]
    #[pyo3(signature = (
        n = 16, tau_h1 = 0.72, beta = 8.0, window_size = 50, *, method = "surrogate", embedding = "angular",
        embed_dim = 3, tau_delay = 1, s0 = 0.0, persistence_threshold = 0.05, subsample_max = 500,
        compute_every_n = 1
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        n: usize,
        tau_h1: f64,
        beta: f64,
        window_size: usize,
        method: &str,
        embedding: &str,
        embed_dim: usize,
        tau_delay: usize,
        s0: f64,
        persistence_threshold: f64,
        subsample_max: usize,
        compute_every_n: u64,
    ) -> PyResult<Self> {
        let method =
            choice("method", method, &[("surrogate", TcboMethod::Surrogate), ("rips", TcboMethod::Rips)])?;
        let embedding = choice(
            "embedding",
            embedding,
            &[("angular", PhaseEmbedding::Angular), ("linear", PhaseEmbedding::Linear)],
        )?;
        let params = TCBOParams {
            embed_dim,
            tau_delay,
            window_size,
            tau_h1,
            beta,
            s0,
            persistence_threshold,
            subsample_max,
            compute_every_n,
            embedding,
        };
        Ok(PyTCBOObserver { inner: TCBOObserver::with_params(n, &params, method).into_py()? })
    }

    /// Buffer one phase vector (exactly ``n`` finite values).
    fn push(&mut self, theta: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.push(&floats(theta, "theta")?).into_py()
    }

    /// Compute ``p_h1`` from the buffered window (``force=False`` honours
    /// ``compute_every_n``); the cached value until enough rows are in.
    #[pyo3(signature = (force = true))]
    fn compute(&mut self, force: bool) -> PyResult<f64> {
        self.inner.compute(force).into_py()
    }

    /// :meth:`push` then :meth:`compute`.
    #[pyo3(signature = (theta, force = false))]
    fn push_and_compute(&mut self, theta: &Bound<'_, PyAny>, force: bool) -> PyResult<f64> {
        self.inner.push_and_compute(&floats(theta, "theta")?, force).into_py()
    }

    /// Empty the buffer and clear the outputs (the settings stay).
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// Probability of an H1 boundary, in [0, 1] (0.0 before the first computation).
    #[getter]
    fn p_h1(&self) -> f64 {
        self.inner.p_h1()
    }
    /// ``p_h1 > tau_h1``.
    #[getter]
    fn is_conscious(&self) -> bool {
        self.inner.is_conscious()
    }
    /// The H1 lifetime behind ``p_h1`` (after the noise floor).
    #[getter]
    fn s_h1(&self) -> f64 {
        self.inner.s_h1()
    }
    /// ``max(tau_h1 − p_h1, 0)``.
    #[getter]
    fn h1_error(&self) -> f64 {
        self.inner.h1_error()
    }
    /// Rows currently buffered.
    #[getter]
    fn buffer_size(&self) -> usize {
        self.inner.buffer_size()
    }
    /// ``"surrogate"`` or ``"rips"``.
    #[getter]
    fn method(&self) -> &'static str {
        match self.inner.method() {
            TcboMethod::Surrogate => "surrogate",
            TcboMethod::Rips => "rips",
        }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "TCBOObserver(n={}, method='{}', p_h1={}, is_conscious={})",
            self.inner.n(),
            self.method(),
            py_float(py, self.inner.p_h1()),
            if self.inner.is_conscious() { "True" } else { "False" }
        )
    }
}

/// PI controller raising the gap-junction coupling ``kappa`` while
/// ``p_h1`` falls short of ``tau_h1``. ``law="anti_windup"`` (default) lets
/// ``kappa`` come back down once the target is met; ``law="reference"``
/// reproduces the reference's ratchet.
#[pyclass(name = "TCBOController", module = "backfire_kernel")]
pub struct PyTCBOController {
    inner: TCBOController,
}

#[pymethods]
impl PyTCBOController {
    #[new]
    #[pyo3(signature = (
        tau_h1 = 0.72, kp = 0.8, ki = 0.2, kappa_max = 5.0, *, kappa_min = 0.0, integral_min = -5.0,
        integral_max = 5.0, law = "anti_windup"
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        tau_h1: f64,
        kp: f64,
        ki: f64,
        kappa_max: f64,
        kappa_min: f64,
        integral_min: f64,
        integral_max: f64,
        law: &str,
    ) -> PyResult<Self> {
        let law = choice(
            "law",
            law,
            &[("anti_windup", ControlLaw::AntiWindup), ("reference", ControlLaw::Reference)],
        )?;
        let params =
            TCBOControllerParams { tau_h1, kp, ki, integral_min, integral_max, kappa_min, kappa_max, law };
        Ok(PyTCBOController { inner: TCBOController::with_params(&params).into_py()? })
    }

    /// One control step: the new ``kappa`` in ``[kappa_min, kappa_max]``.
    fn step(&mut self, p_h1: f64, current_kappa: f64, dt: f64) -> PyResult<f64> {
        self.inner.step(p_h1, current_kappa, dt).into_py()
    }

    /// The deficit ``max(tau_h1 − p_h1, 0)``.
    fn compute_error(&self, p_h1: f64) -> PyResult<f64> {
        self.inner.compute_error(p_h1).into_py()
    }

    /// ``p_h1 > tau_h1`` for the given value, or for the last one stepped
    /// (0.0 if none).
    #[pyo3(signature = (p_h1 = None))]
    fn is_gate_open(&self, p_h1: Option<f64>) -> bool {
        self.inner.is_gate_open(p_h1)
    }

    /// Zero the integral and forget the last ``p_h1``.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// The integral term.
    #[getter]
    fn integral(&self) -> f64 {
        self.inner.integral()
    }
    /// The deficit of the last step.
    #[getter]
    fn last_error(&self) -> f64 {
        self.inner.last_error()
    }
    /// The target (and gate threshold).
    #[getter]
    fn tau_h1(&self) -> f64 {
        self.inner.config().tau_h1()
    }
    /// Proportional gain.
    #[getter]
    fn kp(&self) -> f64 {
        self.inner.config().kp()
    }
    /// Integral gain.
    #[getter]
    fn ki(&self) -> f64 {
        self.inner.config().ki()
    }
    /// Lower bound of ``kappa``.
    #[getter]
    fn kappa_min(&self) -> f64 {
        self.inner.config().kappa_bounds().0
    }
    /// Upper bound of ``kappa``.
    #[getter]
    fn kappa_max(&self) -> f64 {
        self.inner.config().kappa_bounds().1
    }
    /// ``"anti_windup"`` or ``"reference"``.
    #[getter]
    fn law(&self) -> &'static str {
        match self.inner.law() {
            ControlLaw::AntiWindup => "anti_windup",
            ControlLaw::Reference => "reference",
        }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let config = self.inner.config();
        let (kappa_min, kappa_max) = config.kappa_bounds();
        format!(
            "TCBOController(tau_h1={}, kp={}, ki={}, kappa_min={}, kappa_max={}, law='{}', integral={})",
            py_float(py, config.tau_h1()),
            py_float(py, config.kp()),
            py_float(py, config.ki()),
            py_float(py, kappa_min),
            py_float(py, kappa_max),
            self.law(),
            py_float(py, self.inner.integral()),
        )
    }
}

/// Phase→geometry bridge: phase velocity minus a boundary potential,
/// soft-saturated, as a rank-1 tensor ``h = kappa·u uᵀ`` (optionally
/// traceless).
#[pyclass(name = "PGBOEngine", module = "backfire_kernel")]
pub struct PyPGBOEngine {
    inner: PGBOEngine,
}

#[pymethods]
impl PyPGBOEngine {
    #[new]
    #[pyo3(signature = (n = 16, alpha = 0.5, kappa = 0.3, u_cap = 10.0, traceless = false))]
    fn new(n: usize, alpha: f64, kappa: f64, u_cap: f64, traceless: bool) -> PyResult<Self> {
        let params = PGBOParams { alpha, kappa, u_cap, traceless };
        Ok(PyPGBOEngine { inner: PGBOEngine::with_params(n, &params).into_py()? })
    }

    /// One update from ``theta`` (``n`` finite phases) taken ``dt`` (> 0)
    /// after the previous call. Returns ``u_mu``, ``h_munu`` (flat,
    /// row-major), ``u_norm``, ``h_trace``, ``h_frob``.
    fn compute<'py>(
        &mut self,
        py: Python<'py>,
        theta: &Bound<'py, PyAny>,
        dt: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let theta = floats(theta, "theta")?;
        let out = self.inner.compute(&theta, dt).into_py()?;
        let d = PyDict::new(py);
        d.set_item("u_mu", out.u_mu)?;
        d.set_item("h_munu", out.h_munu)?;
        d.set_item("u_norm", out.u_norm)?;
        d.set_item("h_trace", out.h_trace)?;
        d.set_item("h_frob", out.h_frob)?;
        Ok(d)
    }

    /// Replace the boundary potential ``A`` (``n`` finite values).
    fn set_boundary_potential(&mut self, a_mu: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set_boundary_potential(&floats(a_mu, "a_mu")?).into_py()
    }

    /// Zero ``u``, ``h``, ``A`` and the norms; the next call is a first call.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// ``|u|`` after saturation.
    #[getter]
    fn u_norm(&self) -> f64 {
        self.inner.u_norm()
    }
    /// Trace of ``h``.
    #[getter]
    fn h_trace(&self) -> f64 {
        self.inner.h_trace()
    }
    /// Frobenius norm of ``h``.
    #[getter]
    fn h_frob(&self) -> f64 {
        self.inner.h_frob()
    }
    /// The last ``u`` (a copy).
    #[getter]
    fn u_mu(&self) -> Vec<f64> {
        self.inner.u_mu().to_vec()
    }
    /// The last ``h``, flat row-major (a copy).
    #[getter]
    fn h_munu(&self) -> Vec<f64> {
        self.inner.h_munu().to_vec()
    }
    /// Dimension.
    #[getter]
    fn n(&self) -> usize {
        self.inner.n()
    }
    /// Boundary-potential weight.
    #[getter]
    fn alpha(&self) -> f64 {
        self.inner.config().alpha()
    }
    /// Tensor gain.
    #[getter]
    fn kappa(&self) -> f64 {
        self.inner.config().kappa()
    }
    /// Saturation scale of ``u``.
    #[getter]
    fn u_cap(&self) -> f64 {
        self.inner.config().u_cap()
    }
    /// Whether ``h`` is made traceless.
    #[getter]
    fn traceless(&self) -> bool {
        self.inner.config().traceless()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let config = self.inner.config();
        format!(
            "PGBOEngine(n={}, alpha={}, kappa={}, u_cap={}, traceless={}, u_norm={})",
            self.inner.n(),
            py_float(py, config.alpha()),
            py_float(py, config.kappa()),
            py_float(py, config.u_cap()),
            if config.traceless() { "True" } else { "False" },
            py_float(py, self.inner.u_norm()),
        )
    }
}
