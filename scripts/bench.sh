#!/usr/bin/env bash
# Runs every Criterion benchmark (short settings) and the Python timing
# script, then prints the medians as Markdown — the numbers in BENCHMARKS.md.
#   scripts/bench.sh            everything
#   scripts/bench.sh gate       one Criterion bench (gate | physics | observers | ssgf)
set -euo pipefail
cd "$(dirname "$0")/.."

benches=("${@:-gate physics observers ssgf}")
for bench in ${benches[*]}; do
    cargo bench -p backfire-benches --bench "$bench" -- --warm-up-time 1 --measurement-time 5 >/dev/null
done
python3 scripts/criterion_table.py target/criterion

if [ $# -eq 0 ]; then
    scripts/setup.sh --python >/dev/null
    scripts/setup.sh --wheel >/dev/null
    .venv/bin/python backfire-py/bench/bench_ffi.py
fi
