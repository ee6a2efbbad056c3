#!/usr/bin/env bash
# The Backfire firmware under QEMU: on-target test and footprint report.
#
#   scripts/firmware.sh test        install what is missing, build and run
#                                   both images, fail on any mismatch/hang
#   scripts/firmware.sh footprint   flash/RAM per image and instructions per
#                                   token, as a Markdown table
#   scripts/firmware.sh install     only install the tools
#
# Images (firmware-example/, one command each):
#   M4F  cargo run --release                              MPS2+ AN386, f32
#   M0   cargo run --release --target thumbv6m-none-eabi  micro:bit v1, Q16.16
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
        grep -qx "$target" <<<"$installed" || { log "rustup target add $target"; rustup target add "$target"; }
    done
    if ! defmt-print --version 2>/dev/null | grep -q "^defmt-print $DEFMT_PRINT_VERSION"; then
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

cmd_test() {
    install_tools
    local status=0
    run_image m4f || { log "M4F image FAILED"; status=1; }
    run_image m0 --target thumbv6m-none-eabi || { log "M0 image FAILED"; status=1; }
    [ $status = 0 ] && log "firmware: both images passed under QEMU"
    return $status
}

# elf_of NAME -> path of the image's ELF (after run_image)
elf_of() {
    case $1 in
        m4f | m4f-q16) echo "$fw/target/thumbv7em-none-eabihf/release/backfire-firmware" ;;
        m0) echo "$fw/target/thumbv6m-none-eabi/release/backfire-firmware" ;;
    esac
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
            if (name ~ /backfire_nostd/) cat = "gate"
            else if (name ~ /^backfire_firmware|^core::ops::function|OUTLINED/) cat = "harness"
            else if (name ~ /aeabi|compiler_builtins|^mem(cmp|cpy|set|move)$|^__/) cat = "builtins"
            else if (name ~ /defmt|semihosting/) cat = "log"
            else cat = "rt"
            sum[cat] += size; named += size
        }
        END {
            printf "gate %d, float/mem builtins %d, cortex-m-rt+core %d, defmt+semihosting %d, test harness code %d, tables+strings %d",
                sum["gate"], sum["builtins"], sum["rt"], sum["log"], sum["harness"], total - named
        }'
}

# field LOG TEXT -> the first number after TEXT (a literal string) in LOG
field() {
    grep -m1 -F -- "$2" "$1" | awk -v p="$2" '{
        s = substr($0, index($0, p) + length(p))
        if (match(s, /[0-9]+(\.[0-9]+)?/)) print substr(s, RSTART, RLENGTH)
    }'
}

cmd_footprint() {
    install_tools
    local images=(m4f m0 m4f-q16)
    run_image m4f >/dev/null
    local m4f_flash m4f_ram m4f_breakdown
    m4f_flash=$(flash_bytes "$(elf_of m4f)")
    m4f_ram=$(ram_bytes "$(elf_of m4f)")
    m4f_breakdown=$(flash_breakdown "$(elf_of m4f)")
    arm-none-eabi-nm -C "$(elf_of m4f)" | grep -q __rust_alloc && { log "an allocator is linked"; return 1; }
    run_image m0 --target thumbv6m-none-eabi >/dev/null
    # Built last: it overwrites the M4F ELF.
    run_image m4f-q16 --features q16 >/dev/null
    local m4f_q16_flash
    m4f_q16_flash=$(flash_bytes "$(elf_of m4f-q16)")

    echo "| image | core | backend | flash (bytes) | static RAM (bytes) | stack peak (bytes) | SafetyKernel::push (instr/token) | StreamingKernel::push (instr/token) |"
    echo "|---|---|---|---|---|---|---|---|"
    for name in "${images[@]}"; do
        local l="$logs/$name.log" core backend flash ram
        case $name in
            m4f) core="Cortex-M4F (mps2-an386)"; backend=f32; flash=$m4f_flash; ram=$m4f_ram ;;
            m0) core="Cortex-M0 (microbit)"; backend=Q16.16; flash=$(flash_bytes "$(elf_of m0)"); ram=$(ram_bytes "$(elf_of m0)") ;;
            m4f-q16) core="Cortex-M4F (mps2-an386)"; backend="Q16.16 (--features q16)"; flash=$m4f_q16_flash; ram=$(ram_bytes "$(elf_of m4f-q16)") ;;
        esac
        echo "| $name | $core | $backend | $flash | $ram | $(field "$l" "stack: peak") | $(field "$l" "cost SafetyKernel::push:") | $(field "$l" "cost StreamingKernel::push (window 10, trend 5):") |"
    done
    echo
    echo "RAM of one monitor (window 10), from the firmware's size_of: StreamingKernel<f32, [f32; 10]> = $(field "$logs/m4f.log" "StreamingKernel<f32, [f32; 10]> =") bytes, StreamingKernel<Q16, [Q16; 10]> = $(field "$logs/m4f.log" "StreamingKernel<Q16, [Q16; 10]> =") bytes (budget 128)."
    echo
    echo "M4F flash by origin (bytes): $m4f_breakdown."
    echo
    echo "Instructions: QEMU -icount shift=0, SysTick calibrated on a loop of known length; net of the feeding loop; 2000 tokens, steady state (no halt)."
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
case "${1:-}" in
    test) cmd_test ;;
    footprint) cmd_footprint ;;
    install) install_tools ;;
    *)
        echo "usage: $0 test|footprint|install" >&2
        exit 2
        ;;
esac
