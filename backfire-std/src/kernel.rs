//! The two kernels with tokens, callbacks and sessions around the core's
//! sans-IO monitors.
//!
//! ```text
//!  tokens ──► token loop ──score(i, token)──► caller's callback
//!                 │  ▲                              │
//!                 │  └──────── f64 / failure ◄──────┘
//!                 ▼
//!      Interlock (latch) ──► HardLimit / StreamMonitor (core) ──► Verdict
//!                 │
//!                 ▼
//!           StreamSession (text once, scores, times, halt)
//! ```
//!
//! Both kernels are one type, [`Kernel<G>`](Kernel), with one token loop
//! (`run_record`) and one set of entry points; they differ only in their
//! [`Gate`], the check a score goes through: [`SafetyKernel`] applies the
//! core's hard limit, [`StreamingKernel`] a fresh core [`StreamMonitor`]
//! per stream (hard limit, window mean, downward trend). Every decision is
//! the core's.
//!
//! # The token loop (spec/10 §5.2)
//!
//! For each token, in order:
//!
//! 1. If the kernel's latch is off, the stream halts with `kernel_inactive`
//!    at this index; the callback is not called and the token is not
//!    recorded.
//! 2. The token is scored. A non-finite value, a panicking callback or a
//!    [`ScoreFailure::Halt`] halts the stream whatever the hard limit (even
//!    0) and is recorded as 0.0; [`ScoreFailure::Abort`] stops at once and
//!    hands the caller's error back.
//! 3. The score goes through the core's checks. A hard-limit halt trips the
//!    latch; window and trend halts end only this stream.
//!
//! With opt-in [`Timeouts`] the clock is read around every token: before
//! step 2 a stream past its total time halts at this index (the callback
//! is not called), and after it a token whose scoring took too long halts
//! the stream in place of step 3; both latch.
//!
//! The latch is read before the callback, not after it: a callback that
//! re-enters the same kernel and halts it is seen by the outer stream at its
//! next token, as in the reference (spec/10 §5.5).

use std::any::Any;
use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use backfire_nostd::gate::{
    HaltReason, HardLimit, Interlock, SAFETY_INTERRUPT, StreamMonitor, StreamingLimits,
    TOKEN_TIMEOUT_INTERRUPT, TOTAL_TIMEOUT_INTERRUPT, TimeLimit, Verdict,
};

use crate::config::{BackfireConfig, ValidConfig};
use crate::error::{BackfireError, BackfireResult};
use crate::session::{Clock, StreamRecord, StreamSession, Timestamps, TokenText};

/// Why a score could not be produced, as told by a
/// [`stream_with`](StreamingKernel::stream_with) scorer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoreFailure<E> {
    /// Scoring failed (an exception in a callback, a wrong return type, …):
    /// the token halts the stream like a non-finite score, and the session
    /// records `hard_limit (<message>)` as the reason.
    Halt(String),
    /// Stop streaming now and return `Err(E)` to the caller, recording
    /// nothing (the Python layer uses it for `KeyboardInterrupt`).
    Abort(E),
}

/// Opt-in time limits for every stream of a kernel (both off by default).
///
/// The loop cannot interrupt a callback: a slow one is caught when it
/// returns. Either halt latches the kernel, as in the reference's Python
/// `SafetyKernel`; the halt reason is [`HaltReason::TokenTimeout`] or [`HaltReason::TotalTimeout`].
///
/// ```
/// use std::time::Duration;
/// use backfire_std::{SafetyKernel, Timeouts};
/// let kernel = SafetyKernel::new(0.5)?
///     .with_timeouts(Timeouts { per_token: Some(Duration::from_millis(5)), total: None });
/// let slow = |_: &str| {
///     std::thread::sleep(Duration::from_millis(20));
///     0.9
/// };
/// assert_eq!(kernel.stream_output(&["a", "b"], slow), "[KERNEL INTERRUPT: TOKEN TIMEOUT EXCEEDED]");
/// assert!(!kernel.is_active());
/// # Ok::<(), backfire_std::BackfireError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest one token's scoring may take: a slower one halts the stream
    /// at that token (its score is recorded, not checked).
    pub per_token: Option<Duration>,
    /// Longest a stream may take, checked before each token is scored: the
    /// stream halts there without calling the callback.
    pub total: Option<Duration>,
}

impl Timeouts {
    /// No limits.
    pub const NONE: Timeouts = Timeouts { per_token: None, total: None };

