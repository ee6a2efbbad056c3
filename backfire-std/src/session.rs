//! The record of one stream: which tokens were scored, their scores and
//! times, and why (or whether) the stream halted.
//!
//! # Storage
//!
//! The scored tokens' text is stored once, copied after the token loop
//! into a single `String` of which only each token's end offset is kept,
//! so [`StreamSession::token`], [`StreamSession::tokens`] and
//! [`StreamSession::output`] are slices of that string, never copies.
//! Scores and (optionally) timestamps are plain columns; a [`TokenEvent`]
//! is assembled from the columns on demand.

use std::time::Instant;

use backfire_nostd::gate::{HaltReason, clamp_score};
use backfire_nostd::num::NeumaierSum;
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// How a stream records time.
///
/// Reading the monotonic clock costs 40–90 ns on the machines we measured
/// — four to ten times the whole per-token work of the gate — so per-token
/// timestamps are opt-in. The duration of the stream is always recorded.
/// (The reference always timestamps every token; see COMPATIBILITY.md.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Timestamps {
    /// Every event carries the seconds elapsed from the start of the call
    /// to the moment its score was returned (the reference's behaviour).
    /// Worth it when scores come from slow callbacks (NLI models, network).
    PerToken,
    /// Only the stream's end time is recorded; events carry no timestamp.
    #[default]
    EndOnly,
}

/// The clock of one stream: started at the call, read per token only in
/// [`Timestamps::PerToken`] mode or when the kernel has timeouts. `None`
/// mode without timeouts reads no clock at all (used where no timing can
/// be observed, e.g. `stream_output`).
pub(crate) struct Clock {
    start: Option<Instant>,
    per_token: bool,
}

impl Clock {
    /// A clock for `mode`; one that `timed` streams (with timeouts) read
    /// even when `mode` is `None`.
    pub(crate) fn start(mode: Option<Timestamps>, timed: bool) -> Self {
        let start = (mode.is_some() || timed).then(Instant::now);
        Clock { start, per_token: mode == Some(Timestamps::PerToken) }
    }

    /// Whether this clock records per-token times.
    #[inline]
    pub(crate) fn per_token(&self) -> bool {
        self.per_token
    }

    /// Seconds since the start (0 for a clock that is off).
    pub(crate) fn elapsed_s(&self) -> f64 {
        self.start.map_or(0.0, |start| start.elapsed().as_secs_f64())
    }
}

/// How a stream ended.
#[derive(Clone, Debug, PartialEq)]
struct Halt {
    /// Index (in the input) of the token that halted the stream.
    index: usize,
    reason: HaltReason<f64>,
    /// The rendered `halt_reason`, built once when the stream halts.
    text: String,
}

/// What a stream did, apart from its text: one score (and optionally one
/// timestamp) per scored token, how it ended, and how long it took.
///
/// A [`StreamSession`] is a `StreamRecord` plus the scored tokens' text
/// (it derefs to its record). Callers that keep the tokens themselves — the
/// Python layer holds the caller's `str` objects — use the record alone
/// ([`Kernel::stream_indexed`](crate::kernel::Kernel::stream_indexed)) and
/// copy no text at all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamRecord {
    /// Score per scored token (non-finite and failed scores as 0.0).
    coherence: Vec<f64>,
    /// Seconds from start per scored token; empty unless per-token timing.
    timestamps: Vec<f64>,
    halt: Option<Halt>,
    end_time_s: f64,
}

impl StreamRecord {
    /// A record of these scores (and per-token times, or none), not halted.
    pub(crate) fn from_scores(coherence: Vec<f64>, timestamps: Vec<f64>) -> Self {
        StreamRecord { coherence, timestamps, halt: None, end_time_s: 0.0 }
    }

    /// Records the halt of the token at `index`. `cause` replaces the
    /// detail of the rendered reason (a failed callback).
    pub(crate) fn record_halt(&mut self, index: usize, reason: HaltReason<f64>, cause: Option<String>) {
        let text = match cause {
            Some(cause) => format!("{} ({cause})", reason.kind()),
            None => reason.to_string(),
        };
        self.halt = Some(Halt { index, reason, text });
    }

