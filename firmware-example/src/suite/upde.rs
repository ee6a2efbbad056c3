//! The UPDE stepper on target (spec 20 §3): this image's backend
//! reproduces the `f64` golden trajectories of §3.6 within the tracking
//! bounds of [`backend`](backfire_firmware::backend), keeps its
//! invariants, refuses bad parameters, and reports what a step costs.
//!
//! Both images keep phases as 32-bit binary angles (`f32` on the M4F,
//! `Q16` on the M0), so golden phases are compared as binary angles: the
//! spec's radians become `u32` constants at compile time and the
//! difference is a wrapping subtraction — circular (6.2807 rad is close to
//! 0.0001 rad) and free of floating point on the target.

use core::f64::consts::TAU;
use core::hint::black_box;

use backfire_nostd::check::ParamError;
use backfire_nostd::num::{BinaryAngle, NeumaierSum, PhaseBackend, Real};
use backfire_nostd::physics::{
    KNM, OMEGA_N, PhysicsError, UPDEParams, UPDEState, UPDEStepper, order_parameter_from_sums,
};
use backfire_nostd::rng::SimpleRng;
use defmt::Str;

use super::Suite;
use crate::check::Checker;
use backfire_firmware::backend::{
    FIXED_POINT, Num, UPDE_PHASE_TOLERANCE, UPDE_R_TOLERANCE, UPDE_VELOCITY_TOLERANCE,
};
use backfire_firmware::cost::Meter;

pub const SUITE: Suite = Suite { name: || defmt::intern!("upde"), check, cost };

type Stepper = UPDEStepper<Num>;
type State = UPDEState<Num>;

/// The oscillators of the canonical model.
const N: usize = 16;
/// The reference defaults: dt, field pressure F, noise amplitude σ.
const DT: f64 = 0.01;
const F: f64 = 0.1;
const SIGMA: f64 = 0.05;
/// `next_u64` calls per step: one normal (two words) per oscillator.
const DRAWS_PER_STEP: u32 = 2 * N as u32;

/// Binary-angle units per radian, `2^32 / 2π`.
const BAM_PER_RAD: f64 = 4_294_967_296.0 / TAU;

/// The binary angle nearest to `radians` in `[0, 2π]` (2π wraps to 0).
const fn bam(radians: f64) -> u32 {
    (radians * BAM_PER_RAD + 0.5) as u64 as u32
}

/// [`bam`] of each golden phase, at compile time: the flash holds `u32`s.
const fn bams(radians: [f64; N]) -> [u32; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = bam(radians[i]);
        i += 1;
    }
    out
}

/// The phase tolerance in binary-angle units.
const PHASE_TOLERANCE: u32 = bam(UPDE_PHASE_TOLERANCE);

// Spec §3.6, canonical ω and K, dt = 0.01, F = 0.1. The digits are the
// spec's; phases are stored as binary angles, R as f32 (exact to 3e-8).

/// σ = 0, θ = 0, one step: θ'_n = 0.01·(ω_n + 0.1).
const ZERO_ONE_STEP: [u32; N] = bams([
    0.01429, 2.51427, 0.00728, 0.31516, 0.06383, 0.49299, 0.03242, 0.00205, 0.01671, 0.01042, 0.00309,
    0.00142, 0.00113, 0.00106, 0.00103, 0.01091,
]);
const ZERO_ONE_STEP_R: f32 = 0.8814366140298765_f64 as f32;

/// σ = 0, θ = 0, ten steps.
const ZERO_TEN_STEPS: [u32; N] = bams([
    0.1601589228617723,
    6.280734220378767,
    0.10206723362652825,
    3.0755182556863465,
    0.6351915179502002,
    4.8477057273250095,
    0.3333885849214397,
    0.04761337609466859,
    0.17513863696274978,
    0.11321767924122089,
    0.043042323836636254,
    0.024829518827676304,
    0.019874151806189153,
    0.017583929964297182,
    0.016212508963470935,
    0.10741090641364212,
]);
const ZERO_TEN_STEPS_R: f32 = 0.8040443306249034_f64 as f32;
/// The reference sums t by plain addition; ours is compensated (0.1
/// exactly). Both are within the spec's 1e-9.
const ZERO_TEN_STEPS_T: f64 = 0.09999999999999999;

