#!/usr/bin/env bash
# srun one of our tools with --launcher=slurm; what tools/slurm_train.sh and slurm_test.sh run:
#   bash tools/slurm_run.sh PARTITION JOB_NAME TOOL [tool arguments]     (TOOL: train.py, test.py)
# Variables (MMPose's): GPUS tasks in all (default 8), GPUS_PER_NODE per node (default 8),
# CPUS_PER_TASK (default 5), SRUN_ARGS (more srun options). Ours: GRES (default
# gpu:$GPUS_PER_NODE; empty on CPU-only nodes, where GPUS and GPUS_PER_NODE count processes
# that talk over gloo), PYTHON (the interpreter). MASTER_PORT (default 29500) must be free on
# the first node. See docs/distributed.md.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
TOOL=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES-gpu:${GPUS_PER_NODE}}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
set -x
# SRUN_ARGS is split into words on purpose: it holds several srun options.
# shellcheck disable=SC2086
PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" \
  --job-name="$JOB_NAME" \
  ${GRES:+--gres="$GRES"} \
  --ntasks="$GPUS" \
  --ntasks-per-node="$GPUS_PER_NODE" \
  --cpus-per-task="$CPUS_PER_TASK" \
  --kill-on-bad-exit=1 \
  ${SRUN_ARGS} \
  "$PYTHON" -u "$REPO_ROOT/tools/$TOOL" --launcher=slurm "${@:4}"
