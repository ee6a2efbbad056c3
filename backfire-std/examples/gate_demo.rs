//! A tour of the safety gate: streams that pass and streams that halt for
//! each reason, failing callbacks, and a few scorer reviews.
//!
//! Run with `cargo run -p backfire-std --example gate_demo`.

use backfire_std::scorer::CoherenceScorer;
use backfire_std::{BackfireConfig, BackfireResult, StreamSession, StreamingKernel};

fn main() -> BackfireResult<()> {
    let config = BackfireConfig::default();
    println!("Backfire safety gate demo");
    println!("config: {}", config.to_json()?);

    let kernel = StreamingKernel::from_config(&config)?;
    let sentence = ["The ", "sky ", "is ", "blue ", "today."];

    show("1. a coherent stream passes", &kernel.stream_scores(&sentence, &[0.91, 0.88, 0.9, 0.86, 0.89])?);

    show(
        "2. hard limit: one token below 0.5 halts and latches the kernel",
        &kernel.stream_scores(&sentence, &[0.9, 0.85, 0.3, 0.9, 0.9])?,
    );
    show(
        "3. inactive: the latched kernel refuses the next stream without scoring it",
        &kernel.stream_tokens(&sentence, |_| 0.95),
    );
    kernel.reactivate();
    println!("   (reactivated: is_active = {})", kernel.is_active());

    let windowed = BackfireConfig { window_size: 3, window_threshold: 0.6, ..config.clone() };
    show(
        "4. window average: three tokens averaging below 0.6 (window 3)",
        &StreamingKernel::from_config(&windowed)?.stream_scores(&sentence, &[0.7, 0.55, 0.5, 0.9, 0.9])?,
    );

    let trending = BackfireConfig { trend_window: 3, trend_threshold: 0.1, ..config.clone() };
    show(
        "5. downward trend: a fall of more than 0.1 across three tokens",
        &StreamingKernel::from_config(&trending)?.stream_scores(&sentence, &[0.85, 0.8, 0.7, 0.9, 0.9])?,
    );

    let zero_floor = BackfireConfig { hard_limit: 0.0, window_threshold: 0.0, ..config.clone() };
    let lenient = StreamingKernel::from_config(&zero_floor)?;
    show(
        "6. a NaN score halts even with hard_limit = 0",
        &lenient.stream_tokens(&sentence, |t| if t == "is " { f64::NAN } else { 0.9 }),
    );
    lenient.reactivate();

    // The default panic hook would print a backtrace notice; the kernel
    // records the panic itself, so keep the demo output quiet.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let session =
        lenient.stream_tokens(&sentence, |t| if t == "blue " { panic!("scorer crashed") } else { 0.9 });
    std::panic::set_hook(hook);
    show("7. a panicking callback halts the stream and is recorded", &session);

    println!("\n8. scorer reviews (heuristic NLI, built-in facts)");
    let scorer = CoherenceScorer::from_config(&config)?;
    for (prompt, response) in [
        ("What color is the sky?", "The sky is blue, consistent with reality"),
        ("What color is the sky?", "The sky is blue"),
        ("What color is the sky?", "The sky is green and the opposite is true"),
        ("How many SCPN layers?", "There are 16 layers"),
        ("How many SCPN layers?", "There are many layers in the system"),
    ] {
        let (approved, s) = scorer.review(prompt, response);
        println!(
            "   {prompt:24} {response:44} score {:.4} (h_logical {:.3}, h_factual {:.3}) {}{}",
            s.score,
            s.h_logical,
            s.h_factual,
            if approved { "APPROVED" } else { "REJECTED" },
            if s.warning { " with warning" } else { "" },
        );
    }
    println!("   history of approved responses: {} kept (history_window = 5)", scorer.history_len());
    Ok(())
}

/// Prints a session token by token, then its verdict.
fn show(title: &str, session: &StreamSession) {
    println!("\n{title}");
    for event in session.events() {
        let mark = if event.halted { format!("HALT: {}", session.halt_reason()) } else { "ok".into() };
        println!("   #{} {:10} {:.2}  {mark}", event.index, format!("{:?}", event.token), event.coherence);
    }
    match session.halt_index() {
        None => println!("   -> passed: {:?}", session.output()),
        Some(i) if session.token_count() == i => {
            println!("   -> halted at token {i} ({}) before scoring it", session.halt_reason())
        }
        Some(i) => println!("   -> halted at token {i}; released only {:?}", session.output()),
    }
    println!(
        "      tokens scored {}, avg {:.3}, min {:.3}, {:.3} ms",
        session.token_count(),
        session.avg_coherence(),
        session.min_coherence(),
        session.duration_ms()
    );
}