/// σ = 0, θ_i = 0.1·i: the velocities of the first step (rad/s).
const RAMP_VELOCITIES: [f64; N] = [
    1.904081294660842,
    251.81147409494977,
    1.0704407731145629,
    31.77824837096373,
    6.586006620257925,
    49.43608567411047,
    3.3322718820617543,
    0.21076890308419316,
    1.6113859865789724,
    0.9156866948509248,
    0.11370281266538168,
    -0.12489798713513953,
    -0.2272626214348932,
    -0.30659272821899175,
    -0.37506013921327325,
    0.5198608309950745,
];
/// σ = 0, θ_i = 0.1·i: R after 100 steps.
const RAMP_HUNDRED_STEPS_R: f32 = 0.6781510410827967_f64 as f32;

/// Noise seed 42, defaults (σ = 0.05), θ = 0, one step.
const SEED_42_ONE_STEP: [u32; N] = bams([
    6.275237451254193,
    2.517312384266106,
    6.283116268381765,
    0.310818328884649,
    0.06128285840157953,
    0.49677674839555974,
    0.02801211199865683,
    0.0010251629884800678,
    0.016116010326942553,
    0.004062760142292656,
    6.274892781773469,
    6.2814338534017,
    6.2795557412002925,
    0.003894976476331614,
    0.006286198780355516,
    0.008201555109553949,
]);
const SEED_42_ONE_STEP_R: f32 = 0.8809110235013369_f64 as f32;
const SEED_42_HUNDRED_STEPS_R: f32 = 0.7576618317313849_f64 as f32;
const SEED_42_HUNDRED_STEPS_T: f64 = 1.0000000000000007;

/// Tolerance of `t` against the goldens (the spec's f64 tolerance).
const TIME_TOLERANCE: f64 = 1e-9;

/// One stepper serves every scenario, reconfigured in between: a
/// 16-oscillator stepper is 3.4–3.6 KiB, and building one by value takes
/// another ~9 KiB of stack temporaries (the 2.2 KiB of `f64` parameters
/// and the stepper itself are copied on the way) — each scenario building
/// its own (or passing one through an `Option`) overflowed the
/// micro:bit's 16 KiB of RAM. An application does the same: build once,
/// then use the validating setters.
fn check(c: &mut Checker) {
    let mut stepper = build();
    zero_start(c, &mut stepper);
    ramp(c, &mut stepper);
    seed_42(c, &mut stepper);
    wrapping(c);
    bounded(c, &mut stepper);
    overflow(c, &mut stepper);
    rejected(c);
    rejected_setters(c, &mut stepper);
    rejected_knm(c, &mut stepper);
}

/// The canonical stepper with the defaults (dt 0.01, F 0.1, σ 0.05) and
/// noise seed 1. Infallible (the defaults need no validation) and
/// returned directly into the caller's frame: no `Result`/`Option` copy of
/// the 3.5 KiB stepper.
#[inline(never)]
fn build() -> Stepper {
    Stepper::new(UPDEParams::default(), SimpleRng::new(1))
}

/// Reconfigures `stepper` as if built by `canonical(dt, f, sigma)` with a
/// fresh generator seeded `seed` (reference-compatible drawing); `false`
/// (and a failed check) if the parameters are refused.
#[inline(never)]
fn configure(c: &mut Checker, stepper: &mut Stepper, dt: f64, f: f64, sigma: f64, seed: u64) -> bool {
    stepper.set_skip_silent_noise(false);
    match UPDEParams::canonical(dt, f, sigma) {
        Ok(params) => {
            stepper.set_params(params);
            stepper.set_rng(SimpleRng::new(seed));
            true
        }
        Err(_) => c.expect(false, defmt::intern!("upde: valid parameters refused")),
    }
}

/// A state from phases in radians, or a failed check.
fn state(c: &mut Checker, theta: &[f64; N]) -> Option<State> {
    let state = State::new(theta).ok();
    if state.is_none() {
        c.fail(defmt::intern!("upde: finite phases refused"));
    }
    state
}

/// `steps` steps; a refused step is a failed check.
fn run(c: &mut Checker, stepper: &mut Stepper, state: &mut State, steps: u64) -> bool {
    let ok = stepper.run(state, steps).is_ok();
    c.expect(ok, defmt::intern!("upde: a step with valid parameters succeeds"))
}

