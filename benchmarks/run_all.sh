#!/usr/bin/env bash
# Runs every CPU benchmark side by side (cornu, a hand-written torch loop, Keras 3 on jax and torch) and appends
# the JSON lines to results.jsonl. Needs: pip install -e ".[bench]" (keras, jax; Keras-tf where tensorflow is
# installed). About 45 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-results.jsonl}
python optimizer_step.py | tee -a "$out"
python predict_latency.py --rounds 3 | tee -a "$out"
python pokemon_fit.py --rounds 3 --epochs 50 | tee -a "$out"
python mnist_epoch.py --rounds 2 --epochs 3 | tee -a "$out"
python lstm_fit.py --rounds 2 | tee -a "$out"
python cnn_fit.py --rounds 2 | tee -a "$out"
python compile_and_precision.py --rounds 2 --frameworks cornu,cornu-jit,cornu-bf16,cornu-bf16-jit,torch | tee -a "$out"
python memmap_fit.py --gigabytes 4 --cap-mb 1536 --steps 1000 | tee -a "$out"   # root, for the cgroup cap
python ddp_scaling.py --rounds 3 | tee -a "$out"
