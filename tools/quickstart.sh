#!/usr/bin/env bash
# The main job, on a fresh machine: set up, make SynthHand test images, evaluate the tiny
# DiffHand checkpoint the project trained (shipped in checkpoints/), and reconstruct the hands
# in the test images, writing meshes (.obj), JSON, overlays and side views.
#
#   bash tools/quickstart.sh [OUT_DIR]            # default work_dirs/quickstart
#   TRAIN_ITERS=300 bash tools/quickstart.sh OUT  # train the tiny model here instead (minutes)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
OUT=${1:-work_dirs/quickstart}
TRAIN_ITERS=${TRAIN_ITERS:-0}
NUM_TEST=${NUM_TEST:-16}
CONFIG=configs/diffhand_tiny_synthhand.py
CHECKPOINT=checkpoints/diffhand_tiny_synthhand.pth
PY=.venv/bin/python

bash tools/setup_env.sh
mkdir -p "$OUT"
data="$OUT/synthhand"
loaders=()
for loader in train_dataloader val_dataloader test_dataloader; do
  loaders+=("$loader.dataset.data_root=$data")
done

echo "[quickstart] 1/3 SynthHand images -> $data"
# Seed 1: test images the shipped checkpoint never saw (it was trained on seed 0).
$PY tools/dataset_converters/make_synthhand.py --out "$data" \
  --num-train "$(( TRAIN_ITERS > 0 ? 512 : 0 ))" --num-test "$NUM_TEST" --seed 1 --no-progress

if (( TRAIN_ITERS > 0 )); then
  echo "[quickstart] training the tiny model for $TRAIN_ITERS iterations"
  $PY tools/train.py $CONFIG --work-dir "$OUT/train" --cfg-options "${loaders[@]}" \
    train_cfg.max_iters="$TRAIN_ITERS" train_cfg.val_interval="$TRAIN_ITERS" \
    param_scheduler.1.end="$TRAIN_ITERS" param_scheduler.1.T_max="$(( TRAIN_ITERS - 50 ))"
  CHECKPOINT="$(cat "$OUT/train/last_checkpoint")"
fi

echo "[quickstart] 2/3 evaluating $CHECKPOINT on the $NUM_TEST test images"
$PY tools/test.py $CONFIG "$CHECKPOINT" --work-dir "$OUT/test" --cfg-options "${loaders[@]}" \
  test_dataloader.num_workers=0 test_dataloader.persistent_workers=False > "$OUT/test.log" 2>&1 \
  || { tail -n 30 "$OUT/test.log"; exit 1; }
grep "(test)" "$OUT/test.log" | sed 's/.*(test) *\[[0-9/]*\] *//'

echo "[quickstart] 3/3 reconstructing hands -> $OUT/demo"
$PY tools/demo.py "$data/evaluation/rgb" --config $CONFIG --checkpoint "$CHECKPOINT" \
  --out-dir "$OUT/demo"
echo "[quickstart] done: meshes, JSON, overlays and side views in $OUT/demo"
