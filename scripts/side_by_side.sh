#!/usr/bin/env bash
# One CoMM training step, PyTorch (the reference model at rusbench's widths, scripts/device/
# torch_comm_step.py) beside rusbench's `train_step` bench on flex and, when built, on tch; all in
# one run so the ratios share one machine state. Check `uptime` first: a loaded machine halves
# every figure.
#
#   PYTHON=/path/to/venv/bin/python scripts/side_by_side.sh [paper]
#
# PYTHON must import torch (2.9.0 for the tch backend: README "The tch backend"). Without
# TCH_TARGET_DIR (the target dir of a `--features tch` build, see README) the tch column is skipped.
# `paper` adds the 224 px scale (about 5 minutes more).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/rusbench-target}"
scales=("tiny" "tiny --fusion-dim 128" "small")
benches='comm/(tiny|tiny-f128|small)$'
if [ "${1:-}" = paper ]; then
  scales+=("paper")
  benches='comm/(tiny|tiny-f128|small|paper)$'
fi
echo "# $(date -u +%FT%TZ) $(uptime)"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
echo "# PyTorch: device,scale,px,batch,steps,ms_per_step,params,threads"
for s in "${scales[@]}"; do
  # shellcheck disable=SC2086
  "$PY" scripts/device/torch_comm_step.py --device cpu --scale $s --steps 10
done
echo "# rusbench flex (train_step bench)"
cargo bench --locked --bench train_step -- "$benches" 2>&1 | grep -E '^train_step|time:'
if [ -n "${TCH_TARGET_DIR:-}" ]; then
  echo "# rusbench tch (train_step bench, RUSBENCH_DEVICE=tch)"
  torch_lib="$("$PY" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)/lib"
  RUSBENCH_DEVICE=tch CARGO_TARGET_DIR="$TCH_TARGET_DIR" LIBTORCH_USE_PYTORCH=1 \
    PATH="$(dirname "$PY"):$PATH" LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    cargo bench --features tch --bench train_step -- "$benches" 2>&1 | grep -E '^train_step|time:'
fi
