#!/usr/bin/env bash
# Runs every check of the project, after installing what is missing.
# This is the README's test command and what CI (.ci/run) calls.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (workspace, all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (workspace)"
cargo test --workspace --locked

step "backfire-nostd with every optional feature (serde, defmt, micromath)"
cargo build -p backfire-nostd --locked --features serde,defmt,micromath

step "backfire-nostd builds for Cortex-M0 and Cortex-M4F (no std, no alloc)"
cargo build -p backfire-nostd --locked --target thumbv6m-none-eabi
cargo build -p backfire-nostd --locked --target thumbv7em-none-eabihf --features defmt,micromath

step "pytest (backfire-py/tests) against the installed wheel"
.venv/bin/python -m pytest backfire-py/tests -q

step "firmware: fmt and clippy (its own workspace)"
scripts/firmware.sh lint

step "firmware under QEMU (Cortex-M4F and Cortex-M0)"
scripts/firmware.sh test

step "all checks passed"
