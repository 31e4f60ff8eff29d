#!/usr/bin/env bash
# Learning curves on SynthHand at an equal budget of training time, for one of two experiments:
#   ablations (default): the tiny DiffHand vs the paper's two ablations (Table 4);
#   losses: the tiny DiffHand trained with our loss set vs the paper's (docs/model.md "Losses").
# The runs go side by side (one thread each, data loading in process), so they share the
# machine alike; TrainTimeBudgetHook stops each after BUDGET seconds of training (validation
# excluded). Then each final checkpoint is tested on the whole SynthHand test split with the
# default 10 DDIM steps, and the curves are plotted into docs/learning_curves.md.
#   bash tools/analysis/run_learning_curves.sh [OUT_DIR] [BUDGET_SECONDS] [ablations|losses]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-work_dirs/learning_curves}
BUDGET=${2:-1800}
DATA=data/synthhand_lc
PY=.venv/bin/python
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

if [[ ! -f $DATA/evaluation_xyz.json ]]; then
  $PY tools/dataset_converters/make_synthhand.py --out $DATA --num-train 2000 --num-test 200 \
    --seed 0 --no-progress
fi

EXPERIMENT=${3:-ablations}
case $EXPERIMENT in
  ablations) declare -A configs=(
    [full]=configs/diffhand_tiny_synthhand.py
    [no_diffusion]=configs/ablations/diffhand_tiny_synthhand_no_diffusion.py
    [vanilla_decoder]=configs/ablations/diffhand_tiny_synthhand_vanilla_decoder.py) ;;
  losses) declare -A configs=(
    [ours_losses]=configs/diffhand_tiny_synthhand.py
    [paper_losses]=configs/ablations/diffhand_tiny_synthhand_paper_losses.py) ;;
  *) echo "run_learning_curves: experiment must be ablations or losses, got $EXPERIMENT" >&2
     exit 2 ;;
esac
pids=()
for name in "${!configs[@]}"; do
  mkdir -p "$OUT/$name"
  # The run's config inherits the experiment's (pure-Python configs: relative imports are
  # resolved from the file's folder, so the run config imports the experiment by package).
  module=$(echo "${configs[$name]%.py}" | sed 's#^configs/#diffhand_mm.configs.#; s#/#.#g')
  cat > "$OUT/$name/run_config.py" <<PYCFG
from mmengine.config import read_base
from mmengine.optim import ConstantLR, LinearLR

from diffhand_mm.engine import TrainTimeBudgetHook

with read_base():
    from $module import *  # noqa: F401,F403

_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader.update(dataset=dict(data_root='$DATA'), **_loader)
# validate on the first 64 test images during training; the final test uses all 200
val_dataloader.update(dataset=dict(data_root='$DATA', indices=64), **_loader)
test_dataloader.update(dataset=dict(data_root='$DATA', indices=None), **_loader)
train_cfg.update(max_iters=1000000, val_interval=150)
param_scheduler = [
    dict(type=LinearLR, start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type=ConstantLR, factor=1.0, by_epoch=False, begin=50),
]
default_hooks.checkpoint.update(interval=150, save_best=None)
custom_hooks = [dict(type=TrainTimeBudgetHook, budget_seconds=$BUDGET)]
PYCFG
  $PY tools/train.py "$OUT/$name/run_config.py" --work-dir "$OUT/$name" \
    > "$OUT/$name/train.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

for name in "${!configs[@]}"; do
  $PY tools/test.py "$OUT/$name/run_config.py" "$(cat "$OUT/$name/last_checkpoint")" \
    --work-dir "$OUT/$name/test" > "$OUT/$name/test.log" 2>&1
done
png=docs/images/learning_curves.png
if [[ $EXPERIMENT == losses ]]; then png=docs/images/learning_curves_losses.png; fi
$PY tools/analysis/plot_learning_curves.py "$OUT" --budget "$BUDGET" \
  --experiment "$EXPERIMENT" --out-md docs/learning_curves.md --out-png "$png"