/// The generator `seed` after `steps` UPDE steps' worth of draws,
/// advanced independently of the stepper.
fn rng_after(seed: u64, steps: u32) -> SimpleRng {
    let mut rng = SimpleRng::new(seed);
    for _ in 0..steps * DRAWS_PER_STEP {
        rng.next_u64();
    }
    rng
}

/// §3.6, first case: free rotation plus field from θ = 0 (the coupling is
/// exactly 0), one step and ten.
#[inline(never)]
fn zero_start(c: &mut Checker, stepper: &mut Stepper) {
    let name = defmt::intern!("zero start, sigma 0");
    if !configure(c, stepper, DT, F, 0.0, 1) {
        return;
    }
    let Some(mut s) = state(c, &[0.0; N]) else { return };
    c.close_within(defmt::intern!("R of equal phases"), s.r_global(), 1.0, UPDE_R_TOLERANCE);
    if !run(c, stepper, &mut s, 1) {
        return;
    }
    let gap = phases(c, defmt::intern!("zero start: phases after 1 step"), &s, &ZERO_ONE_STEP);
    c.close_within(
        defmt::intern!("zero start: R after 1 step"),
        s.r_global(),
        ZERO_ONE_STEP_R,
        UPDE_R_TOLERANCE,
    );
    velocities(c, defmt::intern!("zero start: dtheta_dt = omega + F"), s.dtheta_dt(), |n| OMEGA_N[n] + F);
    clock(c, &s, DT, 1);
    // σ = 0 still draws (the reference's stream).
    c.expect(
        stepper.rng() == &rng_after(1, 1),
        defmt::intern!("sigma 0 still draws one normal per oscillator"),
    );
    log_trajectory(name, 1, gap, s.r_global());

    if !run(c, stepper, &mut s, 9) {
        return;
    }
    let gap = phases(c, defmt::intern!("zero start: phases after 10 steps"), &s, &ZERO_TEN_STEPS);
    c.close_within(
        defmt::intern!("zero start: R after 10 steps"),
        s.r_global(),
        ZERO_TEN_STEPS_R,
        UPDE_R_TOLERANCE,
    );
    clock(c, &s, ZERO_TEN_STEPS_T, 10);
    log_trajectory(name, 10, gap, s.r_global());

    // The same run without drawing (the non-compatible skip mode): the
    // noise term is 0 either way, so the phases agree to the bit and the
    // stream is untouched.
    let drawn = *s.phases();
    stepper.set_skip_silent_noise(true);
    stepper.set_rng(SimpleRng::new(1));
    let Some(mut s) = state(c, &[0.0; N]) else { return };
    if run(c, stepper, &mut s, 10) {
        c.expect(s.phases() == &drawn, defmt::intern!("skip mode: same phases as drawing with sigma 0"));
        c.expect(stepper.rng() == &SimpleRng::new(1), defmt::intern!("skip mode: no draws"));
    }
}

/// §3.6, second case: θ_i = 0.1·i, velocities of one step (every coupling
/// term non-zero), R after 100 steps.
#[inline(never)]
fn ramp(c: &mut Checker, stepper: &mut Stepper) {
    let theta: [f64; N] = core::array::from_fn(|i| 0.1 * i as f64);
    if !configure(c, stepper, DT, F, 0.0, 1) {
        return;
    }
    let Some(mut s) = state(c, &theta) else { return };
    if !run(c, stepper, &mut s, 1) {
        return;
    }
    let ok =
        velocities(c, defmt::intern!("ramp: dtheta_dt after 1 step"), s.dtheta_dt(), |n| RAMP_VELOCITIES[n]);
    if ok {
        defmt::info!(
            "ramp theta_i = 0.1 i, sigma 0: 16 velocities within {=f64} rad/s",
            UPDE_VELOCITY_TOLERANCE
        );
    }
    if !run(c, stepper, &mut s, 99) {
        return;
    }
    c.close_within(
        defmt::intern!("ramp: R after 100 steps"),
        s.r_global(),
        RAMP_HUNDRED_STEPS_R,
        UPDE_R_TOLERANCE,
    );
    c.equal(defmt::intern!("ramp: step_count"), s.step_count() as u32, 100);
    defmt::info!(
        "ramp theta_i = 0.1 i, sigma 0: R after 100 steps {=f32} (f64 {=f32})",
        s.r_global().to_f64() as f32,
        RAMP_HUNDRED_STEPS_R
    );
}

