#!/usr/bin/env bash
# Table 5's analogue on SynthHand: fine-tune the shipped tiny checkpoint with and without the
# depth condition, same data, schedule and random numbers, for several seeds; then tabulate.
# The arms of one seed run side by side (one thread each, data loading in process), so they
# share the machine alike; each validates on the 200 test images at its last iteration.
#   bash projects/depth_condition/tools/run_depth_experiment.sh OUT "SEEDS" "ARMS"
#   e.g. bash projects/depth_condition/tools/run_depth_experiment.sh work_dirs/depth "0 1 2" \
#        "none depth"
# Arms: none (no depth), depth (the branch after the encoder's stem, the project's default),
# depth_feature_map (the branch at the encoder's feature map), silhouette (the default branch
# fed only the blurred silhouette of the rendered surfaces).
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT=${1:-work_dirs/depth_experiment}
SEEDS=${2:-"0 1 2"}
ARMS=${3:-"none depth"}
PY=${PY:-.venv/bin/python}
CFG=projects/depth_condition/configs
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=projects/depth_condition${PYTHONPATH:+:$PYTHONPATH}

if [[ ! -f data/synthhand_depth/evaluation_xyz.json ]]; then
  $PY tools/dataset_converters/make_synthhand.py --out data/synthhand_depth --num-train 4000 \
    --num-test 200 --seed 1 --no-progress
fi

declare -A configs=(
  [none]=$CFG/diffhand_tiny_synthhand_ft.py
  [depth]=$CFG/diffhand_tiny_synthhand_depth_ft.py
  [depth_feature_map]=$CFG/ablations/diffhand_tiny_synthhand_depth_ft_feature_map.py
  [silhouette]=$CFG/ablations/diffhand_tiny_synthhand_silhouette_ft.py
)
for seed in $SEEDS; do
  pids=()
  for arm in $ARMS; do
    dir=$OUT/$arm/seed$seed
    mkdir -p "$dir"
    $PY tools/train.py "${configs[$arm]}" --work-dir "$dir" --cfg-options randomness.seed=$seed \
      train_dataloader.num_workers=0 train_dataloader.persistent_workers=False \
      val_dataloader.num_workers=0 val_dataloader.persistent_workers=False \
      > "$dir/train.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
done
$PY projects/depth_condition/tools/summarize_depth_experiment.py "$OUT"
