//! `UPDEStepper`, `SECFunctional`, `L16Controller`: the reference's Python
//! API (spec/20 §6) plus seeds, single steps, continued time and read
//! access to the parameters.

use backfire_nostd::rng::SimpleRng;
use backfire_std::physics::{
    EigenBlocks, L16Controller, L16CostInputs, L16StepResult, SECFunctional, SECResult, SimdLevel, UPDEState,
    UPDEStepper,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::floats;
use crate::errors::IntoPyResult;

/// The state dict: ``theta``, ``dtheta_dt``, ``t``, ``r_global``,
/// ``step_count`` (the reference's keys, in its order).
fn state_dict<'py>(py: Python<'py>, s: &UPDEState) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("theta", &s.theta)?;
    d.set_item("dtheta_dt", &s.dtheta_dt)?;
    d.set_item("t", s.t)?;
    d.set_item("r_global", s.r_global)?;
    d.set_item("step_count", s.step_count)?;
    Ok(d)
}

/// A state from a phase sequence (fresh: t = 0) or a state dict (continues
/// its ``t`` and ``step_count``).
fn state_from(obj: &Bound<'_, PyAny>) -> PyResult<UPDEState> {
    let Ok(dict) = obj.cast::<PyDict>() else {
        return Ok(UPDEState::new(floats(obj, "theta")?));
    };
    let get = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        dict.get_item(key)?.ok_or_else(|| PyValueError::new_err(format!("state dict has no {key:?}")))
    };
    let mut state = UPDEState::new(floats(&get("theta")?, "theta")?);
    state.t = get("t")?.extract()?;
    state.step_count = get("step_count")?.extract()?;
    Ok(state)
}

/// Kuramoto–UPDE stepper for the 16-layer model: Euler–Maruyama with
/// coupling, field pressure and Gaussian noise.
///
/// ``seed=None`` seeds the noise from the clock (the reference's only
/// behaviour); an integer makes runs reproducible. ``omega`` (16 values) and
/// ``knm`` (16×16, or 256 row-major values) replace the canonical model.
#[pyclass(name = "UPDEStepper", module = "backfire_kernel")]
pub struct PyUPDEStepper {
    inner: UPDEStepper,
}

