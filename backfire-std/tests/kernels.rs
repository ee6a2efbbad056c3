//! The kernels against the reference's invariants (spec/10 §4, §5, §8.3,
//! §8.4). Tests whose name says `deviation` check where we differ on
//! purpose (spec/10 §10).

use std::cell::Cell;

use backfire_std::core_kernel::gate::{HaltReason, SAFETY_INTERRUPT};
use backfire_std::{BackfireConfig, SafetyKernel, StreamingKernel, Timestamps};

fn streaming(edit: impl FnOnce(&mut BackfireConfig)) -> StreamingKernel {
    let mut config = BackfireConfig::default();
    edit(&mut config);
    StreamingKernel::from_config(&config).unwrap()
}

/// A callback returning `scores` in order.
fn scripted(scores: &[f64]) -> impl FnMut(&str) -> f64 + '_ {
    let mut next = scores.iter();
    move |_| next.next().copied().unwrap_or(f64::NAN)
}

mod safety_kernel {
    use super::*;

    #[test]
    fn passes_and_halts_like_the_reference() {
        let k = SafetyKernel::new(0.5).unwrap();
        assert_eq!(k.stream_output(&["Hello ", "world"], |_| 0.8), "Hello world");
        let k = SafetyKernel::new(0.5).unwrap();
        assert!(k.stream_output(&["Hello ", "world"], |_| 0.3).contains("KERNEL INTERRUPT"));
        let k = SafetyKernel::new(0.7).unwrap();
        assert_eq!(k.stream_output(&["Hello ", "world"], |_| 0.6), SAFETY_INTERRUPT);
        let k = SafetyKernel::new(0.3).unwrap();
        assert_eq!(k.stream_output(&["Hello", " world"], |_| 0.9), "Hello world");
    }

    #[test]
    fn limit_is_strict_and_empty_input_never_calls_back() {
        let k = SafetyKernel::new(0.5).unwrap();
        assert_eq!(k.stream_output(&["a", "b"], |_| 0.5), "ab");
        assert_eq!(k.stream_output(&["a", "b"], |_| 0.4999), SAFETY_INTERRUPT);
        let k = SafetyKernel::new(0.5).unwrap();
        let calls = Cell::new(0);
        assert_eq!(
            k.stream_output(&[] as &[&str], |_| {
                calls.set(calls.get() + 1);
                0.9
            }),
            ""
        );
        assert_eq!(calls.get(), 0);
    }

