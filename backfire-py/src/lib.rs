//! The `backfire_kernel` Python extension module: a thin PyO3 layer over
//! `backfire-std`.

use pyo3::prelude::*;

/// The native part of the `backfire_kernel` package.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("__all__", Vec::<&str>::new())?;
    Ok(())
}
