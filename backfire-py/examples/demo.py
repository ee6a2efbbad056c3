"""backfire_kernel from Python: the seed guide's usage, failures that halt,
the batch API, the agent, and the oscillators synchronising.

Run from the repo root after ``scripts/setup.sh``:
    .venv/bin/python backfire-py/examples/demo.py
"""

from __future__ import annotations

import array

import backfire_kernel as bk
from director_ai import CoherenceAgent


def section(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    section("seed guide: RustSafetyKernel and RustStreamingKernel")
    kernel = bk.RustSafetyKernel(hard_limit=0.5)
    print("safety kernel:", kernel.stream_output(["Hello ", "world ", "!"], lambda token: 0.85))
    streaming = bk.RustStreamingKernel(hard_limit=0.5, window_size=10, window_threshold=0.55)
    session = streaming.stream_tokens(["The ", "sky ", "is ", "blue."], lambda token: 0.9)
    print("streaming:", session.halted, session.avg_coherence, repr(session.output))

    section("streams that halt, with the reason")
    scores = {"The ": 0.9, "sky ": 0.85, "is ": 0.3, "green.": 0.9}
    kernel = bk.StreamingKernel()
    s = kernel.stream_tokens(list(scores), scores.__getitem__)
    print(f"hard limit : halted at {s.halt_index}: {s.halt_reason}; released {s.output!r}")
    s = kernel.stream_tokens(["more"], lambda t: 0.9)
    print(f"latched    : {s.halt_reason} (the kernel stays halted until reactivate())")
    kernel.reactivate()
    k = bk.StreamingKernel(window_size=3, window_threshold=0.6)
    s = k.stream_scores(["t0 ", "t1 ", "t2 ", "t3 "], [0.7, 0.55, 0.5, 0.45])
    print(f"window     : halted at {s.halt_index}: {s.halt_reason}")
    k = bk.StreamingKernel(trend_window=3, trend_threshold=0.1, hard_limit=0.1, window_threshold=0.1)
    s = k.stream_scores(["a", "b", "c", "d"], array.array("d", [0.9, 0.8, 0.7, 0.5]))
    print(f"trend      : halted at {s.halt_index}: {s.halt_reason}")

    def flaky(token: str) -> float:
        if token == "boom":
            raise RuntimeError("scorer service down")
        return 0.9

    s = bk.StreamingKernel(hard_limit=0.0).stream_tokens(["fine ", "boom", "never"], flaky)
    print(f"exception  : halted at {s.halt_index}: {s.halt_reason}")
    s = bk.StreamingKernel().stream_tokens(["a", "b"], lambda t: None)
    print(f"non-number : {s.halt_reason}")

    section("scorer and agent")
    scorer = bk.CoherenceScorer()
    for prompt, answer in [
        ("What color is the sky?", "The sky is blue, consistent with reality"),
        ("What color is the sky?", "The sky is green and the opposite is true"),
    ]:
        approved, score = scorer.review(prompt, answer)
        print(f"{answer!r:48} -> {score.score:.3f} {'approved' if approved else 'rejected'}")
    agent = CoherenceAgent()
    print("agent uses Rust:", agent._rust_available)
    result = agent.process("What color is the sky?")
    print("agent:", result.output, f"(score {result.coherence.score:.2f}, halted={result.halted})")

    section("UPDE: 16 oscillators, uniform coupling K = 0.03, ω ≈ 1 rad/s, synchronise")
    omega = [1.0 + 0.02 * i for i in range(16)]
    stepper = bk.UPDEStepper(dt=0.01, noise_amplitude=0.05, seed=7, omega=omega, knm=[[0.03] * 16] * 16)
    state = bk.UPDEStepper.random_state(seed=7)
    print("  t (s)   R")
    for _ in range(9):
        bar = "#" * round(40 * state["r_global"])
        print(f"  {state['t']:5.2f}  {state['r_global']:.3f} {bar}")
        state = stepper.run(state, 100)
    canonical = bk.UPDEStepper(seed=7).run(bk.UPDEStepper.random_state(seed=7), 500)
    print(f"canonical 16-layer model after 5 s: R = {canonical['r_global']:.3f} (ω spans 0.003..251 rad/s)")

    section("SSGF: a latent graph over the 16 oscillators, learned by gradient descent")
    engine = bk.SSGFEngine(seed=42)
    print("  step  U_total  R      λ1 (Fiedler)  H_rec   PLV gate")
    for log in engine.run(40)[::8]:
        gate = "open" if log["gate_open"] else "closed"
        print(
            f"  {log['step']:4d}  {log['u_total']:.4f}   {log['r_global']:.3f}  {log['fiedler_value']:.6f}"
            f"      {log['h_rec']:.2f}  {gate}"
        )
    audio = engine.audio_mapping()
    print(f"audio mapping: {audio['beat_hz']:.1f} Hz beat ({audio['brainwave_band']}), pulse {audio['pulse_hz']:.1f} Hz")


if __name__ == "__main__":
    main()
