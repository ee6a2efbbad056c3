#!/usr/bin/env bash
# The demo: streams that pass and streams that halt (Rust and Python), the
# oscillators synchronising (with a plot), and the same gate on two
# emulated microcontrollers. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

banner() { printf '\n\033[1;36m######## %s\033[0m\n' "$*"; }

scripts/setup.sh

banner "Rust: the safety gate (backfire-std/examples/gate_demo.rs)"
cargo run --quiet --release -p backfire-std --example gate_demo

banner "Rust: phase dynamics (backfire-std/examples/physics_demo.rs)"
cargo run --quiet --release -p backfire-std --example physics_demo -- target/demo/upde_sync.svg

banner "Python: backfire_kernel and director_ai (backfire-py/examples/demo.py)"
.venv/bin/python backfire-py/examples/demo.py

banner "Firmware: the gate on a Cortex-M4F (f32) and a Cortex-M0 (Q16.16) under QEMU"
scripts/firmware.sh test

banner "done — plot of R(t): target/demo/upde_sync.svg"
