//! The on-target test suites. Each is a module with a [`Suite`]: a
//! `check` run first (verdicts against expected values) and a `cost` run
//! afterwards (instructions per call, see [`crate::cost`]).
//!
//! Adding a model is one new module here with its own `SUITE`, listed in
//! [`SUITES`] (`upde` is the example: the UPDE stepper's goldens).

mod footprint;
mod safety;
mod streaming;
mod upde;
mod validation;

use crate::check::Checker;
use backfire_firmware::cost::Meter;

/// One group of on-target checks and measurements.
pub struct Suite {
    /// Shown in the log (an interned defmt string, made at run time).
    pub name: fn() -> defmt::Str,
    /// Runs the checks.
    pub check: fn(&mut Checker),
    /// Measures what the suite's operations cost.
    pub cost: fn(&mut Meter, &mut Checker),
}

/// Every suite, in the order they run.
pub const SUITES: &[Suite] =
    &[footprint::SUITE, validation::SUITE, safety::SUITE, streaming::SUITE, upde::SUITE];

/// The `cost` of a suite that measures nothing.
pub fn no_cost(_: &mut Meter, _: &mut Checker) {}
