#!/usr/bin/env bash
# Distributed testing over torchrun: bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py options]
# Every test sample is scored once, on rank 0. Several machines: NNODES, NODE_RANK, MASTER_ADDR
# and PORT as in tools/dist_train.sh. Works on GPUs (nccl) and on CPU-only machines (gloo).
# PYTHON selects the interpreter. See docs/distributed.md.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
  --master_addr="$MASTER_ADDR" --nproc_per_node="$NPROC" --master_port="$PORT" \
  "$REPO_ROOT/tools/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
