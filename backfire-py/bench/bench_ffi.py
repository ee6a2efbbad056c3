"""Python-side timings of backfire_kernel (µs per call, medians).

Run from the repo root after ``scripts/setup.sh``:

    .venv/bin/python backfire-py/bench/bench_ffi.py [--quick] [--only SECTION]

Every row is the median of several repeats of a ``timeit`` loop; ratios are
computed from numbers measured in the same run, so machine noise largely
cancels. Sections: gate (kernels, batch API, pure-Python fallback, the bare
Python loop that calls the same lambda — the floor), physics, observers,
ssgf.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from collections import deque
from collections.abc import Callable

import backfire_kernel as bk
import director_ai

ROWS: list[tuple[str, str, float]] = []


def _calibrate(fn: Callable[[], object], quick: bool) -> int:
    number = 1
    while number < 1 << 20:  # each sample runs ≥ ~5 ms (quick: ~1 ms)
        if timeit.timeit(fn, number=number) >= (0.001 if quick else 0.005):
            break
        number *= 2
    return number


def measure_group(section: str, cases: list[tuple[str, Callable[[], object]]], quick: bool) -> None:
    """Median µs per call of each case. Samples of the cases are taken in
    turn (round robin), so every case sees the same machine conditions and
    the ratios between them are meaningful even on a noisy machine."""
    numbers = [_calibrate(fn, quick) for _, fn in cases]
    samples: list[list[float]] = [[] for _ in cases]
    for _ in range(7 if quick else 21):
        for (_, fn), number, out in zip(cases, numbers, samples):
            out.append(timeit.timeit(fn, number=number) / number * 1e6)
    for (name, _), out in zip(cases, samples):
        us = statistics.median(out)
        ROWS.append((section, name, us))
        print(f"{section:10s} {name:48s} {us:12.3f} µs", flush=True)


def measure(section: str, name: str, fn: Callable[[], object], quick: bool) -> None:
    """One case on its own."""
    measure_group(section, [(name, fn)], quick)


def bench_gate(quick: bool) -> None:
    const = lambda token: 0.85  # noqa: E731 - the reference's benchmark callback
    for n in (10, 100, 1000):
        tokens = ["token "] * n
        frozen = tuple(tokens)
        values = [0.85] * n
        try:
            import numpy

            array = numpy.full(n, 0.85)
        except ImportError:  # pragma: no cover
            array = values
        rust_safety, rust_stream = bk.SafetyKernel(0.5), bk.StreamingKernel()
        py_safety, py_stream = director_ai.SafetyKernel(0.5), director_ai.StreamingKernel()

        def bare_loop(tokens=tokens):
            for t in tokens:
                const(t)

        def c_driven_calls(tokens=tokens):
            # The same calls made from C (as any extension must make them):
            # CPython inlines a Python-to-Python call in the bare loop, but a
            # call from C enters the interpreter afresh each time.
            deque(map(const, tokens), maxlen=0)

        measure_group(
            "gate",
            [
                (f"bare_python_loop_{n}tok (floor)", bare_loop),
                (f"c_driven_calls_{n}tok (map)", c_driven_calls),
                (f"rust_safety_kernel_{n}tok", lambda: rust_safety.stream_output(tokens, const)),
                (f"rust_streaming_kernel_{n}tok", lambda: rust_stream.stream_tokens(tokens, const)),
                (f"rust_safety_batch_{n}tok", lambda: rust_safety.stream_scores(tokens, values)),
                (f"rust_streaming_batch_list_{n}tok", lambda: rust_stream.stream_scores(tokens, values)),
                (f"rust_streaming_batch_numpy_{n}tok", lambda: rust_stream.stream_scores(tokens, array)),
                (f"rust_streaming_batch_tuple_numpy_{n}tok", lambda: rust_stream.stream_scores(frozen, array)),
                (f"python_safety_kernel_{n}tok", lambda: py_safety.stream_output(tokens, const)),
                (f"python_streaming_kernel_{n}tok", lambda: py_stream.stream_tokens(tokens, const)),
            ],
            quick,
        )
    scorer = bk.CoherenceScorer()
    py_scorer = director_ai.CoherenceScorer()
    sky = ("What color is the sky?", "The sky is blue, consistent with reality")
    measure_group(
        "gate",
        [("rust_scorer_review", lambda: scorer.review(*sky)), ("python_scorer_review", lambda: py_scorer.review(*sky))],
        quick,
    )


def bench_physics(quick: bool) -> None:
    zeros = [0.0] * 16
    for n in (1, 10, 100, 1000):
        stepper = bk.UPDEStepper(seed=42)
        measure("physics", f"upde_run_{n}", lambda stepper=stepper, n=n: stepper.run(zeros, n), quick)
    quiet = bk.UPDEStepper(noise_amplitude=0.0, seed=42)
    measure("physics", "upde_run_1000_noise_free", lambda: quiet.run(zeros, 1000), quick)
    sec = bk.SECFunctional()
    aligned, spread = [1.0] * 16, [0.4 * i for i in range(16)]
    measure("physics", "sec_evaluate_aligned", lambda: sec.evaluate(aligned), quick)
    measure("physics", "sec_evaluate_spread", lambda: sec.evaluate(spread), quick)
    measure("physics", "sec_critical_coupling", sec.critical_coupling, quick)
    ctl = bk.L16Controller()
    half = [0.5] * 16
    measure("physics", "l16_step", lambda: ctl.step(half, 0.7, 0.65, 0.1, 0.2, 0.15, 0.8, 0.5, 0.01), quick)


def bench_observers(quick: bool) -> None:
    import math

    rows = [[math.sin(0.1 * i + 0.5 * j) for j in range(16)] for i in range(64)]
    for name, kwargs in [("", {}), ("_reference_embedding", {"embedding": "linear"})]:
        obs = bk.TCBOObserver(n=16, **kwargs)
        for row in rows[:52]:
            obs.push(row)
        it = iter(range(1 << 62))
        measure("observers", f"tcbo_push_and_compute{name}",
                lambda obs=obs, it=it: obs.push_and_compute(rows[next(it) % 64], True), quick)
    rips = bk.TCBOObserver(n=16, method="rips")
    for row in rows[:52]:
        rips.push(row)
    measure("observers", "tcbo_push_and_compute_rips", lambda: rips.push_and_compute(rows[0], True), quick)
    ctl = bk.TCBOController()
    measure("observers", "tcbo_controller_step", lambda: ctl.step(0.5, 1.0, 0.01), quick)
    pgbo = bk.PGBOEngine(n=16)
    phases = [0.1 * j for j in range(16)]
    measure("observers", "pgbo_compute_16", lambda: pgbo.compute(phases, 0.01), quick)


def bench_ssgf(quick: bool) -> None:
    # The engine keeps no log, so repeated steps cost the same (the
    # reference's grew its log on every step).
    measure("ssgf", "ssgf_engine_init", bk.SSGFEngine, quick)
    engine = bk.SSGFEngine()
    measure("ssgf", "ssgf_outer_step", engine.outer_step, quick)
    measure("ssgf", "ssgf_run_5", lambda: engine.run(5), quick)
    measure("ssgf", "ssgf_audio_mapping", engine.audio_mapping, quick)


SECTIONS: dict[str, Callable[[bool], None]] = {
    "gate": bench_gate,
    "physics": bench_physics,
    "observers": bench_observers,
    "ssgf": bench_ssgf,
}


def summary() -> None:
    values = {name: us for _, name, us in ROWS}
    print("\nratios (same run, round-robin samples):")
    for n in (10, 100, 1000):
        floor, c_floor = f"bare_python_loop_{n}tok (floor)", f"c_driven_calls_{n}tok (map)"
        for kind in ("streaming_kernel", "safety_kernel"):
            rust = f"rust_{kind}_{n}tok"
            if {rust, floor, c_floor} <= values.keys():
                print(f"  {rust:40s} / bare loop = {values[rust] / values[floor]:6.2f}x")
                print(f"  {rust:40s} / map       = {values[rust] / values[c_floor]:6.2f}x")
        py, rust = f"python_streaming_kernel_{n}tok", f"rust_streaming_kernel_{n}tok"
        if {py, rust} <= values.keys():
            print(f"  {py:40s} / rust      = {values[py] / values[rust]:6.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only these sections")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, backfire_kernel {bk.__version__},"
        f" UPDE steps in {bk.UPDEStepper(seed=0).simd_level}"
    )
    for name in args.only or list(SECTIONS):
        SECTIONS[name](args.quick)
    summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