/// §3.6, third case: the reference's noise stream from seed 42, one step
/// (phases, R) and 100 (R, t, the generator's position).
#[inline(never)]
fn seed_42(c: &mut Checker, stepper: &mut Stepper) {
    let name = defmt::intern!("seed 42, sigma 0.05");
    if !configure(c, stepper, DT, F, SIGMA, 42) {
        return;
    }
    let Some(mut s) = state(c, &[0.0; N]) else { return };
    if !run(c, stepper, &mut s, 1) {
        return;
    }
    let gap = phases(c, defmt::intern!("seed 42: phases after 1 step"), &s, &SEED_42_ONE_STEP);
    c.close_within(
        defmt::intern!("seed 42: R after 1 step"),
        s.r_global(),
        SEED_42_ONE_STEP_R,
        UPDE_R_TOLERANCE,
    );
    log_trajectory(name, 1, gap, s.r_global());
    if !run(c, stepper, &mut s, 99) {
        return;
    }
    c.close_within(
        defmt::intern!("seed 42: R after 100 steps"),
        s.r_global(),
        SEED_42_HUNDRED_STEPS_R,
        UPDE_R_TOLERANCE,
    );
    clock(c, &s, SEED_42_HUNDRED_STEPS_T, 100);
    c.expect(
        stepper.rng() == &rng_after(42, 100),
        defmt::intern!("seed 42: two draws per oscillator per step (portable stream)"),
    );
    defmt::info!(
        "{=istr}: R after 100 steps {=f32} (f64 {=f32})",
        name,
        s.r_global().to_f64() as f32,
        SEED_42_HUNDRED_STEPS_R
    );
}

/// Phases in [0, 2π): any `u32` binary angle is one, provided the
/// conversions keep the ends; any finite start is wrapped, and the
/// reference's one "= 2π" case (a tiny negative input) becomes 0.
#[inline(never)]
fn wrapping(c: &mut Checker) {
    // Holds by type: a phase of this image is a 32-bit binary angle.
    let _: fn(&State) -> &[BinaryAngle; N] = State::phases;
    c.expect(
        BinaryAngle(0).to_radians() == 0.0 && BinaryAngle(u32::MAX).to_radians() < TAU,
        defmt::intern!("every binary angle is in [0, 2pi)"),
    );
    let mut theta = [0.0; N];
    theta[..5].copy_from_slice(&[-1e-17, -3.0, 7.0, 1e6, TAU]);
    let want = [0, bam(TAU - 3.0), bam(7.0 - TAU), bam(1e6 - 159_154.0 * TAU), 0];
    let Some(s) = state(c, &theta) else { return };
    let ok = s
        .phases()
        .iter()
        .zip(want)
        .all(|(got, want)| (got.bits().wrapping_sub(want) as i32).unsigned_abs() <= 1);
    c.expect(ok, defmt::intern!("finite starts wrap into [0, 2pi); -1e-17 -> 0, not 2pi"));
    let started: [u32; 5] = core::array::from_fn(|i| s.phases()[i].bits());
    defmt::info!("wrapping: -1e-17, -3, 7, 1e6, 2pi start at binary angles {=[?]}", started);
}

/// R stays in [0, 1] and every step succeeds under rough parameters: a
/// random start, dt 0.05, F = 5, σ = 2 (0.45 rad of noise per step).
#[inline(never)]
fn bounded(c: &mut Checker, stepper: &mut Stepper) {
    const STEPS: u32 = 200;
    if !configure(c, stepper, 0.05, 5.0, 2.0, 7) {
        return;
    }
    let mut s = State::random(&mut SimpleRng::new(2024));
    let in_unit = |r: Num| (Num::ZERO..=Num::ONE).contains(&r);
    let mut ok = in_unit(s.r_global());
    let (mut low, mut high) = (Num::ONE, Num::ZERO);
    for _ in 0..STEPS {
        ok &= stepper.step(&mut s).is_ok() && in_unit(s.r_global());
        low = Real::min(low, s.r_global());
        high = Real::max(high, s.r_global());
    }
    c.expect(ok, defmt::intern!("R in [0, 1] after every step (dt 0.05, F 5, sigma 2)"));
    c.equal(defmt::intern!("rough run: step_count"), s.step_count() as u32, STEPS);
    defmt::info!(
        "rough run (dt 0.05, F 5, sigma 2): {=u32} steps, R in [{=f32}, {=f32}]",
        STEPS,
        low.to_f64() as f32,
        high.to_f64() as f32
    );
}

