//! Boundary observers: TCBO observer and controller, PGBO engine
//! (spec/30-observers.md).
