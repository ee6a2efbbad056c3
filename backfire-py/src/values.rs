//! Values that read both as attributes and as calls.
//!
//! The seed guide reads `session.avg_coherence`; code written for the
//! reference calls `session.avg_coherence()`. The pure-Python module
//! `director_ai._values` defines `float`/`int`/`str` subclasses that return
//! themselves when called; the getters here build those, so both spellings
//! work and the values are real floats, ints and strings.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyType};

static FLOAT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static STR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn make<'py, T: IntoPyObject<'py>>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    value: T,
) -> PyResult<Bound<'py, PyAny>> {
    let ty = cell.import(py, "director_ai._values", name)?;
    ty.call1((value,))
}

/// A `float` that is also callable.
pub fn callable_float(py: Python<'_>, value: f64) -> PyResult<Bound<'_, PyAny>> {
    make(py, &FLOAT, "CallableFloat", value)
}

/// An `int` that is also callable.
pub fn callable_int(py: Python<'_>, value: usize) -> PyResult<Bound<'_, PyAny>> {
    make(py, &INT, "CallableInt", value)
}

/// A `str` that is also callable (built from a Python `str`, not copied
/// through Rust).
pub fn callable_str<'py>(py: Python<'py>, value: Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
    make(py, &STR, "CallableStr", value)
}
