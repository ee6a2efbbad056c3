//! Deterministic xorshift64 RNG, bit-exact with the reference stream
//! (spec/20-physics.md §3.5).