    /// Records the end of the stream.
    pub(crate) fn finish(&mut self, end_time_s: f64) {
        self.end_time_s = end_time_s;
    }

    /// Number of scored tokens (including a halting one).
    #[inline]
    pub fn scored(&self) -> usize {
        self.coherence.len()
    }

    /// Number of leading tokens that may be released: all scored tokens, or
    /// those before the halting one. Never more than [`scored`](Self::scored).
    #[inline]
    pub fn released(&self) -> usize {
        self.halt.as_ref().map_or(self.coherence.len(), |h| h.index.min(self.coherence.len()))
    }

    /// One recorded score per scored token.
    #[inline]
    pub fn coherence_history(&self) -> &[f64] {
        &self.coherence
    }

    /// Seconds from the start to the score of token `i`, if per-token
    /// times were recorded.
    #[inline]
    pub fn timestamp_s(&self, i: usize) -> Option<f64> {
        self.timestamps.get(i).copied()
    }

    /// Whether the stream halted.
    #[inline]
    pub fn halted(&self) -> bool {
        self.halt.is_some()
    }

    /// Index of the token that halted the stream. For a
    /// `kernel_inactive` halt it is the number of tokens accepted before.
    #[inline]
    pub fn halt_index(&self) -> Option<usize> {
        self.halt.as_ref().map(|h| h.index)
    }

    /// [`halt_index`](Self::halt_index) as the Python convention has it:
    /// −1 when the stream did not halt (the reference's Rust session used 0).
    pub fn halt_index_i64(&self) -> i64 {
        self.halt_index().map_or(-1, |i| i64::try_from(i).unwrap_or(i64::MAX))
    }

    /// Why the stream halted, in the reference's words
    /// (`hard_limit (0.3000 < 0.5)`, `window_avg (…)`, `downward_trend (…)`,
    /// `kernel_inactive`, `hard_limit (non-finite score)`,
    /// `hard_limit (callback panicked: …)`); `""` if it did not.
    #[inline]
    pub fn halt_reason(&self) -> &str {
        self.halt.as_ref().map_or("", |h| &h.text)
    }

    /// Why the stream halted, with the numbers. A failed callback is a
    /// [`HaltReason::NonFiniteScore`].
    #[inline]
    pub fn halt(&self) -> Option<HaltReason<f64>> {
        self.halt.as_ref().map(|h| h.reason)
    }

    /// Mean of the recorded scores, clamped to `[0, 1]`; 0 if none.
    pub fn avg_coherence(&self) -> f64 {
        if self.coherence.is_empty() {
            return 0.0;
        }
        let mut sum = NeumaierSum::default();
        self.coherence.iter().for_each(|&c| sum.add(c));
        clamp_score(sum.value() / self.coherence.len() as f64, 0.0, 1.0)
    }

    /// Smallest recorded score, floored at 0 (not capped at 1, as in the
    /// reference); 0 if none.
    pub fn min_coherence(&self) -> f64 {
        if self.coherence.is_empty() {
            return 0.0;
        }
        self.coherence.iter().copied().fold(f64::INFINITY, f64::min).max(0.0)
    }

    /// Start of the stream in seconds: always 0, times are relative to the
    /// start of the call.
    #[inline]
    pub fn start_time_s(&self) -> f64 {
        0.0
    }

    /// Seconds from the start of the call to the end of the stream.
    #[inline]
    pub fn end_time_s(&self) -> f64 {
        self.end_time_s
    }

    /// Duration of the stream in milliseconds (never negative).
    #[inline]
    pub fn duration_ms(&self) -> f64 {
        (self.end_time_s - self.start_time_s()) * 1000.0
    }
}

/// The scored tokens' text, stored once.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TokenText {
    /// Every scored token, concatenated.
    text: String,
    /// `ends[i]` is the end offset of token `i` in `text`.
    ends: Vec<usize>,
}

