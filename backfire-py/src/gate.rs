//! `SafetyKernel`, `StreamingKernel`, `StreamSession`, `TokenEvent`.
//!
//! Tokens stay Python objects: a stream takes a tuple snapshot of the
//! caller's `str`s, the std kernel runs its token loop by index
//! ([`Kernel::stream_indexed`]), and the session keeps the snapshot next to
//! the std [`StreamRecord`]. No token text is copied into Rust; `output`
//! joins the released prefix of the snapshot when asked.

use std::time::Duration;

use backfire_std::{
    BackfireConfig as Config, Gate, Kernel, SafetyKernel, ScoreFailure, StreamRecord, StreamingKernel,
    Timeouts, Timestamps, check_score_count,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::config::{PyBackfireConfig, derived_soft_limit};
use crate::convert::{IntArg, OneArgCaller, check_tokens, floats, token_items, token_snapshot};
use crate::errors::IntoPyResult;
use crate::values::{callable_float, callable_int, callable_str};

/// One stream through `kernel`, scoring each token with `callback`.
fn stream<G: Gate>(
    kernel: &Kernel<G>,
    tokens: &Bound<'_, PyAny>,
    callback: &Bound<'_, PyAny>,
    output_only: bool,
) -> PyResult<PyStreamSession> {
    let caller = OneArgCaller::new("coherence_callback", callback)?;
    let tokens = token_snapshot(tokens)?;
    let items = token_items(&tokens)?;
    let score = |i: usize| match items.get(i) {
        Some(&token) => caller.score(token),
        None => Err(ScoreFailure::Halt("internal: token index out of range".into())),
    };
    // An output string shows no times: read no clock for it.
    let record = if output_only {
        kernel.stream_indexed_untimed(items.len(), score)
    } else {
        kernel.stream_indexed(items.len(), score)
    }?;
    drop(items);
    Ok(PyStreamSession { tokens: tokens.unbind(), record })
}

/// One stream through `kernel` with precomputed scores; the gate runs
/// without the GIL.
fn stream_batch<G: Gate + Sync>(
    py: Python<'_>,
    kernel: &Kernel<G>,
    tokens: &Bound<'_, PyAny>,
    scores: &Bound<'_, PyAny>,
) -> PyResult<PyStreamSession> {
    let tokens = token_snapshot(tokens)?;
    check_tokens(&tokens)?;
    let values = floats(scores, "scores")?;
    check_score_count(tokens.len(), values.len()).into_py()?;
    let record = py.detach(|| kernel.gate_scores(&values));
    Ok(PyStreamSession { tokens: tokens.unbind(), record })
}

/// What `stream_output` returns: the released text, or the kernel's
/// interrupt message.
fn output_of<'py, G: Gate>(
    py: Python<'py>,
    kernel: &Kernel<G>,
    session: &PyStreamSession,
) -> PyResult<Bound<'py, PyString>> {
    if session.record.halted() {
        return Ok(PyString::new(py, &kernel.interrupt_text(&session.record)));
    }
    // The joined Python string itself, not a copy through Rust.
    session.released_text(py)
}

/// The kernels' ``token_timeout``/``total_timeout`` keywords (seconds,
/// 0 = off) as std [`Timeouts`].
fn timeouts(token_timeout: f64, total_timeout: f64) -> PyResult<Timeouts> {
    let limit = |name: &str, seconds: f64| -> PyResult<Option<Duration>> {
        if seconds == 0.0 {
            return Ok(None);
        }
        // The fallback kernel's message (Rust display of the value).
        Duration::try_from_secs_f64(seconds).map(Some).map_err(|_| {
            PyValueError::new_err(format!("validation error: {name} must be finite and >= 0, got {seconds}"))
        })
    };
    Ok(Timeouts {
        per_token: limit("token_timeout", token_timeout)?,
        total: limit("total_timeout", total_timeout)?,
    })
}

/// A kernel's limit in seconds, 0.0 when off.
fn seconds(limit: Option<Duration>) -> f64 {
    limit.map_or(0.0, |d| d.as_secs_f64())
}

/// Hard-limit interlock: halts at the first token whose coherence is below
/// ``hard_limit`` (or not a number, or whose callback raised) and stays
/// halted until :meth:`reactivate`.
///
/// ``token_timeout`` / ``total_timeout`` (seconds, 0 = off) halt a stream
/// whose callback took too long for one token, or which as a whole ran out
/// of time (checked before each token), with the reference Python kernel's
/// texts; both latch the kernel. A callback is never interrupted: a slow
/// one is caught when it returns.
#[pyclass(name = "SafetyKernel", module = "backfire_kernel", frozen)]
pub struct PySafetyKernel {
    inner: SafetyKernel,
}

