//! Board support shared by the firmware images: the board and its numeric
//! backend, the exit status and panic handling, the instruction meter.
//!
//! The on-target test is `src/main.rs`; `examples/gate.rs` is the smallest
//! image that runs the gate (the flash footprint of the gate itself).
//!
//! | target | board | backend |
//! |---|---|---|
//! | `thumbv7em-none-eabihf` | MPS2+ AN386 (Cortex-M4F), QEMU `mps2-an386` | `f32` (`Q16` with `--features q16`) |
//! | `thumbv6m-none-eabi` | micro:bit v1 (nRF51822, Cortex-M0), QEMU `microbit` | `Q16` |

#![no_std]

// Links the defmt global logger (defmt frames over semihosting).
use defmt_semihosting as _;

pub mod backend;
pub mod board;
pub mod cost;