#[pymethods]
impl PyUPDEStepper {
    #[new]
    #[pyo3(signature = (
        dt = 0.01, field_pressure = 0.1, noise_amplitude = 0.05, seed = None, *, omega = None, knm = None,
        scramble_seed = false, skip_silent_noise = false
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        dt: f64,
        field_pressure: f64,
        noise_amplitude: f64,
        seed: Option<u64>,
        omega: Option<&Bound<'_, PyAny>>,
        knm: Option<&Bound<'_, PyAny>>,
        scramble_seed: bool,
        skip_silent_noise: bool,
    ) -> PyResult<Self> {
        let mut inner = UPDEStepper::new(dt, field_pressure, noise_amplitude, seed).into_py()?;
        if scramble_seed {
            seed_stepper(&mut inner, seed, true);
        }
        inner.set_skip_silent_noise(skip_silent_noise);
        if let Some(omega) = omega.filter(|o| !o.is_none()) {
            inner.set_omega(&floats(omega, "omega")?).into_py()?;
        }
        if let Some(knm) = knm.filter(|k| !k.is_none()) {
            inner.set_knm(&flat_matrix(knm)?).into_py()?;
        }
        Ok(PyUPDEStepper { inner })
    }

    /// A state dict for ``theta`` (any length, not checked), t = 0.
    #[staticmethod]
    fn create_state<'py>(py: Python<'py>, theta: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        state_dict(py, &UPDEState::new(floats(theta, "theta")?))
    }

    /// A state dict with 16 random phases in [0, 2π) (clock-seeded unless
    /// ``seed`` is given).
    #[staticmethod]
    #[pyo3(signature = (seed = None))]
    fn random_state(py: Python<'_>, seed: Option<u64>) -> PyResult<Bound<'_, PyDict>> {
        state_dict(py, &UPDEState::random(seed))
    }

    /// ``n_steps`` steps. ``theta`` is a phase sequence (a fresh state,
    /// t = 0, as in the reference) or a state dict (continues its ``t`` and
    /// ``step_count``). Runs without the GIL.
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        theta: &Bound<'py, PyAny>,
        n_steps: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let state = state_from(theta)?;
        let out = py.detach(|| self.inner.run(&state, n_steps)).into_py()?;
        state_dict(py, &out)
    }

    /// One step from a state dict (or a phase sequence), continuing ``t``
    /// and ``step_count``.
    fn step<'py>(&mut self, py: Python<'py>, state: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let state = state_from(state)?;
        state_dict(py, &self.inner.step(&state).into_py()?)
    }

    /// Restart the noise stream from ``seed`` (or the clock);
    /// ``scramble=True`` mixes the seed first, as ``scramble_seed=True``
    /// does in the constructor.
    #[pyo3(signature = (seed = None, *, scramble = false))]
    fn reseed(&mut self, seed: Option<u64>, scramble: bool) {
        seed_stepper(&mut self.inner, seed, scramble);
    }

    /// Natural frequencies ω (16 values, rad/s); assigning validates.
    #[getter]
    fn omega(&self) -> Vec<f64> {
        self.inner.omega().to_vec()
    }
    #[setter]
    fn set_omega(&mut self, omega: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set_omega(&floats(omega, "omega")?).into_py()
    }
    /// Coupling matrix K as 16 rows of 16; assigning takes 256 row-major
    /// values or 16 rows (finite) and validates.
    #[getter]
    fn knm(&self) -> Vec<Vec<f64>> {
        self.inner.knm().iter().map(|row| row.to_vec()).collect()
    }
    #[setter]
    fn set_knm(&mut self, knm: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set_knm(&flat_matrix(knm)?).into_py()
    }
    /// Time step (s); assigning validates (finite, > 0).
    #[getter]
    fn dt(&self) -> f64 {
        self.inner.dt()
    }
    #[setter]
    fn set_dt(&mut self, dt: f64) -> PyResult<()> {
        self.inner.set_dt(dt).into_py()
    }
    /// With ``True``, a stepper whose noise amplitude is 0 stops drawing
    /// normals (faster, but a later non-zero amplitude then sees another
    /// noise sequence than the reference's). Off by default.
    #[getter]
    fn skip_silent_noise(&self) -> bool {
        self.inner.skip_silent_noise()
    }
    #[setter]
    fn set_skip_silent_noise(&mut self, on: bool) {
        self.inner.set_skip_silent_noise(on);
    }
    /// The vector instruction set steps run in: ``"avx512"``, ``"avx2"``
    /// or ``"portable"``, the widest this CPU has by default. Results are
    /// the same bit for bit at every level; assigning a level this CPU
    /// cannot run is a ``ValueError``.
    #[getter]
    fn simd_level(&self) -> &'static str {
        self.inner.simd_level().name()
    }
    #[setter]
    fn set_simd_level(&mut self, name: &str) -> PyResult<()> {
        let level = SimdLevel::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = SimdLevel::ALL.iter().map(|l| l.name()).collect();
            PyValueError::new_err(format!("simd_level must be one of {names:?}, got {name:?}"))
        })?;
        self.inner.set_simd_level(level).into_py()
    }
    /// Field pressure F; assigning validates (finite).
    #[getter]
    fn field_pressure(&self) -> f64 {
        self.inner.field_pressure()
    }
    #[setter]
    fn set_field_pressure(&mut self, f: f64) -> PyResult<()> {
        self.inner.set_field_pressure(f).into_py()
    }
    /// Noise amplitude σ; assigning validates (finite, ≥ 0).
    #[getter]
    fn noise_amplitude(&self) -> f64 {
        self.inner.noise_amplitude()
    }
    #[setter]
    fn set_noise_amplitude(&mut self, sigma: f64) -> PyResult<()> {
        self.inner.set_noise_amplitude(sigma).into_py()
    }

    fn __repr__(&self) -> String {
        format!(
            "UPDEStepper(dt={}, field_pressure={}, noise_amplitude={})",
            self.inner.dt(),
            self.inner.field_pressure(),
            self.inner.noise_amplitude()
        )
    }
}

fn sec_dict<'py>(py: Python<'py>, r: &SECResult<f64>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("v", r.v)?;
    d.set_item("v_normalised", r.v_normalised)?;
    d.set_item("r_global", r.r_global)?;
    d.set_item("dv_dt", r.dv_dt)?;
    d.set_item("coherence_score", r.coherence_score)?;
    d.set_item("v_coupling", r.v_coupling)?;
    d.set_item("v_frequency", r.v_frequency)?;
    d.set_item("v_entropy", r.v_entropy)?;
    Ok(d)
}

/// A 16×16 matrix as 256 row-major values, from a flat sequence or 16 rows.
/// Seeds `stepper` from `seed` (the clock if `None`), passed through a
/// SplitMix64 step first if `scramble` (small seeds such as 1 otherwise give
/// tiny first uniforms, spec §9 item 2; a clock seed is already mixed).
fn seed_stepper(stepper: &mut UPDEStepper, seed: Option<u64>, scramble: bool) {
    match (seed, scramble) {
        (Some(seed), true) => stepper.core().set_rng(SimpleRng::scrambled(seed)),
        _ => stepper.reseed(seed),
    }
}