#[pymethods]
impl PySafetyKernel {
    #[new]
    #[pyo3(signature = (hard_limit = 0.5, *, token_timeout = 0.0, total_timeout = 0.0))]
    fn new(hard_limit: f64, token_timeout: f64, total_timeout: f64) -> PyResult<Self> {
        let inner =
            SafetyKernel::new(hard_limit).into_py()?.with_timeouts(timeouts(token_timeout, total_timeout)?);
        Ok(PySafetyKernel { inner })
    }

    /// Longest one callback may take, in seconds (0.0: no limit).
    #[getter]
    fn token_timeout(&self) -> f64 {
        seconds(self.inner.timeouts().per_token)
    }

    /// Longest a stream may take, in seconds (0.0: no limit).
    #[getter]
    fn total_timeout(&self) -> f64 {
        seconds(self.inner.timeouts().total)
    }

    /// The hard floor.
    #[getter]
    fn hard_limit(&self) -> f64 {
        self.inner.hard_limit()
    }

    /// ``False`` after a halt or an emergency stop.
    #[getter]
    fn is_active(&self) -> bool {
        self.inner.is_active()
    }

    /// Latch the kernel inactive (idempotent).
    fn emergency_stop(&self) {
        self.inner.emergency_stop();
    }

    /// Clear the latch.
    fn reactivate(&self) {
        self.inner.reactivate();
    }

    /// Concatenate the tokens while each scores at least ``hard_limit``;
    /// on a halt return ``"[KERNEL INTERRUPT: COHERENCE LIMIT EXCEEDED]"``
    /// (or ``"[KERNEL INTERRUPT: kernel_inactive]"`` if already halted).
    fn stream_output<'py>(
        &self,
        py: Python<'py>,
        tokens: &Bound<'_, PyAny>,
        coherence_callback: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyString>> {
        let session = stream(&self.inner, tokens, coherence_callback, true)?;
        output_of(py, &self.inner, &session)
    }

    /// Like :meth:`stream_output` with precomputed scores (a list, a tuple
    /// or any float buffer such as a NumPy array); no Python call per token.
    fn stream_scores<'py>(
        &self,
        py: Python<'py>,
        tokens: &Bound<'_, PyAny>,
        scores: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyString>> {
        let session = stream_batch(py, &self.inner, tokens, scores)?;
        output_of(py, &self.inner, &session)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let active = if self.inner.is_active() { "True" } else { "False" };
        format!("SafetyKernel(hard_limit={}, is_active={active})", py_float(py, self.inner.hard_limit()))
    }
}

/// Sliding-window streaming oversight: hard limit, window mean and downward
/// trend, with full session tracking.
///
/// Takes a ``config`` and/or the per-field keywords of the seed guide
/// (``hard_limit=``, ``window_size=``, ``window_threshold=``,
/// ``trend_window=``, ``trend_threshold=``), which override the config.
/// ``timestamps=True`` records the time of every token (a clock read per
/// token); otherwise only the stream's duration is recorded.
/// ``token_timeout`` / ``total_timeout`` (seconds, 0 = off) work as in
/// :class:`SafetyKernel`; the halt reason is ``token_timeout (…)`` or
/// ``total_timeout (…)``.
#[pyclass(name = "StreamingKernel", module = "backfire_kernel", frozen)]
pub struct PyStreamingKernel {
    inner: StreamingKernel,
    config: Py<PyBackfireConfig>,
}

