//! Conversions between Python arguments and the std layer's inputs.

use backfire_std::ScoreFailure;
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyComplex, PyFloat, PyInt, PyList, PyString, PyTuple};

/// The tokens of a stream as an immutable snapshot (a tuple of the
/// caller's own `str` objects): callbacks receive the very objects they
/// were given, and no token text is ever copied into Rust.
///
/// Any iterable is accepted except a single `str` (which would silently
/// become one token per character); [`token_items`] checks the items.
pub fn token_snapshot<'py>(tokens: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    if tokens.is_instance_of::<PyString>() || tokens.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err("tokens must be a sequence of str, not a single str"));
    }
    if let Ok(tuple) = tokens.cast::<PyTuple>() {
        Ok(tuple.clone())
    } else if let Ok(list) = tokens.cast::<PyList>() {
        Ok(list.to_tuple())
    } else {
        PyTuple::new(tokens.py(), tokens.try_iter()?.collect::<PyResult<Vec<_>>>()?)
    }
}

/// The snapshot's items, each checked to be a `str` (borrowed: the tuple
/// keeps them alive, and reading them here once spares the token loop a
/// call per token).
pub fn token_items<'a, 'py>(tuple: &'a Bound<'py, PyTuple>) -> PyResult<Vec<Borrowed<'a, 'py, PyAny>>> {
    let mut items = Vec::with_capacity(tuple.len());
    for item in tuple.iter_borrowed() {
        items.push(checked_token(item)?);
    }
    Ok(items)
}

/// Checks that every item of the snapshot is a `str`, keeping nothing.
pub fn check_tokens(tuple: &Bound<'_, PyTuple>) -> PyResult<()> {
    tuple.iter_borrowed().try_for_each(|item| checked_token(item).map(drop))
}

#[inline(always)]
fn checked_token<'a, 'py>(item: Borrowed<'a, 'py, PyAny>) -> PyResult<Borrowed<'a, 'py, PyAny>> {
    // Exact `str` is a pointer comparison; subclasses take the slow path.
    if item.is_exact_instance_of::<PyString>() || item.is_instance_of::<PyString>() {
        Ok(item)
    } else {
        Err(PyTypeError::new_err(format!("tokens must be str, got {}", type_name(&item))))
    }
}

/// Calls a Python callable with one positional argument, without building
/// an argument tuple.
///
/// PyO3 on the limited API of Python 3.11 has no vectorcall, so each call
/// would allocate and free a 1-tuple — as much work as the whole gate per
/// token. CPython has exported `PyObject_Vectorcall` as a real function
/// since 3.11 (it joined the stable ABI in 3.12), so this abi3 module for
/// Python ≥ 3.11 can call it directly.
pub struct OneArgCaller<'py> {
    callable: Bound<'py, PyAny>,
}

unsafe extern "C" {
    /// `PyObject *PyObject_Vectorcall(PyObject *callable, PyObject *const
    /// *args, size_t nargsf, PyObject *kwnames)`; exported by CPython ≥ 3.11.
    fn PyObject_Vectorcall(
        callable: *mut pyo3::ffi::PyObject,
        args: *const *mut pyo3::ffi::PyObject,
        nargsf: usize,
        kwnames: *mut pyo3::ffi::PyObject,
    ) -> *mut pyo3::ffi::PyObject;
}

impl<'py> OneArgCaller<'py> {
    /// A caller for `callable` (checked to be callable).
    pub fn new(name: &str, callable: &Bound<'py, PyAny>) -> PyResult<Self> {
        require_callable(name, callable)?;
        Ok(OneArgCaller { callable: callable.clone() })
    }

    /// `callable(arg)`.
    pub fn call(&self, arg: Borrowed<'_, 'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.callable.py();
        let args = [arg.as_ptr()];
        // SAFETY: the GIL is held (`py`), `callable` and `arg` are live
        // objects we hold references to for the duration of the call,
        // `args` holds exactly the one (borrowed) argument that `nargsf = 1`
        // announces, and there are no keyword names. The result is a new
        // reference or NULL with an exception set, which `from_owned_ptr_or_err`
        // takes over.
        unsafe {
            let result = PyObject_Vectorcall(self.callable.as_ptr(), args.as_ptr(), 1, std::ptr::null_mut());
            Bound::from_owned_ptr_or_err(py, result)
        }
    }

