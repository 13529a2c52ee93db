#!/bin/sh
# Build and run the harness on the products in ../../sklearn_linsgd/_fast_small.h:
# the rows in cache (512), then 200k random rows; then the row-read probe
# (rows.c) on rows of 2 KiB (200k x 256 float64, as the float64 workload's),
# 1 KiB (as float32's) and 512 bytes (as the 1M x 128 float32 workload's).
# Needs gcc (12 or later).
set -e
cd "$(dirname "$0")"
out="${TMPDIR:-/tmp}/linsgd_kernel_harness"
mkdir -p "$out"
python3 extract.py ../../sklearn_linsgd/_fast_small.h "$out/kernels.h"
${CC:-gcc} -O3 -fno-trapping-math -fno-math-errno -I"$out" harness.c -o "$out/harness" -lm
"$out/harness" 512 "${1:-10}"
"$out/harness" 200000 "${1:-10}"
${CC:-gcc} -O3 rows.c -o "$out/rows" -lm
"$out/rows" 200000 256
"$out/rows" 200000 128
"$out/rows" 1000000 64