    fn any(&self) -> bool {
        self.per_token.is_some() || self.total.is_some()
    }
}

/// The token loop (see the module documentation) over `n` tokens known by
/// index: `score(i)` scores token `i`.
fn run_record<E>(
    n: usize,
    interlock: &Interlock,
    mode: Option<Timestamps>,
    timeouts: Timeouts,
    check: impl FnMut(f64) -> Verdict<f64>,
    score: impl FnMut(usize) -> Result<f64, ScoreFailure<E>>,
) -> Result<StreamRecord, E> {
    let clock = Clock::start(mode, timeouts.any());
    // One loop per timing mode, so that the default one reads no clock and
    // makes no call of its own: its values then stay in registers (x86-64
    // saves no vector register across a call).
    let scored = if clock.per_token() || timeouts.any() {
        let watch = Watched { clock: &clock, timeouts, token_start: 0.0 };
        scored_stream(n, interlock, check, score, watch)
    } else {
        scored_stream(n, interlock, check, score, Unwatched)
    }?;
    let mut record = StreamRecord::from_scores(scored.coherence, scored.timestamps);
    if let Some((index, reason, cause)) = scored.halt {
        record.record_halt(index, reason, cause);
    }
    record.finish(clock.elapsed_s());
    Ok(record)
}

/// The clock's part of the token loop.
trait Watch {
    /// Before a token is scored: a halt if the stream is out of time.
    fn before_token(&mut self) -> Option<HaltReason<f64>>;
    /// After it was scored: its time stamp (if recorded), and a halt if
    /// its scoring took too long.
    fn after_token(&mut self) -> (Option<f64>, Option<HaltReason<f64>>);
}

impl<W: Watch> Watch for &mut W {
    #[inline(always)]
    fn before_token(&mut self) -> Option<HaltReason<f64>> {
        (**self).before_token()
    }
    #[inline(always)]
    fn after_token(&mut self) -> (Option<f64>, Option<HaltReason<f64>>) {
        (**self).after_token()
    }
}

/// No clock reads at all (the default).
struct Unwatched;

impl Watch for Unwatched {
    #[inline(always)]
    fn before_token(&mut self) -> Option<HaltReason<f64>> {
        None
    }
    #[inline(always)]
    fn after_token(&mut self) -> (Option<f64>, Option<HaltReason<f64>>) {
        (None, None)
    }
}

/// Clock reads around every token: time stamps and/or timeouts.
struct Watched<'a> {
    clock: &'a Clock,
    timeouts: Timeouts,
    /// When the current token's scoring started (seconds from the start).
    token_start: f64,
}

impl Watch for Watched<'_> {
    fn before_token(&mut self) -> Option<HaltReason<f64>> {
        if !self.timeouts.any() {
            return None;
        }
        self.token_start = self.clock.elapsed_s();
        exceeded(TimeLimit::Total, self.token_start, self.timeouts.total)
    }

    fn after_token(&mut self) -> (Option<f64>, Option<HaltReason<f64>>) {
        let stamps = self.clock.per_token();
        if !stamps && self.timeouts.per_token.is_none() {
            return (None, None);
        }
        let now = self.clock.elapsed_s();
        (stamps.then_some(now), exceeded(TimeLimit::Token, now - self.token_start, self.timeouts.per_token))
    }
}

/// A timeout halt if `elapsed_s` is past `max`.
fn exceeded(limit: TimeLimit, elapsed_s: f64, max: Option<Duration>) -> Option<HaltReason<f64>> {
    let limit_s = max?.as_secs_f64();
    (elapsed_s > limit_s).then(|| limit.halt(elapsed_s, limit_s))
}

/// What [`token_loop`] saw.
#[derive(Default)]
struct Scored {
    coherence: Vec<f64>,
    timestamps: Vec<f64>,
    halt: Option<(usize, HaltReason<f64>, Option<String>)>,
}

/// Streams this long or shorter are scored in one pass over room made up
/// front; longer ones (or an absurd announced count) a pass of this many
/// tokens at a time.
const ONE_PASS_TOKENS: usize = 1 << 20;

