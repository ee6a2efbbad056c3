//! `BackfireConfig`: the std configuration with Python keywords,
//! attributes, JSON/TOML and a `repr`.

use backfire_std::BackfireConfig as Config;
use backfire_std::ValidConfig;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::IntArg;
use crate::errors::IntoPyResult;

/// Soft limit used when the caller gives none: the default 0.7, lifted to
/// the threshold so that raising the threshold alone stays consistent
/// (`coherence_threshold <= soft_limit`).
pub fn derived_soft_limit(threshold: f64) -> f64 {
    let default = Config::default().soft_limit;
    if threshold > default { threshold } else { default }
}

/// Gate configuration: thresholds, window sizes and weights.
///
/// Every field is a keyword argument (positional in this order) and a
/// read-only attribute. Values are validated on construction; a bad value
/// raises ``ValueError`` naming the field and the value. ``soft_limit``
/// defaults to ``max(0.7, coherence_threshold)``.
#[pyclass(name = "BackfireConfig", module = "backfire_kernel", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyBackfireConfig {
    pub(crate) inner: Config,
}

impl PyBackfireConfig {
    /// A `config=` argument: a `BackfireConfig`, or `None` (absent).
    pub fn from_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Config>> {
        match obj {
            Some(obj) if !obj.is_none() => match obj.cast::<PyBackfireConfig>() {
                Ok(config) => Ok(Some(config.get().inner.clone())),
                Err(_) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "config must be a BackfireConfig, got {}",
                    crate::convert::type_name(obj)
                ))),
            },
            _ => Ok(None),
        }
    }

    /// Validates and wraps a std config.
    pub fn new_checked(inner: Config) -> PyResult<Self> {
        Self::validated(inner).map(|(config, _)| config)
    }

    /// Validates a std config once: the Python object and the validated
    /// form kernels and scorers are built from.
    pub fn validated(inner: Config) -> PyResult<(Self, ValidConfig)> {
        let valid = inner.validate().into_py()?;
        Ok((PyBackfireConfig { inner }, valid))
    }
}

