//! Phase dynamics: constants, UPDE stepper, SEC functional, L16 controller
//! (spec/20-physics.md).
