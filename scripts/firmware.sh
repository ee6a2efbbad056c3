#!/usr/bin/env bash
# The Backfire firmware under QEMU: on-target test and footprint report.
#
#   scripts/firmware.sh test        install what is missing, build and run
#                                   every image, fail on any mismatch/hang
#   scripts/firmware.sh footprint   flash/RAM per image, instructions per
#                                   token and per UPDE step, as Markdown
#   scripts/firmware.sh lint        cargo fmt --check and clippy -D warnings
#                                   on firmware-example (outside the root
#                                   workspace, so the root checks miss it)
#   scripts/firmware.sh install     only install the tools
#
# Images (firmware-example/, one command each):
#   M4F  cargo run --release                              MPS2+ AN386, f32
#   M0   cargo run --release --target thumbv6m-none-eabi  micro:bit v1, Q16.16
#   plus examples/gate.rs, upde.rs and ssgf.rs (--example gate|upde|ssgf) on both
#   (footprint also measures the Q16.16 backend on the M4F: --features q16)
#
# Works from a fresh clone on Debian as root (CI) or with sudo. First-run
# cost: apt packages ~30 s, defmt-print from source ~2 min on 2 cores,
# firmware builds ~30 s; later runs take seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fw="$here/../firmware-example"
export PATH="$HOME/.cargo/bin:$PATH"
# Seconds a firmware may run under QEMU before it counts as hung (a run
# takes ~1 s).
export FIRMWARE_TIMEOUT="${FIRMWARE_TIMEOUT:-120}"
DEFMT_PRINT_VERSION=1.2.0