impl TokenText {
    /// The concatenated text of `tokens`, reserved exactly (when the
    /// allocator allows: a slice may repeat one huge string many times, so
    /// the reservation never aborts; the text then grows as needed).
    pub(crate) fn of<S: AsRef<str>>(tokens: &[S]) -> Self {
        let text_len = tokens.iter().fold(0usize, |n, t| n.saturating_add(t.as_ref().len()));
        let mut ends = Vec::with_capacity(tokens.len());
        // Tokens are a few bytes each, where a `memcpy` call per token
        // costs more than the copy: short tokens are copied with fixed-size
        // moves into a zeroed buffer (one `calloc`), longer ones by slice.
        let mut bytes = Vec::new();
        if bytes.try_reserve_exact(text_len).is_ok() {
            bytes.resize(text_len, 0);
            let mut end = 0;
            for token in tokens {
                let token = token.as_ref().as_bytes();
                let start = end;
                end += token.len();
                if let Some(slot) = bytes.get_mut(start..end) {
                    copy_short(slot, token);
                }
                ends.push(end);
            }
        } else {
            // A slice repeating one huge string: let the text grow as needed.
            for token in tokens {
                bytes.extend_from_slice(token.as_ref().as_bytes());
                ends.push(bytes.len());
            }
        }
        // Concatenated `str`s are UTF-8, so this never takes the fallback.
        let text =
            String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        TokenText { text, ends }
    }
}

/// `dst.copy_from_slice(src)` (equal lengths), with the short lengths done
/// as two possibly overlapping fixed-size moves instead of a call.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    fn ends<const K: usize>(dst: &mut [u8], src: &[u8]) {
        let n = src.len();
        if let (Some(d), Some(s)) = (dst.first_chunk_mut::<K>(), src.first_chunk::<K>()) {
            *d = *s;
        }
        if let (Some(d), Some(s)) =
            (dst.get_mut(n - K..).and_then(|d| d.first_chunk_mut::<K>()), src.last_chunk::<K>())
        {
            *d = *s;
        }
    }
    match src.len() {
        0 => {}
        1 => ends::<1>(dst, src),
        2..=3 => ends::<2>(dst, src),
        4..=7 => ends::<4>(dst, src),
        8..=16 => ends::<8>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// Everything one call of a kernel's `stream_*` method did: the
/// [`StreamRecord`] (scores, times, halt — reachable through `Deref`) and
/// the text of every scored token.
///
/// Every token that was scored is recorded, including the one that halted
/// the stream; [`output`](Self::output) is the text that may be released,
/// which excludes the halting token.
///
/// ```
/// use backfire_std::{BackfireConfig, StreamingKernel};
/// let kernel = StreamingKernel::from_config(&BackfireConfig::default())?;
/// let session = kernel.stream_scores(&["Hello ", "world ", "bad"], &[0.8, 0.7, 0.3])?;
/// assert!(session.halted());
/// assert_eq!(session.halt_index(), Some(2));
/// assert_eq!(session.halt_reason(), "hard_limit (0.3000 < 0.5)");
/// assert_eq!(session.token_count(), 3);
/// assert_eq!(session.token(2), Some("bad"));
/// assert_eq!(session.output(), "Hello world ");
/// # Ok::<(), backfire_std::BackfireError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamSession {
    text: TokenText,
    record: StreamRecord,
}

/// One scored token, assembled from a [`StreamSession`]'s columns.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct TokenEvent<'a> {
    /// The token text (a slice of the session's text).
    pub token: &'a str,
    /// Position in the input, from 0.
    pub index: usize,
    /// The recorded score: the callback's value, or 0.0 if it was
    /// non-finite or the callback failed.
    pub coherence: f64,
    /// Seconds from the start of the call until the score was returned;
    /// `None` unless the kernel records [`Timestamps::PerToken`].
    pub timestamp_s: Option<f64>,
    /// `true` only for the token that halted the stream.
    pub halted: bool,
}

impl core::ops::Deref for StreamSession {
    type Target = StreamRecord;

    fn deref(&self) -> &StreamRecord {
        &self.record
    }
}

impl StreamSession {
    pub(crate) fn from_parts(text: TokenText, record: StreamRecord) -> Self {
        StreamSession { text, record }
    }

    /// The scores, times and halt of the stream.
    #[inline]
    pub fn record(&self) -> &StreamRecord {
        &self.record
    }

    /// The releasable text, taking the session apart (no copy).
    pub(crate) fn into_output(mut self) -> String {
        let len = self.output().len();
        self.text.text.truncate(len);
        self.text.text
    }