/// All `n` tokens through [`token_loop`].
#[inline(always)]
fn scored_stream<E>(
    n: usize,
    interlock: &Interlock,
    mut check: impl FnMut(f64) -> Verdict<f64>,
    mut score: impl FnMut(usize) -> Result<f64, ScoreFailure<E>>,
    mut watch: impl Watch,
) -> Result<Scored, E> {
    if n <= ONE_PASS_TOKENS {
        // The closures are moved in, so the monitor's state is the loop's
        // own and can live in registers.
        return token_loop(0, n, interlock, check, score, watch);
    }
    let mut all = Scored::default();
    while all.halt.is_none() && all.coherence.len() < n {
        let start = all.coherence.len();
        let len = (n - start).min(ONE_PASS_TOKENS);
        let part = token_loop(start, len, interlock, &mut check, &mut score, &mut watch)?;
        all.coherence.extend(part.coherence);
        all.timestamps.extend(part.timestamps);
        all.halt = part.halt;
    }
    Ok(all)
}

/// Tokens `offset .. offset + len`, until one halts.
///
/// Scores are written by index into zeroed room, cut to length at the end:
/// nothing in the loop calls out (no capacity check or growth), so with an
/// inlined scorer the window's sums stay in registers (x86-64 saves no
/// vector register across a call).
#[inline(always)]
fn token_loop<E>(
    offset: usize,
    len: usize,
    interlock: &Interlock,
    mut check: impl FnMut(f64) -> Verdict<f64>,
    mut score: impl FnMut(usize) -> Result<f64, ScoreFailure<E>>,
    mut watch: impl Watch,
) -> Result<Scored, E> {
    let mut coherence = vec![0.0; len];
    let mut timestamps = Vec::new();
    let mut halt = None;
    let mut count = 0;
    for (slot, index) in coherence.iter_mut().zip(offset..) {
        if !interlock.is_active() {
            halt = Some((index, HaltReason::Inactive, None));
            break;
        }
        if let Some(reason) = watch.before_token() {
            // Out of time: this token is not scored.
            let _ = interlock.observe(Verdict::Halt(reason));
            halt = Some((index, reason, None));
            break;
        }
        let (value, cause) = match score(index) {
            Ok(value) => (value, None),
            // NaN is the core's "no valid measurement": it halts at any limit.
            Err(ScoreFailure::Halt(cause)) => (f64::NAN, Some(cause)),
            Err(ScoreFailure::Abort(error)) => return Err(error),
        };
        let (stamp, late) = watch.after_token();
        if let Some(t) = stamp {
            timestamps.push(t);
        }
        let verdict = interlock.observe(late.map_or_else(|| check(value), Verdict::Halt));
        *slot = if value.is_finite() { value } else { 0.0 };
        count += 1;
        if let Verdict::Halt(reason) = verdict {
            halt = Some((index, reason, cause));
            break;
        }
    }
    coherence.truncate(count);
    Ok(Scored { coherence, timestamps, halt })
}

/// The token loop over token text: a [`StreamSession`] with the text of
/// every scored token.
fn run_stream<S, E>(
    tokens: &[S],
    interlock: &Interlock,
    mode: Option<Timestamps>,
    timeouts: Timeouts,
    check: impl FnMut(f64) -> Verdict<f64>,
    mut score: impl FnMut(usize, &str) -> Result<f64, ScoreFailure<E>>,
) -> Result<StreamSession, E>
where
    S: AsRef<str>,
{
    let text_of = |i: usize| tokens.get(i).map_or("", AsRef::as_ref);
    let record = run_record(tokens.len(), interlock, mode, timeouts, check, |i| score(i, text_of(i)))?;
    // The text of the scored tokens, copied once after the loop (a tight
    // copy loop is cheaper than interleaving it with the checks).
    let text = TokenText::of(tokens.get(..record.scored()).unwrap_or(tokens));
    Ok(StreamSession::from_parts(text, record))
}

/// A plain `f64` callback as a scorer: a panic becomes a recorded
/// [`ScoreFailure::Halt`].
///
/// `AssertUnwindSafe` is sound here because a callback that panicked is
/// never called again by this stream, so its possibly broken state is not
/// observed by us.
fn guarded<'a>(
    callback: &'a mut impl FnMut(&str) -> f64,
) -> impl FnMut(usize, &str) -> Result<f64, ScoreFailure<Infallible>> + 'a {
    move |_, token| {
        catch_unwind(AssertUnwindSafe(|| callback(token)))
            .map_err(|payload| ScoreFailure::Halt(format!("callback panicked: {}", panic_message(&*payload))))
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    match payload.downcast_ref::<&str>() {
        Some(s) => s,
        None => payload.downcast_ref::<String>().map_or("non-string panic payload", String::as_str),
    }
}

