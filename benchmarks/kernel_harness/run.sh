#!/bin/sh
# Build and run the harness on the products in ../../sklearn_linsgd/_fast.pyx:
# the rows in cache (512), then 200k random rows. Needs gcc (12 or later).
set -e
cd "$(dirname "$0")"
out="${TMPDIR:-/tmp}/linsgd_kernel_harness"
mkdir -p "$out"
python3 extract.py ../../sklearn_linsgd/_fast.pyx "$out/kernels.h"
${CC:-gcc} -O3 -fno-trapping-math -fno-math-errno -I"$out" harness.c -o "$out/harness" -lm
"$out/harness" 512 "${1:-10}"
"$out/harness" 200000 "${1:-10}"
