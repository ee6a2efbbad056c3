#!/bin/sh
# Cargo runner: boots a firmware ELF under QEMU with semihosting, decodes
# its defmt log to text, and exits with the firmware's exit status.
#
#   sh qemu-run.sh <machine> <elf>      (machine: mps2-an386 | microbit)
#
# -icount shift=0 makes every guest instruction take exactly 1 ns of
# virtual time, so the SysTick-based cost numbers are instruction counts
# and identical from run to run. FIRMWARE_TIMEOUT (seconds, default 60)
# stops a hung image.
set -u
machine=$1
elf=$2
case $machine in
    mps2-an386) cpu=cortex-m4 ;;
    microbit) cpu=cortex-m0 ;;
    *) echo "qemu-run.sh: unknown machine '$machine'" >&2; exit 2 ;;
esac
for tool in qemu-system-arm defmt-print; do
    command -v "$tool" >/dev/null 2>&1 || { echo "qemu-run.sh: '$tool' not found (scripts/firmware.sh test installs it)" >&2; exit 2; }
done

# The log is a binary defmt stream on QEMU's stdout; keep the statuses of
# both ends of the pipe (POSIX sh has no PIPESTATUS).
status_dir=$(mktemp -d)
trap 'rm -rf "$status_dir"' EXIT
{
    timeout --foreground "${FIRMWARE_TIMEOUT:-60}" qemu-system-arm \
        -machine "$machine" -cpu "$cpu" \
        -icount shift=0 \
        -display none -monitor none -serial none \
        -semihosting-config enable=on,target=native \
        -kernel "$elf"
    echo $? >"$status_dir/qemu"
} | {
    defmt-print -e "$elf" stdin
    echo $? >"$status_dir/decoder"
}
qemu_status=$(cat "$status_dir/qemu")
decoder_status=$(cat "$status_dir/decoder")
if [ "$qemu_status" = 124 ]; then
    echo "qemu-run.sh: $machine timed out after ${FIRMWARE_TIMEOUT:-60} s" >&2
elif [ "$decoder_status" != 0 ]; then
    echo "qemu-run.sh: defmt-print failed ($decoder_status)" >&2
    [ "$qemu_status" = 0 ] && exit 3
fi
exit "$qemu_status"