/// The batch entry points' length rule: one score per token.
pub fn check_score_count(tokens: usize, scores: usize) -> BackfireResult<()> {
    if scores == tokens {
        return Ok(());
    }
    Err(BackfireError::Validation(format!(
        "scores must have one value per token, got {scores} scores for {tokens} tokens"
    )))
}

/// Precomputed scores as a scorer; lengths must match.
fn precomputed<'a>(
    tokens: usize,
    scores: &'a [f64],
) -> BackfireResult<impl FnMut(usize) -> Result<f64, ScoreFailure<Infallible>> + 'a> {
    check_score_count(tokens, scores.len())?;
    Ok(by_index(scores))
}

/// Score `i` is `scores[i]`; callers pass as many tokens as scores, so the
/// NaN fallback (which would halt) is never used.
fn by_index(scores: &[f64]) -> impl FnMut(usize) -> Result<f64, ScoreFailure<Infallible>> + '_ {
    move |i| Ok(scores.get(i).copied().unwrap_or(f64::NAN))
}

fn infallible<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

/// A kernel: the latch, the timing mode, and a [`Gate`] — the checks a
/// stream's scores go through. Use it as [`SafetyKernel`] or
/// [`StreamingKernel`]; both share every entry point below.
///
/// Methods take `&self`: each stream gets its own per-stream state and the
/// latch is atomic, so a callback may run the same kernel and a supervisor
/// may call [`emergency_stop`](Self::emergency_stop) meanwhile.
#[derive(Clone, Debug)]
pub struct Kernel<G> {
    gate: G,
    interlock: Interlock,
    timestamps: Timestamps,
    timeouts: Timeouts,
}

/// The basic gate: every token's score must reach the hard limit.
///
/// Unlike the reference, a halt is final: after a hard-limit halt (or an
/// [`emergency_stop`](Kernel::emergency_stop)) every stream halts at its
/// first token with `kernel_inactive`, without calling the callback, until
/// [`reactivate`](Kernel::reactivate).
///
/// ```
/// use backfire_std::SafetyKernel;
/// let kernel = SafetyKernel::new(0.5)?;
/// assert_eq!(kernel.stream_output(&["Hello ", "world"], |_| 0.8), "Hello world");
/// assert_eq!(kernel.stream_output(&["Hello ", "world"], |_| 0.3), "[KERNEL INTERRUPT: COHERENCE LIMIT EXCEEDED]");
/// assert!(!kernel.is_active());
/// assert_eq!(kernel.stream_output(&["a"], |_| 0.9), "[KERNEL INTERRUPT: kernel_inactive]");
/// kernel.reactivate();
/// assert_eq!(kernel.stream_output(&["a"], |_| 0.9), "a");
/// # Ok::<(), backfire_std::BackfireError>(())
/// ```
pub type SafetyKernel = Kernel<HardLimitGate>;

/// The streaming gate: hard limit, sliding-window mean and downward trend
/// over each stream, with a latch across streams.
///
/// Each stream gets its own core [`StreamMonitor`] (one allocation of
/// `max(window_size, trend_window)` scores per stream).
///
/// ```
/// use backfire_std::{BackfireConfig, StreamingKernel};
/// let config = BackfireConfig { window_size: 3, window_threshold: 0.7, ..Default::default() };
/// let kernel = StreamingKernel::from_config(&config)?;
/// let session = kernel.stream_tokens(&["a ", "b ", "c ", "d"], |_| 0.6);
/// assert_eq!(session.halt_reason(), "window_avg (0.6000 < 0.7)");
/// assert_eq!(session.halt_index(), Some(2));
/// assert_eq!(session.output(), "a b ");
/// assert!(kernel.is_active()); // window halts do not latch
/// # Ok::<(), backfire_std::BackfireError>(())
/// ```
pub type StreamingKernel = Kernel<StreamingGate>;

/// The checks one kind of kernel applies to a stream (sealed: implemented
/// by [`HardLimitGate`] and [`StreamingGate`] only).
pub trait Gate: sealed::Sealed {
    /// The check of one new stream: score in, verdict out.
    #[doc(hidden)]
    fn begin_stream(&self) -> impl FnMut(f64) -> Verdict<f64>;

    /// What `stream_output` returns for a halted stream.
    #[doc(hidden)]
    fn interrupt(record: &StreamRecord) -> String;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::HardLimitGate {}
    impl Sealed for super::StreamingGate {}
}

