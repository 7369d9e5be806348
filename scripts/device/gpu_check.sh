#!/usr/bin/env bash
# The one prepared call for a session lent a GPU (README "Backends"); run from the repo root on the
# device machine. Carry: .gl (Vulkan loader debs, as the device README says) and gpu/ holding
# rusbench, gen-trifeature, train_step and augment, built here with
#   cargo build --release --features wgpu --bins --benches
#   mkdir -p gpu && cp $T/release/{rusbench,gen-trifeature} gpu/
#   for b in train_step augment; do cp $(ls -t $T/release/deps/$b-* | grep -v '\.d$' | head -1) gpu/$b; done
#   strip gpu/* && xz -T2 -6 gpu/*  # rusbench: 692 MB, 19 MB stripped and xz'd (33 MB gzipped); carry is 64 MiB
# The steps run in order of value, each under a timeout taken from what is left of BUDGET seconds
# (default 540, inside the device's 600 s per command), so a slow step cuts the later ones short
# instead of losing everything. The log goes to $OUT/gpu_check.txt and the 5-epoch run's small
# files to $OUT (8 files at most come back).
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check}
BUDGET=${BUDGET:-540}
left() { echo $((BUDGET - SECONDS)); }
# `within R CMD...`: CMD under a timeout of what is left but R seconds; skipped under 10 s.
within() {
  local t=$(($(left) - $1))
  shift
  if [ "$t" -ge 10 ]; then timeout "$t" "$@"; else echo "skipped (${t}s left): $*"; fi
}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.txt") 2>&1
for f in gpu/*.xz; do
  xz -d -f "$f" 2>/dev/null || python3 -c 'import lzma, shutil, sys
shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[1][:-3], "wb"))' "$f"
done
chmod +x gpu/*
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"

echo "== 1. dataset (224 px reference recipe) at ${SECONDS}s"
time gpu/gen-trifeature --out data/trifeature

echo "== 2. the reference model's CoMM step in PyTorch on the same GPU at ${SECONDS}s"
timeout 90 python3 scripts/device/torch_comm_step.py --device cuda --steps 30

echo "== 3. CoMM, paper preset, first 5 epochs on wgpu (biased pairs, probed at the end) at ${SECONDS}s"
run=/tmp/paper-5ep
time within 20 gpu/rusbench train --preset scripts/device/paper-5ep.toml \
  --device wgpu --dataset data/trifeature --out "$run"
echo "exit $?"
for f in epochs.csv probe_curve.csv probe.csv pid.csv run.json; do
  [ -f "$run/$f" ] && cp "$run/$f" "$OUT/" && echo "-- $f" && cat "$run/$f"
done

echo "== 4. one training step at the paper scale on wgpu (criterion, batch 64) at ${SECONDS}s"
RUSBENCH_DEVICE=wgpu within 25 gpu/train_step --bench 'comm/paper$' --noplot \
  --warm-up-time 5 --measurement-time 10 --sample-size 10

echo "== 5. views of one CoMM step at 224 px on every core (what feeds the GPU) at ${SECONDS}s"
within 2 gpu/augment --bench 'batch/.*224px' --noplot --warm-up-time 2 \
  --measurement-time 5 --sample-size 10
echo "== done at ${SECONDS}s"