    /// Byte offset in `text` where token `i` starts.
    #[inline]
    fn start_of(&self, i: usize) -> usize {
        match i.checked_sub(1) {
            None => 0,
            Some(prev) => self.text.ends.get(prev).copied().unwrap_or(self.text.text.len()),
        }
    }

    /// The releasable text: every scored token before the halting one, or
    /// all of them if the stream did not halt. Never panics.
    pub fn output(&self) -> &str {
        let end = self.start_of(self.record.released());
        self.text.text.get(..end).unwrap_or_default()
    }

    /// The `i`-th scored token.
    pub fn token(&self, i: usize) -> Option<&str> {
        let end = *self.text.ends.get(i)?;
        self.text.text.get(self.start_of(i)..end)
    }

    /// Every scored token, in order (including a halting one).
    pub fn tokens(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        (0..self.text.ends.len()).map(|i| self.token(i).unwrap_or_default())
    }

    /// Number of scored tokens (including a halting one).
    #[inline]
    pub fn token_count(&self) -> usize {
        self.text.ends.len()
    }

    /// One event per scored token.
    pub fn events(&self) -> impl ExactSizeIterator<Item = TokenEvent<'_>> + Clone + '_ {
        let halt_index = self.halt_index();
        self.tokens().zip(self.coherence_history()).enumerate().map(move |(index, (token, &coherence))| {
            TokenEvent {
                token,
                index,
                coherence,
                timestamp_s: self.record.timestamp_s(index),
                halted: halt_index == Some(index),
            }
        })
    }
}

