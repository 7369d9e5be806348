#!/usr/bin/env bash
# The one prepared call for a session lent a GPU (README "Backends"); run from the repo root on the
# device machine. Carry: .gl (Vulkan loader debs, as the device README says) and gpu/ holding
# rusbench, gen-trifeature and train_step, built here with
#   cargo build --release --features wgpu --bins --benches
#   mkdir -p gpu && cp $T/release/{rusbench,gen-trifeature} gpu/ && cp $(ls -t $T/release/deps/train_step-* | grep -v '\.d$' | head -1) gpu/train_step
#   strip gpu/* && gzip gpu/*      # the wgpu rusbench is 674 MB, 101 MB stripped, 28 MB gzipped: carry is 64 MiB
# Writes everything to $OUT/gpu_check.txt. About 4-6 minutes.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.txt") 2>&1
for f in gpu/*.gz; do gunzip -f "$f"; done
chmod +x gpu/*
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
echo "== 1. dataset (224 px reference recipe)"
time gpu/gen-trifeature --out data/trifeature
echo "== 2. one training step at the paper scale, rusbench on wgpu (criterion, batch 64)"
RUSBENCH_DEVICE=wgpu timeout 300 gpu/train_step --bench 'comm/paper$' --noplot
echo "== 3. the reference model in PyTorch on the same GPU"
timeout 120 python3 scripts/device/torch_comm_step.py --device cuda --steps 20
timeout 120 python3 scripts/device/torch_comm_step.py --device cuda --steps 20 --px 64
echo "== 4. end to end: paper model, 640 pairs x 1 epoch, probe on 1,000 pairs, on wgpu"
time timeout 300 gpu/rusbench train --preset scripts/device/paper-smoke.toml --device wgpu \
  --dataset data/trifeature --out "$OUT/paper-smoke"
cat "$OUT/paper-smoke/epochs.csv"
