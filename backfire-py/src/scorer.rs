//! `CoherenceScorer` and `CoherenceScore`, with Python callbacks as the NLI
//! backend and the knowledge store.

use std::ffi::CString;
use std::sync::{Arc, Mutex, RwLock};

use backfire_nostd::gate::CoherenceScore;
use backfire_std::CoherenceScorer;
use backfire_std::scorer::{Fact, HeuristicNli, InMemoryKnowledge, KnowledgeStore, NliBackend};
use pyo3::exceptions::{PyRuntimeError, PyRuntimeWarning};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::config::PyBackfireConfig;
use crate::convert::{exception_repr, is_interrupt, score_from, type_name};
use crate::errors::IntoPyResult;
use crate::gate::py_float;

/// An error to raise from inside a backend callback: the std traits return
/// plain values, so the callback parks it here and the scorer raises it
/// once the call returns.
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Option<PyErr>>>);

impl Pending {
    /// Keeps `err` (the first one) to raise once the call returns: an
    /// interrupt (``KeyboardInterrupt``, ``SystemExit``), or a warning the
    /// filters turned into an error.
    fn park(&self, err: PyErr) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(err);
        }
    }

    /// A `RuntimeWarning` saying a callback's answer was not usable.
    fn warn(&self, py: Python<'_>, message: &str) {
        let message = CString::new(message).unwrap_or_else(|_| c"callback answer not usable".to_owned());
        if let Err(err) = PyErr::warn(py, &py.get_type::<PyRuntimeWarning>(), &message, 1) {
            self.park(err);
        }
    }

    /// Raises the parked error, if any.
    fn raise(&self) -> PyResult<()> {
        match self.0.lock().ok().and_then(|mut slot| slot.take()) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

/// What an unusable NLI answer is scored as (the fallback's wording too).
const NO_EVIDENCE: &str = "scored as no evidence (0.5)";

/// A Python ``(premise, hypothesis) -> float`` as the NLI backend. Raising
/// or returning a non-number or a non-finite number gives NaN, which the
/// scorer reads as neutral, and a ``RuntimeWarning``.
struct PyNli {
    callback: Py<PyAny>,
    pending: Pending,
}

impl NliBackend for PyNli {
    fn score(&self, premise: &str, hypothesis: &str) -> f64 {
        Python::attach(|py| {
            let problem = match self.callback.bind(py).call1((premise, hypothesis)) {
                Ok(value) => match score_from(&value) {
                    Ok(x) if x.is_finite() => return x,
                    Ok(x) => format!("nli_callback returned {}; {NO_EVIDENCE}", py_float(py, x)),
                    Err(_) => {
                        format!(
                            "nli_callback returned {}, expected a number; {NO_EVIDENCE}",
                            type_name(&value)
                        )
                    }
                },
                Err(err) if is_interrupt(py, &err) => {
                    self.pending.park(err);
                    return f64::NAN;
                }
                Err(err) => format!("nli_callback raised {}; {NO_EVIDENCE}", exception_repr(py, &err)),
            };
            self.pending.warn(py, &problem);
            f64::NAN
        })
    }
}

/// A Python ``(query) -> str | list[(key, value)] | None`` as the knowledge
/// store: text is one key-less fact, pairs keep their structure.
struct PyKnowledge {
    callback: Py<PyAny>,
    pending: Pending,
}

impl PyKnowledge {
    fn call(&self, query: &str) -> Vec<Fact> {
        Python::attach(|py| match self.callback.bind(py).call1((query,)) {
            Ok(value) => facts_from(&value),
            Err(err) if is_interrupt(py, &err) => {
                self.pending.park(err);
                Vec::new()
            }
            Err(err) => {
                let repr = exception_repr(py, &err);
                self.pending.warn(py, &format!("knowledge_callback raised {repr}; used as no context"));
                Vec::new()
            }
        })
    }
}

/// What a knowledge callback returned, as facts (see the fallback's
/// `facts_from_context` for the same rule in Python).
fn facts_from(value: &Bound<'_, PyAny>) -> Vec<Fact> {
    if let Ok(text) = value.cast::<PyString>() {
        return match text.to_str() {
            Ok("") | Err(_) => Vec::new(),
            Ok(text) => vec![Fact::new("", text)],
        };
    }
    let items: Vec<Bound<'_, PyAny>> = if let Ok(list) = value.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return Vec::new();
    };
    let pair = |item: &Bound<'_, PyAny>| -> Option<Fact> {
        if let Ok((key, value)) = item.extract::<(String, String)>() {
            return Some(Fact::new(key, value));
        }
        let key = item.getattr("key").ok()?.extract::<String>().ok()?;
        let value = item.getattr("value").ok()?.extract::<String>().ok()?;
        Some(Fact::new(key, value))
    };
    // One malformed item makes the whole answer "no context", as in Python.
    items.iter().map(pair).collect::<Option<Vec<_>>>().unwrap_or_default()
}