    /// `callable(arg)` converted to a score, or the failure as the gate
    /// records it.
    #[inline(always)]
    pub fn score(&self, arg: Borrowed<'_, 'py, PyAny>) -> Result<f64, ScoreFailure<PyErr>> {
        match self.call(arg) {
            Ok(value) => score_from(&value).map_err(ScoreFailure::Halt),
            Err(err) => Err(failure(self.callable.py(), err)),
        }
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
#[inline(always)]
pub fn score_from(value: &Bound<'_, PyAny>) -> Result<f64, String> {
    match value.cast::<PyFloat>() {
        Ok(f) => Ok(f.value()),
        Err(_) => score_from_other(value),
    }
}

/// [`score_from`] for anything but a `float` (kept out of the token loop).
#[inline(never)]
fn score_from_other(value: &Bound<'_, PyAny>) -> Result<f64, String> {
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
    if value.is_instance_of::<PyInt>()
        && !value.is_instance_of::<PyBool>()
        && let Ok(x) = value.extract::<f64>()
    {
        return Ok(x);
    }
    let py = value.py();
    py.get_type::<PyFloat>()
        .call1((value,))
        .and_then(|f| f.extract::<f64>())
        .map_err(|e| callback_error(py, &e))
}

/// `callback_error: <repr of the exception>`.
pub fn callback_error(py: Python<'_>, err: &PyErr) -> String {
    format!("callback_error: {}", exception_repr(py, err))
}

/// The `repr()` of an exception, as Python prints it (`ValueError('x')`).
pub fn exception_repr(py: Python<'_>, err: &PyErr) -> String {
    err.value(py).repr().map(|r| r.to_string()).unwrap_or_else(|_| "<exception>".to_owned())
}

/// Classifies an exception raised by a callback: an `Exception` halts the
/// stream (recorded); anything else (`KeyboardInterrupt`, `SystemExit`,
/// `GeneratorExit`) aborts it and propagates to the caller.
pub fn failure(py: Python<'_>, err: PyErr) -> ScoreFailure<PyErr> {
    if is_interrupt(py, &err) {
        ScoreFailure::Abort(err)
    } else {
        ScoreFailure::Halt(callback_error(py, &err))
    }
}

/// `True` for what must stop the caller rather than count as a failed
/// callback: anything not an `Exception` (`KeyboardInterrupt`,
/// `SystemExit`, `GeneratorExit`).
pub fn is_interrupt(py: Python<'_>, err: &PyErr) -> bool {
    !err.is_instance_of::<PyException>(py)
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

/// An integer argument as given: [`IntArg::count`] checks it and names
/// the field in every error (PyO3's own extraction raises an unnamed
/// `TypeError` for a float and an `OverflowError` for a huge int).
pub struct IntArg(Result<i64, IntProblem>);

enum IntProblem {
    /// Not an integer (a float, a str, …): the type's name.
    NotAnInteger(String),
    /// An integer beyond `i64`: its decimal text.
    Huge(String),
}

impl IntArg {
    /// A default value.
    pub const fn new(value: i64) -> Self {
        IntArg(Ok(value))
    }

    /// The value as a count: a `TypeError` for a non-integer, a
    /// `ValueError` for a negative one (reported against the field's
    /// `rule`, `>= 1` etc., which the configuration's validation then
    /// checks in full) or one beyond `i64`; every message names `field`.
    pub fn count(&self, field: &str, rule: &str) -> PyResult<usize> {
        let bad = |got: &dyn std::fmt::Display| {
            PyValueError::new_err(format!("config error: {field} must be {rule}, got {got}"))
        };
        match &self.0 {
            Ok(v) => usize::try_from(*v).map_err(|_| bad(v)),
            Err(IntProblem::Huge(text)) if text.starts_with('-') => Err(bad(text)),
            Err(IntProblem::Huge(text)) => Err(PyValueError::new_err(format!(
                "config error: {field} must be <= {}, got {text}",
                i64::MAX
            ))),
            Err(IntProblem::NotAnInteger(type_name)) => {
                Err(PyTypeError::new_err(format!("{field} must be an integer, got {type_name}")))
            }
        }
    }
}

impl<'py> FromPyObject<'_, 'py> for IntArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let obj = obj.to_owned();
        if obj.is_instance_of::<PyFloat>() {
            // Floats (NumPy's too) have no `__index__`, but say so by name.
            return Ok(IntArg(Err(IntProblem::NotAnInteger(type_name(&obj)))));
        }
        // `__index__` integers: int, bool, NumPy integers.
        Ok(IntArg(match obj.extract::<i64>() {
            Ok(v) => Ok(v),
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyOverflowError>(obj.py()) => {
                Err(IntProblem::Huge(obj.str().map(|s| s.to_string()).unwrap_or_default()))
            }
            Err(_) => Err(IntProblem::NotAnInteger(type_name(&obj))),
        }))
    }
}

/// A keyword whose value must be one of a few names.
pub fn choice<T: Copy>(field: &str, value: &str, options: &[(&str, T)]) -> PyResult<T> {
    options.iter().find(|(name, _)| *name == value).map(|&(_, v)| v).ok_or_else(|| {
        let names: Vec<String> = options.iter().map(|(n, _)| format!("{n:?}")).collect();
        PyValueError::new_err(format!("{field} must be one of {}, got {value:?}", names.join(", ")))
    })
}
