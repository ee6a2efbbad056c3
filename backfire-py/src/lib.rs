//! The `backfire_kernel` Python extension module: a thin PyO3 layer over
//! `backfire-std`.

use pyo3::prelude::*;

/// The `backfire_kernel` module.
#[pymodule]
fn backfire_kernel(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
