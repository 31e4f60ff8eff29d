#!/usr/bin/env bash
# Distributed training over torchrun: bash tools/dist_train.sh CONFIG NPROC [train.py options]
# NPROC processes on this machine (one per GPU). Several machines (MMPose's variables): run the
# same command on each with NNODES=<machines> NODE_RANK=<0..NNODES-1> MASTER_ADDR=<node 0's
# address> PORT=<a free port on node 0>. Works on GPUs (nccl) and on CPU-only machines (gloo).
# PYTHON selects the interpreter. See docs/distributed.md.
set -euo pipefail
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
  --master_addr="$MASTER_ADDR" --nproc_per_node="$NPROC" --master_port="$PORT" \
  "$REPO_ROOT/tools/train.py" "$CONFIG" --launcher pytorch "${@:3}"