/// The [`SafetyKernel`]'s check: the core's [`HardLimit`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HardLimitGate(HardLimit<f64>);

impl Gate for HardLimitGate {
    fn begin_stream(&self) -> impl FnMut(f64) -> Verdict<f64> {
        let hard_limit = self.0;
        #[inline(always)]
        move |s| hard_limit.check(s).map_or_else(Verdict::Halt, |()| Verdict::Continue)
    }

    /// [`SAFETY_INTERRUPT`]; `[KERNEL INTERRUPT: kernel_inactive]` if the
    /// kernel was already halted; the reference's Python kernel's texts for
    /// a timeout.
    fn interrupt(record: &StreamRecord) -> String {
        match record.halt() {
            Some(HaltReason::Inactive) => interrupt(record),
            Some(HaltReason::TokenTimeout { .. }) => TOKEN_TIMEOUT_INTERRUPT.to_owned(),
            Some(HaltReason::TotalTimeout { .. }) => TOTAL_TIMEOUT_INTERRUPT.to_owned(),
            _ => SAFETY_INTERRUPT.to_owned(),
        }
    }
}

/// The [`StreamingKernel`]'s checks: a fresh core [`StreamMonitor`] per
/// stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamingGate(StreamingLimits<f64>);

impl Gate for StreamingGate {
    fn begin_stream(&self) -> impl FnMut(f64) -> Verdict<f64> {
        let mut monitor = fresh_monitor(&self.0);
        #[inline(always)]
        move |s| monitor.push(s)
    }

    /// `[KERNEL INTERRUPT: <halt_reason>]`.
    fn interrupt(record: &StreamRecord) -> String {
        interrupt(record)
    }
}

/// `[KERNEL INTERRUPT: <halt_reason>]`.
fn interrupt(record: &StreamRecord) -> String {
    format!("[KERNEL INTERRUPT: {}]", record.halt_reason())
}

impl SafetyKernel {
    /// A kernel with a hard limit in `[0, 1]` (validated, unlike the
    /// reference).
    pub fn new(hard_limit: f64) -> BackfireResult<Self> {
        Ok(Self::with_gate(HardLimitGate(HardLimit::new(hard_limit)?)))
    }

    /// A kernel with the configuration's hard limit.
    pub fn from_valid(config: &ValidConfig) -> Self {
        Self::with_gate(HardLimitGate(config.hard_limit()))
    }

    /// Validates `config` and uses its hard limit.
    pub fn from_config(config: &BackfireConfig) -> BackfireResult<Self> {
        Ok(Self::from_valid(&config.validate()?))
    }

    /// The hard limit.
    pub fn hard_limit(&self) -> f64 {
        self.gate.0.value()
    }
}

impl StreamingKernel {
    /// A kernel for a validated configuration.
    pub fn new(config: &ValidConfig) -> Self {
        Self::with_gate(StreamingGate(*config.streaming_limits()))
    }

    /// Validates `config` and builds a kernel for it.
    pub fn from_config(config: &BackfireConfig) -> BackfireResult<Self> {
        Ok(Self::new(&config.validate()?))
    }

    /// The limits the kernel enforces.
    pub fn limits(&self) -> &StreamingLimits<f64> {
        &self.gate.0
    }
}

impl<G: Gate> Kernel<G> {
    fn with_gate(gate: G) -> Self {
        Kernel {
            gate,
            interlock: Interlock::new(),
            timestamps: Timestamps::default(),
            timeouts: Timeouts::NONE,
        }
    }

    /// The same kernel recording time as `mode` says.
    pub fn with_timestamps(mut self, mode: Timestamps) -> Self {
        self.timestamps = mode;
        self
    }

    /// The same kernel with these time limits on every callback-scored
    /// stream (see [`Timeouts`]; precomputed scores are never timed).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The kernel's time limits.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Streams `tokens`, scoring each with `score(index, token)`; see the
    /// module documentation for the loop and [`ScoreFailure`] for failures.
    pub fn stream_with<S: AsRef<str>, E>(
        &self,
        tokens: &[S],
        score: impl FnMut(usize, &str) -> Result<f64, ScoreFailure<E>>,
    ) -> Result<StreamSession, E> {
        self.run(tokens, Some(self.timestamps), score)
    }