/// Frequencies beyond the backend's range (ω = 1e300 is a valid `f64`):
/// `f32` overflows to ∞, so the step is refused and nothing changes;
/// `Q16` saturates, so the step goes through with phases still angles and
/// R in [0, 1].
#[inline(never)]
fn overflow(c: &mut Checker, stepper: &mut Stepper) {
    if !configure(c, stepper, DT, F, SIGMA, 3) {
        return;
    }
    if stepper.set_omega([1e300; N]).is_err() {
        c.fail(defmt::intern!("overflow: a finite omega refused"));
        return;
    }
    let Some(mut s) = state(c, &[0.5; N]) else { return };
    let (before, rng_before) = (s, *stepper.rng());
    let result = stepper.step(&mut s);
    if FIXED_POINT {
        let ok = result.is_ok() && (Num::ZERO..=Num::ONE).contains(&s.r_global());
        c.expect(ok, defmt::intern!("overflow: Q16 saturates and steps"));
        defmt::info!(
            "overflow: omega 1e300 saturates in {=str}; R {=f32}",
            Num::NAME,
            s.r_global().to_f64() as f32
        );
    } else {
        let ok = result == Err(PhysicsError::NonFiniteResult) && s == before && stepper.rng() == &rng_before;
        c.expect(ok, defmt::intern!("overflow: NonFiniteResult, state and stream untouched"));
        defmt::info!("overflow: omega 1e300 is inf in {=str}: step refused, nothing changed", Num::NAME);
    }
}

/// A bad value of one stepper parameter and the error it must produce.
struct Rejected {
    dt: f64,
    field_pressure: f64,
    noise_amplitude: f64,
    field: &'static str,
    rule: &'static str,
}

const VALID: Rejected = Rejected { dt: DT, field_pressure: F, noise_amplitude: SIGMA, field: "", rule: "" };

/// The reference accepts all of these (spec §3.2: nothing is validated);
/// NaN/negative dt gives NaN phases one step later.
const REJECTED: &[Rejected] = &[
    Rejected { dt: 0.0, field: "dt", rule: "finite and > 0", ..VALID },
    Rejected { dt: -0.01, field: "dt", rule: "finite and > 0", ..VALID },
    Rejected { dt: f64::NAN, field: "dt", rule: "finite and > 0", ..VALID },
    Rejected { field_pressure: f64::INFINITY, field: "field_pressure", rule: "finite", ..VALID },
    Rejected { field_pressure: f64::NAN, field: "field_pressure", rule: "finite", ..VALID },
    Rejected { noise_amplitude: -0.1, field: "noise_amplitude", rule: "finite and >= 0", ..VALID },
    Rejected { noise_amplitude: f64::NAN, field: "noise_amplitude", rule: "finite and >= 0", ..VALID },
];

/// Checks that `result` is the `ParamError` for `field` and `rule`.
fn refused<T>(c: &mut Checker, result: Result<T, ParamError>, field: &str, rule: &str) {
    match result {
        Ok(_) => {
            defmt::error!("bad {=str} accepted", field);
            c.fail(defmt::intern!("upde: invalid parameter accepted"));
        }
        Err(e) => {
            defmt::info!("rejected: {=str} must be {=str}, got {=f64}", e.field, e.rule, e.value);
            let ok = e.field == field && e.rule == rule;
            if !ok {
                defmt::error!("expected {=str} must be {=str}", field, rule);
            }
            c.expect(ok, defmt::intern!("upde: the error names the parameter and its rule"));
        }
    }
}

/// NaN and out-of-range parameters and phases are refused with the right
/// field (or error variant).
#[inline(never)]
fn rejected(c: &mut Checker) {
    c.expect(UPDEParams::canonical(DT, F, SIGMA).is_ok(), defmt::intern!("upde: the defaults are valid"));
    for p in REJECTED {
        refused(c, UPDEParams::canonical(p.dt, p.field_pressure, p.noise_amplitude), p.field, p.rule);
    }
    refused(c, UPDEParams::new(omega_with_nan(), KNM, DT, F, SIGMA), "omega", "finite");

    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut theta = [0.0; N];
        theta[7] = bad;
        c.expect(
            State::new(&theta) == Err(PhysicsError::NonFiniteInput),
            defmt::intern!("upde: a NaN/inf phase is refused (input theta contains NaN or Inf)"),
        );
    }
    c.expect(
        State::from_slice(&[0.0; 4]) == Err(PhysicsError::ThetaLength { expected: N, got: 4 }),
        defmt::intern!("upde: 4 phases for 16 oscillators refused (theta length mismatch)"),
    );
    if let Some(s) = state(c, &[0.0; N]) {
        refused(c, s.with_clock(f64::NAN, 0), "t", "finite");
    }
}

