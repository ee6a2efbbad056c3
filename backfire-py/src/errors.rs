//! Mapping of the std layer's errors to Python exceptions.

use backfire_std::BackfireError;
use pyo3::PyErr;
use pyo3::exceptions::PyValueError;

/// Every `BackfireError` is a bad value from the caller's point of view:
/// `ValueError` with the std layer's message (`config error: …`,
/// `validation error: …`).
pub fn value_error(e: BackfireError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `Result<T, BackfireError>` → `PyResult<T>`.
pub trait IntoPyResult<T> {
    /// Converts the error to a `ValueError`.
    fn into_py(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, BackfireError> {
    fn into_py(self) -> pyo3::PyResult<T> {
        self.map_err(value_error)
    }
}
