#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian machine
# with rustup and Python 3 (idempotent: each step is skipped when done).
#   scripts/setup.sh            Rust components, cross targets, Python venv
#   scripts/setup.sh --python   only the Python venv
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rust_setup() {
    step "Rust components and cross targets"
    rustup component add rustfmt clippy >/dev/null
    local installed
    installed=$(rustup target list --installed)
    for target in thumbv6m-none-eabi thumbv7em-none-eabihf; do
        grep -qx "$target" <<<"$installed" || rustup target add "$target"
    done
}

python_setup() {
    step "Python venv (.venv) with maturin, pytest, numpy"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet "maturin>=1.8,<2" "pytest>=7" "numpy>=1.24"
}

build_wheel() {
    step "Build and install the backfire_kernel wheel (release)"
    rm -rf target/wheels
    .venv/bin/maturin build --release --quiet -m backfire-py/Cargo.toml -o target/wheels
    .venv/bin/python -m pip install --quiet --force-reinstall --no-deps target/wheels/*.whl
}

case "${1:-all}" in
    --python) python_setup ;;
    --wheel) build_wheel ;;
    all) rust_setup; python_setup; build_wheel ;;
    *) echo "usage: $0 [--python|--wheel]" >&2; exit 2 ;;
esac