#[pymethods]
impl PyStreamingKernel {
    #[new]
    #[pyo3(signature = (config = None, *, hard_limit = None, window_size = None, window_threshold = None, trend_window = None, trend_threshold = None, timestamps = false, token_timeout = 0.0, total_timeout = 0.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        hard_limit: Option<f64>,
        window_size: Option<IntArg>,
        window_threshold: Option<f64>,
        trend_window: Option<IntArg>,
        trend_threshold: Option<f64>,
        timestamps: bool,
        token_timeout: f64,
        total_timeout: f64,
    ) -> PyResult<Self> {
        let base = match PyBackfireConfig::from_arg(config)? {
            Some(config) => config,
            // Keywords alone describe a streaming kernel, which never reads
            // the scorer's threshold: keep the threshold (and the derived
            // soft limit) at or above the requested hard limit.
            None => {
                let defaults = Config::default();
                let threshold = defaults.coherence_threshold.max(hard_limit.unwrap_or(0.0));
                Config {
                    coherence_threshold: threshold,
                    soft_limit: derived_soft_limit(threshold),
                    ..defaults
                }
            }
        };
        let count = |field: &str, v: Option<IntArg>, current: usize, rule: &str| -> PyResult<usize> {
            v.map_or(Ok(current), |n| n.count(field, rule))
        };
        let merged = Config {
            hard_limit: hard_limit.unwrap_or(base.hard_limit),
            window_size: count("window_size", window_size, base.window_size, ">= 1")?,
            window_threshold: window_threshold.unwrap_or(base.window_threshold),
            trend_window: count("trend_window", trend_window, base.trend_window, ">= 2")?,
            trend_threshold: trend_threshold.unwrap_or(base.trend_threshold),
            ..base
        };
        let (config, valid) = PyBackfireConfig::validated(merged)?;
        let mode = if timestamps { Timestamps::PerToken } else { Timestamps::EndOnly };
        let limits = timeouts(token_timeout, total_timeout)?;
        let inner = StreamingKernel::new(&valid).with_timestamps(mode).with_timeouts(limits);
        Ok(PyStreamingKernel { inner, config: Py::new(py, config)? })
    }

    /// The validated configuration.
    #[getter]
    fn config(&self, py: Python<'_>) -> Py<PyBackfireConfig> {
        self.config.clone_ref(py)
    }

    /// ``False`` after a hard-limit halt or an emergency stop.
    #[getter]
    fn is_active(&self) -> bool {
        self.inner.is_active()
    }

    /// Longest one callback may take, in seconds (0.0: no limit).
    #[getter]
    fn token_timeout(&self) -> f64 {
        seconds(self.inner.timeouts().per_token)
    }

    /// Longest a stream may take, in seconds (0.0: no limit).
    #[getter]
    fn total_timeout(&self) -> f64 {
        seconds(self.inner.timeouts().total)
    }

    /// Latch the kernel inactive.
    fn emergency_stop(&self) {
        self.inner.emergency_stop();
    }

    /// Clear the latch.
    fn reactivate(&self) {
        self.inner.reactivate();
    }

    /// Score each token with ``coherence_callback(token) -> float`` and stop
    /// at the first halt. A callback that raises (an ``Exception``) or
    /// returns a non-number halts the stream and the reason names it;
    /// ``KeyboardInterrupt`` and ``SystemExit`` propagate.
    fn stream_tokens(
        &self,
        tokens: &Bound<'_, PyAny>,
        coherence_callback: &Bound<'_, PyAny>,
    ) -> PyResult<PyStreamSession> {
        stream(&self.inner, tokens, coherence_callback, false)
    }

    /// Like :meth:`stream_tokens` with precomputed scores (a list, a tuple
    /// or any float buffer such as a NumPy array); runs without the GIL.
    fn stream_scores(
        &self,
        py: Python<'_>,
        tokens: &Bound<'_, PyAny>,
        scores: &Bound<'_, PyAny>,
    ) -> PyResult<PyStreamSession> {
        stream_batch(py, &self.inner, tokens, scores)
    }

    /// The emitted text, or ``"[KERNEL INTERRUPT: <reason>]"`` on a halt.
    fn stream_output<'py>(
        &self,
        py: Python<'py>,
        tokens: &Bound<'_, PyAny>,
        coherence_callback: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyString>> {
        let session = stream(&self.inner, tokens, coherence_callback, true)?;
        output_of(py, &self.inner, &session)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let c = &self.config.get().inner;
        let active = if self.inner.is_active() { "True" } else { "False" };
        format!(
            "StreamingKernel(hard_limit={}, window_size={}, window_threshold={}, trend_window={}, trend_threshold={}, is_active={active})",
            py_float(py, c.hard_limit),
            c.window_size,
            py_float(py, c.window_threshold),
            c.trend_window,
            py_float(py, c.trend_threshold),
        )
    }
}

/// What happened in one stream: every scored token (including the halting
/// one), its coherence, and why it halted. ``output``, ``token_count``,
/// ``avg_coherence``, ``min_coherence`` and ``duration_ms`` work both as
/// values and as calls.
#[pyclass(name = "StreamSession", module = "backfire_kernel", frozen)]
pub struct PyStreamSession {
    /// The stream's tokens (a snapshot of the caller's `str` objects).
    tokens: Py<PyTuple>,
    /// Scores, times and halt.
    record: StreamRecord,
}