impl KnowledgeStore for PyKnowledge {
    fn retrieve_context(&self, query: &str) -> Option<String> {
        let facts = self.call(query);
        if facts.is_empty() {
            return None;
        }
        let parts: Vec<String> = facts
            .iter()
            .map(|f| if f.key.is_empty() { f.value.clone() } else { format!("{} is {}", f.key, f.value) })
            .collect();
        Some(parts.join("; "))
    }

    fn retrieve_facts(&self, query: &str) -> Vec<Fact> {
        self.call(query)
    }
}

/// Dual-divergence scorer: ``score = 1 − (w_logic·H_logical +
/// w_fact·H_factual)``, approved iff ``score >= threshold``.
///
/// ``nli_callback(premise, hypothesis) -> float`` replaces the heuristic
/// NLI; ``knowledge_callback(query)`` replaces the built-in facts and may
/// return text (one key-less fact), a list of ``(key, value)`` pairs, or
/// ``None``. Callback exceptions and non-numeric returns count as "no
/// evidence" (0.5) and emit a ``RuntimeWarning`` saying so;
/// ``KeyboardInterrupt``/``SystemExit`` propagate.
#[pyclass(name = "CoherenceScorer", module = "backfire_kernel", frozen)]
pub struct PyCoherenceScorer {
    inner: RwLock<CoherenceScorer>,
    config: Py<PyBackfireConfig>,
    pending: Pending,
    use_nli: bool,
}

impl PyCoherenceScorer {
    /// Runs `f` on the scorer (shared), then raises a parked interrupt.
    fn with<T>(&self, f: impl FnOnce(&CoherenceScorer) -> T) -> PyResult<T> {
        let guard = self.inner.read().map_err(|_| PyRuntimeError::new_err("scorer lock poisoned"))?;
        let out = f(&guard);
        drop(guard);
        self.pending.raise()?;
        Ok(out)
    }

    /// Changes the limits; refused while a review runs on this scorer (a
    /// callback changing the threshold mid-review).
    fn set(&self, f: impl FnOnce(&mut CoherenceScorer) -> backfire_std::BackfireResult<()>) -> PyResult<()> {
        let mut guard = self.inner.try_write().map_err(|_| {
            PyRuntimeError::new_err(
                "cannot change the scorer's limits while it is reviewing (called from a callback?)",
            )
        })?;
        f(&mut guard).into_py()
    }
}