#[pymethods]
impl PyBackfireConfig {
    #[new]
    #[pyo3(signature = (
        coherence_threshold = 0.6, hard_limit = 0.5, soft_limit = None, w_logic = 0.6, w_fact = 0.4,
        window_size = IntArg::new(10), window_threshold = 0.55, trend_window = IntArg::new(5), trend_threshold = 0.15,
        history_window = IntArg::new(5), deadline_ms = IntArg::new(50), logit_entropy_limit = 1.2
    ))]
    // The integer defaults are `IntArg`s: spell the signature out.
    #[pyo3(
        text_signature = "(coherence_threshold=0.6, hard_limit=0.5, soft_limit=None, w_logic=0.6, w_fact=0.4, window_size=10, window_threshold=0.55, trend_window=5, trend_threshold=0.15, history_window=5, deadline_ms=50, logit_entropy_limit=1.2)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        coherence_threshold: f64,
        hard_limit: f64,
        soft_limit: Option<f64>,
        w_logic: f64,
        w_fact: f64,
        window_size: IntArg,
        window_threshold: f64,
        trend_window: IntArg,
        trend_threshold: f64,
        history_window: IntArg,
        deadline_ms: IntArg,
        logit_entropy_limit: f64,
    ) -> PyResult<Self> {
        Self::new_checked(Config {
            coherence_threshold,
            hard_limit,
            soft_limit: soft_limit.unwrap_or_else(|| derived_soft_limit(coherence_threshold)),
            w_logic,
            w_fact,
            window_size: window_size.count("window_size", ">= 1")?,
            window_threshold,
            trend_window: trend_window.count("trend_window", ">= 2")?,
            trend_threshold,
            history_window: history_window.count("history_window", ">= 0")?,
            deadline_ms: deadline_ms.count("deadline_ms", "> 0")? as u64,
            logit_entropy_limit,
        })
    }

    /// Approve iff score >= this.
    #[getter]
    fn coherence_threshold(&self) -> f64 {
        self.inner.coherence_threshold
    }
    /// A token scoring strictly below this halts the stream.
    #[getter]
    fn hard_limit(&self) -> f64 {
        self.inner.hard_limit
    }
    /// Approved scores below this carry a warning.
    #[getter]
    fn soft_limit(&self) -> f64 {
        self.inner.soft_limit
    }
    /// Weight of the logical divergence.
    #[getter]
    fn w_logic(&self) -> f64 {
        self.inner.w_logic
    }
    /// Weight of the factual divergence.
    #[getter]
    fn w_fact(&self) -> f64 {
        self.inner.w_fact
    }
    /// Sliding-window length in tokens.
    #[getter]
    fn window_size(&self) -> usize {
        self.inner.window_size
    }
    /// Halt when the full window's mean is strictly below this.
    #[getter]
    fn window_threshold(&self) -> f64 {
        self.inner.window_threshold
    }
    /// Number of most recent scores spanned by the trend check.
    #[getter]
    fn trend_window(&self) -> usize {
        self.inner.trend_window
    }
    /// Halt when the score falls by more than this across the trend window.
    #[getter]
    fn trend_threshold(&self) -> f64 {
        self.inner.trend_threshold
    }
    /// Capacity of the scorer's history of approved actions.
    #[getter]
    fn history_window(&self) -> usize {
        self.inner.history_window
    }
    /// Scoring deadline in milliseconds (carried, not enforced).
    #[getter]
    fn deadline_ms(&self) -> u64 {
        self.inner.deadline_ms
    }
    /// Entropy ceiling in bits per token (carried, not enforced).
    #[getter]
    fn logit_entropy_limit(&self) -> f64 {
        self.inner.logit_entropy_limit
    }

    /// Parse and validate a JSON object (missing keys take defaults,
    /// unknown keys are an error).
    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        Ok(PyBackfireConfig { inner: Config::from_json(json).into_py()? })
    }

    /// Parse and validate a TOML document.
    #[staticmethod]
    fn from_toml(toml: &str) -> PyResult<Self> {
        Ok(PyBackfireConfig { inner: Config::from_toml(toml).into_py()? })
    }

    /// Compact JSON with the 12 fields in order.
    fn to_json(&self) -> PyResult<String> {
        self.inner.to_json().into_py()
    }

    /// A TOML document with the 12 fields.
    fn to_toml(&self) -> PyResult<String> {
        self.inner.to_toml().into_py()
    }

    /// The 12 fields as a dict, in order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        let c = &self.inner;
        dict.set_item("coherence_threshold", c.coherence_threshold)?;
        dict.set_item("hard_limit", c.hard_limit)?;
        dict.set_item("soft_limit", c.soft_limit)?;
        dict.set_item("w_logic", c.w_logic)?;
        dict.set_item("w_fact", c.w_fact)?;
        dict.set_item("window_size", c.window_size)?;
        dict.set_item("window_threshold", c.window_threshold)?;
        dict.set_item("trend_window", c.trend_window)?;
        dict.set_item("trend_threshold", c.trend_threshold)?;
        dict.set_item("history_window", c.history_window)?;
        dict.set_item("deadline_ms", c.deadline_ms)?;
        dict.set_item("logit_entropy_limit", c.logit_entropy_limit)?;
        Ok(dict)
    }

    /// A copy with some fields changed (validated); `None` keeps a field.
    #[pyo3(signature = (**changes))]
    fn replace(&self, py: Python<'_>, changes: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let merged = self.to_dict(py)?;
        if let Some(changes) = changes {
            for (key, value) in changes.iter() {
                if !merged.contains(&key)? {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "BackfireConfig has no field {key}"
                    )));
                }
                if !value.is_none() {
                    merged.set_item(key, value)?;
                }
            }
        }
        Ok(py
            .get_type::<PyBackfireConfig>()
            .call((), Some(&merged))?
            .cast_into::<PyBackfireConfig>()?
            .get()
            .clone())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut parts = Vec::with_capacity(12);
        for (key, value) in self.to_dict(py)?.iter() {
            // Python's repr of each value, as the dataclass fallback prints it.
            parts.push(format!("{}={}", key, value.repr()?));
        }
        Ok(format!("BackfireConfig({})", parts.join(", ")))
    }

    fn __hash__(&self) -> PyResult<u64> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.to_json().into_py()?.hash(&mut h);
        Ok(h.finish())
    }
}