/// Serialises with the reference's field names: `tokens`, `events`,
/// `coherence_history`, `halted`, `halt_index` (−1 if not halted),
/// `halt_reason`, `start_time_s`, `end_time_s`.
impl Serialize for StreamSession {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        struct Seq<I>(I);
        impl<I: Iterator<Item = T> + Clone, T: Serialize> Serialize for Seq<I> {
            fn serialize<Ser: Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
                s.collect_seq(self.0.clone())
            }
        }
        let mut s = serializer.serialize_struct("StreamSession", 8)?;
        s.serialize_field("tokens", &Seq(self.tokens()))?;
        s.serialize_field("events", &Seq(self.events()))?;
        s.serialize_field("coherence_history", self.coherence_history())?;
        s.serialize_field("halted", &self.halted())?;
        s.serialize_field("halt_index", &self.halt_index_i64())?;
        s.serialize_field("halt_reason", self.halt_reason())?;
        s.serialize_field("start_time_s", &self.start_time_s())?;
        s.serialize_field("end_time_s", &self.end_time_s())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session built by hand, the way the reference's tests build them.
    fn session(tokens: &[&str], scores: &[f64], halt: Option<(usize, HaltReason<f64>)>) -> StreamSession {
        let text = TokenText::of(tokens);
        let mut record = StreamRecord::from_scores(scores.to_vec(), Vec::new());
        if let Some((i, r)) = halt {
            record.record_halt(i, r, None);
        }
        StreamSession::from_parts(text, record)
    }

    const HARD: HaltReason<f64> = HaltReason::HardLimit { score: 0.1, limit: 0.5 };

    #[test]
    fn token_text_keeps_every_length_and_multibyte_text() {
        // Every length of each copy path (short moves, overlapping ends,
        // slice copy), distinct bytes so a misplaced byte shows, and
        // multi-byte characters.
        let owned: Vec<String> =
            (0..40).map(|n| (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect()).collect();
        let mut tokens: Vec<&str> = owned.iter().map(String::as_str).collect();
        tokens.extend(["é", "日本", "🦀x", ""]);
        let text = TokenText::of(&tokens);
        assert_eq!(text.text, tokens.concat());
        let mut start = 0;
        for (token, &end) in tokens.iter().zip(&text.ends) {
            assert_eq!(&text.text[start..end], *token);
            start = end;
        }
    }

    #[test]
    fn output_excludes_the_halting_token() {
        let s = session(&["Hello ", "world", " bad"], &[0.8, 0.8, 0.1], Some((2, HARD)));
        assert_eq!(s.output(), "Hello world");
        assert_eq!(s.token_count(), 3);
        assert_eq!(s.tokens().collect::<Vec<_>>(), ["Hello ", "world", " bad"]);
        assert_eq!(s.halt_index_i64(), 2);
        let halted: Vec<bool> = s.events().map(|e| e.halted).collect();
        assert_eq!(halted, [false, false, true]);
    }

    #[test]
    fn output_of_a_stream_that_did_not_halt_is_everything() {
        let s = session(&["Hello ", "world", " bad"], &[0.8; 3], None);
        assert_eq!(s.output(), "Hello world bad");
        assert_eq!(s.halt_index(), None);
        assert_eq!(s.halt_index_i64(), -1);
        assert_eq!(s.halt_reason(), "");
        assert_eq!(s.clone().into_output(), "Hello world bad");
    }

    #[test]
    fn output_never_panics_on_an_index_past_the_tokens() {
        // The reference panicked here (spec/10 §10 item 7).
        let s = session(&["a", "b"], &[0.8, 0.8], Some((7, HaltReason::Inactive)));
        assert_eq!(s.output(), "ab");
        assert_eq!(s.token(7), None);
        let s = session(&["a", "b"], &[0.8, 0.8], Some((0, HaltReason::Inactive)));
        assert_eq!(s.output(), "");
        assert_eq!(s.into_output(), "");
    }

    #[test]
    fn metrics_match_the_reference() {
        assert!((session(&["a", "b", "c"], &[0.8, 0.6, 0.7], None).avg_coherence() - 0.7).abs() < 1e-9);
        assert_eq!(session(&["a", "b", "c"], &[0.8, 0.3, 0.6], None).min_coherence(), 0.3);
        let empty = StreamSession::default();
        assert_eq!((empty.avg_coherence(), empty.min_coherence(), empty.token_count()), (0.0, 0.0, 0));
        // Not clamped above by min, clamped by avg (reference).
        let big = session(&["a", "b"], &[1.5, 1.5], None);
        assert_eq!((big.avg_coherence(), big.min_coherence()), (1.0, 1.5));
        let negative = session(&["a"], &[-0.5], None);
        assert_eq!((negative.avg_coherence(), negative.min_coherence()), (0.0, 0.0));
    }

    #[test]
    fn duration_is_end_minus_start_in_ms() {
        let mut s = StreamRecord::default();
        s.finish(0.5);
        assert_eq!(s.duration_ms(), 500.0);
        assert_eq!(s.start_time_s(), 0.0);
    }

    #[test]
    fn cause_replaces_the_detail_of_the_reason() {
        let mut s = StreamRecord::from_scores(vec![0.0], Vec::new());
        s.record_halt(0, HaltReason::NonFiniteScore { limit: 0.5 }, Some("callback panicked: boom".into()));
        assert_eq!(s.halt_reason(), "hard_limit (callback panicked: boom)");
        assert_eq!(s.halt(), Some(HaltReason::NonFiniteScore { limit: 0.5 }));
    }

    #[test]
    fn timestamps_appear_only_when_recorded() {
        let text = TokenText::of(&["a", "b"]);
        let record = StreamRecord::from_scores(vec![0.9, 0.9], vec![0.25, 0.5]);
        let s = StreamSession::from_parts(text, record);
        let times: Vec<_> = s.events().map(|e| e.timestamp_s).collect();
        assert_eq!(times, [Some(0.25), Some(0.5)]);
        let s = session(&["a"], &[0.9], None);
        assert_eq!(s.events().next().unwrap().timestamp_s, None);
    }

    #[test]
    fn serialises_with_reference_field_names() {
        let s = session(&["a", "b"], &[0.9, 0.1], Some((1, HARD)));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["tokens"], serde_json::json!(["a", "b"]));
        assert_eq!(json["halt_index"], 1);
        assert_eq!(json["halt_reason"], "hard_limit (0.1000 < 0.5)");
        assert_eq!(json["events"][1]["halted"], true);
        assert_eq!(json["events"][0]["token"], "a");
        assert_eq!(json["coherence_history"], serde_json::json!([0.9, 0.1]));
    }
}
