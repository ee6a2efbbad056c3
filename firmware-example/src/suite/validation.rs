//! Bad configuration is refused with a message naming the parameter,
//! on the target exactly as on the host.

use backfire_nostd::check::ParamError;
use backfire_nostd::gate::{SafetyKernel, StorageTooSmall, StreamingKernel, StreamingLimits};
use backfire_nostd::num::Real;

use super::Suite;
use crate::check::Checker;
use backfire_firmware::backend::Num;

pub const SUITE: Suite = Suite { name: || defmt::intern!("validation"), check, cost: super::no_cost };

/// A parameter set and the error it must produce.
struct Rejected {
    hard_limit: f64,
    window_size: usize,
    window_threshold: f64,
    trend_window: usize,
    trend_threshold: f64,
    field: &'static str,
    rule: &'static str,
}

/// The reference's validation tests (spec 10 §8.1) plus the holes it left
/// open (§10 item 8: NaN thresholds, unchecked window threshold).
const REJECTED: &[Rejected] = &[
    Rejected { hard_limit: 1.1, field: "hard_limit", rule: "in [0, 1]", ..OK },
    Rejected { hard_limit: f64::NAN, field: "hard_limit", rule: "in [0, 1]", ..OK },
    Rejected { window_size: 0, field: "window_size", rule: ">= 1", ..OK },
    Rejected { trend_window: 1, field: "trend_window", rule: ">= 2", ..OK },
    Rejected { trend_threshold: 0.0, field: "trend_threshold", rule: "finite and > 0", ..OK },
    Rejected { trend_threshold: f64::NAN, field: "trend_threshold", rule: "finite and > 0", ..OK },
    Rejected { window_threshold: -0.1, field: "window_threshold", rule: "in [0, 1]", ..OK },
];

/// The reference defaults; every [`REJECTED`] entry breaks one field.
const OK: Rejected = Rejected {
    hard_limit: 0.5,
    window_size: 10,
    window_threshold: 0.55,
    trend_window: 5,
    trend_threshold: 0.15,
    field: "",
    rule: "",
};

fn limits(p: &Rejected) -> Result<StreamingLimits<Num>, ParamError> {
    StreamingLimits::new(p.hard_limit, p.window_size, p.window_threshold, p.trend_window, p.trend_threshold)
}

fn check(c: &mut Checker) {
    c.expect(limits(&OK).is_ok(), defmt::intern!("the reference defaults are valid"));
    for p in REJECTED {
        match limits(p) {
            Ok(_) => {
                defmt::error!("bad {=str} accepted", p.field);
                c.fail(defmt::intern!("invalid parameter accepted"));
            }
            Err(e) => {
                defmt::info!("rejected: {=str} must be {=str}, got {=f64}", e.field, e.rule, e.value);
                let ok = e.field == p.field && e.rule == p.rule;
                if !ok {
                    defmt::error!("expected {=str} must be {=str}", p.field, p.rule);
                }
                c.expect(ok, defmt::intern!("the error names the parameter and its rule"));
            }
        }
    }
    match SafetyKernel::<Num>::new(2.0) {
        Ok(_) => c.fail(defmt::intern!("SafetyKernel hard_limit 2.0 accepted")),
        Err(e) => {
            c.expect(e.field == "hard_limit", defmt::intern!("SafetyKernel names hard_limit"));
        }
    }
    // A window of 10 needs 10 slots; 4 are refused, not overrun.
    let storage = [Num::ZERO; 4];
    match limits(&OK).map(|l| StreamingKernel::new(l, storage)) {
        Ok(Err(StorageTooSmall { needed, provided })) => {
            defmt::info!("rejected: storage of {=usize} scores for a window of {=usize}", provided, needed);
            c.equal(defmt::intern!("storage needed"), needed as u32, 10);
            c.equal(defmt::intern!("storage provided"), provided as u32, 4);
        }
        _ => c.fail(defmt::intern!("storage smaller than the window accepted")),
    }
}