    /// Streams `tokens`, scoring each with `callback`. A panicking callback
    /// or a non-finite score halts the stream.
    pub fn stream_tokens<S: AsRef<str>>(
        &self,
        tokens: &[S],
        mut callback: impl FnMut(&str) -> f64,
    ) -> StreamSession {
        infallible(self.stream_with(tokens, guarded(&mut callback)))
    }

    /// Streams `tokens` with one precomputed score each (the batch entry
    /// point: no callback per token). Errors if the lengths differ.
    pub fn stream_scores<S: AsRef<str>>(
        &self,
        tokens: &[S],
        scores: &[f64],
    ) -> BackfireResult<StreamSession> {
        let mut score = precomputed(tokens.len(), scores)?;
        Ok(infallible(self.stream_with(tokens, |i, _| score(i))))
    }

    /// The releasable text, or an interrupt message if the stream halted:
    /// [`SAFETY_INTERRUPT`] for the safety kernel (the reference's fixed
    /// text), `[KERNEL INTERRUPT: <halt_reason>]` for the streaming kernel
    /// and for an inactive kernel. No per-token clock is read.
    pub fn stream_output<S: AsRef<str>>(
        &self,
        tokens: &[S],
        mut callback: impl FnMut(&str) -> f64,
    ) -> String {
        infallible(self.stream_output_with(tokens, guarded(&mut callback)))
    }

    /// [`stream_output`](Self::stream_output) with a fallible scorer, as for
    /// [`stream_with`](Self::stream_with).
    pub fn stream_output_with<S: AsRef<str>, E>(
        &self,
        tokens: &[S],
        score: impl FnMut(usize, &str) -> Result<f64, ScoreFailure<E>>,
    ) -> Result<String, E> {
        let session = self.run(tokens, None, score)?;
        Ok(if session.halted() { G::interrupt(&session) } else { session.into_output() })
    }

    /// The token loop over `n` tokens the caller keeps itself (by index):
    /// the [`StreamRecord`] of scores, times and halt, no text copied. The
    /// Python layer uses it with the caller's own `str` objects.
    pub fn stream_indexed<E>(
        &self,
        n: usize,
        score: impl FnMut(usize) -> Result<f64, ScoreFailure<E>>,
    ) -> Result<StreamRecord, E> {
        run_record(n, &self.interlock, Some(self.timestamps), self.timeouts, self.gate.begin_stream(), score)
    }

    /// [`stream_indexed`](Self::stream_indexed) for a caller that keeps
    /// only the outcome (an output string): no clock is read, whatever the
    /// kernel's [`Timestamps`] mode.
    pub fn stream_indexed_untimed<E>(
        &self,
        n: usize,
        score: impl FnMut(usize) -> Result<f64, ScoreFailure<E>>,
    ) -> Result<StreamRecord, E> {
        run_record(n, &self.interlock, None, self.timeouts, self.gate.begin_stream(), score)
    }

    /// [`stream_indexed`](Self::stream_indexed) with one precomputed score
    /// per token: pure arithmetic, no token text at all.
    // Kept out of line: inlined into a large caller (the Python binding) its
    // loop lost its registers and ran 2× slower.
    /// The timeouts do not apply: nothing is called per token.
    #[inline(never)]
    pub fn gate_scores(&self, scores: &[f64]) -> StreamRecord {
        let (n, check) = (scores.len(), self.gate.begin_stream());
        infallible(run_record(
            n,
            &self.interlock,
            Some(self.timestamps),
            Timeouts::NONE,
            check,
            by_index(scores),
        ))
    }

    /// What [`stream_output`](Self::stream_output) returns for a halted
    /// stream with this record.
    pub fn interrupt_text(&self, record: &StreamRecord) -> String {
        G::interrupt(record)
    }

    /// [`stream_output`](Self::stream_output) with one precomputed score per
    /// token. Errors if the lengths differ.
    pub fn stream_scores_output<S: AsRef<str>>(
        &self,
        tokens: &[S],
        scores: &[f64],
    ) -> BackfireResult<String> {
        let mut score = precomputed(tokens.len(), scores)?;
        Ok(infallible(self.stream_output_with(tokens, |i, _| score(i))))
    }

    fn run<S: AsRef<str>, E>(
        &self,
        tokens: &[S],
        mode: Option<Timestamps>,
        score: impl FnMut(usize, &str) -> Result<f64, ScoreFailure<E>>,
    ) -> Result<StreamSession, E> {
        run_stream(tokens, &self.interlock, mode, self.timeouts, self.gate.begin_stream(), score)
    }