    #[test]
    fn callback_runs_once_per_token_up_to_the_halt() {
        let k = SafetyKernel::new(0.5).unwrap();
        let calls = Cell::new(0);
        let out = k.stream_output(&["a", "b", "c", "d"], |t| {
            calls.set(calls.get() + 1);
            if t == "b" { 0.1 } else { 0.9 }
        });
        assert_eq!(out, SAFETY_INTERRUPT);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn panicking_and_non_finite_callbacks_halt() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let k = SafetyKernel::new(0.5).unwrap();
            assert_eq!(k.stream_output(&["a"], |_| bad), SAFETY_INTERRUPT, "{bad}");
        }
        let k = SafetyKernel::new(0.5).unwrap();
        assert_eq!(k.stream_output(&["a"], |_| panic!("boom")), SAFETY_INTERRUPT);
        let k = SafetyKernel::new(0.5).unwrap();
        let s = k.stream_tokens(&["a"], |_| panic!("boom"));
        assert_eq!(s.halt_reason(), "hard_limit (callback panicked: boom)");
    }

    #[test]
    fn from_config_uses_the_hard_limit() {
        let config = BackfireConfig { hard_limit: 0.42, ..Default::default() };
        let k = SafetyKernel::from_config(&config).unwrap();
        assert_eq!(k.hard_limit(), 0.42);
        assert_eq!(k.stream_output(&["o", "k"], |_| 0.45), "ok");
        assert_eq!(k.stream_output(&["o", "k"], |_| 0.41), SAFETY_INTERRUPT);
    }

    #[test]
    fn emergency_stop_and_reactivate_toggle_the_latch() {
        let k = SafetyKernel::new(0.5).unwrap();
        assert!(k.is_active());
        k.emergency_stop();
        k.emergency_stop();
        assert!(!k.is_active());
        k.reactivate();
        assert!(k.is_active());
    }

    #[test]
    fn deviation_an_inactive_kernel_streams_nothing() {
        // Reference: after a halt the next call streamed normally.
        let k = SafetyKernel::new(0.5).unwrap();
        assert_eq!(k.stream_output(&["x"], |_| 0.1), SAFETY_INTERRUPT);
        let called = Cell::new(false);
        let out = k.stream_output(&["a", "b"], |_| {
            called.set(true);
            0.9
        });
        assert_eq!(out, "[KERNEL INTERRUPT: kernel_inactive]");
        assert!(!called.get());
        k.reactivate();
        assert_eq!(k.stream_output(&["a", "b"], |_| 0.9), "ab");
    }

    #[test]
    fn deviation_non_finite_halts_even_at_limit_zero() {
        // Reference: NaN became 0.0, which is not < 0.0, so it passed.
        let k = SafetyKernel::new(0.0).unwrap();
        assert_eq!(k.stream_output(&["a"], |_| 0.0), "a");
        assert_eq!(k.stream_output(&["a"], |_| f64::NAN), SAFETY_INTERRUPT);
    }

    #[test]
    fn deviation_the_hard_limit_is_validated() {
        for bad in [f64::NAN, 2.0, -0.1] {
            assert!(SafetyKernel::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            SafetyKernel::new(2.0).unwrap_err().to_string(),
            "validation error: hard_limit must be in [0, 1], got 2"
        );
    }

    #[test]
    fn sessions_and_batches_record_the_halt() {
        let k = SafetyKernel::new(0.5).unwrap();
        let s = k.stream_scores(&["a", "b", "c"], &[0.9, 0.3, 0.9]).unwrap();
        assert_eq!(
            (s.halt_index(), s.halt_reason(), s.output()),
            (Some(1), "hard_limit (0.3000 < 0.5)", "a")
        );
        assert!(k.stream_scores(&["a"], &[0.9, 0.9]).is_err());
    }
}

mod streaming_kernel {
    use super::*;

    #[test]
    fn clean_stream_keeps_everything() {
        let k = streaming(|_| {});
        let s = k.stream_tokens(&["Hello ", "beautiful ", "world"], |_| 0.8);
        assert!(!s.halted());
        assert_eq!(s.output(), "Hello beautiful world");
        assert_eq!(s.token_count(), 3);
        assert_eq!(s.halt_index_i64(), -1);
        let s = k.stream_tokens(&["Hello", " world", " how", " are", " you"], |_| 0.8);
        assert_eq!((s.output(), s.token_count()), ("Hello world how are you", 5));
    }

    #[test]
    fn hard_limit_halt_keeps_the_token_in_the_record_but_not_the_output() {
        let k = streaming(|_| {});
        let s = k.stream_tokens(&["Hello ", "world ", "bad"], scripted(&[0.8, 0.7, 0.3]));
        assert!(s.halted());
        assert_eq!(s.halt_index(), Some(2));
        assert_eq!(s.halt_reason(), "hard_limit (0.3000 < 0.5)");
        assert_eq!(s.halt(), Some(HaltReason::HardLimit { score: 0.3, limit: 0.5 }));
        assert_eq!((s.token_count(), s.events().len(), s.coherence_history().len()), (3, 3, 3));
        assert_eq!(s.output(), "Hello world ");
        assert!(!k.is_active());
        let s = streaming(|_| {}).stream_tokens(&["Good ", "Good ", "Bad"], scripted(&[0.8, 0.8, 0.3]));
        assert_eq!(s.output(), "Good Good ");
    }