/// The canonical ω with a NaN for the last layer.
fn omega_with_nan() -> [f64; N] {
    let mut omega = OMEGA_N;
    omega[15] = f64::NAN;
    omega
}

/// The stepper's validating setters refuse bad values and keep the old
/// ones (their own function: each scenario's frame adds to the deepest
/// stack, and the setters copy the 2.2 KiB of `f64` parameters).
#[inline(never)]
fn rejected_setters(c: &mut Checker, stepper: &mut Stepper) {
    if !configure(c, stepper, DT, F, SIGMA, 1) {
        return;
    }
    refused(c, stepper.set_dt(f64::NAN), "dt", "finite and > 0");
    refused(c, stepper.set_noise_amplitude(-1.0), "noise_amplitude", "finite and >= 0");
    refused(c, stepper.set_omega(omega_with_nan()), "omega", "finite");
    let p = stepper.params();
    c.expect(
        p.dt() == DT && p.noise_amplitude() == SIGMA && p.omega() == &OMEGA_N,
        defmt::intern!("upde: a refused setter keeps the old value"),
    );
}

/// A non-finite coupling is refused by the validating setter, which keeps
/// the old matrix (its own function: K is a 2 KiB `f64` table on the
/// stack).
#[inline(never)]
fn rejected_knm(c: &mut Checker, stepper: &mut Stepper) {
    let mut knm = KNM;
    knm[3][5] = f64::INFINITY;
    refused(c, stepper.set_knm(knm), "knm", "finite");
    c.expect(stepper.params().knm() == &KNM, defmt::intern!("upde: a refused K keeps the old one"));
}

/// The largest circular distance between the state's phases and the
/// golden angles, checked against [`PHASE_TOLERANCE`]; returns it.
fn phases(c: &mut Checker, what: Str, s: &State, want: &[u32; N]) -> u32 {
    let (mut worst, mut at) = (0, 0);
    for (n, (got, &want)) in s.phases().iter().zip(want).enumerate() {
        let gap = (got.bits().wrapping_sub(want) as i32).unsigned_abs();
        if gap > worst {
            (worst, at) = (gap, n);
        }
    }
    let ok = worst <= PHASE_TOLERANCE;
    if !ok {
        defmt::error!(
            "{=istr}: phase {=usize} off by {=u32} binary-angle units ({=f32} rad), tolerance {=u32}",
            what,
            at,
            worst,
            radians(worst),
            PHASE_TOLERANCE
        );
    }
    c.expect(ok, what);
    worst
}

/// Checks each velocity within [`UPDE_VELOCITY_TOLERANCE`]; one check.
fn velocities(c: &mut Checker, what: Str, got: &[Num; N], want: impl Fn(usize) -> f64) -> bool {
    let tolerance = Num::from_f64(UPDE_VELOCITY_TOLERANCE);
    let mut ok = true;
    for (n, &got) in got.iter().enumerate() {
        let want = want(n);
        if (got - Num::from_f64(want)).abs() > tolerance {
            defmt::error!(
                "{=istr}: oscillator {=usize}: got {=f32}, expected {=f64} +- {=f64}",
                what,
                n,
                got.to_f64() as f32,
                want,
                UPDE_VELOCITY_TOLERANCE
            );
            ok = false;
        }
    }
    c.expect(ok, what)
}

/// Simulated time within [`TIME_TOLERANCE`] and the exact step count.
fn clock(c: &mut Checker, s: &State, t: f64, steps: u32) {
    let ok = s.t() > t - TIME_TOLERANCE && s.t() < t + TIME_TOLERANCE;
    if !ok {
        defmt::error!("t = {=f64}, expected {=f64}", s.t(), t);
    }
    c.expect(ok, defmt::intern!("upde: t after the steps"));
    c.equal(defmt::intern!("upde: step_count"), s.step_count() as u32, steps);
}

