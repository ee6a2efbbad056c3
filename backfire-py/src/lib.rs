//! The `backfire_kernel` Python extension module: a thin PyO3 layer over
//! `backfire-std`.
//!
//! Each class is registered under the seed guide's name (`SafetyKernel`)
//! and the reference module's `Rust`-prefixed name (`RustSafetyKernel`);
//! both names refer to the same type object.

mod config;
mod convert;
mod errors;
mod gate;
mod observers;
mod physics;
mod scorer;
mod ssgf;
mod values;

use pyo3::prelude::*;
use pyo3::types::PyType;

/// Registers `T` as `name` and `Rust<name>`, recording both in `__all__`.
fn add_class<T: pyo3::PyTypeInfo>(m: &Bound<'_, PyModule>, all: &mut Vec<String>) -> PyResult<()> {
    let ty: Bound<'_, PyType> = m.py().get_type::<T>();
    let name = ty.name()?.to_string();
    m.add(name.as_str(), &ty)?;
    m.add(format!("Rust{name}").as_str(), &ty)?;
    all.push(name.clone());
    all.push(format!("Rust{name}"));
    Ok(())
}

/// The native part of the `backfire_kernel` package.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let mut all = Vec::new();
    add_class::<config::PyBackfireConfig>(m, &mut all)?;
    add_class::<gate::PySafetyKernel>(m, &mut all)?;
    add_class::<gate::PyStreamingKernel>(m, &mut all)?;
    add_class::<gate::PyStreamSession>(m, &mut all)?;
    add_class::<gate::PyTokenEvent>(m, &mut all)?;
    add_class::<scorer::PyCoherenceScorer>(m, &mut all)?;
    add_class::<scorer::PyCoherenceScore>(m, &mut all)?;
    add_class::<physics::PyUPDEStepper>(m, &mut all)?;
    add_class::<physics::PySECFunctional>(m, &mut all)?;
    add_class::<physics::PyL16Controller>(m, &mut all)?;
    add_class::<observers::PyTCBOObserver>(m, &mut all)?;
    add_class::<observers::PyTCBOController>(m, &mut all)?;
    add_class::<observers::PyPGBOEngine>(m, &mut all)?;
    add_class::<ssgf::PySSGFEngine>(m, &mut all)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("__all__", all)?;
    Ok(())
}