impl PyStreamSession {
    /// `"".join(tokens[:released])`.
    fn released_text<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        let released = self.tokens.bind(py).get_slice(0, self.record.released());
        Ok(PyString::new(py, "").call_method1("join", (released,))?.cast_into::<PyString>()?)
    }
}

#[pymethods]
impl PyStreamSession {
    /// ``True`` if a token halted the stream.
    #[getter]
    fn halted(&self) -> bool {
        self.record.halted()
    }
    /// Index of the halting token, ``-1`` if not halted.
    #[getter]
    fn halt_index(&self) -> i64 {
        self.record.halt_index_i64()
    }
    /// Why the stream halted (``""`` if it did not).
    #[getter]
    fn halt_reason(&self) -> &str {
        self.record.halt_reason()
    }
    /// Every scored token, the halting one included (a new list).
    #[getter]
    fn tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Ok(self.tokens.bind(py).get_slice(0, self.record.scored()).to_list())
    }
    /// The coherence of each scored token (non-finite recorded as 0.0).
    #[getter]
    fn coherence_history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.record.coherence_history())
    }
    /// One :class:`TokenEvent` per scored token.
    #[getter]
    fn events(&self, py: Python<'_>) -> PyResult<Vec<PyTokenEvent>> {
        let tokens = self.tokens.bind(py);
        let halt_index = self.record.halt_index();
        self.record
            .coherence_history()
            .iter()
            .enumerate()
            .map(|(index, &coherence)| {
                Ok(PyTokenEvent {
                    token: tokens.get_item(index)?.unbind(),
                    index,
                    coherence,
                    timestamp_s: self.record.timestamp_s(index),
                    halted: halt_index == Some(index),
                })
            })
            .collect()
    }
    /// The emitted text: all tokens, or those before the halting one.
    #[getter]
    fn output<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        callable_str(py, self.released_text(py)?)
    }
    /// Number of scored tokens (the halting one included).
    #[getter]
    fn token_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        callable_int(py, self.record.scored())
    }
    /// Mean coherence clamped into [0, 1]; 0 for an empty stream.
    #[getter]
    fn avg_coherence<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        callable_float(py, self.record.avg_coherence())
    }
    /// Lowest coherence, floored at 0; 0 for an empty stream.
    #[getter]
    fn min_coherence<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        callable_float(py, self.record.min_coherence())
    }
    /// Wall time of the stream in milliseconds.
    #[getter]
    fn duration_ms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        callable_float(py, self.record.duration_ms())
    }
    /// Always 0.0: times are relative to the start of the stream.
    #[getter]
    fn start_time_s(&self) -> f64 {
        self.record.start_time_s()
    }
    /// Seconds from the start of the stream to its end.
    #[getter]
    fn end_time_s(&self) -> f64 {
        self.record.end_time_s()
    }

    fn __len__(&self) -> usize {
        self.record.scored()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let reason = PyString::new(py, self.record.halt_reason()).repr()?;
        Ok(format!(
            "StreamSession(tokens={}, halted={}, halt_reason={reason}, avg_coherence={:.4})",
            self.record.scored(),
            if self.record.halted() { "True" } else { "False" },
            self.record.avg_coherence()
        ))
    }
}

/// One scored token of a stream.
#[pyclass(name = "TokenEvent", module = "backfire_kernel", frozen, get_all)]
pub struct PyTokenEvent {
    /// The token.
    token: Py<PyAny>,
    /// Its position in the input.
    index: usize,
    /// Its coherence (non-finite recorded as 0.0).
    coherence: f64,
    /// Seconds from the start of the stream to the callback's return.
    timestamp_s: Option<f64>,
    /// ``True`` only for the halting token.
    halted: bool,
}

#[pymethods]
impl PyTokenEvent {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "TokenEvent(token={}, index={}, coherence={}, halted={})",
            self.token.bind(py).repr()?,
            self.index,
            py_float(py, self.coherence),
            if self.halted { "True" } else { "False" }
        ))
    }
}

/// A float as Python's `repr` prints it (`1.0`, `1e-05`), so that both
/// backends print the same.
pub fn py_float(py: Python<'_>, x: f64) -> String {
    pyo3::types::PyFloat::new(py, x).repr().map(|r| r.to_string()).unwrap_or_else(|_| x.to_string())
}
