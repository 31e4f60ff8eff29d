#!/usr/bin/env bash
# Testing on a Slurm cluster, MMPose's interface:
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#     bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# The test set is split over the GPUS processes and every sample is scored once, on rank 0.
# More variables (CPU-only nodes, MASTER_PORT): tools/slurm_run.sh.
set -euo pipefail
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" test.py "$3" "$4" "${@:5}"