    #[test]
    fn window_average_halts_without_latching() {
        let k = streaming(|c| (c.window_size, c.window_threshold) = (3, 0.7));
        let s = k.stream_tokens(&["a ", "b ", "c ", "d "], |_| 0.6);
        assert_eq!(s.halt_reason(), "window_avg (0.6000 < 0.7)");
        assert_eq!(s.halt_index(), Some(2));
        assert_eq!(s.output(), "a b ");
        assert!(k.is_active());

        let k = streaming(|c| (c.window_size, c.window_threshold) = (3, 0.6));
        let s = k.stream_tokens(&["t0 ", "t1 ", "t2 ", "t3 "], scripted(&[0.7, 0.55, 0.5, 0.45]));
        assert_eq!(
            (s.halt_reason(), s.halt_index(), s.output()),
            ("window_avg (0.5833 < 0.6)", Some(2), "t0 t1 ")
        );
    }

    #[test]
    fn downward_trend_compares_the_window_ends() {
        let k = streaming(|c| {
            (c.trend_window, c.trend_threshold, c.hard_limit, c.window_threshold) = (3, 0.1, 0.1, 0.1)
        });
        let s = k.stream_tokens(&["a", "b", "c", "d"], scripted(&[0.9, 0.8, 0.7, 0.5]));
        assert_eq!(s.halt_reason(), "downward_trend (0.2000 > 0.1)");
        assert_eq!(s.halt_index(), Some(2)); // the third token, not the fourth
        assert!(k.is_active());

        let k = streaming(|c| (c.trend_window, c.trend_threshold) = (3, 0.1));
        let s = k.stream_tokens(&["a", "b", "c"], scripted(&[0.85, 0.80, 0.70]));
        assert_eq!((s.halt_reason(), s.halt_index()), ("downward_trend (0.1500 > 0.1)", Some(2)));
    }

    #[test]
    fn metrics_and_timing() {
        let k = streaming(|_| {});
        let s = k.stream_tokens(&["a", "b", "c"], scripted(&[0.8, 0.6, 0.7]));
        assert!((s.avg_coherence() - 0.7).abs() < 1e-9);
        assert!(s.duration_ms() >= 0.0);
        let s = k.stream_tokens(&["a", "b"], |_| 0.85);
        assert_eq!(s.coherence_history().len(), 2);
        assert!((s.avg_coherence() - 0.85).abs() < 1e-9);
        let s = k.stream_tokens(&["a", "b", "c"], |_| 0.9);
        assert!((s.avg_coherence() - 0.9).abs() < 1e-9 && (s.min_coherence() - 0.9).abs() < 1e-9);
    }

    #[test]
    fn per_token_timestamps_are_ordered_and_within_the_stream() {
        let k = streaming(|_| {}).with_timestamps(Timestamps::PerToken);
        let s = k.stream_tokens(&["a", "b", "c", "d"], |_| 0.9);
        let times: Vec<f64> = s.events().map(|e| e.timestamp_s.unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times.iter().all(|&t| (0.0..=s.end_time_s()).contains(&t)));
    }