    /// The latch, shareable with a supervisor.
    pub fn interlock(&self) -> &Interlock {
        &self.interlock
    }

    /// `false` after a hard-limit halt or an emergency stop.
    pub fn is_active(&self) -> bool {
        self.interlock.is_active()
    }

    /// Halts the kernel: every later token halts until
    /// [`reactivate`](Self::reactivate). Idempotent. (The reference's
    /// streaming kernel has no such method.)
    pub fn emergency_stop(&self) {
        self.interlock.emergency_stop();
    }

    /// Clears the latch.
    pub fn reactivate(&self) {
        self.interlock.reactivate();
    }
}

/// A monitor over a fresh `Vec` of exactly the size the limits need.
fn fresh_monitor(limits: &StreamingLimits<f64>) -> StreamMonitor<f64, Vec<f64>> {
    let mut slots = limits.capacity();
    loop {
        match StreamMonitor::new(*limits, vec![0.0; slots]) {
            Ok(monitor) => return monitor,
            // Not reached: `capacity()` is exactly what `new` asks for.
            // Growing to the size the error names keeps this total without
            // a panic path.
            Err(too_small) => slots = too_small.needed.max(slots + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streaming(edit: impl FnOnce(&mut BackfireConfig)) -> StreamingKernel {
        let mut c = BackfireConfig::default();
        edit(&mut c);
        StreamingKernel::from_config(&c).unwrap()
    }

    fn sleepy(ms: u64, score: f64) -> impl FnMut(&str) -> f64 {
        move |_| {
            std::thread::sleep(Duration::from_millis(ms));
            score
        }
    }

    fn timeouts(per_token_ms: Option<u64>, total_ms: Option<u64>) -> Timeouts {
        Timeouts {
            per_token: per_token_ms.map(Duration::from_millis),
            total: total_ms.map(Duration::from_millis),
        }
    }

    #[test]
    fn a_slow_callback_halts_at_its_token_and_latches() {
        let kernel = streaming(|_| {}).with_timeouts(timeouts(Some(5), None));
        let mut calls = 0;
        let session = kernel.stream_tokens(&["a", "b", "c"], |t| {
            calls += 1;
            if t == "b" { sleepy(30, 0.9)(t) } else { 0.9 }
        });
        assert_eq!((calls, session.halt_index(), session.scored()), (2, Some(1), 2));
        let reason = session.halt().unwrap();
        assert!(
            matches!(reason, HaltReason::TokenTimeout { elapsed_s, limit_s }
            if elapsed_s >= 0.03 && limit_s == 0.005),
            "{reason:?}"
        );
        assert!(session.halt_reason().starts_with("token_timeout ("), "{}", session.halt_reason());
        assert!(!kernel.is_active());
        // The latch then stops the next stream before its first callback.
        kernel.reactivate();
        assert!(!kernel.stream_tokens(&["a"], |_| 0.9).halted());
    }

    #[test]
    fn the_total_timeout_stops_before_the_next_callback() {
        let kernel = SafetyKernel::new(0.5).unwrap().with_timeouts(timeouts(None, Some(25)));
        let mut calls = 0;
        let out = kernel.stream_output(&["a"; 10], |t| {
            calls += 1;
            sleepy(10, 0.9)(t)
        });
        assert_eq!(out, TOTAL_TIMEOUT_INTERRUPT);
        // 10 ms each: the budget runs out after the third call or so.
        assert!((3..10).contains(&calls), "{calls} calls");
        assert!(!kernel.is_active());
        let kernel = SafetyKernel::new(0.5).unwrap().with_timeouts(timeouts(Some(5), None));
        assert_eq!(kernel.stream_output(&["a", "b"], sleepy(20, 0.9)), TOKEN_TIMEOUT_INTERRUPT);
    }

    #[test]
    fn timeouts_leave_fast_streams_scores_and_batches_alone() {
        let timed = streaming(|_| {}).with_timeouts(timeouts(Some(1000), Some(1000)));
        let plain = streaming(|_| {});
        let scores = [0.9, 0.8, 0.2, 0.9];
        let score_of = |t: &str| scores[t.parse::<usize>().unwrap()];
        let tokens = ["0", "1", "2", "3"];
        let (a, b) = (timed.stream_tokens(&tokens, score_of), plain.stream_tokens(&tokens, score_of));
        assert_eq!((a.halt(), a.coherence_history()), (b.halt(), b.coherence_history()));
        timed.reactivate();
        // Precomputed scores are never timed, even with a zero-length budget.
        let instant = streaming(|_| {}).with_timeouts(timeouts(Some(0), Some(0)));
        assert!(!instant.gate_scores(&[0.9; 50]).halted());
        // Per-token times are still recorded alongside the timeouts.
        let stamped = timed.with_timestamps(Timestamps::PerToken);
        let session = stamped.stream_tokens(&["x", "y"], |_| 0.9);
        assert!(session.timestamp_s(1).is_some() && session.timestamp_s(1) >= session.timestamp_s(0));
    }

    #[test]
    fn long_streams_keep_every_score_in_order() {
        let kernel = streaming(|_| {});
        // Varied passing scores, then a hard-limit halt.
        let n = 150_001;
        let scores: Vec<f64> =
            (0..n).map(|i| if i + 1 == n { 0.1 } else { 0.8 + (i % 7) as f64 * 0.01 }).collect();
        let record = kernel.gate_scores(&scores);
        assert_eq!(record.halt_index(), Some(n - 1));
        assert_eq!(record.coherence_history(), &scores[..]);
        // Not halted: every score kept, none invented past the end.
        let kernel = streaming(|_| {});
        let record = kernel.gate_scores(&scores[..n - 1]);
        assert!(!record.halted());
        assert_eq!(record.coherence_history(), &scores[..n - 1]);
        // A huge announced count is scored a pass at a time, and the
        // passes join up.
        let halt_at = ONE_PASS_TOKENS + 5;
        let record = kernel
            .stream_indexed::<()>(usize::MAX, |i| {
                Ok(if i == halt_at { 0.1 } else { 0.8 + (i % 3) as f64 * 0.05 })
            })
            .unwrap();
        assert_eq!(record.scored(), halt_at + 1);
        assert_eq!(record.halt_index(), Some(halt_at));
        let history = record.coherence_history();
        assert!(history[..halt_at].iter().enumerate().all(|(i, &c)| c == 0.8 + (i % 3) as f64 * 0.05));
    }

    #[test]
    fn panic_messages_are_extracted() {
        assert_eq!(panic_message(&"static"), "static");
        assert_eq!(panic_message(&String::from("owned")), "owned");
        assert_eq!(panic_message(&42), "non-string panic payload");
    }

    #[test]
    fn abort_returns_the_callers_error_and_records_nothing() {
        let kernel = streaming(|_| {});
        let mut seen = Vec::new();
        let result = kernel.stream_with(&["a", "b", "c"], |i, t| {
            seen.push(t.to_owned());
            if i == 1 { Err(ScoreFailure::Abort("interrupted")) } else { Ok(0.9) }
        });
        assert_eq!(result, Err("interrupted"));
        assert_eq!(seen, ["a", "b"]);
        assert!(kernel.is_active());
    }

    #[test]
    fn halt_failure_records_its_message_and_latches() {
        let kernel = streaming(|c| c.hard_limit = 0.0);
        let session = kernel
            .stream_with(&["a", "b", "c"], |i, _| {
                if i == 1 {
                    Err(ScoreFailure::<()>::Halt("callback_error: RuntimeError('boom')".into()))
                } else {
                    Ok(0.9)
                }
            })
            .unwrap();
        assert_eq!(session.halt_reason(), "hard_limit (callback_error: RuntimeError('boom'))");
        assert_eq!(session.halt_index(), Some(1));
        assert_eq!(session.coherence_history(), [0.9, 0.0]);
        assert_eq!(session.output(), "a");
        assert!(!kernel.is_active());
    }

    #[test]
    fn stream_output_reads_no_clock_but_sessions_do() {
        let kernel = streaming(|_| {});
        let session = kernel.stream_tokens(&["a", "b"], |_| 0.9);
        assert!(session.events().all(|e| e.timestamp_s.is_none()), "end-only is the default");
        let kernel = kernel.with_timestamps(Timestamps::PerToken);
        let session = kernel.stream_tokens(&["a", "b"], |_| 0.9);
        assert!(session.events().all(|e| e.timestamp_s.is_some()));
        assert!(session.duration_ms() >= 0.0);
    }

    #[test]
    fn fresh_monitor_has_room_for_both_windows() {
        let limits = StreamingLimits::new(0.5, 3, 0.5, 7, 0.1).unwrap();
        assert_eq!(fresh_monitor(&limits).into_storage().len(), 7);
    }
}