#[pymethods]
impl PyCoherenceScorer {
    #[new]
    #[pyo3(signature = (config = None, nli_callback = None, knowledge_callback = None))]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        nli_callback: Option<Bound<'_, PyAny>>,
        knowledge_callback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let (config, valid) =
            PyBackfireConfig::validated(PyBackfireConfig::from_arg(config)?.unwrap_or_default())?;
        let pending = Pending::default();
        let callable = |name: &str, cb: Option<Bound<'_, PyAny>>| -> PyResult<Option<Py<PyAny>>> {
            match cb {
                Some(cb) if !cb.is_none() => {
                    crate::convert::require_callable(name, &cb)?;
                    Ok(Some(cb.unbind()))
                }
                _ => Ok(None),
            }
        };
        let nli_callback = callable("nli_callback", nli_callback)?;
        let use_nli = nli_callback.is_some();
        let nli: Box<dyn NliBackend> = match nli_callback {
            Some(callback) => Box::new(PyNli { callback, pending: pending.clone() }),
            None => Box::new(HeuristicNli),
        };
        let knowledge: Box<dyn KnowledgeStore> = match callable("knowledge_callback", knowledge_callback)? {
            Some(callback) => Box::new(PyKnowledge { callback, pending: pending.clone() }),
            None => Box::new(InMemoryKnowledge::default()),
        };
        Ok(PyCoherenceScorer {
            inner: RwLock::new(CoherenceScorer::new(&valid, nli, knowledge)),
            config: Py::new(py, config)?,
            pending,
            use_nli,
        })
    }

    /// Score a response: ``(approved, CoherenceScore)``. Approved responses
    /// enter the bounded history.
    fn review(&self, prompt: &str, action: &str) -> PyResult<(bool, PyCoherenceScore)> {
        let (approved, score) = self.with(|s| s.review(prompt, action))?;
        Ok((approved, PyCoherenceScore { inner: score }))
    }

    /// ``w_logic·H_logical + w_fact·H_factual``.
    fn compute_divergence(&self, prompt: &str, action: &str) -> PyResult<f64> {
        self.with(|s| s.compute_divergence(prompt, action))
    }

    /// NLI divergence of the output from the prompt, in [0, 1].
    fn calculate_logical_divergence(&self, prompt: &str, text_output: &str) -> PyResult<f64> {
        self.with(|s| s.calculate_logical_divergence(prompt, text_output))
    }

    /// Divergence of the output from the facts retrieved for the prompt.
    fn calculate_factual_divergence(&self, prompt: &str, text_output: &str) -> PyResult<f64> {
        self.with(|s| s.calculate_factual_divergence(prompt, text_output))
    }

    /// Approval threshold (validated on assignment: in [0, 1] and between
    /// the hard limit and the soft limit).
    #[getter]
    fn threshold(&self) -> PyResult<f64> {
        self.with(CoherenceScorer::threshold)
    }

    #[setter]
    fn set_threshold(&self, value: f64) -> PyResult<()> {
        self.set(|s| s.set_threshold(value))
    }

    /// Warning limit for approved scores (validated on assignment).
    #[getter]
    fn soft_limit(&self) -> PyResult<f64> {
        self.with(CoherenceScorer::soft_limit)
    }

    #[setter]
    fn set_soft_limit(&self, value: f64) -> PyResult<()> {
        self.set(|s| s.set_soft_limit(value))
    }

    /// ``True`` when an NLI callback replaces the heuristic.
    #[getter]
    fn use_nli(&self) -> bool {
        self.use_nli
    }

    /// Number of approved actions remembered (at most ``history_window``).
    #[getter]
    fn history_len(&self) -> PyResult<usize> {
        self.with(CoherenceScorer::history_len)
    }

    /// The remembered approved actions, oldest first.
    #[getter]
    fn history(&self) -> PyResult<Vec<String>> {
        self.with(CoherenceScorer::history)
    }

    /// The configuration the scorer was built with.
    #[getter]
    fn config(&self, py: Python<'_>) -> Py<PyBackfireConfig> {
        self.config.clone_ref(py)
    }
}

/// The scorer's verdict on one (prompt, response) pair.
#[pyclass(name = "CoherenceScore", module = "backfire_kernel", frozen)]
pub struct PyCoherenceScore {
    inner: CoherenceScore<f64>,
}

#[pymethods]
impl PyCoherenceScore {
    /// Combined coherence in [0, 1].
    #[getter]
    fn score(&self) -> f64 {
        self.inner.score
    }
    /// ``score >= threshold``.
    #[getter]
    fn approved(&self) -> bool {
        self.inner.approved
    }
    /// Logical divergence in [0, 1].
    #[getter]
    fn h_logical(&self) -> f64 {
        self.inner.h_logical
    }
    /// Factual divergence in [0, 1].
    #[getter]
    fn h_factual(&self) -> f64 {
        self.inner.h_factual
    }
    /// Approved, but below the soft limit.
    #[getter]
    fn warning(&self) -> bool {
        self.inner.warning
    }
    /// Always ``None`` (no evidence objects in this implementation).
    #[getter]
    fn evidence(&self) -> Option<()> {
        None
    }

    /// ``score``, ``approved``, ``h_logical``, ``h_factual``, ``warning``.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("score", self.inner.score)?;
        d.set_item("approved", self.inner.approved)?;
        d.set_item("h_logical", self.inner.h_logical)?;
        d.set_item("h_factual", self.inner.h_factual)?;
        d.set_item("warning", self.inner.warning)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let b = |x: bool| if x { "True" } else { "False" };
        format!(
            "CoherenceScore(score={}, approved={}, h_logical={}, h_factual={}, warning={}, evidence=None)",
            py_float(py, self.inner.score),
            b(self.inner.approved),
            py_float(py, self.inner.h_logical),
            py_float(py, self.inner.h_factual),
            b(self.inner.warning),
        )
    }
}
