//! Conversions between Python arguments and the std layer's inputs.

use backfire_std::ScoreFailure;
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyComplex, PyFloat, PyInt, PyList, PyString, PyTuple};

/// The tokens of a stream: strong references to the caller's `str` objects
/// (so callbacks receive the very objects they were given) and their UTF-8
/// views (borrowed, not copied).
pub struct Tokens<'py> {
    objects: Vec<Bound<'py, PyString>>,
}

impl<'py> Tokens<'py> {
    /// Any iterable of `str` except a single `str` (which would silently
    /// become one token per character).
    pub fn extract(tokens: &Bound<'py, PyAny>) -> PyResult<Self> {
        if tokens.is_instance_of::<PyString>() || tokens.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err("tokens must be a sequence of str, not a single str"));
        }
        let mut objects = Vec::with_capacity(tokens.len().unwrap_or(0));
        let mut push = |item: Bound<'py, PyAny>| -> PyResult<()> {
            let s = item.cast_into::<PyString>().map_err(|e| {
                PyTypeError::new_err(format!(
                    "tokens must be str, got {}",
                    type_name(e.into_inner().as_any())
                ))
            })?;
            objects.push(s);
            Ok(())
        };
        if let Ok(list) = tokens.cast::<PyList>() {
            for item in list.iter() {
                push(item)?;
            }
        } else if let Ok(tuple) = tokens.cast::<PyTuple>() {
            for item in tuple.iter() {
                push(item)?;
            }
        } else {
            for item in tokens.try_iter()? {
                push(item?)?;
            }
        }
        Ok(Tokens { objects })
    }

    /// The token objects.
    pub fn objects(&self) -> &[Bound<'py, PyString>] {
        &self.objects
    }

    /// UTF-8 views of the tokens (valid while `self` lives).
    pub fn texts(&self) -> PyResult<Vec<&str>> {
        self.objects.iter().map(|s| s.to_str()).collect()
    }
}

/// The type name of a Python object, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_owned())
}

/// A callback's return value as a score.
///
/// Floats and ints are numbers; `bool` and objects with `__float__` /
/// `__index__` are converted by `float()`, like in Python. `None`, `str`,
/// `bytes` and `complex` are type errors. A failure is described the way
/// the pure-Python fallback describes it, so both backends record the same
/// halt reason.
pub fn score_from(value: &Bound<'_, PyAny>) -> Result<f64, String> {
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(f.value());
    }
    if value.is_none()
        || value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyComplex>()
    {
        return Err(format!(
            "callback_error: TypeError('callback returned {}, expected a number')",
            type_name(value)
        ));
    }
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        if let Ok(x) = value.extract::<f64>() {
            return Ok(x);
        }
    }
    let py = value.py();
    py.get_type::<PyFloat>()
        .call1((value,))
        .and_then(|f| f.extract::<f64>())
        .map_err(|e| callback_error(py, &e))
}

/// `callback_error: <repr of the exception>`.
pub fn callback_error(py: Python<'_>, err: &PyErr) -> String {
    let repr = err.value(py).repr().map(|r| r.to_string()).unwrap_or_else(|_| "<exception>".to_owned());
    format!("callback_error: {repr}")
}

/// Classifies an exception raised by a callback: an `Exception` halts the
/// stream (recorded); anything else (`KeyboardInterrupt`, `SystemExit`,
/// `GeneratorExit`) aborts it and propagates to the caller.
pub fn failure(py: Python<'_>, err: PyErr) -> ScoreFailure<PyErr> {
    if err.is_instance_of::<PyException>(py) {
        ScoreFailure::Halt(callback_error(py, &err))
    } else {
        ScoreFailure::Abort(err)
    }
}

/// Calls a coherence callback with the token object and converts the result.
pub fn call_scorer(
    callback: &Bound<'_, PyAny>,
    token: &Bound<'_, PyString>,
) -> Result<f64, ScoreFailure<PyErr>> {
    let py = callback.py();
    match callback.call1((token,)) {
        Ok(value) => score_from(&value).map_err(ScoreFailure::Halt),
        Err(err) => Err(failure(py, err)),
    }
}

/// Checks that a callback is callable (a programming error, reported at once).
pub fn require_callable(name: &str, callback: &Bound<'_, PyAny>) -> PyResult<()> {
    if callback.is_callable() {
        Ok(())
    } else {
        Err(PyTypeError::new_err(format!("{name} must be callable, got {}", type_name(callback))))
    }
}

/// A sequence of floats from a list, a tuple, any float buffer (`array('d')`,
/// a NumPy array of any float or int dtype, …) or any iterable of numbers.
pub fn floats(values: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<f64>> {
    if let Ok(list) = values.cast::<PyList>() {
        return list.iter().map(|v| number(&v, name)).collect();
    }
    if let Ok(tuple) = values.cast::<PyTuple>() {
        return tuple.iter().map(|v| number(&v, name)).collect();
    }
    if let Ok(buffer) = PyBuffer::<f64>::get(values) {
        return buffer.to_vec(values.py());
    }
    if values.hasattr("__array__")? {
        // A NumPy array of another dtype: let NumPy convert once.
        let as_f64 = values.call_method1("astype", ("float64",))?;
        if let Ok(buffer) = PyBuffer::<f64>::get(&as_f64) {
            return buffer.to_vec(values.py());
        }
    }
    values.try_iter()?.map(|v| number(&v?, name)).collect()
}

fn number(value: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(f.value());
    }
    if value.is_instance_of::<PyString>() || value.is_none() {
        return Err(PyTypeError::new_err(format!("{name} must be numbers, got {}", type_name(value))));
    }
    value.extract::<f64>()
}