fn log_trajectory(name: Str, steps: u32, gap: u32, r: Num) {
    defmt::info!(
        "{=istr}: {=u32} step(s): phases within {=u32} binary-angle units ({=f32} rad) of f64, R {=f32}",
        name,
        steps,
        gap,
        radians(gap),
        r.to_f64() as f32
    );
}

/// Binary-angle units as radians, for the log.
fn radians(units: u32) -> f32 {
    units as f32 * (TAU / 4_294_967_296.0) as f32
}

/// Steps per cost measurement (deterministic: the average of a fixed run).
const COST_STEPS: u32 = 100;
/// Calls per measurement of the step's parts.
const PART_CALLS: u32 = 1000;

fn cost(meter: &mut Meter, c: &mut Checker) {
    let mut stepper = build();
    if !configure(c, &mut stepper, DT, F, SIGMA, 42) {
        return;
    }
    let mut s = State::random(&mut SimpleRng::new(2024));
    let mut ok = true;
    meter.per_call(
        defmt::intern!("UPDE step (N=16, sigma=0.05)"),
        COST_STEPS,
        |i| {
            black_box(i);
        },
        |_| ok &= stepper.step(black_box(&mut s)).is_ok(),
    );
    // No noise and no draws (σ = 0 in skip mode). With σ = 0 and the
    // default (reference-compatible) mode the step still draws 16 normals
    // and costs what the noisy step costs.
    let quiet = stepper.set_noise_amplitude(0.0).is_ok();
    stepper.set_skip_silent_noise(true);
    meter.per_call(
        defmt::intern!("UPDE step (N=16, no noise)"),
        COST_STEPS,
        |i| {
            black_box(i);
        },
        |_| ok &= stepper.step(black_box(&mut s)).is_ok(),
    );
    c.expect(
        ok && quiet && s.step_count() == u64::from(2 * COST_STEPS),
        defmt::intern!("upde cost: every measured step succeeded"),
    );
    parts(meter);
}

/// The parts of a step that differ most between the cores.
fn parts(meter: &mut Meter) {
    let mut rng = SimpleRng::new(42);
    meter.per_call(
        defmt::intern!("UPDE normal draw"),
        PART_CALLS,
        |i| {
            black_box(i);
        },
        |_| {
            black_box(Num::standard_normal(&mut rng));
        },
    );
    // Spread over the circle, so every quadrant and table segment is hit.
    meter.per_call(
        defmt::intern!("UPDE sin/cos of a phase"),
        PART_CALLS,
        |i| {
            black_box(i.wrapping_mul(0x9E37_79B9));
        },
        |i| {
            black_box(Num::phase_sin_cos(BinaryAngle(i.wrapping_mul(0x9E37_79B9))));
        },
    );
    // One term of the coupling mat-vec (2·N² of them per step).
    let terms: [(Num, Num); 4] = [(0.302, 0.84), (0.201, -0.5), (0.0074, 0.99), (0.334, -0.07)]
        .map(|(k, s): (f64, f64)| (Num::from_f64(k), Num::from_f64(s)));
    let mut acc = Num::ZERO;
    meter.per_call(
        defmt::intern!("UPDE coupling multiply-add"),
        PART_CALLS,
        |i| {
            black_box(terms[(i & 3) as usize]);
        },
        |i| {
            let (k, s) = terms[(i & 3) as usize];
            acc = black_box(acc + k * s);
        },
    );
    // Sums of 16 sines/cosines of a partly synchronised state.
    let sums: [(Num, Num); 4] = [(3.1, 12.4), (-5.0, 9.8), (0.7, -14.2), (8.8, 8.8)]
        .map(|(s, c): (f64, f64)| (Num::from_f64(s), Num::from_f64(c)));
    meter.per_call(
        defmt::intern!("UPDE R from sums (N=16)"),
        PART_CALLS,
        |i| {
            black_box(sums[(i & 3) as usize]);
        },
        |i| {
            let (s, c) = sums[(i & 3) as usize];
            black_box(order_parameter_from_sums(s, c, N));
        },
    );
    // The state's clock: an f64 compensated sum on every backend.
    let mut time = NeumaierSum::<f64>::default();
    meter.per_call(
        defmt::intern!("UPDE clock (f64 t += dt)"),
        PART_CALLS,
        |i| {
            black_box(i);
        },
        |_| time.add(black_box(DT)),
    );
    black_box(time.value());
}
