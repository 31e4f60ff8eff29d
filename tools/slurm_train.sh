#!/usr/bin/env bash
# Training on a Slurm cluster, MMPose's interface:
#   [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#     bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# srun starts GPUS processes, GPUS_PER_NODE per node, one per GPU; train.py reads srun's
# variables. More variables (CPU-only nodes, MASTER_PORT): tools/slurm_run.sh.
set -euo pipefail
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" train.py "$3" --work-dir="$4" "${@:5}"
