//! Shared inputs for the Criterion benchmarks (see `benches/`).
