//! Picks the board for the compilation target: its memory map (as the
//! `memory.x` that cortex-m-rt's `link.x` includes) and a `board` cfg.
//!
//! | target | board (QEMU machine) | numeric backend |
//! |---|---|---|
//! | `thumbv7em-none-eabihf` | Arm MPS2+ AN386, Cortex-M4F (`mps2-an386`) | `f32` (or `Q16` with feature `q16`) |
//! | `thumbv6m-none-eabi` | BBC micro:bit v1, nRF51822 Cortex-M0 (`microbit`) | `Q16` |

use std::{env, fs, path::PathBuf};

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    let board = match target.as_str() {
        "thumbv6m-none-eabi" => "microbit",
        "thumbv7em-none-eabihf" => "mps2-an386",
        other => panic!(
            "backfire-firmware: no board for target `{other}` (use thumbv7em-none-eabihf or thumbv6m-none-eabi)"
        ),
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let memory = format!("memory/{board}.x");
    fs::copy(&memory, out.join("memory.x")).expect("copy the board's memory.x");
    // cortex-m-rt's `device` feature includes a `device.x` naming the
    // interrupt handlers; this firmware enables no device interrupt, so
    // it names none (see `board::__INTERRUPTS`).
    fs::write(out.join("device.x"), "/* no device interrupts */\n").expect("write device.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-check-cfg=cfg(board, values(\"microbit\", \"mps2-an386\"))");
    println!("cargo:rustc-cfg=board=\"{board}\"");
    println!("cargo:rerun-if-changed={memory}");
    println!("cargo:rerun-if-changed=build.rs");
}