/// A matrix given as rows (a list of rows or a 2-D array) as column-major
/// values and its column count.
fn column_major(matrix: &Bound<'_, PyAny>, name: &str) -> PyResult<(Vec<f64>, usize)> {
    let not_rows = |_| PyTypeError::new_err(format!("{name} must be a matrix given as rows of numbers"));
    let rows = matrix
        .try_iter()
        .map_err(not_rows)?
        .map(|row| row.and_then(|row| floats(&row, name)).map_err(not_rows))
        .collect::<PyResult<Vec<_>>>()?;
    let cols = rows.first().map_or(0, Vec::len);
    if let Some(bad) = rows.iter().find(|r| r.len() != cols) {
        return Err(PyValueError::new_err(format!(
            "{name} rows must all have {cols} values, got one with {}",
            bad.len()
        )));
    }
    let values = (0..cols).flat_map(|c| rows.iter().filter_map(move |r| r.get(c).copied())).collect();
    Ok((values, cols))
}

fn flat_matrix(knm: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    if let Ok(rows) = knm.extract::<Vec<Vec<f64>>>()
        && rows.iter().all(|r| r.len() == rows.len())
        && !rows.is_empty()
    {
        return Ok(rows.concat());
    }
    if knm.hasattr("ndim")? && knm.getattr("ndim")?.extract::<usize>()? == 2 {
        return floats(&knm.call_method0("ravel")?, "knm_flat");
    }
    floats(knm, "knm_flat")
}

/// Lyapunov-style coherence functional (SEC) of a phase snapshot; keeps
/// the previous V to report dV/dt (see :meth:`reset`).
#[pyclass(name = "SECFunctional", module = "backfire_kernel")]
pub struct PySECFunctional {
    inner: SECFunctional,
}

#[pymethods]
impl PySECFunctional {
    #[new]
    #[pyo3(signature = (lambda_omega = 0.1, lambda_entropy = 0.01, *, unwrap_frequency = false))]
    fn new(lambda_omega: f64, lambda_entropy: f64, unwrap_frequency: bool) -> PyResult<Self> {
        let mut inner = SECFunctional::new(lambda_omega, lambda_entropy).into_py()?;
        inner.set_unwrap_frequency(unwrap_frequency);
        Ok(PySECFunctional { inner })
    }

    /// Score ``theta`` (not empty); with ``theta_prev`` (the same length,
    /// taken ``dt`` earlier) the frequency penalty is included. Returns the
    /// 8-key dict of the reference.
    #[pyo3(signature = (theta, theta_prev = None, dt = 0.01))]
    fn evaluate<'py>(
        &mut self,
        py: Python<'py>,
        theta: &Bound<'py, PyAny>,
        theta_prev: Option<&Bound<'py, PyAny>>,
        dt: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let theta = floats(theta, "theta")?;
        let prev = match theta_prev {
            Some(p) if !p.is_none() => Some(floats(p, "theta_prev")?),
            _ => None,
        };
        let result = self.inner.evaluate(&theta, prev.as_deref(), dt).into_py()?;
        sec_dict(py, &result)
    }

    /// Replace K: 256 row-major values (or 16 rows of 16), finite and ≥ 0.
    fn update_coupling(&mut self, knm_flat: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.update_coupling(&flat_matrix(knm_flat)?).into_py()
    }

    /// Mean-field critical coupling estimate from ω (96.98 canonically).
    fn critical_coupling(&self) -> f64 {
        self.inner.critical_coupling()
    }

    /// Forget the previous V (the next ``dv_dt`` is 0).
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// The normaliser ``max(2·ΣK, 1e-12)``.
    #[getter]
    fn v_max(&self) -> f64 {
        self.inner.v_max()
    }

    /// Coupling matrix K as 16 rows of 16.
    #[getter]
    fn knm(&self) -> Vec<Vec<f64>> {
        self.inner.knm().iter().map(|row| row.to_vec()).collect()
    }
}

fn l16_dict<'py>(py: Python<'py>, r: &L16StepResult<f64>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("lambda7", r.lambda7)?;
    d.set_item("lambda8", r.lambda8)?;
    d.set_item("lambda10", r.lambda10)?;
    d.set_item("nu_star", r.nu_star)?;
    d.set_item("gate_open", r.gate_open)?;
    d.set_item("refusal", r.refusal)?;
    d.set_item("h_rec", r.h_rec)?;
    d.set_item("dh_rec_dt", r.dh_rec_dt)?;
    d.set_item("lyapunov_stable", r.lyapunov_stable)?;
    d.set_item("avg_plv", r.avg_plv)?;
    d.set_item("lr_z_scale", r.lr_z_scale)?;
    d.set_item("d_theta_scale", r.d_theta_scale)?;
    d.set_item("tau_d_scale", r.tau_d_scale)?;
    Ok(d)
}