    #[test]
    fn events_describe_each_scored_token() {
        let k = streaming(|_| {});
        let s = k.stream_tokens(&["a", "b"], |_| 0.9);
        let events: Vec<_> = s.events().collect();
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].token, events[0].index, events[0].halted), ("a", 0, false));
        assert_eq!((events[1].token, events[1].index, events[1].coherence), ("b", 1, 0.9));
        let s = k.stream_tokens(&["a", "b", "c"], |_| 0.85);
        assert!(s.events().all(|e| !e.halted));
    }

    #[test]
    fn stream_output_renders_the_reason() {
        let k = streaming(|_| {});
        assert_eq!(k.stream_output(&["Hello ", "world"], |_| 0.8), "Hello world");
        assert_eq!(k.stream_output(&["x", "y"], |_| 0.9), "xy");
        assert_eq!(k.stream_output(&["bad"], |_| 0.1), "[KERNEL INTERRUPT: hard_limit (0.1000 < 0.5)]");
    }

    #[test]
    fn inactive_kernel_halts_before_calling_back() {
        let k = streaming(|_| {});
        k.stream_tokens(&["x"], |_| 0.1);
        assert!(!k.is_active());
        let called = Cell::new(false);
        let s = k.stream_tokens(&["a", "b"], |_| {
            called.set(true);
            0.9
        });
        assert!(!called.get());
        assert_eq!((s.halted(), s.halt_index(), s.halt_reason()), (true, Some(0), "kernel_inactive"));
        assert_eq!((s.token_count(), s.events().len(), s.coherence_history().len()), (0, 0, 0));
        assert_eq!(k.stream_output(&["a"], |_| 0.9), "[KERNEL INTERRUPT: kernel_inactive]");
        k.reactivate();
        assert_eq!(k.stream_output(&["a"], |_| 0.9), "a");
    }

    #[test]
    fn deviation_emergency_stop_exists_on_the_streaming_kernel() {
        let k = streaming(|_| {});
        k.emergency_stop();
        assert_eq!(k.stream_tokens(&["a"], |_| 0.9).halt_reason(), "kernel_inactive");
    }

    #[test]
    fn failing_callbacks_halt_with_a_recorded_cause() {
        let k = streaming(|_| {});
        let s = k.stream_tokens(&["a", "b"], scripted(&[0.9, f64::NAN]));
        assert_eq!(s.halt_reason(), "hard_limit (non-finite score)");
        assert_eq!(s.coherence_history(), [0.9, 0.0]);
        assert_eq!(s.output(), "a");
        assert!(!k.is_active());

        let k = streaming(|_| {});
        let s = k.stream_tokens(&["a", "b"], |t| if t == "b" { panic!("scorer died on {t}") } else { 0.9 });
        assert_eq!(s.halt_reason(), "hard_limit (callback panicked: scorer died on b)");
        assert_eq!(s.halt(), Some(HaltReason::NonFiniteScore { limit: 0.5 }));
        assert_eq!(s.coherence_history(), [0.9, 0.0]);
    }

    #[test]
    fn deviation_non_finite_halts_even_at_limit_zero() {
        let k = streaming(|c| (c.hard_limit, c.window_threshold) = (0.0, 0.0));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            k.reactivate();
            let s = k.stream_tokens(&["a"], |_| bad);
            assert!(s.halt_reason().contains("hard_limit"), "{bad}");
        }
    }

    #[test]
    fn empty_input_is_an_empty_clean_session() {
        let s = streaming(|_| {}).stream_tokens(&[] as &[String], |_| 0.9);
        assert!(!s.halted());
        assert_eq!((s.token_count(), s.output()), (0, ""));
    }

    #[test]
    fn reentrant_halt_is_seen_at_the_next_outer_token() {
        let k = streaming(|_| {});
        let s = k.stream_tokens(&["a", "b", "c", "d"], |t| {
            if t == "b" {
                let inner = k.stream_tokens(&["x"], |_| 0.1);
                assert_eq!(inner.halt_reason(), "hard_limit (0.1000 < 0.5)");
            }
            0.9
        });
        assert_eq!((s.halt_index(), s.halt_reason()), (Some(2), "kernel_inactive"));
        assert_eq!(s.tokens().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(s.output(), "ab");
    }

    #[test]
    fn batch_scores_match_the_callback_path() {
        let k = streaming(|_| {});
        let tokens = ["a", "b", "c", "d"];
        let scores = [0.9, 0.8, 0.85, 0.2];
        let batch = k.stream_scores(&tokens, &scores).unwrap();
        k.reactivate();
        let called = k.stream_tokens(&tokens, scripted(&scores));
        assert_eq!(batch.output(), called.output());
        assert_eq!(batch.halt_reason(), called.halt_reason());
        assert_eq!(batch.coherence_history(), called.coherence_history());
        let e = k.stream_scores(&tokens, &scores[..3]).unwrap_err().to_string();
        assert_eq!(e, "validation error: scores must have one value per token, got 3 scores for 4 tokens");
    }

    #[test]
    fn kernels_are_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<StreamingKernel>();
        assert_send_sync::<SafetyKernel>();
        let k = streaming(|_| {});
        std::thread::scope(|scope| {
            let handles: Vec<_> =
                (0..2).map(|_| scope.spawn(|| k.stream_tokens(&["a", "b"], |_| 0.9))).collect();
            for h in handles {
                assert_eq!(h.join().unwrap().output(), "ab");
            }
        });
    }
}