log() { printf '== %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_tools() {
    local missing=()
    command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
    command -v arm-none-eabi-size >/dev/null || missing+=(binutils-arm-none-eabi)
    command -v timeout >/dev/null || missing+=(coreutils)
    if [ ${#missing[@]} -gt 0 ]; then
        log "apt-get install ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
    local installed
    installed=$(rustup target list --installed)
    for target in thumbv7em-none-eabihf thumbv6m-none-eabi; do
        if ! grep -qx "$target" <<<"$installed"; then
            log "rustup target add $target"
            rustup target add "$target"
        fi
    done
    local have
    have=$(defmt-print --version 2>/dev/null || true)
    if [[ $have != "defmt-print $DEFMT_PRINT_VERSION"* ]]; then
        log "cargo install defmt-print $DEFMT_PRINT_VERSION (~2 min)"
        cargo install --locked --quiet defmt-print --version "$DEFMT_PRINT_VERSION"
    fi
}

# run_image NAME CARGO_ARGS... : builds and runs one image; its log goes to
# stdout and to $logs/NAME.log; returns the firmware's exit status.
run_image() {
    local name=$1
    shift
    log "$name: cargo run --release $*"
    (cd "$fw" && cargo run --quiet --release "$@") 2>&1 | tee "$logs/$name.log"
    return "${PIPESTATUS[0]}"
}

# The images: name | cargo run arguments | ELF (under firmware-example/) | core | backend
IMAGES=(
    "m4f||target/thumbv7em-none-eabihf/release/backfire-firmware|Cortex-M4F (mps2-an386)|f32"
    "m0|--target thumbv6m-none-eabi|target/thumbv6m-none-eabi/release/backfire-firmware|Cortex-M0 (microbit)|Q16.16"
    "m4f-gate|--example gate|target/thumbv7em-none-eabihf/release/examples/gate|Cortex-M4F (mps2-an386)|f32"
    "m0-gate|--example gate --target thumbv6m-none-eabi|target/thumbv6m-none-eabi/release/examples/gate|Cortex-M0 (microbit)|Q16.16"
    "m4f-upde|--example upde|target/thumbv7em-none-eabihf/release/examples/upde|Cortex-M4F (mps2-an386)|f32"
    "m0-upde|--example upde --target thumbv6m-none-eabi|target/thumbv6m-none-eabi/release/examples/upde|Cortex-M0 (microbit)|Q16.16"
    "m4f-ssgf|--example ssgf|target/thumbv7em-none-eabihf/release/examples/ssgf|Cortex-M4F (mps2-an386)|f64 (software)"
    "m0-ssgf|--example ssgf --target thumbv6m-none-eabi|target/thumbv6m-none-eabi/release/examples/ssgf|Cortex-M0 (microbit)|f64 (software)"
)
# Measured by `footprint` only: the fixed-point backend on the M4F.
EXTRA_IMAGES=(
    "m4f-q16|--features q16|target/thumbv7em-none-eabihf/release/backfire-firmware|Cortex-M4F (mps2-an386)|Q16.16"
)

# Soft-float f64 `exp`/`ln` (libm) must stay out of the fixed-point
# images: nothing on the Q16 paths needs them, and they cost ~1-2 KiB of
# flash and thousands of instructions per call on a Cortex-M0. Q16::exp/ln
# go through them, so a new caller on the stepper or gate path shows here
# (as libm's symbol, or as Q16's `exp`/`ln` with libm inlined into it; a
# caller that inlines Q16::exp itself would hide it — none does today).
check_no_f64_exp_ln() {
    local name=$1 elf=$2 found
    found=$(arm-none-eabi-nm -C "$elf" |
        grep -E ' libm::math::(exp|expf|log|logf)(::|$)|Q16 as backfire_nostd::num::Transcendental>::(exp|ln)$' ||
        true)
    if [ -n "$found" ]; then
        log "$name: f64 exp/ln linked into a fixed-point image:"
        printf '%s\n' "$found" >&2
        return 1
    fi
}

cmd_test() {
    install_tools
    local status=0 image name args elf backend
    for image in "${IMAGES[@]}"; do
        IFS='|' read -r name args elf _ backend <<<"$image"
        # shellcheck disable=SC2086 # args are words
        run_image "$name" $args || { log "$name FAILED"; status=1; }
        if [ "$backend" = Q16.16 ]; then check_no_f64_exp_ln "$name" "$fw/$elf" || status=1; fi
    done
    if [ $status = 0 ]; then log "firmware: all images passed under QEMU"; fi
    return $status
}

cmd_lint() {
    install_tools
    (
        cd "$fw"
        cargo fmt --check
        for target in thumbv7em-none-eabihf thumbv6m-none-eabi; do
            cargo clippy --quiet --release --target "$target" --bins --examples -- -D warnings
        done
        cargo clippy --quiet --release --features q16 --bins --examples -- -D warnings
    )
    log "firmware: fmt and clippy clean"
}

# Flash bytes of an ELF: every allocated section with contents
# (vector table, text, rodata, data initialisers).
flash_bytes() {
    arm-none-eabi-size -A "$1" | awk '$1 ~ /^\.(vector_table|text|rodata|data)$/ { s += $2 } END { print s }'
}

# Static RAM bytes: .data + .bss + .uninit.
ram_bytes() {
    arm-none-eabi-size -A "$1" | awk '$1 ~ /^\.(data|bss|uninit)$/ { s += $2 } END { print s }'
}

# Flash by origin, from the symbol table (named symbols only; the
# remainder is anonymous constant data: the test tables and strings).
flash_breakdown() {
    local elf=$1
    arm-none-eabi-nm -S -t d --size-sort -C "$elf" | awk -v total="$(flash_bytes "$elf")" '
        NF >= 4 && $3 !~ /^[bBN]$/ {
            name = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name); size = $2 + 0
            if (name ~ /backfire_nostd::(physics|num::phase|num::fixed|rng)/) cat = "upde"
            else if (name ~ /backfire_nostd/) cat = "gate"
            else if (name ~ /^backfire_firmware|^core::ops::function|OUTLINED|__cortex_m_rt_main/) cat = "harness"
            else if (name ~ /aeabi|compiler_builtins|^mem(cmp|cpy|set|move)$|^__/) cat = "builtins"
            else if (name ~ /^libm::|^fmaxf?$|^fminf?$/) cat = "libm"
            else if (name ~ /defmt|semihosting/) cat = "log"
            else cat = "rt"
            sum[cat] += size; named += size
        }
        END {
            printf "gate %d, UPDE stepper + its number code (physics, phase, Q16, rng) %d, libm %d, float/mem builtins %d, cortex-m-rt+core %d, defmt+semihosting %d, main + test harness code (inlined model code included) %d, tables+strings %d",
                sum["gate"], sum["upde"], sum["libm"], sum["builtins"], sum["rt"], sum["log"], sum["harness"], total - named
        }'
}

# field LOG TEXT -> the first number after TEXT (a literal string) in LOG,
# or "-" if the image does not report it
field() {
    awk -v p="$2" '
        !found && (i = index($0, p)) {
            s = substr($0, i + length(p))
            if (match(s, /[0-9]+(\.[0-9]+)?/)) { print substr(s, RSTART, RLENGTH); found = 1 }
        }
        END { if (!found) print "-" }' "$1"
}

cmd_footprint() {
    install_tools
    local image name args elf core backend rows=() parts=() breakdown="" breakdown_m0="" breakdown_upde=()
    for image in "${IMAGES[@]}" "${EXTRA_IMAGES[@]}"; do
        IFS='|' read -r name args elf core backend <<<"$image"
        # shellcheck disable=SC2086 # args are words
        run_image "$name" $args >/dev/null
        # Measured right away: later builds may overwrite the ELF.
        elf="$fw/$elf"
        if arm-none-eabi-nm -C "$elf" | grep -q __rust_alloc; then
            log "$name: an allocator is linked"
            return 1
        fi
        if [ "$backend" = Q16.16 ]; then check_no_f64_exp_ln "$name" "$elf"; fi
        local l="$logs/$name.log"
        rows+=("| $name | $core | $backend | $(flash_bytes "$elf") | $(ram_bytes "$elf") | $(field "$l" "stack: peak") | $(field "$l" "cost SafetyKernel::push:") | $(field "$l" "cost StreamingKernel::push (window 10, trend 5):") | $(field "$l" "cost i64 / i64 division (the Q16.16 window mean):") | $(field "$l" "cost UPDE step (N=16, sigma=0.05):") | $(field "$l" "cost UPDE step (N=16, no noise):") |")
        [ "$(field "$l" "cost UPDE normal draw:")" = - ] || parts+=("| $name | $backend | $(field "$l" "cost UPDE sin/cos of a phase:") | $(field "$l" "cost UPDE coupling multiply-add:") | $(field "$l" "cost UPDE normal draw:") | $(field "$l" "cost UPDE R from sums (N=16):") | $(field "$l" "cost UPDE clock (f64 t += dt):") |")
        if [ "$name" = m4f ]; then breakdown=$(flash_breakdown "$elf"); fi
        if [ "$name" = m0 ]; then breakdown_m0=$(flash_breakdown "$elf"); fi
        case $name in *-upde) breakdown_upde+=("$name: $(flash_breakdown "$elf")") ;; esac
    done

    echo "| image | core | backend | flash (bytes) | static RAM (bytes) | stack peak (bytes) | SafetyKernel::push (instr/token) | StreamingKernel::push (instr/token) | i64 division (instr) | UPDE step, N=16, σ=0.05 (instr) | UPDE step, N=16, no noise (instr) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "m4f, m0: the on-target test; *-gate: examples/gate.rs, one StreamingKernel and a canned stream (the gate-only image); *-upde: examples/upde.rs, one UPDEStepper, 100 steps (the UPDE-only image); *-ssgf: examples/ssgf.rs, one SSGF engine (N = 16 on the M4F, 8 on the M0), 3 outer steps, results equal to the host's bit for bit."
    echo
    echo "RAM of one monitor (window 10), from the firmware's size_of: StreamingKernel<f32, [f32; 10]> = $(field "$logs/m4f.log" "StreamingKernel<f32, [f32; 10]> =") bytes, StreamingKernel<Q16, [Q16; 10]> = $(field "$logs/m4f.log" "StreamingKernel<Q16, [Q16; 10]> =") bytes (budget 128)."
    echo
    echo "RAM of the UPDE model (N = 16), from the firmware's size_of: UPDEStepper<f32> = $(field "$logs/m4f.log" "UPDEStepper<f32> =") bytes, UPDEStepper<Q16> = $(field "$logs/m4f.log" "UPDEStepper<Q16> =") bytes, UPDEState<f32> = $(field "$logs/m4f.log" "UPDEState<f32> =") bytes, UPDEState<Q16> = $(field "$logs/m4f.log" "UPDEState<Q16> =") bytes (budget stepper + state 4096); of a stepper, UPDEParams (f64) = $(field "$logs/m4f.log" "UPDEParams (f64 omega, K, dt, F, sigma)") bytes."
    echo
    echo "UPDE step parts (instructions per call):"
    echo
    echo "| image | backend | sin/cos of a phase | coupling multiply-add | normal draw | R from sums | clock (f64 t += dt) |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${parts[@]}"
    echo
    echo "A step: 16 sin/cos (refresh), 2·16² + 3·16 multiply-adds, 16 normal draws (σ > 0 or reference-compatible σ = 0), one clock add; R is computed when read (the \"R from sums\" column), not per step."
    echo
    echo "m4f flash by origin (bytes): $breakdown."
    echo
    echo "m0 flash by origin (bytes): $breakdown_m0."
    echo
    echo "UPDE-only images, flash by origin (bytes):"
    echo
    printf -- '- %s\n' "${breakdown_upde[@]}"
    echo
    echo "Instructions: QEMU -icount shift=0, SysTick calibrated on a loop of known length; net of the feeding loop; 2000 tokens, steady state (no halt); UPDE: 100 steps from a seeded random start, parts 1000 calls."
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
case "${1:-}" in
    test) cmd_test ;;
    footprint) cmd_footprint ;;
    lint) cmd_lint ;;
    install) install_tools ;;
    *)
        echo "usage: $0 test|footprint|lint|install" >&2
        exit 2
        ;;
esac