/// Director-layer (L16) supervisory controller: H_rec health, its trend
/// and refusal rule, the PLV gate, and four PI controllers.
#[pyclass(name = "L16Controller", module = "backfire_kernel")]
pub struct PyL16Controller {
    inner: L16Controller,
}

#[pymethods]
impl PyL16Controller {
    #[new]
    #[pyo3(signature = (n = 16, plv_threshold = 0.6, plv_window = 10, h_rec_window = 5, refusal_lr_factor = 0.5, refusal_d_factor = 0.5, refusal_tau_factor = 1.5))]
    fn new(
        n: usize,
        plv_threshold: f64,
        plv_window: usize,
        h_rec_window: usize,
        refusal_lr_factor: f64,
        refusal_d_factor: f64,
        refusal_tau_factor: f64,
    ) -> PyResult<Self> {
        let inner = L16Controller::new(
            n,
            plv_threshold,
            plv_window,
            h_rec_window,
            refusal_lr_factor,
            refusal_d_factor,
            refusal_tau_factor,
        )
        .into_py()?;
        Ok(PyL16Controller { inner })
    }

    /// One step (the reference's nine arguments, in its order; the costs
    /// and ``dt`` have defaults). Returns the 13-key dict. Every value must
    /// be finite and ``dt > 0`` (``ValueError`` otherwise; nothing changes).
    ///
    /// Without ``eigvecs``/``target`` H_rec takes the reference's
    /// simplified path, which reads neither ``theta`` nor ``h_frob``. With
    /// both (``rows × k`` and ``rows × m`` matrices, ``rows ≤ n``: lists of
    /// rows or 2-D arrays) it takes the full path: the squared difference
    /// of their common columns, the phase variance of ``theta`` and
    /// ``0.01·h_frob`` are added.
    #[pyo3(signature = (theta, r_global, plv, c7 = 0.0, c8 = 0.0, c10 = 0.0, p_h1 = 0.72, h_frob = 0.0, dt = 0.01, *, eigvecs = None, target = None))]
    #[allow(clippy::too_many_arguments)]
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        theta: &Bound<'py, PyAny>,
        r_global: f64,
        plv: f64,
        c7: f64,
        c8: f64,
        c10: f64,
        p_h1: f64,
        h_frob: f64,
        dt: f64,
        eigvecs: Option<&Bound<'py, PyAny>>,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let theta = floats(theta, "theta")?;
        let costs = L16CostInputs { c7_symbolic: c7, c8_phase: c8, c10_boundary: c10, p_h1, h_frob };
        let r = match (eigvecs, target) {
            (None, None) => self.inner.step_with(&theta, None, r_global, plv, &costs, dt),
            (Some(eigvecs), Some(target)) => {
                let (eigvecs, eig_cols) = column_major(eigvecs, "eigvecs")?;
                let (target, target_cols) = column_major(target, "target")?;
                let blocks = EigenBlocks { eigvecs: &eigvecs, eig_cols, target: &target, target_cols };
                self.inner.step_with(&theta, Some(&blocks), r_global, plv, &costs, dt)
            }
            _ => return Err(PyValueError::new_err("eigvecs and target must be given together")),
        }
        .into_py()?;
        l16_dict(py, &r)
    }

    /// PLV window mean strictly above the threshold (``False`` while empty).
    fn plv_gate_open(&self) -> bool {
        self.inner.plv_gate_open()
    }

    /// Back to the freshly constructed state.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// Checks that found H_rec rising (cumulative until :meth:`reset`; a
    /// rise lasting ten steps counts up to ten).
    #[getter]
    fn refusal_count(&self) -> u32 {
        self.inner.state().refusal_count
    }

    /// Refusal episodes: checks that turned the refusal on (cumulative
    /// until :meth:`reset`).
    #[getter]
    fn refusal_episodes(&self) -> u32 {
        self.inner.state().refusal_episodes
    }

    /// A snapshot of the controller state as a dict (``h_rec``,
    /// ``h_rec_history``, ``plv_buffer``, ``refusal_active``,
    /// ``refusal_count``, ``refusal_episodes``, and the three scales).
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.state();
        let d = PyDict::new(py);
        d.set_item("h_rec", s.h_rec)?;
        d.set_item("h_rec_history", s.h_rec_history)?;
        d.set_item("plv_buffer", s.plv_buffer)?;
        d.set_item("refusal_active", s.refusal_active)?;
        d.set_item("refusal_count", s.refusal_count)?;
        d.set_item("refusal_episodes", s.refusal_episodes)?;
        d.set_item("lr_z_scale", s.lr_z_scale)?;
        d.set_item("d_theta_scale", s.d_theta_scale)?;
        d.set_item("tau_d_scale", s.tau_d_scale)?;
        Ok(d)
    }
}
